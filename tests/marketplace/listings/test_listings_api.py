"""Listing a device, editing and withdrawing the offer: state machine, passport, access."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.listings.models import Listing, ListingStatus
from tests.marketplace.listings.conftest import MakeDevice, World


def events(session: Session, device: Device) -> list[DeviceEvent]:
    session.expire_all()
    return list(session.scalars(sa.select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by("id")))


def listings_of(session: Session, device: Device) -> list[Listing]:
    return list(session.scalars(sa.select(Listing).where(Listing.device_id == device.id)))


def sale(device: Device, **extra: Any) -> dict[str, Any]:
    return {"device_id": device.id, "mode": "sale", "price_cents": 25000, "warranty_months": 6, **extra}


def assert_no_secret(raw: bytes, device: Device) -> None:
    assert device.serial.encode() not in raw
    assert device.asset_tag.encode() not in raw
    assert b"SECRET" not in raw


def test_list_a_device_for_sale(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice
) -> None:
    device = make_device(world.seller_org["id"])
    response = client.post("/api/v1/listings", json=sale(device, visibility="public"), headers=world.lister.headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "active" and body["mode"] == "sale" and body["visibility"] == "public"
    assert body["price_cents"] == 25000 and body["currency"] == "EUR" and body["warranty_months"] == 6
    assert body["postcode"] == "69007" and body["department"] == "69"
    assert body["device"] == {
        "kind": "laptop",
        "make": "Lenovo",
        "model": "ThinkPad T480",
        "specs": {"cpu": "Intel Core i5-8350U", "ram_gb": 16, "storage_gb": 256},
        "health": "healthy",
        "grade": "B",
        "cosmetic_grade": "good",
        "battery_health_pct": 86.5,
        "key_findings": [],
        "remaining_life": {"years": 3, "basis": "battery cycles vs rated cycles"},
    }
    assert body["organisation"] == {
        "id": world.seller_org["id"],
        "name": world.seller_org["name"],
        "kind": "refurbisher",
        "department": "69",
    }
    assert_no_secret(response.data, device)

    db_session.refresh(device)
    assert device.state is DeviceState.LISTED
    listed = events(db_session, device)[-1]
    assert listed.kind is EventKind.LISTED and listed.state_from == "diagnosed" and listed.state_to == "listed"
    assert listed.data["listing_id"] == body["id"] and listed.actor_user_id == world.lister.user_id

    # Anyone reads a public listing, without the serial.
    response = client.get(f"/api/v1/listings/{body['id']}")
    assert response.status_code == 200 and response.json == body
    assert_no_secret(response.data, device)


def test_loan_and_donation_terms(client: FlaskClient, world: World, make_device: MakeDevice) -> None:
    loan = client.post(
        "/api/v1/listings",
        json={
            "device_id": make_device(world.seller_org["id"]).id,
            "mode": "loan",
            "min_days": 7,
            "max_days": 90,
            "deposit_cents": 15000,
            "postcode": "20090",
        },
        headers=world.lister.headers,
    )
    assert loan.status_code == 201, loan.json
    assert (loan.json["min_days"], loan.json["max_days"], loan.json["deposit_cents"]) == (7, 90, 15000)
    assert loan.json["price_cents"] is None and loan.json["department"] == "2A"

    donation = client.post(
        "/api/v1/listings",
        json={"device_id": make_device(world.seller_org["id"]).id, "mode": "donation"},
        headers=world.seller_admin.headers,
    )
    assert donation.status_code == 201, donation.json
    assert donation.json["eligible_kinds"] == ["nonprofit", "public_body", "university"]
    assert donation.json["visibility"] == "members"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "sale"}, "price_cents"),
        ({"mode": "sale", "price_cents": 100, "deposit_cents": 5}, "deposit_cents"),
        ({"mode": "loan", "price_cents": 100}, "price_cents"),
        ({"mode": "loan", "min_days": 30, "max_days": 7}, "max_days"),
        ({"mode": "donation", "warranty_months": 3}, "warranty_months"),
        ({"mode": "sale", "price_cents": -1}, "price_cents"),
        ({"mode": "sale", "price_cents": 1, "postcode": "6900"}, "postcode"),
        ({"mode": "sale", "price_cents": 1, "serial": "x"}, "serial"),
        ({"mode": "barter"}, "mode"),
        ({"mode": "sale", "price_cents": 1, "device_id": 2**31}, "device_id"),
    ],
)
def test_invalid_terms_are_refused_and_nothing_changes(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice, body: dict[str, Any], field: str
) -> None:
    device = make_device(world.seller_org["id"])
    response = client.post("/api/v1/listings", json={"device_id": device.id, **body}, headers=world.lister.headers)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json" and field in response.json["errors"]
    db_session.refresh(device)
    assert (
        device.state is DeviceState.DIAGNOSED
        and listings_of(db_session, device) == []
        and events(db_session, device) == []
    )


@pytest.mark.parametrize(
    "state", [DeviceState.REGISTERED, DeviceState.IN_REPAIR, DeviceState.SOLD, DeviceState.RETIRED]
)
def test_only_a_diagnosed_device_can_be_listed(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice, state: DeviceState
) -> None:
    device = make_device(world.seller_org["id"], state=state)
    response = client.post("/api/v1/listings", json=sale(device), headers=world.lister.headers)
    assert response.status_code == 409, response.json
    assert response.json["type"].endswith("invalid-state")
    db_session.refresh(device)
    assert device.state is state and listings_of(db_session, device) == [] and events(db_session, device) == []


def test_a_device_has_one_active_listing(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice
) -> None:
    device = make_device(world.seller_org["id"])
    assert client.post("/api/v1/listings", json=sale(device), headers=world.lister.headers).status_code == 201
    again = client.post("/api/v1/listings", json=sale(device, price_cents=1), headers=world.lister.headers)
    assert again.status_code == 409 and again.json["type"].endswith("invalid-state")
    assert len(listings_of(db_session, device)) == 1


def test_who_may_list(client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice) -> None:
    device = make_device(world.seller_org["id"])
    assert client.post("/api/v1/listings", json=sale(device)).status_code == 401
    # A plain member of the organisation: 403; an outsider does not learn the device exists: 404.
    assert client.post("/api/v1/listings", json=sale(device), headers=world.seller_member.headers).status_code == 403
    assert client.post("/api/v1/listings", json=sale(device), headers=world.buyer.headers).status_code == 404
    assert (
        client.post("/api/v1/listings", json=sale(device, device_id=999999), headers=world.lister.headers).status_code
        == 404
    )
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED and listings_of(db_session, device) == []


def test_edit_records_the_changes_in_the_passport(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice
) -> None:
    device = make_device(world.seller_org["id"])
    listing = client.post("/api/v1/listings", json=sale(device), headers=world.lister.headers).json
    response = client.patch(
        f"/api/v1/listings/{listing['id']}",
        json={"price_cents": 19900, "visibility": "public", "postcode": "69100"},
        headers=world.lister.headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["price_cents"] == 19900 and response.json["visibility"] == "public"
    assert response.json["department"] == "69"
    updated = events(db_session, device)[-1]
    assert updated.kind is EventKind.UPDATED
    assert updated.changes == {
        "price_cents": [25000, 19900],
        "visibility": ["members", "public"],
        "postcode": ["69007", "69100"],
    }
    # The search follows the new price.
    found = client.get("/api/v1/listings?price_max=20000").json["items"]
    assert [item["id"] for item in found] == [listing["id"]]

    # A field of another mode, or one that never changes, is refused; nothing changes.
    for body in ({"min_days": 3}, {"mode": "loan"}, {"device_id": 1}, {"price_cents": None}):
        bad = client.patch(f"/api/v1/listings/{listing['id']}", json=body, headers=world.lister.headers)
        assert bad.status_code == 422, (body, bad.json)
    assert client.get(f"/api/v1/listings/{listing['id']}").json == response.json
    assert len(events(db_session, device)) == 2


def test_withdraw_moves_the_device_back(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice
) -> None:
    device = make_device(world.seller_org["id"])
    listing = client.post("/api/v1/listings", json=sale(device, visibility="public"), headers=world.lister.headers).json
    response = client.delete(f"/api/v1/listings/{listing['id']}", headers=world.seller_admin.headers)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "withdrawn"
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED
    unlisted = events(db_session, device)[-1]
    assert unlisted.kind is EventKind.UNLISTED and (unlisted.state_from, unlisted.state_to) == ("listed", "diagnosed")

    # Gone from the catalogue, still readable by its organisation, no longer editable.
    assert client.get(f"/api/v1/listings/{listing['id']}").status_code == 404
    assert client.get(f"/api/v1/listings/{listing['id']}", headers=world.seller_member.headers).status_code == 200
    assert client.get("/api/v1/listings").json["items"] == []
    for call in (client.delete, lambda url, **kw: client.patch(url, json={"price_cents": 1}, **kw)):
        again = call(f"/api/v1/listings/{listing['id']}", headers=world.lister.headers)
        assert again.status_code == 409
    # Listed again: a new listing.
    relisted = client.post("/api/v1/listings", json=sale(device), headers=world.lister.headers)
    assert relisted.status_code == 201 and relisted.json["id"] != listing["id"]
    past = client.get(
        f"/api/v1/listings?status=withdrawn&organisation_id={world.seller_org['id']}", headers=world.lister.headers
    )
    assert [item["id"] for item in past.json["items"]] == [listing["id"]]
    assert (
        client.get(
            f"/api/v1/listings?status=withdrawn&organisation_id={world.seller_org['id']}", headers=world.buyer.headers
        ).status_code
        == 403
    )


def test_a_reserved_device_cannot_be_withdrawn_or_edited(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice
) -> None:
    device = make_device(world.seller_org["id"])
    listing = client.post("/api/v1/listings", json=sale(device), headers=world.lister.headers).json
    db_session.refresh(device)
    device.state = DeviceState.RESERVED
    db_session.commit()
    assert client.delete(f"/api/v1/listings/{listing['id']}", headers=world.lister.headers).status_code == 409
    patch = client.patch(f"/api/v1/listings/{listing['id']}", json={"price_cents": 1}, headers=world.lister.headers)
    assert patch.status_code == 409
    db_session.refresh(device)
    assert device.state is DeviceState.RESERVED
    assert db_session.get(Listing, listing["id"]).status is ListingStatus.ACTIVE  # type: ignore[union-attr]


def test_other_organisations_cannot_edit_or_withdraw(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice
) -> None:
    public = client.post(
        "/api/v1/listings",
        json=sale(make_device(world.seller_org["id"]), visibility="public"),
        headers=world.lister.headers,
    ).json
    members = client.post(
        "/api/v1/listings", json=sale(make_device(world.seller_org["id"])), headers=world.lister.headers
    ).json
    for listing in (public, members):
        url = f"/api/v1/listings/{listing['id']}"
        # Visible to the buyer (a member of the cluster), so 403 rather than 404.
        assert client.patch(url, json={"price_cents": 1}, headers=world.buyer.headers).status_code == 403
        assert client.delete(url, headers=world.buyer.headers).status_code == 403
        assert client.delete(url, headers=world.seller_member.headers).status_code == 403
        assert client.delete(url).status_code in (401, 404)
        assert client.get(url, headers=world.buyer.headers).json == listing
    # The members-only listing does not exist for the anonymous and for users of no organisation.
    assert client.get(f"/api/v1/listings/{members['id']}").status_code == 404
    assert client.get(f"/api/v1/listings/{members['id']}", headers=world.loner.headers).status_code == 404
    assert (
        client.patch(
            f"/api/v1/listings/{members['id']}", json={"price_cents": 1}, headers=world.loner.headers
        ).status_code
        == 404
    )
