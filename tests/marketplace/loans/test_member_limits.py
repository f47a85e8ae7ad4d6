"""Limits on what one member can take (issue #20, class 9).

A loan ends within its listing's maximum (``DEFAULT_MAX_LOAN_DAYS`` when the listing sets none) and
starts within ``MAX_BOOKING_LEAD_DAYS``; a member organisation has at most
``MAX_LIVE_HOLDS_PER_ORGANISATION`` live holds and ``MAX_BOOKED_LOANS_PER_ORGANISATION`` booked
loans; nothing is captured from a loan without a deposit.
Each refusal is a problem naming the limit, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import ListingMode
from marketplace.loans.models import Loan
from marketplace.loans.service import (
    DEFAULT_MAX_LOAN_DAYS,
    MAX_BOOKED_LOANS_PER_ORGANISATION,
    MAX_BOOKING_LEAD_DAYS,
)
from marketplace.reservations.models import Reservation
from marketplace.reservations.service import MAX_LIVE_HOLDS_PER_ORGANISATION
from tests.marketplace.loans.test_loans_api import TODAY, borrow, day
from tests.marketplace.trade import World, make_listing, problem


def loans_of(session: Session, listing_id: int) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.listing_id == listing_id)) or 0)


def free_loan_listing(session: Session, world: World, **extra: Any) -> Any:
    return make_listing(session, world.seller["id"], mode=ListingMode.LOAN, deposit_cents=None, **extra)


def test_a_listing_without_max_days_lends_for_the_default_maximum_at_most(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = free_loan_listing(db_session, world)
    body = problem(
        client.post(
            f"/api/v1/listings/{listing.id}/loans",
            json={"start": day(1), "end": "9999-12-31"},
            headers=world.member.headers,
        ),
        422,
    )
    assert body["errors"]["end"] == [f"This listing lends for at most {DEFAULT_MAX_LOAN_DAYS} days."]
    problem(borrow(client, world.member, listing.id, 1, 2 + DEFAULT_MAX_LOAN_DAYS), 422)
    assert loans_of(db_session, listing.id) == 0
    booked = borrow(client, world.member, listing.id, 1, 1 + DEFAULT_MAX_LOAN_DAYS)
    assert booked.status_code == 201, booked.get_json()

    # An extension is held to the same maximum.
    loan = booked.get_json()
    too_long = client.post(
        f"/api/v1/loans/{loan['id']}/extensions",
        json={"end": day(2 + DEFAULT_MAX_LOAN_DAYS)},
        headers=world.member.headers,
    )
    assert problem(too_long, 422)["errors"]["end"] == [f"This listing lends for at most {DEFAULT_MAX_LOAN_DAYS} days."]


def test_a_loan_starts_within_the_booking_horizon(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = free_loan_listing(db_session, world, max_days=30)
    body = problem(client.post(
        f"/api/v1/listings/{listing.id}/loans", json={"start": "9999-12-01", "end": "9999-12-31"},
        headers=world.member.headers,
    ), 422)  # fmt: skip
    assert body["errors"]["start"] == [f"A loan starts at most {MAX_BOOKING_LEAD_DAYS} days ahead."]
    problem(borrow(client, world.member, listing.id, MAX_BOOKING_LEAD_DAYS + 1, MAX_BOOKING_LEAD_DAYS + 3), 422)
    assert loans_of(db_session, listing.id) == 0
    last = borrow(client, world.member, listing.id, MAX_BOOKING_LEAD_DAYS, MAX_BOOKING_LEAD_DAYS + 3)
    assert last.status_code == 201, last.get_json()


def test_live_holds_are_capped_per_member_organisation(client: FlaskClient, db_session: Session, world: World) -> None:
    listings = [make_listing(db_session, world.seller["id"]) for _ in range(MAX_LIVE_HOLDS_PER_ORGANISATION + 2)]
    holds = []
    for listing in listings[:MAX_LIVE_HOLDS_PER_ORGANISATION]:
        response = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=world.member.headers)
        assert response.status_code == 201, response.get_json()
        holds.append(response.get_json())
    extra = listings[MAX_LIVE_HOLDS_PER_ORGANISATION]
    # Another user of the same organisation meets the same cap.
    body = problem(
        client.post(f"/api/v1/listings/{extra.id}/reservations", json={}, headers=world.buyer_admin.headers), 409
    )
    assert body["type"].endswith("/limit-reached")
    assert f"({MAX_LIVE_HOLDS_PER_ORGANISATION})" in body["detail"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Reservation).where(
        Reservation.listing_id == extra.id)) == 0  # fmt: skip

    # Another organisation is not affected.
    other = client.post(f"/api/v1/listings/{extra.id}/reservations", json={}, headers=world.public_buyer.headers)
    assert other.status_code == 201, other.get_json()

    # A released hold, or an expired one, makes room.
    assert client.delete(f"/api/v1/reservations/{holds[0]['id']}", headers=world.member.headers).status_code == 204
    last = listings[MAX_LIVE_HOLDS_PER_ORGANISATION + 1]
    assert (
        client.post(f"/api/v1/listings/{last.id}/reservations", json={}, headers=world.member.headers).status_code
        == 201
    )
    problem(client.post(f"/api/v1/listings/{listings[0].id}/reservations", json={}, headers=world.member.headers), 409)
    stale = db_session.get(Reservation, holds[1]["id"])
    assert stale is not None
    stale.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db_session.commit()
    again = client.post(f"/api/v1/listings/{listings[0].id}/reservations", json={}, headers=world.member.headers)
    assert again.status_code == 201, again.get_json()


def test_booked_loans_are_capped_per_member_organisation(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listings = [free_loan_listing(db_session, world, max_days=10) for _ in range(MAX_BOOKED_LOANS_PER_ORGANISATION + 1)]
    booked = []
    for listing in listings[:MAX_BOOKED_LOANS_PER_ORGANISATION]:
        response = borrow(client, world.member, listing.id, 2, 4)
        assert response.status_code == 201, response.get_json()
        booked.append(response.get_json())
    extra = listings[-1]
    body = problem(borrow(client, world.member, extra.id, 2, 4), 409)
    assert body["type"].endswith("/limit-reached")
    assert f"({MAX_BOOKED_LOANS_PER_ORGANISATION})" in body["detail"]
    assert loans_of(db_session, extra.id) == 0
    assert borrow(client, world.public_buyer, extra.id, 2, 4).status_code == 201  # another organisation

    # A cancelled booking makes room; so does a handover (the loan is no longer a future booking).
    assert client.post(f"/api/v1/loans/{booked[0]['id']}/cancel", headers=world.member.headers).status_code == 200
    assert borrow(client, world.member, extra.id, 5, 7).status_code == 201
    problem(borrow(client, world.member, listings[1].id, 6, 8), 409)
    stored = db_session.get(Loan, booked[1]["id"])
    assert stored is not None
    stored.start_date = TODAY
    db_session.commit()
    handed = client.post(f"/api/v1/loans/{booked[1]['id']}/handover", headers=world.lister.headers)
    assert handed.status_code == 200, handed.get_json()
    assert borrow(client, world.member, listings[1].id, 6, 8).status_code == 201


def test_nothing_is_captured_from_a_loan_without_a_deposit(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = free_loan_listing(db_session, world, max_days=10)
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    assert client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers).status_code == 200
    path = f"/api/v1/loans/{loan['id']}/return"
    for decision, amount in (("captured", None), ("partly_captured", 100), ("partly_captured", 2**31 - 1)):
        body = problem(
            client.post(
                path,
                json={"condition": "damaged", "decision": decision, "capture_cents": amount},
                headers=world.lister.headers,
            ),
            422,
        )
        assert body["errors"]["decision"] == ["No deposit: only 'released'."]
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None
    db_session.refresh(stored)
    assert stored.status.value == "on_loan" and stored.damage_cents is None and stored.inspection is None
    returned = client.post(path, json={"condition": "damaged", "notes": "cracked"}, headers=world.lister.headers)
    assert returned.status_code == 200, returned.get_json()
    assert returned.get_json()["damage_cents"] == 0
    assert returned.get_json()["inspection"]["decision"] == "released"
