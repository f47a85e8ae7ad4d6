"""The outbox: one row per email to send, written in the transaction that causes it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, TimestampMixin, created_at_col, intpk


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at (a failed attempt waits there for its retry)
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent refusal, or every attempt used


class OutboxMessage(TimestampMixin, Base):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(64))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(8))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text())
    html_body: Mapped[str] = mapped_column(sa.Text())
    # Chosen when the row is written, so every attempt (also one after a crash between the SMTP
    # server's acceptance and our record of it) carries the same id and receivers can deduplicate.
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text())
    sent_at: Mapped[dt.datetime | None]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: One message per key, ever (``INSERT … ON CONFLICT DO NOTHING``): a reminder is keyed by
    #: (kind, object, due moment, recipient), so the periodic command may run any number of times,
    #: on any number of machines, and an event replayed (a webhook delivered twice) writes once.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)


class NotificationOptOut(Base):
    """A category of non-essential email a user turned off (``notifications.preferences``)."""

    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[created_at_col]
