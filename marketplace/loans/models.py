"""Loans: a device lent for a period [start, end), with an optional card deposit."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, UTCDateTime, intpk, utcnow
from marketplace.devices.models import Device
from marketplace.listings.models import Listing


class LoanStatus(enum.StrEnum):
    BOOKED = "booked"  # period held; deposit being secured
    ON_LOAN = "on_loan"  # handed over
    RETURNED = "returned"
    CANCELLED = "cancelled"


class DepositKind(enum.StrEnum):
    NONE = "none"
    HOLD = "hold"  # manual-capture PaymentIntent (the loan ends within the card-hold window)
    SAVED_CARD = "saved_card"  # SetupIntent; charged off-session only for damage


class DepositStatus(enum.StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"  # waiting for the borrower's card
    SECURED = "secured"  # hold authorised, or card saved
    CAPTURED = "captured"  # whole deposit taken for damage
    PARTIALLY_CAPTURED = "partially_captured"
    CHARGED = "charged"  # saved card charged for damage
    RELEASED = "released"
    FAILED = "failed"


#: Loans in these states occupy their period.
ACTIVE_STATUSES = (LoanStatus.BOOKED, LoanStatus.ON_LOAN)
_ACTIVE_SQL = "status IN ('booked', 'on_loan')"


class ExtensionStatus(enum.StrEnum):
    PENDING = "pending"  # asked by the borrower; the days are held (``Loan.pending_end``)
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # the borrower took the request back
    LAPSED = "lapsed"  # the loan ended (returned or cancelled) before the lender decided


class ReturnCondition(enum.StrEnum):
    AS_LENT = "as_lent"
    WORN = "worn"  # usual wear, nothing to charge
    DAMAGED = "damaged"
    NOT_WORKING = "not_working"


class DepositDecision(enum.StrEnum):
    RELEASED = "released"
    PARTLY_CAPTURED = "partly_captured"
    CAPTURED = "captured"  # the whole deposit


class Loan(TimestampMixin, Base):
    __tablename__ = "loans"
    __table_args__ = (
        sa.CheckConstraint("start_date < end_date", name="period_not_empty"),
        sa.CheckConstraint("deposit_cents >= 0", name="deposit_not_negative"),
        sa.CheckConstraint("damage_cents IS NULL OR damage_cents >= 0", name="damage_not_negative"),
        sa.CheckConstraint("pending_end IS NULL OR pending_end > end_date", name="pending_end_after_end"),
        sa.Index("ix_loans_device_id_start_date", "device_id", "start_date"),
        # No two active loans of one device overlap, counting the days a pending extension holds
        # (``[start_date, COALESCE(pending_end, end_date))``, the loan's *occupied* period): one rule
        # for bookings and extensions. PostgreSQL enforces it (btree_gist, created in the
        # migrations); Alembic's autogenerate does not compare exclusion constraints, so this
        # declaration documents it and both databases' migration checks stay empty. On SQLite the
        # loans service checks the same rule inside the request's BEGIN IMMEDIATE transaction.
        ExcludeConstraint(
            (sa.column("device_id"), "="),
            (
                sa.func.daterange(
                    sa.column("start_date"),
                    sa.func.coalesce(sa.column("pending_end"), sa.column("end_date")),
                    sa.literal_column("'[)'"),
                ),
                "&&",
            ),
            name="ex_loans_device_period",
            using="gist",
            where=sa.text(_ACTIVE_SQL),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"), index=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"))
    borrower_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    lender_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    borrower_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: Random, fixed at creation: scopes this loan's Stripe idempotency keys (see Order.reference).
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True, default=lambda: uuid.uuid4().hex)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]  # exclusive: the device is due back on this day
    #: The end a pending extension asks for: the days ``[end_date, pending_end)`` are held for this
    #: loan until the lender decides (``occupied_end``), so no booking takes them meanwhile.
    pending_end: Mapped[dt.date | None]
    status: Mapped[LoanStatus] = mapped_column(default=LoanStatus.BOOKED)
    deposit_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    deposit_kind: Mapped[DepositKind] = mapped_column(default=DepositKind.NONE)
    deposit_status: Mapped[DepositStatus] = mapped_column(default=DepositStatus.NOT_REQUIRED)
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_payment_method_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_damage_intent_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_client_secret: Mapped[str | None] = mapped_column(sa.String(255))
    captured_cents: Mapped[int] = mapped_column(default=0)
    handed_over_at: Mapped[dt.datetime | None]
    returned_at: Mapped[dt.datetime | None]
    condition_notes: Mapped[str | None] = mapped_column(sa.Text)
    photos: Mapped[list[str] | None]
    damage_cents: Mapped[int | None]
    extensions: Mapped[list[Any] | None]
    cancelled_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    listing: Mapped[Listing] = relationship()
    device: Mapped[Device] = relationship()
    inspection: Mapped[LoanInspection | None] = relationship(back_populates="loan")

    @property
    def occupied_until(self) -> dt.date:
        return self.pending_end or self.end_date


def occupied_end() -> sa.ColumnElement[dt.date]:
    """The end of the period a loan occupies (SQL): its end, or the end a pending extension asks
    for. The one expression behind the exclusion constraint, the overlap check and the calendar."""
    return sa.func.coalesce(Loan.pending_end, Loan.end_date)


class LoanExtension(Base):
    """A borrower's request to keep the device longer, decided by the lender (approved or refused
    with a reason). At most one is pending per loan."""

    __tablename__ = "loan_extensions"
    __table_args__ = (
        sa.CheckConstraint("requested_end > previous_end", name="extends_the_loan"),
        sa.Index(
            "uq_loan_extensions_loan_id_pending",
            "loan_id",
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[intpk]
    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("loans.id", ondelete="RESTRICT"), index=True)
    requested_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    previous_end: Mapped[dt.date]
    requested_end: Mapped[dt.date]
    status: Mapped[ExtensionStatus] = mapped_column(default=ExtensionStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[dt.datetime | None]
    #: When the longer loan outlasts the card hold: the borrower saves a card for the rest of the
    #: loan (SetupIntent) before the lender can approve; the hold is then released.
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_client_secret: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[Loan] = relationship()


class LoanInspection(Base):
    """The lender's inspection of a returned device, and the deposit decision it took. Written
    once, with the return: the decision is final."""

    __tablename__ = "loan_inspections"
    __table_args__ = (sa.CheckConstraint("captured_cents >= 0", name="captured_not_negative"),)

    id: Mapped[intpk]
    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("loans.id", ondelete="RESTRICT"), unique=True)
    inspector_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    condition: Mapped[ReturnCondition]
    #: ``[{"name": "charger", "present": true}, …]``
    accessories: Mapped[list[Any]]
    notes: Mapped[str | None] = mapped_column(sa.Text)
    #: Ids of inspection photos (the photo storage wires them; today none can be given).
    photo_ids: Mapped[list[Any]]
    decision: Mapped[DepositDecision]
    #: What was asked of the card (captured from the hold, or charged to the saved card).
    captured_cents: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="inspection")
