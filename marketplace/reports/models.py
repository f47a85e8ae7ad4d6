"""Diagnostics reports of a device and the raw files they were graded from.

A ``DiagnosticReport`` is one upload (kind ``auto``: smartctl/battery files from a bench) or one
functional checklist (kind ``manual``). Its ``DiagnosticFile`` rows keep the raw bytes exactly as
they were sent (with size and SHA-256) next to what the server's ``diagnostics`` library made of
them (``components``: ``ComponentReport.to_dict()`` per component, findings included), so the whole
fleet can be re-graded when the policy changes (``flask regrade``). ``assessment`` is the device
assessment computed when the report came in (over the device's current components, see
``service.current_components``); a re-grade that changes it keeps the previous one in ``history``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, intpk
from marketplace.devices.models import Device


class ReportKind(enum.StrEnum):
    AUTO = "auto"  # smartctl / battery files
    MANUAL = "manual"  # the technician's functional checklist


class DiagnosticReport(TimestampMixin, Base):
    __tablename__ = "diagnostic_reports"
    __table_args__ = (
        # The same set of files for the same device is one report: a re-sent upload finds it.
        sa.UniqueConstraint("device_id", "kind", "files_digest"),
        sa.Index("ix_diagnostic_reports_device_id_id", "device_id", "id"),
    )

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"))
    kind: Mapped[ReportKind]
    uploaded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_by_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    #: SHA-256 of the sorted SHA-256s of the files: identifies the set of files.
    files_digest: Mapped[str] = mapped_column(sa.String(64))
    policy: Mapped[str] = mapped_column(sa.String(32))
    grade: Mapped[str] = mapped_column(sa.String(1))
    health: Mapped[str] = mapped_column(sa.String(16))
    #: ``DeviceAssessment.to_dict()`` when the report came in (components included).
    assessment: Mapped[dict[str, Any]]
    #: Earlier assessments replaced by re-grades: ``[{policy, grade, health, assessment, regraded_at}]``.
    history: Mapped[list[Any]] = mapped_column(default=list)
    regraded_at: Mapped[dt.datetime | None]

    device: Mapped[Device] = relationship()
    files: Mapped[list[DiagnosticFile]] = relationship(
        back_populates="report", order_by="DiagnosticFile.position", cascade="all, delete-orphan"
    )


class DiagnosticFile(Base):
    __tablename__ = "diagnostic_files"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "position"),
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("diagnostic_reports.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based, in upload order: /diagnostics/{id}/files/{position}
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    format: Mapped[str] = mapped_column(sa.String(64))
    #: ``ComponentReport.to_dict()`` of each component read from the file (findings included).
    components: Mapped[list[Any]]

    report: Mapped[DiagnosticReport] = relationship(back_populates="files")
