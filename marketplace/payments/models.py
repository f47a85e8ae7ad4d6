"""Stripe webhook events already processed: recorded in the same transaction as their effect."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, utcnow


class StripeEvent(Base):
    """One row per Stripe event id: inserting it is how a delivery claims the event, so a replay
    (or a concurrent duplicate delivery) finds it and does nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(200))
    processed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
