"""Reminders that come with time, not with a change: written by a periodic command.

``flask --app wsgi notify-due`` (and the worker's loop, once a minute) calls ``enqueue_due``. Each
reminder has a dedupe key (kind, object, due moment, recipient) inserted with ``ON CONFLICT DO
NOTHING``: the command may run any number of times, late, or on two machines at once, and each
reminder is written once. The due moment is in the key, so a loan extended to a new end gets a new
"due" reminder, and a hold is reminded once. Nothing here is needed for correctness: an expired
hold already frees its device, an overdue invoice or loan is overdue whether or not we wrote.

When (all in the cluster's day, UTC dates as the rest of the service):

- ``reservation_expiring``: a live hold within ``HOLD_WARNING`` of its end, to its holder;
- ``invoice_due``: an unpaid invoice within ``INVOICE_DUE_WARNING`` of its due date, to the buyer's side;
- ``invoice_overdue``: an unpaid invoice past its due date, to the buyer's side and the seller's admins and listers;
- ``loan_starting``: a booked loan starting today or tomorrow, to the borrower and the lender's listers;
- ``loan_due``: a device on loan due back within ``LOAN_DUE_WARNING``, to the borrower's side;
- ``loan_overdue``: a device on loan past its end, to the borrower's side and the lender's listers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.loans.models import Loan, LoanStatus
from marketplace.notifications import events, recipients
from marketplace.orders.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from marketplace.reservations.models import Reservation, ReservationStatus

HOLD_WARNING = dt.timedelta(minutes=10)
INVOICE_DUE_WARNING = dt.timedelta(days=7)
LOAN_START_WARNING = dt.timedelta(days=1)
LOAN_DUE_WARNING = dt.timedelta(days=2)
#: An invoice or loan overdue for longer than this is not looked at any more: its reminder was
#: written when it fell due (or, on a new deployment, is not sent about an old debt). It keeps each
#: run's scan to recent rows; each row found costs one lookup of its keys in the outbox's unique index.
LOOKBACK = dt.timedelta(days=30)


def enqueue_due(session: Session, now: dt.datetime | None = None) -> Counter[str]:
    """Write every reminder due at ``now`` not written before; returns how many of each kind were
    written by this call. The caller commits."""
    now = now or utcnow()
    today = now.date()
    written: Counter[str] = Counter()

    holds = session.scalars(
        sa.select(Reservation)
        .where(
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.expires_at > now,
            Reservation.expires_at <= now + HOLD_WARNING,
        )
        .order_by(Reservation.id)
    ).all()
    for hold in holds:
        context = {**events.device_context(session, hold.device_id), "expires_at": hold.expires_at,
                   "reservation_id": hold.id}  # fmt: skip
        written["reservation_expiring"] += events.send(
            session, "reservation_expiring", recipients.person(session, hold.user_id),
            f"reservation:{hold.id}:{hold.expires_at.isoformat()}", context,
        )  # fmt: skip

    invoices = session.scalars(
        sa.select(Order)
        .where(
            Order.payment == PaymentMethod.INVOICE,
            Order.payment_status == PaymentStatus.PENDING,
            Order.status.in_((OrderStatus.CONFIRMED, OrderStatus.HANDED_OVER)),
            Order.invoice_due_on.is_not(None),
            Order.invoice_due_on <= today + INVOICE_DUE_WARNING,
            Order.invoice_due_on >= today - LOOKBACK,
        )
        .order_by(Order.id)
    ).all()
    for order in invoices:
        assert order.invoice_due_on is not None
        context = events.context_for_order(session, order)
        buyers = recipients.buyer_side(session, order.buyer_organisation_id, order.buyer_user_id)
        key = f"order:{order.id}:{order.invoice_due_on.isoformat()}"
        if order.invoice_due_on >= today:
            written["invoice_due"] += events.send(session, "invoice_due", buyers, key, context)
        else:
            people = recipients.everyone(buyers, recipients.seller_team(session, order.seller_organisation_id))
            written["invoice_overdue"] += events.send(session, "invoice_overdue", people, key, context)

    starting = session.scalars(
        sa.select(Loan)
        .where(
            Loan.status == LoanStatus.BOOKED,
            Loan.start_date >= today,
            Loan.start_date <= today + LOAN_START_WARNING,
        )
        .order_by(Loan.id)
    ).all()
    for loan in starting:
        borrower = recipients.person(session, loan.borrower_user_id)
        people = recipients.everyone(borrower, recipients.seller_team(session, loan.lender_organisation_id))
        written["loan_starting"] += events.send(
            session, "loan_starting", people, f"loan:{loan.id}:{loan.start_date.isoformat()}",
            events.context_for_loan(session, loan),
        )  # fmt: skip

    on_loan = session.scalars(
        sa.select(Loan)
        .where(
            Loan.status == LoanStatus.ON_LOAN,
            Loan.end_date <= today + LOAN_DUE_WARNING,
            Loan.end_date >= today - LOOKBACK,
        )
        .order_by(Loan.id)
    ).all()
    for loan in on_loan:
        borrowers = recipients.buyer_side(session, loan.borrower_organisation_id, loan.borrower_user_id)
        key = f"loan:{loan.id}:{loan.end_date.isoformat()}"
        context = events.context_for_loan(session, loan)
        if loan.end_date >= today:
            written["loan_due"] += events.send(session, "loan_due", borrowers, key, context)
        else:
            people = recipients.everyone(borrowers, recipients.seller_team(session, loan.lender_organisation_id))
            written["loan_overdue"] += events.send(session, "loan_overdue", people, key, context)
    return written
