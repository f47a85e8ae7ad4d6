"""Reservations: a member's 30-minute hold on a listed device while they order it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, intpk
from marketplace.listings.models import Listing

HOLD = dt.timedelta(minutes=30)


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

    listing: Mapped[Listing] = relationship()

    def is_live(self, now: dt.datetime) -> bool:
        return self.status is ReservationStatus.ACTIVE and self.expires_at > now
