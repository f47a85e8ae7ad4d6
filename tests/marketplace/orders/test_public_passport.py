"""Issue 20, class 5: the public passport says only what its allow-list names. Anonymous
callers saw a loan return's condition notes and photo URLs, a buyer's reason for returning,
and the buying organisation named as the actor of the sale."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import DeviceEvent, EventKind
from marketplace.devices.passport import PUBLIC_VIEWS, public_event
from marketplace.listings.models import ListingMode, ListingStatus, Visibility
from tests.api_helpers import return_accepted
from tests.marketplace.devices.test_passport import list_device
from tests.marketplace.loans.test_loans_api import borrow
from tests.marketplace.orders.test_orders_api import order, reserve
from tests.marketplace.reports.helpers import checklist
from tests.marketplace.trade import World, make_listing

CONDITION = "Scratched lid, the borrower's initials J.D. engraved"
PHOTO = "https://files.relife.example/loans/7/lid-closeup.jpg"
REASON = "Returned: our accountant Mme Durand spilled coffee on it"


def public_passport(client: FlaskClient, device_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/devices/{device_id}/passport")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["view"] == "public"
    return body


def by_kind(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in body["items"] if e["kind"] == kind]


def test_a_returned_loan_shows_no_condition_notes_nor_photos(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(
        db_session, world.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=30, visibility=Visibility.PUBLIC
    )
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    assert client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers).status_code == 200
    returned = client.post(
        f"/api/v1/loans/{loan['id']}/return",
        json={"condition": "worn", "notes": CONDITION, "accessories": [{"name": PHOTO, "present": False}]},
        headers=world.lister.headers,
    )
    assert returned.status_code == 200, returned.get_json()
    # Undamaged: on offer again once the lender has checked it (a new checklist since it came back).
    checked = checklist(client, listing.device_id, world.lister.token, storage="na", battery="na")
    assert checked.status_code == 201, checked.get_json()

    body = public_passport(client, listing.device_id)
    text = json.dumps(body)
    for secret in (CONDITION, "J.D.", PHOTO, "files.relife.example", world.buyer["name"]):
        assert secret not in text, secret
    [returned_event] = by_kind(body, "returned")
    assert returned_event["data"] == {"inspection": {"condition": "worn", "deposit": "released"}}
    assert returned_event["actor"] == {"organisation_name": world.seller["name"]}  # the lender, the owner
    [lent] = by_kind(body, "lent")
    assert set(lent["data"]) == {"start", "end"}
    # The owner still reads everything.
    full = client.get(f"/api/v1/devices/{listing.device_id}/passport", headers=world.lister.headers).get_json()
    assert full["view"] == "full"
    [full_return] = [e for e in full["items"] if e["kind"] == "returned"]
    assert full_return["data"]["notes"] == CONDITION and full_return["data"]["accessories_missing"] == [PHOTO]


def test_a_sale_names_no_buyer_and_a_return_shows_no_reason(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(db_session, world.seller["id"], price_cents=12_000, visibility=Visibility.PUBLIC)
    held = reserve(client, world.public_buyer, listing.id)
    sold = order(client, world.public_buyer, held["id"], "invoice").get_json()
    assert client.post(f"/api/v1/orders/{sold['id']}/handover", headers=world.lister.headers).status_code == 200
    return_accepted(client, sold["id"], world.public_buyer, world.lister, reason=REASON)
    list_device(db_session, listing.device_id, Visibility.PUBLIC, ListingStatus.ACTIVE)  # offered again

    body = public_passport(client, listing.device_id)
    text = json.dumps(body)
    for secret in (REASON, "Durand", world.public_body["name"], sold["invoice_number"]):
        assert secret not in text, secret
    [sale] = by_kind(body, "sold")
    assert sale["actor"] == {"organisation_name": None} and sale["data"] == {}
    [back] = by_kind(body, "returned")
    assert back["actor"] == {"organisation_name": None}
    # The move back shows like a transfer: kinds and departments, no names, no order, no amount.
    assert set(back["data"]) == {"mode", "kind", "from", "to"} and back["data"]["mode"] == "return"
    assert back["data"]["to"] == {"kind": world.seller["kind"], "department": world.seller["department"]}
    assert sale["state_to"] == "sold" and back["state_to"] == "returned"  # what happened still shows


def test_every_event_kind_has_a_public_view() -> None:
    assert set(PUBLIC_VIEWS) == set(EventKind)


@pytest.mark.parametrize("kind", list(EventKind))
def test_keys_nobody_allowed_never_show(kind: EventKind) -> None:
    """A key added to an event later stays out of the public view until it is allowed there."""
    secret = {"note": "x", "photos": ["u"], "reason": "r", "email": "a@b.c", "buyer": {"name": "n"}, "new_key": 1}
    event = DeviceEvent(
        id=1,
        device_id=1,
        kind=kind,
        changes={"serial": ["A", "B"], "notes": [None, "n"], "location": ["x", "y"], "asset_tag": ["1", "2"]},
        data={**secret, "disks": [{"disk_serial": "S3Z9"}]},
        actor_organisation_id=2,
    )
    view = public_event(event, owner_id=1, owner_name="Owner")
    assert view["changes"] == {} and view["data"] == {}
    assert view["actor"] == {"organisation_name": None}


def test_specs_in_public_changes_lose_hardware_identifiers() -> None:
    event = DeviceEvent(
        id=1,
        device_id=1,
        kind=EventKind.UPDATED,
        changes={"specs": [{"ram_gb": 8}, {"ram_gb": 16, "mac_address": "00:11", "board_serial": "X1"}]},
        data={},
        actor_organisation_id=1,
    )
    view = public_event(event, owner_id=1, owner_name="Owner")
    assert view["changes"] == {"specs": [{"ram_gb": 8}, {"ram_gb": 16}]}
    assert view["actor"] == {"organisation_name": "Owner"}
