"""Devices through the API: registration, specs errors by field, asset tags, ETag/If-Match,
lifecycle refusals, listing filters and pagination; each refusal leaves nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.codes import PATTERN, normalise_public_code
from marketplace.devices.models import Device, DeviceEvent
from tests.marketplace.devices.conftest import ApiPeople, create_via_api, laptop


def counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    devices = session.scalar(sa.select(sa.func.count()).select_from(Device)) or 0
    events = session.scalar(sa.select(sa.func.count()).select_from(DeviceEvent)) or 0
    return devices, events


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["status"] == status
    return body


def test_register_a_laptop(client: FlaskClient, api_people: ApiPeople) -> None:
    body = {
        "organisation_id": api_people.org_id,
        "kind": "laptop",
        "make": "Lenovo",
        "model": "ThinkPad T480",
        "serial": "PF1ABCDE",
        "specs": {"cpu": "Intel Core i5-8350U", "ram_gb": 16, "storage_gb": 512, "storage_type": "NVMe"},
        "cosmetic_grade": "good",
        "location": "Lyon, building B",
    }
    response = client.post("/api/v1/devices", json=body, headers=api_people.headers["lister"])
    assert response.status_code == 201, response.json
    device = response.json
    assert device["asset_tag"] == "RLF-000001"
    assert device["specs"]["storage_type"] == "nvme"
    assert device["state"] == "registered" and device["version"] == 1
    assert {"grade", "health", "battery_health_pct", "remaining_life"} <= set(device)
    assert response.headers["ETag"] == '"1"'

    read = client.get(f"/api/v1/devices/{device['id']}", headers=api_people.headers["member"])
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert read.json == device


@pytest.mark.parametrize(
    ("specs", "errors"),
    [
        ({"ram_gbs": 8}, {"specs.ram_gbs": ["Unknown field."]}),
        ({"storage_type": "tape"}, {"specs.storage_type": ["Must be one of: hdd, ssd, nvme, mixed."]}),
        ({"ram_gb": -1, "screen_in": 40}, None),
    ],
)
def test_specs_errors_are_reported_by_field(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, specs: dict[str, Any], errors: Any
) -> None:
    before = counts(db_session)
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.org_id, **laptop(specs=specs)},
        headers=api_people.headers["lister"],
    )
    body = problem(response, 422)
    if errors is not None:
        assert body["errors"] == errors
    else:
        assert set(body["errors"]) == {"specs.ram_gb", "specs.screen_in"}
    assert counts(db_session) == before


def test_specs_are_checked_against_the_kind(client: FlaskClient, api_people: ApiPeople) -> None:
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.org_id, **laptop(kind="screen", specs={"size_in": 24, "cpu": "x"})},
        headers=api_people.headers["lister"],
    )
    assert problem(response, 422)["errors"] == {"specs.cpu": ["Unknown field."]}
    response = client.post(
        "/api/v1/devices",
        json={
            "organisation_id": api_people.org_id,
            **laptop(
                kind="screen", specs={"size_in": 27, "resolution": "2560x1440", "inputs": ["HDMI", "DisplayPort"]}
            ),
        },
        headers=api_people.headers["lister"],
    )
    assert response.status_code == 201
    assert response.json["specs"]["inputs"] == ["hdmi", "displayport"]


def test_unknown_top_level_field_is_422(client: FlaskClient, api_people: ApiPeople) -> None:
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.org_id, **laptop(), "state": "listed"},
        headers=api_people.headers["lister"],
    )
    assert problem(response, 422)["errors"] == {"state": ["Unknown field."]}


def test_asset_tags_are_generated_and_unique_per_organisation(
    client: FlaskClient, db_session: Session, api_people: ApiPeople
) -> None:
    tags = [create_via_api(client, api_people)["asset_tag"] for _ in range(3)]
    assert tags == ["RLF-000001", "RLF-000002", "RLF-000003"]
    mine = create_via_api(client, api_people, asset_tag="IT-0042")
    assert mine["asset_tag"] == "IT-0042"

    before = counts(db_session)
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.org_id, **laptop(asset_tag="IT-0042")},
        headers=api_people.headers["lister"],
    )
    assert problem(response, 409)["errors"] == {"asset_tag": ["Already used in this organisation."]}
    assert counts(db_session) == before

    # Changing a tag to one in use is refused the same way.
    response = client.patch(
        f"/api/v1/devices/{mine['id']}",
        json={"asset_tag": "RLF-000002"},
        headers={**(api_people.headers["lister"] or {}), "If-Match": '"1"'},
    )
    problem(response, 409)
    assert counts(db_session) == before

    # Another organisation has its own sequence and may reuse any tag.
    other = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.other_org_id, **laptop(asset_tag="IT-0042")},
        headers=api_people.headers["other_admin"],
    )
    assert other.status_code == 201
    generated = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.other_org_id, **laptop()},
        headers=api_people.headers["other_admin"],
    )
    assert generated.json["asset_tag"] == "RLF-000001"


def test_each_device_gets_its_own_unguessable_public_code(client: FlaskClient, api_people: ApiPeople) -> None:
    """The code on the label: not the serial or tag, distinct per device, and the client
    cannot choose it (it is read-only)."""
    created = [create_via_api(client, api_people) for _ in range(5)]
    codes = [d["public_code"] for d in created]
    assert len(set(codes)) == 5
    for device in created:
        assert PATTERN.fullmatch(device["public_code"])
        assert device["public_code"] not in (device["serial"], device["asset_tag"])
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.org_id, **laptop(), "public_code": "AAAAAAAAAA"},
        headers=api_people.headers["lister"],
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("k7m2-p9xq-rt", "K7M2P9XQRT"), (" K7M2P9XQRT ", "K7M2P9XQRT"), ("K7M2P9XQR0", None), ("K7M2", None)],
)
def test_a_typed_public_code_is_read_leniently(typed: str, expected: str | None) -> None:
    assert normalise_public_code(typed) == expected


def _patch(client: FlaskClient, people: ApiPeople, device_id: int, body: dict[str, Any], etag: str | None) -> Any:
    headers = dict(people.headers["lister"] or {})
    if etag is not None:
        headers["If-Match"] = etag
    return client.patch(f"/api/v1/devices/{device_id}", json=body, headers=headers)


def test_patch_needs_if_match_and_refuses_a_lost_update(
    client: FlaskClient, db_session: Session, api_people: ApiPeople
) -> None:
    device = create_via_api(client, api_people)
    etag = client.get(f"/api/v1/devices/{device['id']}", headers=api_people.headers["lister"]).headers["ETag"]

    before = counts(db_session)
    body = problem(_patch(client, api_people, device["id"], {"location": "A"}, None), 428)
    assert "If-Match" in body["detail"]
    assert counts(db_session) == before

    # Alice and Bob both read version 1; Alice saves first.
    alice = _patch(client, api_people, device["id"], {"location": "Alice's shelf"}, etag)
    assert alice.status_code == 200 and alice.headers["ETag"] == '"2"' and alice.json["version"] == 2
    before = counts(db_session)
    bob = _patch(client, api_people, device["id"], {"location": "Bob's shelf"}, etag)
    assert "version 2" in problem(bob, 412)["detail"]
    assert bob.headers["ETag"] == '"2"'
    assert counts(db_session) == before
    current = client.get(f"/api/v1/devices/{device['id']}", headers=api_people.headers["lister"]).json
    assert current["location"] == "Alice's shelf" and current["version"] == 2

    # Bob re-reads and re-applies.
    assert _patch(client, api_people, device["id"], {"location": "Bob's shelf"}, '"2"').status_code == 200
    # Weak tags and bare numbers are understood; garbage matches no version.
    assert _patch(client, api_people, device["id"], {"notes": "checked"}, 'W/"3"').status_code == 200
    problem(_patch(client, api_people, device["id"], {"notes": "again"}, "*"), 412)


def test_patch_validates_specs_and_fields(client: FlaskClient, db_session: Session, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    before = counts(db_session)
    response = _patch(client, api_people, device["id"], {"specs": {"ram_gb": "lots"}}, '"1"')
    assert problem(response, 422)["errors"] == {"specs.ram_gb": ["Not a valid integer."]}
    response = _patch(client, api_people, device["id"], {"state": "sold"}, '"1"')
    assert problem(response, 422)["errors"] == {"state": ["Unknown field."]}
    assert counts(db_session) == before
    response = _patch(client, api_people, device["id"], {"specs": {"ram_gb": 32}, "cosmetic_grade": "fair"}, '"1"')
    assert response.status_code == 200
    assert response.json["specs"] == {"ram_gb": 32} and response.json["cosmetic_grade"] == "fair"


def test_an_empty_patch_changes_nothing(client: FlaskClient, db_session: Session, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    before = counts(db_session)
    response = _patch(client, api_people, device["id"], {"make": device["make"]}, '"1"')
    assert response.status_code == 200 and response.json["version"] == 1
    assert counts(db_session) == before


def test_invalid_transitions_are_409_naming_allowed_states(
    client: FlaskClient, db_session: Session, api_people: ApiPeople
) -> None:
    device = create_via_api(client, api_people)
    url = f"/api/v1/devices/{device['id']}"
    tech = api_people.headers["technician"]

    body = problem(client.post(f"{url}/repairs/complete", json={}, headers=tech), 409)
    assert body["title"] == "Invalid state"
    assert "allowed from registered: diagnosed, in_repair, retired" in body["detail"]

    assert (
        client.post(f"{url}/repairs", json={"parts": ["keyboard"], "notes": "sticky keys"}, headers=tech).status_code
        == 201
    )
    before = counts(db_session)
    body = problem(client.post(f"{url}/repairs", json={}, headers=tech), 409)
    assert "allowed from in_repair: diagnosed, registered, retired" in body["detail"]
    # Back to diagnosed needs diagnostics first.
    body = problem(client.post(f"{url}/repairs/complete", json={"return_to": "diagnosed"}, headers=tech), 409)
    assert body["errors"] == {"return_to": ["The device has not been diagnosed."]}
    problem(client.post(f"{url}/repairs/complete", json={"return_to": "listed"}, headers=tech), 422)
    assert counts(db_session) == before

    done = client.post(f"{url}/repairs/complete", json={"parts": ["keyboard FR 01YP"]}, headers=tech)
    assert done.status_code == 200 and done.json["state"] == "registered"

    retired = client.post(
        f"{url}/retire",
        json={"disposal": {"method": "destroyed", "recycler": "Paprec", "certificate_ref": "D-1", "weee_category": 6}},
        headers=api_people.headers["admin"],
    )
    assert retired.status_code == 200 and retired.json["state"] == "retired"
    assert retired.json["disposal"]["method"] == "destroyed"
    before = counts(db_session)
    body = problem(
        client.post(
            f"{url}/retire",
            json={"disposal": {"method": "recycled", "recycler": "x", "certificate_ref": "y"}},
            headers=api_people.headers["admin"],
        ),
        409,
    )
    assert "allowed from retired: none" in body["detail"]
    problem(client.post(f"{url}/repairs", json={}, headers=tech), 409)
    problem(_patch(client, api_people, device["id"], {"location": "bin"}, f'"{retired.json["version"]}"'), 409)
    assert counts(db_session) == before


def test_disposal_is_validated(client: FlaskClient, db_session: Session, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    before = counts(db_session)
    response = client.post(
        f"/api/v1/devices/{device['id']}/retire",
        json={"disposal": {"method": "thrown_away", "weee_category": 9}},
        headers=api_people.headers["admin"],
    )
    assert set(problem(response, 422)["errors"]) == {
        "disposal.method",
        "disposal.recycler",
        "disposal.certificate_ref",
        "disposal.weee_category",
    }
    assert counts(db_session) == before


def test_lifecycle_actions_honour_an_if_match_when_given(client: FlaskClient, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    headers = {**(api_people.headers["technician"] or {}), "If-Match": '"7"'}
    problem(client.post(f"/api/v1/devices/{device['id']}/repairs", json={}, headers=headers), 412)
    headers["If-Match"] = '"1"'
    response = client.post(f"/api/v1/devices/{device['id']}/repairs", json={}, headers=headers)
    assert response.status_code == 201 and response.headers["ETag"] == '"2"'


def test_list_filters_and_keyset_pages(client: FlaskClient, api_people: ApiPeople) -> None:
    made = [create_via_api(client, api_people, make="Dell", model=f"Latitude 54{i}0") for i in range(5)]
    screen = create_via_api(client, api_people, kind="screen", make="Eizo", model="EV2460", specs={"size_in": 24})
    headers = api_people.headers["member"]

    seen: list[int] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 2}
        if cursor:
            query["cursor"] = cursor
        page = client.get("/api/v1/devices", query_string=query, headers=headers)
        assert page.status_code == 200
        seen += [item["id"] for item in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted([d["id"] for d in [*made, screen]], reverse=True)

    def ids(**query: Any) -> list[int]:
        response = client.get("/api/v1/devices", query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids(kind="screen") == [screen["id"]]
    assert ids(q="eiz") == [screen["id"]]
    assert ids(q=made[2]["serial"].lower()) == [made[2]["id"]]
    assert ids(q=made[3]["asset_tag"]) == [made[3]["id"]]
    assert ids(q="100%") == []
    assert ids(state="registered", kind="laptop") == [d["id"] for d in reversed(made)]
    assert ids(state="retired") == []
    assert ids(grade="A") == []

    problem(client.get("/api/v1/devices", query_string={"limit": 201}, headers=headers), 422)
    problem(client.get("/api/v1/devices", query_string={"cursor": "nonsense"}, headers=headers), 422)
    problem(client.get("/api/v1/devices", query_string={"grade": "Z"}, headers=headers), 422)


def test_openapi_documents_etag_and_if_match(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    item = spec["paths"]["/api/v1/devices/{device_id}"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert {"in": "header", "name": "If-Match"}.items() <= item["patch"]["parameters"][0].items()
    assert {"412", "428"} <= set(item["patch"]["responses"])
    for path in ("/api/v1/devices", "/api/v1/devices/{device_id}/passport", "/api/v1/devices/{device_id}/repairs"):
        assert path in spec["paths"]
