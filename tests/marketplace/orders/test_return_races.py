"""Deciding a return under real concurrency (threads, separate connections, committed database):
of the seller's people accepting and refusing one return at once, exactly one decision counts, the
card is refunded once, and the device moves back once. On PostgreSQL the device's row lock orders
them; on SQLite the write lock of BEGIN IMMEDIATE."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.db import make_engine
from marketplace.devices.models import DeviceTransfer, TransferReason
from marketplace.members.models import Organisation
from marketplace.orders.models import Order, OrderReturn, ReturnStatus
from tests.api_helpers import Actor, add_member, create_org, register
from tests.dbutil import fresh_database
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.marketplace.trade import make_listing, race

pytestmark = pytest.mark.concurrency

ROUNDS = 10
N = 4  # two accept, two refuse


@dataclass
class Shop:
    app: Flask
    engine: Engine
    seller: dict[str, Any]
    deciders: list[Actor]
    buyer: Actor
    fake: FakeStripe


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, stripe_server: FakeStripe) -> Iterator[Shop]:
    with fresh_database(Path(tmp_path_factory.mktemp("return-races")), "returnraces") as url:
        migrate.upgrade(url)
        app = create_app(
            Config(
                database_url=url,
                testing=True,
                secret_key="test-secret",
                stripe_api_key=API_KEY,
                stripe_api_base=stripe_server.base_url,
                stripe_webhook_secret=WEBHOOK_SECRET,
            )
        )
        client = app.test_client()
        admin = register(client, "seller")
        seller = create_org(client, admin, kind="company")
        deciders = [admin] + [add_member(client, admin, seller["id"], "lister") for _ in range(N - 1)]
        buyer = register(client, "buyer")
        create_org(client, buyer, kind="company")
        engine = make_engine(url)
        with Session(engine) as session:
            org = session.get(Organisation, seller["id"])
            assert org is not None
            org.stripe_account_id = stripe_server.add_account()
            session.commit()
        yield Shop(app, engine, seller, deciders, buyer, stripe_server)
        engine.dispose()
        app.extensions["relife.engine"].dispose()


def _returned_card_order(shop: Shop) -> tuple[dict[str, Any], int]:
    """A paid card order, handed over, with a return opened by its buyer: (order, return id)."""
    with Session(shop.engine, expire_on_commit=False) as session:
        listing = make_listing(session, shop.seller["id"], price_cents=19_900)
    client = shop.app.test_client()
    held = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=shop.buyer.headers)
    assert held.status_code == 201, held.get_json()
    made = client.post(
        "/api/v1/orders",
        json={"reservation_id": held.get_json()["id"], "payment": "card"},
        headers={**shop.buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
    ).get_json()
    payload, headers = shop.fake.signed(shop.fake.confirm_payment_intent(made["stripe_payment_intent_id"]))
    assert client.post("/api/v1/webhooks/stripe", data=payload, headers=headers).status_code == 200
    assert client.post(f"/api/v1/orders/{made['id']}/handover", headers=shop.deciders[0].headers).status_code == 200
    opened = client.post(f"/api/v1/orders/{made['id']}/returns", json={"reason": "dead"}, headers=shop.buyer.headers)
    assert opened.status_code == 201, opened.get_json()
    return made, opened.get_json()["id"]


def test_concurrent_decisions_on_one_return_exactly_one_counts(shop: Shop) -> None:
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        made, return_id = _returned_card_order(shop)
        refunds_before = len(shop.fake.calls("POST", "/v1/refunds"))

        def attempt(i: int, order_id: int = made["id"], return_id: int = return_id) -> tuple[str, int]:
            what = "accept" if i % 2 == 0 else "refuse"
            body = {"refund_cents": 15_000} if what == "accept" else {"reason": "scratched by the buyer"}
            response = shop.app.test_client().post(
                f"/api/v1/orders/{order_id}/returns/{return_id}/{what}", json=body, headers=shop.deciders[i].headers
            )
            return what, response.status_code

        results = race(N, attempt)
        statuses = sorted(status for _, status in results)
        assert statuses == [200] + [409] * (N - 1), results
        [winner] = [what for what, status in results if status == 200]
        outcomes[winner] += 1
        with Session(shop.engine) as session:
            decided = session.get(OrderReturn, return_id)
            order = session.get(Order, made["id"])
            assert decided is not None and order is not None
            moves = session.scalar(
                sa.select(sa.func.count())
                .select_from(DeviceTransfer)
                .where(DeviceTransfer.device_id == made["device_id"], DeviceTransfer.reason == TransferReason.RETURN)
            )
            refunds = len(shop.fake.calls("POST", "/v1/refunds")) - refunds_before
            if winner == "accept":
                assert decided.status is ReturnStatus.ACCEPTED and order.status.value == "returned"
                assert (moves, refunds, order.refunded_cents) == (1, 1, 15_000)
            else:
                assert decided.status is ReturnStatus.REFUSED and order.status.value == "handed_over"
                assert (moves, refunds, order.refunded_cents) == (0, 0, 0)
    assert sum(outcomes.values()) == ROUNDS
