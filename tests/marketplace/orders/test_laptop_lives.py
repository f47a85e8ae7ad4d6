"""Issue 17, end to end through the API (SQLite and PostgreSQL), as far as returns go: a laptop is
sold by card (the fake Stripe), handed over, shows in its buyer's inventory, is returned within
the window and refunded (confirmed by Stripe's refund event), listed again after a new erasure and
checklist, sold again by invoice, returned with a (partial) credit note, and later donated onward."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.members.models import Organisation, OrganisationKind
from marketplace.orders.models import Order
from tests.api_helpers import Actor, return_accepted
from tests.fakes.stripe import FakeStripe
from tests.marketplace.listings.test_catalogue_follows_device import erase, listed_laptop
from tests.marketplace.listings.test_next_life import buy, buyer_org, hand_over, kinds, passport
from tests.marketplace.reports.helpers import NVME_SERIAL, Org, checklist, make_org


@pytest.fixture
def pending_refunds(fake_stripe: FakeStripe) -> Iterator[FakeStripe]:
    """Card refunds stay pending until the bank answers (Stripe then sends ``refund.updated``)."""
    fake_stripe.refund_status = "pending"
    yield fake_stripe
    fake_stripe.refund_status = "succeeded"


def inventory_ids(client: FlaskClient, actor: Actor) -> set[int]:
    response = client.get("/api/v1/devices?limit=100", headers=actor.headers)
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def relist(client: FlaskClient, seller: Org, device_id: int, **terms: Any) -> int:
    """After a return: refused until a new erasure and a new checklist, then listed."""
    body = {"device_id": device_id, "visibility": "public", **terms}
    refused = client.post("/api/v1/listings", json=body, headers=seller.lister.headers)
    assert refused.status_code == 409 and {"disks", "checklist"} <= set(refused.json["errors"]), refused.json
    assert erase(client, seller, device_id, NVME_SERIAL).status_code == 201
    assert checklist(client, device_id, seller.technician.token).status_code == 201
    listed = client.post("/api/v1/listings", json=body, headers=seller.lister.headers)
    assert listed.status_code == 201, listed.json
    listing_id: int = listed.json["id"]
    return listing_id


def test_a_laptop_sold_returned_resold_returned_and_donated_onward(
    webhook_client: FlaskClient, db_session: Session, pending_refunds: FakeStripe
) -> None:
    client, fake = webhook_client, pending_refunds
    scene = listed_laptop(client, db_session)
    seller, device_id = scene.org, scene.device.id
    row = db_session.get(Organisation, seller.id)
    assert row is not None
    row.stripe_account_id = fake.add_account()
    db_session.commit()

    # 1. Sold by card, paid on Stripe's word, handed over: in the buyer's inventory, history included.
    first_buyer = buyer_org(client, db_session)
    first = buy(client, scene.listing_id, first_buyer.lister, payment="card")
    assert fake.send(fake.confirm_payment_intent(first["stripe_payment_intent_id"])) == 200
    hand_over(client, first["id"], seller.lister)
    assert device_id in inventory_ids(client, first_buyer.member)
    assert {"diagnosed", "erased", "sold", "transferred"} <= set(kinds(passport(client, device_id, first_buyer.member)))

    # 2. Returned within the window; the refund is pending until Stripe's event confirms it.
    back = return_accepted(client, first["id"], first_buyer.lister, seller.lister, reason="too heavy for us")
    assert back["status"] == "returned" and back["refund_status"] == "pending" and back["refund_confirmed_at"] is None
    assert back["refunded_cents"] == back["amount_cents"] == 30_000
    assert device_id not in inventory_ids(client, first_buyer.member)
    assert device_id in inventory_ids(client, seller.member)
    refund_id = db_session.get(Order, first["id"]).stripe_refund_id  # type: ignore[union-attr]
    assert refund_id is not None
    assert fake.send(fake.settle_refund(refund_id)) == 200
    confirmed = client.get(f"/api/v1/orders/{first['id']}", headers=first_buyer.member.headers).json
    assert confirmed["refund_status"] == "succeeded" and confirmed["refund_confirmed_at"] is not None
    assert client.get("/api/v1/impact").json["devices_reused"]["sold"] == 0  # that life was undone

    # 3. Listed again after a new erasure and checklist, sold by invoice, handed over: a life counted.
    second_listing = relist(client, seller, device_id, mode="sale", price_cents=28_000)
    second_buyer = buyer_org(client, db_session)
    second = buy(client, second_listing, second_buyer.lister, payment="invoice")
    hand_over(client, second["id"], seller.lister)
    assert client.get("/api/v1/impact").json["devices_reused"]["sold"] == 1
    assert device_id in inventory_ids(client, second_buyer.member)

    # 4. Returned without its charger: the seller credits less than the invoice.
    credited = return_accepted(
        client, second["id"], second_buyer.lister, seller.lister, reason="fan noise", refund_cents=25_000
    )
    assert credited["credit_note_number"] and credited["credit_note_cents"] == 25_000
    pdf = client.get(f"/api/v1/orders/{second['id']}/credit-note.pdf", headers=second_buyer.member.headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert client.get("/api/v1/impact").json["devices_reused"]["sold"] == 0

    # 5. Donated onward to a non-profit, which now owns it.
    donation = relist(client, seller, device_id, mode="donation")
    receiver = make_org(client)
    receiving = db_session.get(Organisation, receiver.id)
    assert receiving is not None
    receiving.kind = OrganisationKind.NONPROFIT
    db_session.commit()
    given = buy(client, donation, receiver.lister, payment="donation")
    hand_over(client, given["id"], seller.lister)
    assert device_id in inventory_ids(client, receiver.member)
    assert device_id not in inventory_ids(client, seller.member)
    impact = client.get("/api/v1/impact").json["devices_reused"]
    assert impact["sold"] == 0 and impact["donated"] == 1
    public = client.get(f"/api/v1/devices/{device_id}/passport?limit=200", headers=receiver.member.headers).json
    assert [e["kind"] for e in public["items"]].count("returned") == 2
