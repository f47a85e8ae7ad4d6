"""Whether a device is promised to a borrower: the one query the sale, hold and listing rules share."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.loans.models import ACTIVE_STATUSES, Loan, occupied_end


def booked_for_loan(session: Session, device_id: int, today: dt.date) -> bool:
    """A loan booked or under way that has not ended by ``today`` (days held by a pending
    extension count)."""
    query = sa.select(Loan.id).where(
        Loan.device_id == device_id, Loan.status.in_(ACTIVE_STATUSES), occupied_end() > today
    )
    return session.scalar(query.limit(1)) is not None
