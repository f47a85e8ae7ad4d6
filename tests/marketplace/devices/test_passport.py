"""The passport: append-only, written with each change, read in full by the owning
organisation and staff, and as a redacted public view only while the device is listed."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, EventKind, PassportIsAppendOnly
from marketplace.devices.passport import record_event
from marketplace.listings.models import Listing, ListingStatus, Visibility
from tests.api_helpers import register
from tests.factories import ListingFactory
from tests.marketplace.devices.conftest import ApiPeople, create_via_api


def list_device(session: Session, device_id: int, visibility: Visibility, status: ListingStatus) -> Listing:
    device = session.get(Device, device_id)
    assert device is not None
    # Committed (the factory's persistence): a refused request rolls back to here, not before.
    return ListingFactory.in_session(
        session, device_id=device.id, organisation_id=device.organisation_id, visibility=visibility, status=status
    )


@pytest.fixture
def history(client: FlaskClient, db_session: Session, api_people: ApiPeople) -> dict[str, Any]:
    """A device with a varied history: registered, private and public updates, a repair, and
    events from other domains carrying private data (disk serials, an operator)."""
    device = create_via_api(
        client, api_people, asset_tag="IT-7781", notes="belonged to the CFO", location="Lyon B2", cosmetic_grade="good"
    )
    url = f"/api/v1/devices/{device['id']}"
    lister = api_people.headers["lister"] or {}
    assert (
        client.patch(
            url, json={"notes": "wiped twice", "serial": "NEWSERIAL9"}, headers={**lister, "If-Match": '"1"'}
        ).status_code
        == 200
    )
    assert (
        client.patch(
            url, json={"cosmetic_grade": "fair", "location": "Lyon C1"}, headers={**lister, "If-Match": '"2"'}
        ).status_code
        == 200
    )
    tech = api_people.headers["technician"]
    assert (
        client.post(
            f"{url}/repairs", json={"parts": ["battery"], "notes": "swollen, CFO dropped it"}, headers=tech
        ).status_code
        == 201
    )
    assert client.post(f"{url}/repairs/complete", json={"parts": ["battery 01AV452"]}, headers=tech).status_code == 200
    stored = db_session.get(Device, device["id"])
    assert stored is not None
    record_event(
        db_session,
        stored,
        EventKind.ERASED,
        None,
        data={
            "disks": [{"disk_serial": "S3Z9NB0K123", "method": "purge", "standard": "NIST SP 800-88"}],
            "operator": "Jean Dupont",
            "verified": True,
        },
    )
    db_session.commit()
    return {**device, "serial_now": "NEWSERIAL9"}


def passport(client: FlaskClient, device_id: int, headers: dict[str, str] | None, **query: Any) -> Any:
    return client.get(f"/api/v1/devices/{device_id}/passport", headers=headers, query_string=query)


def test_full_view_has_every_event_with_its_changes_and_actors(
    client: FlaskClient, api_people: ApiPeople, history: dict[str, Any]
) -> None:
    response = passport(client, history["id"], api_people.headers["member"])
    assert response.status_code == 200
    assert response.json["view"] == "full"
    items = response.json["items"]
    assert [e["kind"] for e in items] == ["registered", "updated", "updated", "repair_started", "repaired", "erased"]
    assert items[0]["state_to"] == "registered"
    assert items[1]["changes"] == {
        "serial": [history["serial"], "NEWSERIAL9"],
        "notes": ["belonged to the CFO", "wiped twice"],
    }
    assert items[1]["public"] is False  # only private fields changed
    assert items[2]["changes"] == {"cosmetic_grade": ["good", "fair"], "location": ["Lyon B2", "Lyon C1"]}
    assert items[3]["state_from"] == "registered" and items[3]["state_to"] == "in_repair"
    assert items[4]["data"] == {"parts": ["battery 01AV452"]}
    assert items[0]["actor"]["name"] == "lister" and items[3]["actor"]["name"] == "technician"
    assert items[0]["actor"]["organisation_id"] == api_people.org_id
    staff = passport(client, history["id"], api_people.headers["staff"])
    assert staff.status_code == 200 and staff.json["items"] == items


def test_passport_pages(client: FlaskClient, api_people: ApiPeople, history: dict[str, Any]) -> None:
    first = passport(client, history["id"], api_people.headers["admin"], limit=4)
    second = passport(client, history["id"], api_people.headers["admin"], limit=4, cursor=first.json["next_cursor"])
    assert len(first.json["items"]) == 4 and len(second.json["items"]) == 2
    assert second.json["next_cursor"] is None
    assert passport(client, history["id"], api_people.headers["admin"], limit=500).status_code == 422


def test_events_are_append_only(client: FlaskClient, db_session: Session, history: dict[str, Any]) -> None:
    events = list(db_session.scalars(sa.select(DeviceEvent).where(DeviceEvent.device_id == history["id"])))
    snapshot = [(e.id, e.kind, dict(e.changes), dict(e.data)) for e in events]
    event = events[0]
    event.data = {"rewritten": True}
    with pytest.raises(PassportIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.get(DeviceEvent, snapshot[0][0]))
    with pytest.raises(PassportIsAppendOnly):
        db_session.flush()
    db_session.rollback()


def test_later_changes_only_append(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, history: dict[str, Any]
) -> None:
    before = passport(client, history["id"], api_people.headers["admin"]).json["items"]
    version = db_session.get(Device, history["id"]).version  # type: ignore[union-attr]
    response = client.patch(
        f"/api/v1/devices/{history['id']}",
        json={"model": "ThinkPad T480s"},
        headers={**(api_people.headers["admin"] or {}), "If-Match": f'"{version}"'},
    )
    assert response.status_code == 200
    after = passport(client, history["id"], api_people.headers["admin"]).json["items"]
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert after[-1]["changes"] == {"model": ["ThinkPad T480", "ThinkPad T480s"]}


def test_unlisted_device_has_no_public_passport(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, history: dict[str, Any]
) -> None:
    assert passport(client, history["id"], None).status_code == 404
    assert passport(client, history["id"], api_people.headers["other_admin"]).status_code == 404
    list_device(db_session, history["id"], Visibility.PUBLIC, ListingStatus.WITHDRAWN)
    assert passport(client, history["id"], None).status_code == 404
    list_device(db_session, history["id"], Visibility.PUBLIC, ListingStatus.CLOSED)
    assert passport(client, history["id"], None).status_code == 404


def test_public_view_of_a_listed_device_is_redacted(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, history: dict[str, Any]
) -> None:
    list_device(db_session, history["id"], Visibility.PUBLIC, ListingStatus.ACTIVE)
    response = passport(client, history["id"], None)
    assert response.status_code == 200
    body = response.json
    assert body["view"] == "public"
    text = json.dumps(body)
    for secret in (
        history["serial"],
        "NEWSERIAL9",
        "IT-7781",
        "CFO",
        "wiped twice",
        "Lyon",
        "S3Z9NB0K123",
        "Jean Dupont",
        "lister",
        "technician",
        "example.org",
    ):
        assert secret not in text, secret
    kinds = [e["kind"] for e in body["items"]]
    assert kinds == ["registered", "updated", "repair_started", "repaired", "erased"]  # the private update is absent
    for item in body["items"]:
        assert set(item["actor"]) == {"organisation_name"}
        assert "public" not in item
    assert body["items"][0]["changes"]["make"] == [None, "Lenovo"]
    assert "serial" not in body["items"][0]["changes"] and "asset_tag" not in body["items"][0]["changes"]
    assert body["items"][1]["changes"] == {"cosmetic_grade": ["good", "fair"]}
    assert body["items"][2]["data"] == {"parts": ["battery"]}
    # An allow-list (passport.PUBLIC_VIEWS): of this hand-made erasure event, only ``verified`` is
    # a key erasure events show; its unknown ``disks`` list stays private whatever it holds.
    assert body["items"][4]["data"] == {"verified": True}

    # Another organisation's admin and staff-less users read the same public view.
    other = passport(client, history["id"], api_people.headers["other_admin"])
    assert other.status_code == 200 and other.json == body
    # Members of the owning organisation still get everything.
    assert passport(client, history["id"], api_people.headers["member"]).json["view"] == "full"


def test_members_only_listing_shows_the_passport_to_cluster_members_only(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, history: dict[str, Any]
) -> None:
    list_device(db_session, history["id"], Visibility.MEMBERS, ListingStatus.ACTIVE)
    assert passport(client, history["id"], None).status_code == 404
    loner = register(client, "loner")  # an account that belongs to no organisation
    assert passport(client, history["id"], loner.headers).status_code == 404
    response = passport(client, history["id"], api_people.headers["other_admin"])
    assert response.status_code == 200 and response.json["view"] == "public"


def test_bench_token_cannot_read_the_passport(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, history: dict[str, Any]
) -> None:
    list_device(db_session, history["id"], Visibility.PUBLIC, ListingStatus.ACTIVE)
    assert passport(client, history["id"], api_people.headers["bench"]).status_code == 403
