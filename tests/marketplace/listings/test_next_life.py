"""Issue 17, slice 1: ownership follows the device. A sale or donation handed over makes the device
the receiver's (inventory, whole passport, diagnostics, erasures); the former owner reads the
history up to its departure only; the receiver diagnoses, erases again and lists it for its next
life; a return gives it back to the seller. Through the API, with real corpus reports."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceState, DeviceTransfer, TransferReason
from marketplace.members.models import Organisation
from marketplace.orders.models import add_months
from tests.api_helpers import Actor, return_accepted
from tests.factories import DeviceFactory
from tests.marketplace.listings.test_catalogue_follows_device import Scene, erase, listed_laptop
from tests.marketplace.reports.helpers import BATTERY_UPOWER, NVME_SERIAL, Org, checklist, make_org, upload


def buyer_org(client: FlaskClient, session: Session) -> Org:
    org = make_org(client)
    row = session.get(Organisation, org.id)
    assert row is not None
    row.invoice_allowed = True
    session.commit()
    return org


def buy(client: FlaskClient, listing_id: int, buyer: Actor, payment: str = "invoice") -> dict[str, Any]:
    held = client.post(f"/api/v1/listings/{listing_id}/reservations", json={}, headers=buyer.headers)
    assert held.status_code == 201, held.json
    headers = {**buyer.headers, "Idempotency-Key": str(uuid.uuid4())}
    made = client.post("/api/v1/orders", json={"reservation_id": held.json["id"], "payment": payment}, headers=headers)
    assert made.status_code == 201, made.json
    body: dict[str, Any] = made.json
    return body


def hand_over(client: FlaskClient, order_id: int, seller: Actor) -> dict[str, Any]:
    handed = client.post(f"/api/v1/orders/{order_id}/handover", headers=seller.headers)
    assert handed.status_code == 200, handed.json
    body: dict[str, Any] = handed.json
    return body


def passport(client: FlaskClient, device_id: int, actor: Actor | None = None) -> dict[str, Any]:
    headers = actor.headers if actor else {}
    response = client.get(f"/api/v1/devices/{device_id}/passport?limit=200", headers=headers)
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def kinds(body: dict[str, Any]) -> list[str]:
    return [item["kind"] for item in body["items"]]


def rediagnose(client: FlaskClient, org: Org, device_id: int) -> None:
    """The new owner's bench reads the battery again: with the reports already in, complete."""
    assert upload(client, device_id, org.bench_token, BATTERY_UPOWER).status_code == 201
    state = client.get(f"/api/v1/devices/{device_id}", headers=org.member.headers).json["state"]
    assert state == "diagnosed"


def test_a_sold_laptop_starts_its_next_life_with_its_buyer(client: FlaskClient, db_session: Session) -> None:
    scene: Scene = listed_laptop(client, db_session, warranty_months=12)
    seller = scene.org
    buyer = buyer_org(client, db_session)
    # The buyer already uses the seller's asset tag for one of its own devices.
    DeviceFactory.in_session(db_session, organisation_id=buyer.id, asset_tag=scene.device.asset_tag)
    device_id, old_tag = scene.device.id, scene.device.asset_tag

    order = buy(client, scene.listing_id, buyer.lister)
    assert client.get(f"/api/v1/devices/{device_id}", headers=buyer.lister.headers).status_code == 404
    handed = hand_over(client, order["id"], seller.lister)
    today = dt.datetime.now(dt.UTC).date()
    assert handed["warranty_until"] == add_months(today, 12).isoformat()

    # The buyer's device now, with its whole history.
    mine = client.get(f"/api/v1/devices/{device_id}", headers=buyer.member.headers)
    assert mine.status_code == 200, mine.json
    assert mine.json["organisation_id"] == buyer.id and mine.json["state"] == "registered"
    assert mine.json["asset_tag"] != old_tag  # taken in the buyer's inventory: a new one
    inventory = client.get(f"/api/v1/devices?organisation_id={buyer.id}", headers=buyer.member.headers).json
    assert device_id in [item["id"] for item in inventory["items"]]
    history = passport(client, device_id, buyer.member)
    assert history["view"] == "full"
    assert kinds(history)[-3:] == ["sold", "updated", "transferred"] and "erased" in kinds(history)
    reports = client.get(f"/api/v1/devices/{device_id}/diagnostics", headers=buyer.member.headers)
    assert reports.status_code == 200 and len(reports.json["items"]) == 2, reports.json
    erasures = client.get(f"/api/v1/devices/{device_id}/erasures", headers=buyer.member.headers)
    assert erasures.status_code == 200 and len(erasures.json["items"]) == 1, erasures.json

    # The seller: no longer in its inventory; its history up to the transfer.
    assert client.get(f"/api/v1/devices/{device_id}", headers=seller.lister.headers).status_code == 404
    theirs = passport(client, device_id, seller.member)
    assert theirs["view"] == "full" and kinds(theirs) == kinds(history)
    transferred_id = theirs["items"][-1]["id"]

    # The next life: diagnose again, erase again (the seller's erasure was for the seller's life).
    body = {"device_id": device_id, "mode": "sale", "price_cents": 20_000, "visibility": "public"}
    refused = client.post("/api/v1/listings", json=body, headers=buyer.lister.headers)
    assert refused.status_code == 409 and "registered" in refused.json["detail"], refused.json
    rediagnose(client, buyer, device_id)
    refused = client.post("/api/v1/listings", json=body, headers=buyer.lister.headers)
    assert refused.status_code == 409 and "disks" in refused.json["errors"], refused.json
    assert erase(client, buyer, device_id, NVME_SERIAL).status_code == 201
    relisted = client.post("/api/v1/listings", json=body, headers=buyer.lister.headers)
    assert relisted.status_code == 201, relisted.json

    # The seller does not see the second life; the buyer does.
    assert [item["id"] for item in passport(client, device_id, seller.member)["items"]][-1] == transferred_id
    assert kinds(passport(client, device_id, buyer.member))[-1] == "listed"

    # The public passport shows the change of hands: kinds and departments, never names nor prices.
    public = passport(client, device_id)
    assert public["view"] == "public"
    [moved] = [item for item in public["items"] if item["kind"] == "transferred"]
    seller_row = db_session.get(Organisation, seller.id)
    buyer_row = db_session.get(Organisation, buyer.id)
    assert seller_row is not None and buyer_row is not None
    assert moved["data"] == {
        "mode": "sale",
        "from": {"kind": seller_row.kind.value, "department": seller_row.department},
        "to": {"kind": buyer_row.kind.value, "department": buyer_row.department},
    }
    assert moved["changes"] == {} and moved["actor"] == {"organisation_name": None}
    text = json.dumps(public)
    for secret in (seller_row.name, order["invoice_number"], "OWN-1"):
        assert secret not in text, secret

    # Relisted: the first buyer can no longer send it back under the first order; nothing changes.
    returned = client.post(
        f"/api/v1/orders/{order['id']}/returns", json={"reason": "changed our mind"}, headers=buyer.lister.headers
    )
    assert returned.status_code == 409 and "listed" in returned.json["detail"], returned.json
    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer.lister.headers).json["status"] == "handed_over"

    # Third life: sold on to another organisation, which now owns it; the first buyer reads up to its departure.
    third = buyer_org(client, db_session)
    second = buy(client, relisted.json["id"], third.lister)
    hand_over(client, second["id"], buyer.lister)
    db_session.expire_all()
    device = db_session.get(Device, device_id)
    assert device is not None and device.organisation_id == third.id and device.state is DeviceState.REGISTERED
    moves = db_session.scalars(
        sa.select(DeviceTransfer).where(DeviceTransfer.device_id == device_id).order_by(DeviceTransfer.id)
    ).all()
    assert [(m.from_organisation_id, m.to_organisation_id, m.reason) for m in moves] == [
        (seller.id, buyer.id, TransferReason.SALE),
        (buyer.id, third.id, TransferReason.SALE),
    ]
    assert kinds(passport(client, device_id, buyer.member))[-1] == "transferred"
    assert [item["id"] for item in passport(client, device_id, seller.member)["items"]][-1] == transferred_id
    # Each new life counts in the impact: two sales handed over, two lives of this laptop.
    impact = client.get("/api/v1/impact").json
    assert impact["devices_reused"]["sold"] == 2 and impact["by_kind"][0]["kind"] == "laptop"
    one_life = client.get(f"/api/v1/impact?organisation_id={seller.id}").json
    assert one_life["devices_reused"]["sold"] == 1
    assert impact["life_years_added"] == pytest.approx(2 * one_life["life_years_added"])
    # What the first buyer sees of its order: the device, its own warranty end (whatever the next
    # sale says), the return window's end and the invoice.
    orders = client.get("/api/v1/orders?role=buyer", headers=buyer.member.headers).json["items"]
    [first] = [item for item in orders if item["id"] == order["id"]]
    assert first["device"] == {"id": device_id, "kind": "laptop", "make": "Dell", "model": "Latitude 5490"}
    assert first["warranty_until"] == add_months(today, 12).isoformat()
    assert dt.datetime.fromisoformat(first["return_deadline"]).date() == today + dt.timedelta(days=30)
    invoice = client.get(f"/api/v1/orders/{order['id']}/invoice", headers=buyer.member.headers)
    assert invoice.status_code == 200 and invoice.json["number"] == order["invoice_number"]


def test_a_return_gives_the_device_back_to_be_erased_again(client: FlaskClient, db_session: Session) -> None:
    scene = listed_laptop(client, db_session)
    buyer = buyer_org(client, db_session)
    order = buy(client, scene.listing_id, buyer.lister)
    hand_over(client, order["id"], scene.org.lister)
    rediagnose(client, buyer, scene.device.id)

    outsider = make_org(client)
    refused = client.post(
        f"/api/v1/orders/{order['id']}/returns", json={"reason": "x"}, headers=outsider.lister.headers
    )
    assert refused.status_code == 404
    return_accepted(client, order["id"], buyer.lister, scene.org.lister, reason="screen flickers")
    db_session.expire_all()
    device = db_session.get(Device, scene.device.id)
    assert device is not None and device.organisation_id == scene.org.id and device.state is DeviceState.RETURNED
    # The buyer keeps its history up to the return; the device is gone from its inventory.
    assert client.get(f"/api/v1/devices/{device.id}", headers=buyer.member.headers).status_code == 404
    assert kinds(passport(client, device.id, buyer.member))[-1] == "returned"
    # A life undone: the returned sale adds nothing to the impact.
    assert client.get("/api/v1/impact").json["devices_reused"]["sold"] == 0
    # The seller must erase again before offering it: the erasure of the first life no longer counts.
    body = {"device_id": device.id, "mode": "sale", "price_cents": 30_000, "visibility": "public"}
    refused = client.post("/api/v1/listings", json=body, headers=scene.org.lister.headers)
    assert refused.status_code == 409 and "disks" in refused.json["errors"], refused.json
    assert "checklist" in refused.json["errors"], refused.json  # and a functional check since it came back
    assert erase(client, scene.org, device.id, NVME_SERIAL).status_code == 201
    still = client.post("/api/v1/listings", json=body, headers=scene.org.lister.headers)
    assert still.status_code == 409 and set(still.json["errors"]) == {"checklist"}, still.json
    assert checklist(client, device.id, scene.org.technician.token).status_code == 201
    assert client.post("/api/v1/listings", json=body, headers=scene.org.lister.headers).status_code == 201


def test_a_donation_moves_ownership_too(client: FlaskClient, db_session: Session) -> None:
    scene = listed_laptop(client, db_session, mode="donation", price_cents=None)
    receiver = buyer_org(client, db_session)
    row = db_session.get(Organisation, receiver.id)
    assert row is not None
    row.kind = row.kind.__class__("nonprofit")
    db_session.commit()
    order = buy(client, scene.listing_id, receiver.lister, payment="donation")
    hand_over(client, order["id"], scene.org.lister)
    db_session.expire_all()
    device = db_session.get(Device, scene.device.id)
    assert device is not None and device.organisation_id == receiver.id
    public_kinds = [i["data"].get("mode") for i in passport(client, device.id, receiver.member)["items"]]
    assert "donation" in public_kinds
