"""Orders (sales and donations) and the gap-free invoice counter."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, UTCDateTime, intpk, utcnow
from marketplace.devices.models import Device
from marketplace.listings.models import Listing


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    INVOICE = "invoice"
    DONATION = "donation"


class OrderStatus(enum.StrEnum):
    """Fulfilment: pending (card not paid yet) → confirmed → handed_over → returned; or cancelled."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    HANDED_OVER = "handed_over"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # card: waiting for Stripe; invoice: issued, not yet paid
    PAID = "paid"
    FAILED = "failed"  # the last card attempt failed; the buyer may retry with the same intent
    REFUNDED = "refunded"
    REFUND_DUE = "refund_due"  # a paid invoice of a returned order: refunded outside Stripe
    VOID = "void"  # nothing to pay any more (cancelled before payment; unpaid invoice cancelled)
    NONE = "none"  # donation


#: Orders in these states hold their device: at most one per device (unique partial index). A
#: handed-over order no longer does: the device belongs to its buyer, who may sell it again.
LIVE_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED)
_LIVE_SQL = "status IN ('pending', 'confirmed')"


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("buyer_user_id", "idempotency_key"),
        sa.UniqueConstraint("reservation_id"),
        sa.UniqueConstraint("invoice_number"),
        sa.Index(
            "uq_orders_device_id_live",
            "device_id",
            unique=True,
            postgresql_where=sa.text(_LIVE_SQL),
            sqlite_where=sa.text(_LIVE_SQL),
        ),
        sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        sa.CheckConstraint("platform_fee_cents >= 0 AND platform_fee_cents <= amount_cents", name="fee_in_amount"),
        sa.CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_in_amount"),
        sa.CheckConstraint(
            "credit_note_cents IS NULL OR (credit_note_cents >= 0 AND credit_note_cents <= amount_cents)",
            name="credit_note_in_amount",
        ),
    )

    id: Mapped[intpk]
    reservation_id: Mapped[int] = mapped_column(sa.ForeignKey("reservations.id", ondelete="RESTRICT"))
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"), index=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"))
    buyer_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    seller_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    buyer_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: Random, fixed at creation: makes this order's Stripe idempotency keys unique even where a
    #: database reuses the ids of rolled-back rows (SQLite), and deterministic for its retries.
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True, default=lambda: uuid.uuid4().hex)
    #: The client's Idempotency-Key and a hash of the request body it came with.
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    payment: Mapped[PaymentMethod]
    status: Mapped[OrderStatus]
    payment_status: Mapped[PaymentStatus]
    amount_cents: Mapped[int]
    platform_fee_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    warranty_months: Mapped[int | None]
    #: The return window its listing offered, in days after handover (null: 30).
    return_days: Mapped[int | None]
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_client_secret: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255))
    #: The refund's status as Stripe last told it (created, then ``refund.updated`` /
    #: ``charge.refunded``, re-read): pending, succeeded, failed, canceled …
    refund_status: Mapped[str | None] = mapped_column(sa.String(32))
    #: When Stripe confirmed the money was given back (the refund ``succeeded``).
    refund_confirmed_at: Mapped[dt.datetime | None]
    #: What was given back so far (a partial refund for a missing accessory, or all of it): never
    #: more than what was paid (a check constraint, and ``orders.returns`` refuses before it).
    refunded_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    invoice_number: Mapped[str | None] = mapped_column(sa.String(32))
    invoice_issued_on: Mapped[dt.date | None]
    invoice_due_on: Mapped[dt.date | None]
    #: The credit note (avoir) that cancels the invoice of a returned or cancelled invoice order:
    #: numbered in the invoices' own gap-free sequence.
    credit_note_number: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    credit_note_issued_on: Mapped[dt.date | None]
    #: The credit note's amount incl. VAT: the whole invoice for a cancellation, what the seller
    #: accepted to give back for a return (less for a missing accessory).
    credit_note_cents: Mapped[int | None]
    paid_at: Mapped[dt.datetime | None]
    handed_over_at: Mapped[dt.datetime | None]
    return_deadline: Mapped[dt.datetime | None]
    returned_at: Mapped[dt.datetime | None]
    return_reason: Mapped[str | None] = mapped_column(sa.Text)
    cancelled_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    listing: Mapped[Listing] = relationship()
    device: Mapped[Device] = relationship()

    @property
    def warranty_until(self) -> dt.date | None:
        """The seller's warranty on this order's device: the listing's warranty months from the
        handover (the device's own ``warranty_until`` moves on with its next sale)."""
        if not self.warranty_months or self.handed_over_at is None:
            return None
        return add_months(self.handed_over_at.date(), self.warranty_months)


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class ReturnKind(enum.StrEnum):
    RETURN = "return"  # within the return window after handover (the listing's, 30 days by default)
    WARRANTY = "warranty"  # a warranty claim, within the warranty months from handover


class ReturnStatus(enum.StrEnum):
    """open → accepted (the device comes back, money back) | refused (with the seller's reason)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REFUSED = "refused"


_OPEN_RETURN_SQL = "status = 'open'"


class OrderReturn(TimestampMixin, Base):
    """A buyer's request to send a handed-over device back (``orders.returns``): one open per order
    (unique partial index), decided once by the seller."""

    __tablename__ = "order_returns"
    __table_args__ = (
        sa.Index(
            "uq_order_returns_order_id_open",
            "order_id",
            unique=True,
            postgresql_where=sa.text(_OPEN_RETURN_SQL),
            sqlite_where=sa.text(_OPEN_RETURN_SQL),
        ),
        sa.CheckConstraint("refund_cents IS NULL OR refund_cents >= 0", name="refund_not_negative"),
        sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided_unless_open"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ReturnKind]
    status: Mapped[ReturnStatus]
    reason: Mapped[str] = mapped_column(sa.Text)
    condition_notes: Mapped[str | None] = mapped_column(sa.Text)
    #: Condition photos by their ids in the photo store (``media``), which records the attachment.
    photo_ids: Mapped[list[Any]] = mapped_column(default=list)
    opened_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[dt.datetime | None]
    #: The seller's words: why it refused, or what it noted when accepting (a missing charger …).
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    #: Accepted: what is given back (card refund or credit note), at most what was paid and not
    #: refunded yet.
    refund_cents: Mapped[int | None]

    order: Mapped[Order] = relationship()


class InvoiceCounter(Base):
    """Last invoice number issued per year. Incremented under a row lock in the order's own
    transaction, so a rolled-back order gives its number back: numbers have no gaps."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
