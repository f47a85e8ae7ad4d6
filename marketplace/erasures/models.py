"""Data erasure records: one per disk and erasure run (NIST SP 800-88 r1 / IEEE 2883-2022)."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, intpk
from marketplace.devices.models import Device


class ErasureMethod(enum.StrEnum):
    """NIST SP 800-88 r1 §2.5 sanitisation categories (IEEE 2883-2022 uses the same three)."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class ErasureStandard(enum.StrEnum):
    NIST_800_88_R1 = "nist-sp-800-88-r1"
    IEEE_2883_2022 = "ieee-2883-2022"


class Erasure(TimestampMixin, Base):
    __tablename__ = "erasures"
    __table_args__ = (
        sa.Index("ix_erasures_device_id_disk_serial", "device_id", "disk_serial"),
        sa.Index("ix_erasures_device_id_evidence_sha256", "device_id", "evidence_sha256"),
        sa.CheckConstraint("finished_at >= started_at", name="finished_after_started"),
    )

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"))
    disk_serial: Mapped[str] = mapped_column(sa.String(120))
    disk_model: Mapped[str | None] = mapped_column(sa.String(200))
    method: Mapped[ErasureMethod]
    standard: Mapped[ErasureStandard]
    tool: Mapped[str] = mapped_column(sa.String(120))
    tool_version: Mapped[str | None] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]
    verified: Mapped[bool]
    verification_method: Mapped[str | None] = mapped_column(sa.String(200))
    operator: Mapped[str | None] = mapped_column(sa.String(120))
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The report whose disks this erasure was matched against.
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("diagnostic_reports.id", ondelete="SET NULL"))
    #: The bench token that recorded it (``relife-bench erase``), when no person's token did.
    recorded_by_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    #: The wiping tool's own output, stored unchanged and re-parsed by the server
    #: (``diagnostics.erasure``): never the client's reading of it.
    evidence: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    evidence_filename: Mapped[str | None] = mapped_column(sa.String(255))
    evidence_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    evidence_format: Mapped[str | None] = mapped_column(sa.String(32))
    #: The tool's name for what it did ("PRNG Stream", "block erase") and its verdict, word for word.
    tool_method: Mapped[str | None] = mapped_column(sa.String(120))
    outcome: Mapped[str | None] = mapped_column(sa.String(500))

    device: Mapped[Device] = relationship()


class RemovalOutcome(enum.StrEnum):
    """What became of a disk taken out of a device."""

    KEPT = "kept"  # stored by the organisation (it still holds its data: it is its responsibility)
    DESTROYED = "destroyed"  # physically destroyed (NIST SP 800-88 r1 "destroy")
    MOVED = "moved"  # put into another device, whose own erasure requirement then covers it


class DiskRemoval(TimestampMixin, Base):
    """A disk recorded as taken out of a device: it no longer needs an erasure on that device."""

    __tablename__ = "disk_removals"
    __table_args__ = (sa.Index("ix_disk_removals_device_id_disk_serial", "device_id", "disk_serial"),)

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"))
    disk_serial: Mapped[str] = mapped_column(sa.String(120))
    disk_model: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[RemovalOutcome]
    moved_to_device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="SET NULL"))
    removed_at: Mapped[dt.datetime]
    notes: Mapped[str | None] = mapped_column(sa.String(2000))
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
