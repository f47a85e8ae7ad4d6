"""Reservations: a member's 30-minute hold on a listed device while they order it.

A hold freezes the terms it was taken on (issue #20): the listing's mode, price, currency,
warranty and, for a donation, the organisation kinds it may go to are copied into the hold, and
the order made from it uses these, not the listing's terms of the moment. A seller may still edit
the listing while it is held (the next hold takes the new terms); the buyer pays what they were
shown when they took the hold, which ``GET /reservations/{id}`` keeps showing.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, intpk
from marketplace.listings.models import Listing, ListingMode

HOLD = dt.timedelta(minutes=30)
#: What a hold freezes of its listing (``Reservation.freeze_terms``).
HELD_TERMS = ("mode", "price_cents", "currency", "warranty_months", "return_days", "eligible_kinds")


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"  # holding the listing until expires_at (after that it counts as expired)
    CONVERTED = "converted"  # an order was made from it
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # written lazily by the next reservation attempt or by housekeeping


class Reservation(TimestampMixin, Base):
    """A hold. "Active" means ``status = 'active' AND expires_at > now``: an expired hold stops
    counting the moment it expires, with no job having to run. The partial unique index is the
    database's backstop for "one active hold per listing"; the services clear expired rows of
    the listing (under its lock) before inserting a new one."""

    __tablename__ = "reservations"
    __table_args__ = (
        sa.Index(
            "uq_reservations_listing_id_active",
            "listing_id",
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
        sa.Index("ix_reservations_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[ReservationStatus] = mapped_column(default=ReservationStatus.ACTIVE)
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    # --- The terms the hold was taken on (see the module docstring) ---------------------------
    mode: Mapped[ListingMode]
    price_cents: Mapped[int | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR", server_default="EUR")
    warranty_months: Mapped[int | None]
    return_days: Mapped[int | None]
    eligible_kinds: Mapped[list[str] | None]

    listing: Mapped[Listing] = relationship()

    def freeze_terms(self, listing: Listing) -> None:
        """Copy the listing's terms of this moment into the hold."""
        for name in HELD_TERMS:
            value = getattr(listing, name)
            setattr(self, name, list(value) if isinstance(value, list) else value)

    @property
    def terms(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HELD_TERMS}

    def is_live(self, now: dt.datetime) -> bool:
        return self.status is ReservationStatus.ACTIVE and self.expires_at > now
