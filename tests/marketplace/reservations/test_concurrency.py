"""The invariants under real concurrency: threads, separate connections, a committed database.

Each test runs ``ROUNDS`` rounds; in each, ``N`` threads wait on a barrier and fire at once
through their own test client (the app has no test session override, so every request opens
its own connection and commits for real, as in production). On SQLite a write request holds
the database's write lock from BEGIN IMMEDIATE; on PostgreSQL the device row lock, the partial
unique indexes, the exclusion constraint and ON CONFLICT DO NOTHING decide.
"""

from __future__ import annotations

import datetime as dt
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
from marketplace.devices.models import DeviceEvent, EventKind
from marketplace.listings.models import ListingMode
from marketplace.loans.models import ACTIVE_STATUSES, Loan, LoanStatus
from marketplace.members.models import Organisation
from marketplace.orders.models import Order
from marketplace.payments.models import StripeEvent
from marketplace.reservations.models import Reservation, ReservationStatus
from tests.api_helpers import Actor, create_org, register
from tests.dbutil import fresh_database
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.marketplace.trade import make_listing, race

pytestmark = pytest.mark.concurrency

ROUNDS = 20
N = 8


@dataclass
class Committed:
    app: Flask
    engine: Engine
    seller: dict[str, Any]
    buyers: list[Actor]
    fake: FakeStripe

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory, stripe_server: FakeStripe) -> Iterator[Committed]:
    with fresh_database(Path(tmp_path_factory.mktemp("concurrency")), "concurrency") as url:
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
        seller_admin = register(client, "seller")
        seller = create_org(client, seller_admin, kind="company")
        buyers = []
        for _ in range(N):
            buyer = register(client, "buyer")
            create_org(client, buyer, kind="public_body")  # may pay by invoice
            buyers.append(buyer)
        engine = make_engine(url)
        with Session(engine) as session:
            org = session.get(Organisation, seller["id"])
            assert org is not None
            org.stripe_account_id = stripe_server.add_account()
            session.commit()
        yield Committed(app, engine, seller, buyers, stripe_server)
        engine.dispose()
        app.extensions["relife.engine"].dispose()


def test_members_reserving_one_listing_at_once_exactly_one_wins(committed: Committed) -> None:
    outcomes: Counter[int] = Counter()
    for _ in range(ROUNDS):
        with committed.session() as session:
            listing = make_listing(session, committed.seller["id"])

        def attempt(i: int, listing_id: int = listing.id) -> int:
            client = committed.app.test_client()
            response = client.post(
                f"/api/v1/listings/{listing_id}/reservations", json={}, headers=committed.buyers[i].headers
            )
            return response.status_code

        statuses = race(N, attempt)
        outcomes.update(statuses)
        assert sorted(statuses) == [201] + [409] * (N - 1), statuses
        with committed.session() as session:
            live = session.scalar(
                sa.select(sa.func.count())
                .select_from(Reservation)
                .where(Reservation.listing_id == listing.id, Reservation.status == ReservationStatus.ACTIVE)
            )
        assert live == 1
        _end_round(committed, Reservation, Reservation.listing_id == listing.id, status=ReservationStatus.CANCELLED)
    assert outcomes == {201: ROUNDS, 409: ROUNDS * (N - 1)}


def test_overlapping_loan_requests_exactly_one_is_booked(committed: Committed) -> None:
    today = dt.datetime.now(dt.UTC).date()
    for round_no in range(ROUNDS):
        with committed.session() as session:
            listing = make_listing(
                session, committed.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=30, deposit_cents=None
            )

        def attempt(i: int, listing_id: int = listing.id, round_no: int = round_no) -> int:
            # Every period overlaps every other: they all contain day 10.
            start = today + dt.timedelta(days=3 + (i + round_no) % 7)
            end = today + dt.timedelta(days=11 + i % 5)
            client = committed.app.test_client()
            response = client.post(
                f"/api/v1/listings/{listing_id}/loans",
                json={"start": start.isoformat(), "end": end.isoformat()},
                headers=committed.buyers[i].headers,
            )
            return response.status_code

        statuses = race(N, attempt)
        assert sorted(statuses) == [201] + [409] * (N - 1), statuses
        with committed.session() as session:
            booked = session.scalar(
                sa.select(sa.func.count())
                .select_from(Loan)
                .where(Loan.listing_id == listing.id, Loan.status.in_(ACTIVE_STATUSES))
            )
        assert booked == 1
        _end_round(committed, Loan, Loan.listing_id == listing.id, status=LoanStatus.CANCELLED)


def _end_round(committed: Committed, model: Any, where: Any, **values: Any) -> None:
    """End the round's winning hold or booking, so no buyer's caps on live holds and booked loans
    (``reservations.service``, ``loans.service``) decide a later round."""
    with committed.session() as session:
        session.execute(sa.update(model).where(where).values(**values))
        session.commit()


def _card_order(committed: Committed, buyer: Actor) -> dict[str, Any]:
    with committed.session() as session:
        listing = make_listing(session, committed.seller["id"], price_cents=19_900)
    client = committed.app.test_client()
    held = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=buyer.headers)
    assert held.status_code == 201, held.get_json()
    response = client.post(
        "/api/v1/orders",
        json={"reservation_id": held.get_json()["id"], "payment": "card"},
        headers={**buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.get_json()
    order: dict[str, Any] = response.get_json()
    return order


def test_webhook_replayed_ten_times_concurrently_has_one_effect(committed: Committed) -> None:
    fake = committed.fake
    for round_no in range(ROUNDS):
        order = _card_order(committed, committed.buyers[round_no % N])
        first = fake.confirm_payment_intent(order["stripe_payment_intent_id"])
        # Stripe may also send a second event about the same payment (another id): still one effect.
        second = fake.event("payment_intent.succeeded", fake.objects[order["stripe_payment_intent_id"]])
        deliveries = [fake.signed(first)] * 7 + [fake.signed(second)] * 3

        def deliver(i: int, deliveries: list[tuple[bytes, dict[str, str]]] = deliveries) -> tuple[int, str]:
            payload, headers = deliveries[i]
            response = committed.app.test_client().post("/api/v1/webhooks/stripe", data=payload, headers=headers)
            return response.status_code, (response.get_json() or {}).get("outcome", "")

        results = race(len(deliveries), deliver)
        assert all(status == 200 for status, _ in results), results
        outcomes = Counter(outcome for _, outcome in results)
        assert outcomes["paid"] == 1 and outcomes["already paid"] == 1, outcomes
        assert outcomes["duplicate: already processed"] == 8, outcomes
        with committed.session() as session:
            stored = session.get(Order, order["id"])
            assert stored is not None and stored.payment_status.value == "paid" and stored.status.value == "confirmed"
            sold = session.scalar(
                sa.select(sa.func.count())
                .select_from(DeviceEvent)
                .where(DeviceEvent.device_id == order["device_id"], DeviceEvent.kind == EventKind.SOLD)
            )
            assert sold == 1
            recorded = session.scalar(
                sa.select(sa.func.count())
                .select_from(StripeEvent)
                .where(StripeEvent.id.in_([first["id"], second["id"]]))
            )
            assert recorded == 2


@pytest.mark.parametrize("payment", ["card", "invoice"])
def test_same_order_retried_concurrently_with_one_key_makes_one_order(committed: Committed, payment: str) -> None:
    fake = committed.fake
    for round_no in range(ROUNDS):
        buyer = committed.buyers[round_no % N]
        with committed.session() as session:
            listing = make_listing(session, committed.seller["id"], price_cents=15_000)
        client = committed.app.test_client()
        held = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=buyer.headers).get_json()
        key = str(uuid.uuid4())
        intents_before = len(fake.calls("POST", "/v1/payment_intents"))

        def attempt(_i: int, held_id: int = held["id"], buyer: Actor = buyer, key: str = key) -> tuple[int, int]:
            response = committed.app.test_client().post(
                "/api/v1/orders",
                json={"reservation_id": held_id, "payment": payment},
                headers={**buyer.headers, "Idempotency-Key": key},
            )
            return response.status_code, response.get_json()["id"]

        results = race(N, attempt)
        assert sorted(status for status, _ in results) == [200] * (N - 1) + [201], results
        assert len({order_id for _, order_id in results}) == 1
        with committed.session() as session:
            orders = session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.listing_id == listing.id))
        assert orders == 1
        assert len(fake.calls("POST", "/v1/payment_intents")) - intents_before == (1 if payment == "card" else 0)


def test_one_device_is_never_offered_for_sale_and_loan_at_once(committed: Committed) -> None:
    """A sale and a loan of one device cannot race: the catalogue keeps at most one active listing
    per device (a partial unique index on both databases), so the second offer is refused by the
    database itself, whatever the application does. (Loans booked while a hold or an order is live
    are refused by the services; see the reservation and order races above.)"""
    from marketplace.listings.models import Listing

    for _ in range(3):
        with committed.session() as session:
            sale = make_listing(session, committed.seller["id"], price_cents=10_000)
            session.add(
                Listing(
                    device_id=sale.device_id, organisation_id=committed.seller["id"], mode=ListingMode.LOAN,
                    min_days=1, max_days=30, postcode="69007", department="69",
                )
            )  # fmt: skip
            with pytest.raises(sa.exc.IntegrityError):
                session.commit()
            session.rollback()
            orders = session.scalar(
                sa.select(sa.func.count()).select_from(Order).where(Order.device_id == sale.device_id)
            )
            loans = session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.device_id == sale.device_id))
        assert (orders, loans) == (0, 0)
