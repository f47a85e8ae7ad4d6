"""Listings: a device offered for sale, loan or donation."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, UTCDateTime, intpk, utcnow
from marketplace.devices.models import Device


class ListingMode(enum.StrEnum):
    SALE = "sale"
    LOAN = "loan"
    DONATION = "donation"


class ListingStatus(enum.StrEnum):
    ACTIVE = "active"  # on offer (a live reservation may hold it)
    CLOSED = "closed"  # sold / donated / ended
    WITHDRAWN = "withdrawn"


class Visibility(enum.StrEnum):
    MEMBERS = "members"  # cluster members only
    PUBLIC = "public"


class Listing(TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        sa.CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("deposit_cents IS NULL OR deposit_cents >= 0", name="deposit_not_negative"),
        sa.CheckConstraint("mode <> 'sale' OR price_cents IS NOT NULL", name="sale_has_price"),
        sa.CheckConstraint("min_days IS NULL OR max_days IS NULL OR min_days <= max_days", name="loan_days_ordered"),
    )

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    mode: Mapped[ListingMode]
    status: Mapped[ListingStatus] = mapped_column(default=ListingStatus.ACTIVE)
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.MEMBERS)
    price_cents: Mapped[int | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR", server_default="EUR")
    warranty_months: Mapped[int | None]
    min_days: Mapped[int | None]
    max_days: Mapped[int | None]
    deposit_cents: Mapped[int | None]
    #: Organisation kinds a donation may go to (e.g. ["nonprofit", "public_body"]).
    eligible_kinds: Mapped[list[str] | None]
    postcode: Mapped[str] = mapped_column(sa.String(5))
    department: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    device: Mapped[Device] = relationship()
