"""Issue 17: a card return's refund is confirmed by Stripe's refund events (``refund.updated``,
``charge.refunded``), re-read from the fake Stripe: delivered twice, in any order, or before the
order knows its refund → one effect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.orders.models import Order
from marketplace.payments.models import StripeEvent
from tests.api_helpers import return_accepted
from tests.fakes.stripe import FakeStripe
from tests.marketplace.orders.test_orders_api import order, reserve
from tests.marketplace.trade import World, make_listing


@pytest.fixture
def pending_refunds(fake_stripe: FakeStripe) -> Iterator[FakeStripe]:
    fake_stripe.refund_status = "pending"
    yield fake_stripe
    fake_stripe.refund_status = "succeeded"


def test_a_pending_refund_is_confirmed_once_by_stripes_events(
    webhook_client: FlaskClient, db_session: Session, world: World, pending_refunds: FakeStripe
) -> None:
    client, fake = webhook_client, pending_refunds
    listing = make_listing(db_session, world.seller["id"], price_cents=30_000)
    held = reserve(client, world.member, listing.id)
    created = order(client, world.member, held["id"], "card").get_json()
    assert fake.send(fake.confirm_payment_intent(created["stripe_payment_intent_id"])) == 200
    assert client.post(f"/api/v1/orders/{created['id']}/handover", headers=world.lister.headers).status_code == 200
    body = return_accepted(client, created["id"], world.member, world.lister, reason="too slow")
    assert body["payment_status"] == "refunded" and body["refund_status"] == "pending"
    assert body["refund_confirmed_at"] is None
    row = db_session.get(Order, created["id"])
    assert row is not None and row.stripe_refund_id is not None
    refund_id = row.stripe_refund_id
    ((params, _key),) = fake.calls("POST", "/v1/refunds")[-1:]
    assert params["metadata"]["relife_order"] == str(created["id"]) and "relife_return" in params["metadata"]

    # charge.refunded while the bank has not answered: re-read, still pending, nothing confirmed.
    assert fake.send(fake.charge_refunded(created["stripe_payment_intent_id"])) == 200
    db_session.expire_all()
    assert (
        client.get(f"/api/v1/orders/{created['id']}", headers=world.member.headers).json["refund_status"] == "pending"
    )

    # The bank answers: refund.updated, delivered twice → confirmed once.
    settled = fake.settle_refund(refund_id)
    assert fake.send(settled) == 200 and fake.send(settled) == 200
    seen = client.get(f"/api/v1/orders/{created['id']}", headers=world.member.headers).json
    assert seen["refund_status"] == "succeeded" and seen["refund_confirmed_at"] is not None
    count = sa.select(sa.func.count()).select_from(StripeEvent).where(StripeEvent.id == settled["id"])
    assert db_session.scalar(count) == 1
    # A later charge.refunded changes nothing, not even the confirmation time.
    assert fake.send(fake.charge_refunded(created["stripe_payment_intent_id"])) == 200
    again = client.get(f"/api/v1/orders/{created['id']}", headers=world.member.headers).json
    assert again["refund_confirmed_at"] == seen["refund_confirmed_at"]


def test_a_refund_event_before_its_order_knows_the_refund_is_delivered_again_later(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    with fake_stripe.lock:
        ours = fake_stripe._store(
            "re", {"object": "refund", "amount": 100, "status": "succeeded", "payment_intent": None,
                   "metadata": {"relife_order": "999999"}},
        )  # fmt: skip
        theirs = fake_stripe._store(
            "re", {"object": "refund", "amount": 100, "status": "succeeded", "payment_intent": None, "metadata": {}}
        )
    early = fake_stripe.event("refund.updated", ours)
    assert fake_stripe.send(early) == 409  # not recorded: Stripe delivers it again
    assert (
        db_session.scalar(sa.select(sa.func.count()).select_from(StripeEvent).where(StripeEvent.id == early["id"])) == 0
    )
    assert fake_stripe.send(fake_stripe.event("refund.updated", theirs)) == 200  # a dashboard refund: ignored
