"""Loans end to end through the API against the local fake Stripe: deposits as a card hold
(captured on damage) or a saved card (released), overlaps, limits, overdue loans. Extensions, the
calendar and the inspection: test_loan_extensions.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, DeviceTransfer
from marketplace.listings.models import ListingMode
from marketplace.loans.models import Loan
from tests.api_helpers import Actor
from tests.fakes.stripe import FakeStripe
from tests.marketplace.trade import World, make_listing, problem

TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    """A date relative to the day the test runs (read now: a run may cross midnight)."""
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset)).isoformat()


def borrow(client: FlaskClient, actor: Actor, listing_id: int, start: int, end: int) -> Any:
    return client.post(
        f"/api/v1/listings/{listing_id}/loans", json={"start": day(start), "end": day(end)}, headers=actor.headers
    )


def loan_listing(session: Session, world: World, **extra: Any) -> Any:
    values = {"min_days": 1, "max_days": 60, "deposit_cents": 10_000, **extra}
    return make_listing(session, world.seller["id"], mode=ListingMode.LOAN, **values)


def test_short_loan_deposit_is_a_hold_partly_captured_for_damage(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world)
    response = borrow(client, world.member, listing.id, 0, 3)
    assert response.status_code == 201, response.get_json()
    loan = response.get_json()
    assert loan["start"] == day(0) and loan["end"] == day(3) and loan["status"] == "booked"
    deposit = loan["deposit"]
    assert deposit["kind"] == "hold" and deposit["status"] == "pending" and deposit["cents"] == 10_000
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_payment_intent_id is not None
    intent = fake_stripe.objects[stored.stripe_payment_intent_id]
    assert intent["capture_method"] == "manual" and intent["amount"] == 10_000
    assert deposit["client_secret"] == intent["client_secret"]
    # The lender does not see the borrower's client secret.
    assert (
        client.get(f"/api/v1/loans/{loan['id']}", headers=world.lister.headers).get_json()["deposit"]["client_secret"]
        is None
    )

    # No handover before the deposit is held.
    problem(client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers), 409)
    assert fake_stripe.send(fake_stripe.confirm_payment_intent(intent["id"])) == 200
    assert (
        client.get(f"/api/v1/loans/{loan['id']}", headers=world.member.headers).get_json()["deposit"]["status"]
        == "secured"
    )
    problem(client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.member.headers), 403)
    handed = client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers)
    assert handed.status_code == 200 and handed.get_json()["status"] == "on_loan"
    device = db_session.get(Device, listing.device_id)
    assert device is not None and device.state is DeviceState.ON_LOAN

    problem(
        client.post(
            f"/api/v1/loans/{loan['id']}/return",
            json={"condition": "damaged", "decision": "partly_captured", "capture_cents": 10_001},
            headers=world.lister.headers,
        ),
        422,
    )
    returned = client.post(
        f"/api/v1/loans/{loan['id']}/return",
        json={
            "condition": "damaged",
            "notes": "Cracked hinge",
            "accessories": [{"name": "charger", "present": True}],
            "decision": "partly_captured",
            "capture_cents": 3_000,
        },
        headers=world.lister.headers,
    )
    assert returned.status_code == 200, returned.get_json()
    body = returned.get_json()
    assert body["status"] == "returned" and body["damage_cents"] == 3_000
    assert body["deposit"]["status"] == "partially_captured" and body["deposit"]["captured_cents"] == 3_000
    assert fake_stripe.objects[intent["id"]]["amount_received"] == 3_000
    db_session.expire_all()
    assert db_session.get(Device, listing.device_id).state is DeviceState.RETURNED  # damaged: not re-listed
    kinds = [
        e.kind.value
        for e in db_session.scalars(sa.select(DeviceEvent).where(DeviceEvent.device_id == listing.device_id))
    ]
    # Back from a borrower: out of the catalogue until a new checklist (listability.rules).
    assert kinds == ["lent", "returned", "unlisted"]


def test_long_loan_deposit_is_a_saved_card_released_when_undamaged(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world)
    loan = borrow(client, world.member, listing.id, 0, 30).get_json()
    assert loan["deposit"]["kind"] == "saved_card"
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_setup_intent_id is not None
    setup = fake_stripe.objects[stored.stripe_setup_intent_id]
    assert setup["usage"] == "off_session" and setup["customer"] == stored.stripe_customer_id
    assert fake_stripe.send(fake_stripe.confirm_setup_intent(setup["id"])) == 200
    assert client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers).status_code == 200
    charges_before = len(fake_stripe.calls("POST", "/v1/payment_intents"))
    returned = client.post(
        f"/api/v1/loans/{loan['id']}/return", json={"condition": "as_lent"}, headers=world.lister.headers
    ).get_json()
    assert returned["deposit"]["status"] == "released" and returned["deposit"]["captured_cents"] == 0
    assert len(fake_stripe.calls("POST", "/v1/payment_intents")) == charges_before  # nothing charged
    db_session.expire_all()
    assert db_session.get(Device, listing.device_id).state is DeviceState.LISTED  # lendable again
    # A loan never moves ownership (issue 17): still the lender's, no transfer recorded.
    assert db_session.get(Device, listing.device_id).organisation_id == world.seller["id"]
    transfers = (
        sa.select(sa.func.count()).select_from(DeviceTransfer).where(DeviceTransfer.device_id == listing.device_id)
    )
    assert db_session.scalar(transfers) == 0


def test_saved_card_charged_off_session_for_damage(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world)
    loan = borrow(client, world.member, listing.id, 0, 20).get_json()
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_setup_intent_id is not None
    fake_stripe.send(fake_stripe.confirm_setup_intent(stored.stripe_setup_intent_id))
    client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers)
    returned = client.post(
        f"/api/v1/loans/{loan['id']}/return",
        json={"condition": "not_working", "notes": "Screen broken", "decision": "captured"},
        headers=world.lister.headers,
    ).get_json()
    assert returned["deposit"]["status"] == "charged" and returned["deposit"]["captured_cents"] == 10_000
    ((params, _key),) = fake_stripe.calls("POST", "/v1/payment_intents")[-1:]
    assert params["off_session"] == "true" and params["customer"] == stored.stripe_customer_id
    assert params["payment_method"] == "pm_card_visa" and params["amount"] == "10000"


def test_hold_released_when_returned_undamaged(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world)
    loan = borrow(client, world.member, listing.id, 0, 2).get_json()
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_payment_intent_id is not None
    # The webhook is late: the handover asks Stripe itself.
    fake_stripe.confirm_payment_intent(stored.stripe_payment_intent_id)
    assert client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers).status_code == 200
    returned = client.post(
        f"/api/v1/loans/{loan['id']}/return", json={"condition": "worn"}, headers=world.lister.headers
    ).get_json()
    assert returned["deposit"]["status"] == "released"
    assert fake_stripe.objects[stored.stripe_payment_intent_id]["status"] == "canceled"


def test_periods_never_overlap_and_limits_hold(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None, min_days=2, max_days=10)
    first = borrow(client, world.member, listing.id, 5, 10)
    assert first.status_code == 201, first.get_json()
    for start, end in [(5, 10), (4, 6), (9, 12), (6, 8), (3, 11)]:
        body = problem(borrow(client, world.public_buyer, listing.id, start, end), 409)
        assert "already lent" in body["detail"]
    # [start, end): a loan may start the day the previous one ends.
    assert borrow(client, world.public_buyer, listing.id, 10, 12).status_code == 201
    assert borrow(client, world.public_buyer, listing.id, 3, 5).status_code == 201
    problem(borrow(client, world.member, listing.id, 20, 21), 422)  # below min_days
    problem(borrow(client, world.member, listing.id, 20, 31), 422)  # above max_days
    problem(borrow(client, world.member, listing.id, -2, 1), 422)  # in the past
    problem(borrow(client, world.member, listing.id, 25, 25), 422)
    problem(borrow(client, world.lister, listing.id, 20, 22), 403)  # its own device
    problem(borrow(client, world.member, 999_999, 20, 22), 404)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.listing_id == listing.id)) == 3

    loan = first.get_json()
    # Cancelled loans free their period.
    assert client.post(f"/api/v1/loans/{loan['id']}/cancel", headers=world.member.headers).status_code == 200
    assert borrow(client, world.public_buyer, listing.id, 5, 10).status_code == 201

    # Sale listings are reserved, not borrowed.
    sale = make_listing(db_session, world.seller["id"])
    problem(borrow(client, world.member, sale.id, 1, 3), 422)


def test_overdue_loans_listed_for_the_lender(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None)
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers)
    on_time = borrow(client, world.member, loan_listing(db_session, world, deposit_cents=None).id, 0, 3).get_json()
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None
    stored.start_date, stored.end_date = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=2)
    db_session.commit()
    overdue = client.get("/api/v1/loans?overdue=true&role=lender", headers=world.lister.headers).get_json()
    assert [item["id"] for item in overdue["items"]] == [loan["id"]] and overdue["next_cursor"] is None
    everything = client.get("/api/v1/loans?limit=1", headers=world.lister.headers).get_json()
    assert [item["id"] for item in everything["items"]] == [loan["id"]]
    page2 = client.get(f"/api/v1/loans?limit=1&cursor={everything['next_cursor']}", headers=world.lister.headers)
    assert [item["id"] for item in page2.get_json()["items"]] == [on_time["id"]]
    assert client.get("/api/v1/loans?overdue=true", headers=world.outsider.headers).get_json()["items"] == []
    problem(client.get(f"/api/v1/loans/{loan['id']}", headers=world.outsider.headers), 404)
    problem(client.get("/api/v1/loans?limit=1000", headers=world.lister.headers), 422)


def test_loans_without_stripe(app_without_stripe: Flask, db_session: Session, world: World) -> None:
    client = app_without_stripe.test_client()
    free = loan_listing(db_session, world, deposit_cents=None)
    loan = borrow(client, world.member, free.id, 0, 3)
    assert loan.status_code == 201 and loan.get_json()["deposit"]["status"] == "not_required"
    assert (
        client.post(f"/api/v1/loans/{loan.get_json()['id']}/handover", headers=world.lister.headers).status_code == 200
    )
    with_deposit = loan_listing(db_session, world)
    body = problem(borrow(client, world.member, with_deposit.id, 0, 3), 503)
    assert "not configured" in body["detail"]


def test_housekeeping_marks_expired_holds_and_reports_overdue_loans(
    client: FlaskClient, runner: Any, db_session: Session, world: World
) -> None:
    from marketplace.reservations.models import Reservation, ReservationStatus

    sale = make_listing(db_session, world.seller["id"])
    held = client.post(f"/api/v1/listings/{sale.id}/reservations", json={}, headers=world.member.headers).get_json()
    reservation = db_session.get(Reservation, held["id"])
    assert reservation is not None
    reservation.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    listing = loan_listing(db_session, world, deposit_cents=None)
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers)
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None
    stored.start_date, stored.end_date = TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=1)
    db_session.commit()
    result = runner.invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "expired holds marked: 1" in result.output and "overdue loans: 1" in result.output
    db_session.expire_all()
    assert db_session.get(Reservation, held["id"]).status is ReservationStatus.EXPIRED
    again = runner.invoke(args=["housekeeping"])
    assert "expired holds marked: 0" in again.output  # idempotent


def test_a_device_is_never_both_sold_and_lent(client: FlaskClient, db_session: Session, world: World) -> None:
    """The catalogue keeps one active listing per device; even if a device booked for a loan is
    offered again for sale (its loan listing replaced), it can be neither held nor ordered."""
    from marketplace.listings.models import Listing, ListingStatus

    loan = loan_listing(db_session, world, deposit_cents=None)
    assert borrow(client, world.member, loan.id, 1, 3).status_code == 201
    loan.status = ListingStatus.WITHDRAWN
    sale = Listing(
        device_id=loan.device_id, organisation_id=world.seller["id"], mode=ListingMode.SALE, price_cents=9_000,
        postcode="69007", department="69",
    )  # fmt: skip
    db_session.add(sale)
    db_session.commit()
    held = client.post(f"/api/v1/listings/{sale.id}/reservations", json={}, headers=world.public_buyer.headers)
    assert "booked for a loan" in problem(held, 409)["detail"]


def test_who_may_do_what_on_a_loan(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None)
    loan = borrow(client, world.member, listing.id, 1, 3).get_json()
    base = f"/api/v1/loans/{loan['id']}"
    for method, path, json in [
        ("get", base, None),
        ("post", f"{base}/handover", None),
        ("post", f"{base}/return", {"condition": "as_lent"}),
        ("post", f"{base}/extensions", {"end": day(4)}),
        ("post", f"{base}/cancel", None),
    ]:
        problem(getattr(client, method)(path, json=json), 401)
        problem(getattr(client, method)(path, json=json, headers=world.outsider.headers), 404)
    problem(client.post(f"{base}/handover", headers=world.member.headers), 403)
    problem(client.post(f"{base}/return", json={"condition": "as_lent"}, headers=world.member.headers), 403)
    problem(client.post(f"{base}/extensions", json={"end": day(4)}, headers=world.lister.headers), 403)
    problem(client.post(f"{base}/handover", headers=world.lister.headers), 409)  # starts tomorrow
    assert client.get(base, headers=world.lister.headers).get_json() == loan  # nothing changed


def test_a_listing_with_a_booked_loan_or_a_live_hold_cannot_be_withdrawn(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None)
    assert borrow(client, world.member, listing.id, 1, 3).status_code == 201
    refused = client.delete(f"/api/v1/listings/{listing.id}", headers=world.lister.headers)
    assert "loan" in problem(refused, 409)["detail"]
    assert client.get(f"/api/v1/listings/{listing.id}", headers=world.lister.headers).json["status"] == "active"

    sale = make_listing(db_session, world.seller["id"], price_cents=5_000)
    held = client.post(f"/api/v1/listings/{sale.id}/reservations", json={}, headers=world.public_buyer.headers)
    assert held.status_code == 201
    refused = client.delete(f"/api/v1/listings/{sale.id}", headers=world.lister.headers)
    assert "hold" in problem(refused, 409)["detail"]
    assert client.delete(
        f"/api/v1/reservations/{held.get_json()['id']}", headers=world.public_buyer.headers
    ).status_code in {
        200,
        204,
    }
    assert client.delete(f"/api/v1/listings/{sale.id}", headers=world.lister.headers).status_code == 200
