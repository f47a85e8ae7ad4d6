"""The calendar of a loan listing: the periods its device is taken, for the web page and clients.

Ranges are ``[start, end)`` like loans. A booked or running loan is ``booked`` / ``on_loan``; the
extra days a pending extension request holds are ``tentative`` (nobody else can book them until the
lender decides, so a borrower choosing dates needs to see them). Who borrows is shown only to the
lender (and staff); a borrower sees which ranges are its own loans, nobody else's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import ValidationFailed
from marketplace.loans.models import ACTIVE_STATUSES, Loan, occupied_end
from marketplace.members.access import Principal, owns
from marketplace.reservations.service import visible_listing

#: The window when ``to`` is not given, and the widest one may ask for (a loan starts at most
#: ``service.MAX_BOOKING_LEAD_DAYS`` ahead and lasts at most a year).
DEFAULT_DAYS = 180
MAX_DAYS = 550


@dataclass(frozen=True)
class TakenRange:
    start: dt.date
    end: dt.date
    status: str  # booked | on_loan | tentative
    loan_id: int | None = None  # the lender's people and the borrower's own loans only
    borrower_organisation_id: int | None = None  # the lender's people only
    mine: bool = False


@dataclass(frozen=True)
class Calendar:
    listing_id: int
    device_id: int
    start: dt.date
    end: dt.date
    ranges: list[TakenRange]


def listing_calendar(
    session: Session,
    principal: Principal | None,
    listing_id: int,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> Calendar:
    listing = visible_listing(session, principal, listing_id)
    start = start or (today or utcnow().date())
    end = end or start + dt.timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise ValidationFailed("The window is empty.", errors={"to": ["Must be after 'from'."]})
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed("The window is too wide.", errors={"to": [f"At most {MAX_DAYS} days after 'from'."]})
    lender = owns(principal, listing.organisation_id)
    loans = session.scalars(
        sa.select(Loan)
        .where(
            Loan.device_id == listing.device_id,
            Loan.status.in_(ACTIVE_STATUSES),
            Loan.start_date < end,
            occupied_end() > start,
        )
        .order_by(Loan.start_date)
    ).all()
    ranges: list[TakenRange] = []
    for loan in loans:
        mine = principal is not None and principal.is_person and principal.is_member_of(loan.borrower_organisation_id)
        loan_id = loan.id if lender or mine else None
        borrower = loan.borrower_organisation_id if lender else None
        ranges.append(TakenRange(loan.start_date, loan.end_date, loan.status.value, loan_id, borrower, mine))
        if loan.pending_end is not None:
            ranges.append(TakenRange(loan.end_date, loan.pending_end, "tentative", loan_id, borrower, mine))
    return Calendar(listing.id, listing.device_id, start, end, ranges)
