"""The database's own backstops, in case a code path ever forgot the device lock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.listings.models import ListingMode
from marketplace.loans.models import Loan, LoanStatus
from marketplace.reservations.models import Reservation
from tests.api_helpers import create_org, register
from tests.marketplace.trade import make_listing


@pytest.fixture
def parties(client: object, db_session: Session) -> tuple[int, int, int]:
    seller = register(client, "s")  # type: ignore[arg-type]
    seller_org = create_org(client, seller)  # type: ignore[arg-type]
    buyer = register(client, "b")  # type: ignore[arg-type]
    buyer_org = create_org(client, buyer)  # type: ignore[arg-type]
    return seller_org["id"], buyer_org["id"], buyer.user_id


def test_one_active_reservation_row_per_listing(db_session: Session, parties: tuple[int, int, int]) -> None:
    seller, buyer, user = parties
    listing = make_listing(db_session, seller)
    later = utcnow() + dt.timedelta(minutes=30)
    row = {"listing_id": listing.id, "device_id": listing.device_id, "organisation_id": buyer, "user_id": user}
    db_session.add(Reservation(**row, expires_at=later, mode=ListingMode.SALE))
    db_session.flush()
    with db_session.begin_nested():
        db_session.add(Reservation(**row, expires_at=later, mode=ListingMode.SALE))
        with pytest.raises(IntegrityError):
            db_session.flush()


def test_overlapping_active_loans_refused_by_postgresql(db_session: Session, parties: tuple[int, int, int]) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on BEGIN IMMEDIATE")
    seller, buyer, user = parties
    listing = make_listing(db_session, seller, mode=ListingMode.LOAN)
    today = dt.date.today()  # noqa: DTZ011 - a calendar date, no time zone involved

    def loan(start: int, end: int, status: LoanStatus = LoanStatus.BOOKED) -> Loan:
        return Loan(
            listing_id=listing.id, device_id=listing.device_id, borrower_organisation_id=buyer,
            lender_organisation_id=seller, borrower_user_id=user, status=status,
            start_date=today + dt.timedelta(days=start), end_date=today + dt.timedelta(days=end),
        )  # fmt: skip

    db_session.add(loan(1, 5))
    db_session.add(loan(5, 8))  # [start, end): touching periods do not overlap
    db_session.add(loan(2, 4, LoanStatus.CANCELLED))  # inactive loans do not count
    db_session.flush()
    with db_session.begin_nested():
        db_session.add(loan(4, 6))
        with pytest.raises(IntegrityError):
            db_session.flush()


def test_days_held_by_a_pending_extension_are_in_the_same_exclusion_constraint(
    db_session: Session, parties: tuple[int, int, int]
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on BEGIN IMMEDIATE")
    seller, buyer, user = parties
    listing = make_listing(db_session, seller, mode=ListingMode.LOAN)
    today = dt.date.today()  # noqa: DTZ011 - a calendar date, no time zone involved
    row = {
        "listing_id": listing.id, "device_id": listing.device_id, "borrower_organisation_id": buyer,
        "lender_organisation_id": seller, "borrower_user_id": user,
    }  # fmt: skip
    held = Loan(**row, start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=4))
    db_session.add(held)
    db_session.add(Loan(**row, start_date=today + dt.timedelta(days=6), end_date=today + dt.timedelta(days=9)))
    db_session.flush()
    with db_session.begin_nested():
        held.pending_end = today + dt.timedelta(days=7)  # into the next loan
        with pytest.raises(IntegrityError):
            db_session.flush()
    held = db_session.get(Loan, held.id)
    assert held is not None
    held.pending_end = today + dt.timedelta(days=6)  # up to its first day: [start, end)
    db_session.flush()
    with db_session.begin_nested():
        db_session.add(Loan(**row, start_date=today + dt.timedelta(days=5), end_date=today + dt.timedelta(days=6)))
        with pytest.raises(IntegrityError):
            db_session.flush()
