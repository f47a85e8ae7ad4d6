"""Devices and their passport (an append-only event log)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, UTCDateTime, intpk, utcnow
from marketplace.devices.codes import new_public_code
from marketplace.members.models import Organisation


class DeviceKind(enum.StrEnum):
    LAPTOP = "laptop"
    DESKTOP = "desktop"
    SERVER = "server"
    SCREEN = "screen"
    PHONE = "phone"
    TABLET = "tablet"
    OTHER = "other"


class CosmeticGrade(enum.StrEnum):
    """Back Market-like cosmetic condition, best first."""

    PREMIUM = "premium"
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"


class DeviceState(enum.StrEnum):
    REGISTERED = "registered"
    DIAGNOSED = "diagnosed"
    LISTED = "listed"
    RESERVED = "reserved"
    SOLD = "sold"
    ON_LOAN = "on_loan"
    RETURNED = "returned"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"


class Device(TimestampMixin, Base):
    __tablename__ = "devices"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "asset_tag"),
        sa.Index("ix_devices_organisation_id_serial", "organisation_id", "serial"),
        sa.Index("ix_devices_organisation_id_id", "organisation_id", "id"),
        sa.UniqueConstraint("public_code"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    kind: Mapped[DeviceKind]
    make: Mapped[str] = mapped_column(sa.String(120))
    model: Mapped[str] = mapped_column(sa.String(200))
    serial: Mapped[str] = mapped_column(sa.String(120))
    asset_tag: Mapped[str] = mapped_column(sa.String(64))
    #: What the label's QR code and the device's web page address carry (``/d/<public_code>``).
    public_code: Mapped[str] = mapped_column(sa.String(16), default=new_public_code)
    specs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cosmetic_grade: Mapped[CosmeticGrade | None]
    location: Mapped[str | None] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text)  # internal, never public
    state: Mapped[DeviceState] = mapped_column(default=DeviceState.REGISTERED)
    # The latest server-side assessment (from diagnostics/), denormalised for the catalogue.
    health: Mapped[str | None] = mapped_column(sa.String(16))
    grade: Mapped[str | None] = mapped_column(sa.String(1))
    battery_health_pct: Mapped[float | None]
    remaining_life: Mapped[dict[str, Any] | None]
    grading_policy: Mapped[str | None] = mapped_column(sa.String(32))
    diagnosed_at: Mapped[dt.datetime | None]
    warranty_until: Mapped[dt.date | None]
    #: How a retired device left the cluster (method, recycler, certificate, WEEE category).
    disposal: Mapped[dict[str, Any] | None]
    #: Optimistic concurrency: every update bumps it; PATCH must send the current one (If-Match).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    events: Mapped[list[DeviceEvent]] = relationship(
        back_populates="device", order_by="DeviceEvent.id", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class DeviceTagSequence(Base):
    """The last asset-tag number handed out per organisation (``RLF-000123``).

    Incremented with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the row lock it takes
    (PostgreSQL) or the write lock (SQLite) serialises concurrent creations in one organisation,
    and a rolled-back creation gives its number back.
    """

    __tablename__ = "device_tag_sequences"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    last_value: Mapped[int] = mapped_column(default=0, server_default="0")


class EventKind(enum.StrEnum):
    REGISTERED = "registered"
    UPDATED = "updated"
    DIAGNOSED = "diagnosed"
    CHECKED = "checked"  # functional checklist
    ERASED = "erased"
    LISTED = "listed"
    UNLISTED = "unlisted"
    RESERVED = "reserved"
    RELEASED = "released"
    SOLD = "sold"
    DONATED = "donated"
    LENT = "lent"
    RETURNED = "returned"
    #: Ownership moved to another organisation at the handover of a sale or donation (``DeviceTransfer``).
    TRANSFERRED = "transferred"
    REPAIR_STARTED = "repair_started"
    REPAIRED = "repaired"
    REGRADED = "regraded"
    RETIRED = "retired"
    IMPORTED = "imported"
    DISK_REMOVED = "disk_removed"  # a disk taken out of the device: kept, destroyed or moved
    SPECS_MISMATCH = "specs_mismatch"  # a measured value differs from the registered specs


class DeviceEvent(Base):
    """One line of a device's passport. Append-only: never updated, never deleted."""

    __tablename__ = "device_events"
    __table_args__ = (sa.Index("ix_device_events_device_id_id", "device_id", "id"),)

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"))
    kind: Mapped[EventKind]
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    #: Organisation on whose behalf the actor acted (for the public view: the org name only).
    actor_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    state_from: Mapped[str | None] = mapped_column(sa.String(16))
    state_to: Mapped[str | None] = mapped_column(sa.String(16))
    #: Field-level changes ``{"field": [old, new]}``; private fields are left out of the public view.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Event details (grade, findings summary, erasure method, loan period …).
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Whether this event appears in the public passport of a listed device.
    public: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    device: Mapped[Device] = relationship(back_populates="events")


@sa.event.listens_for(DeviceEvent, "before_update")
@sa.event.listens_for(DeviceEvent, "before_delete")
def _passport_is_append_only(_mapper: Any, _connection: Any, target: DeviceEvent) -> None:
    """A passport event, once written, is never changed nor removed through the ORM (a device's
    history is evidence: for a buyer, for décret 2022-190's "reconditionné", for the WEEE trail)."""
    raise PassportIsAppendOnly(f"Passport event {target.id} cannot be changed or deleted.")


class PassportIsAppendOnly(RuntimeError):
    """A bug: code tried to rewrite a device's history."""


class TransferReason(enum.StrEnum):
    SALE = "sale"
    DONATION = "donation"
    #: A sale or donation returned by its buyer: ownership goes back to the seller.
    RETURN = "return"


class DeviceTransfer(Base):
    """One change of a device's owner (``devices.transfers``), next to the passport event that
    records it (``transferred``, or ``returned`` for a return). Append-only like the passport: the
    chain of owners, who may read what of the history (a former owner: up to its departure), and
    the impact of each new life are read from here."""

    __tablename__ = "device_transfers"
    __table_args__ = (
        sa.Index("ix_device_transfers_device_id_id", "device_id", "id"),
        sa.CheckConstraint("from_organisation_id <> to_organisation_id", name="changes_owner"),
    )

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"))
    from_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    to_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[TransferReason]
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    #: The passport event of the move: the last event the former owner may read.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("device_events.id", ondelete="RESTRICT"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
