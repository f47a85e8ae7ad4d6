"""Issued erasure certificates: what was certified, and the digest that proves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, intpk
from marketplace.devices.models import Device


class ErasureCertificate(Base):
    """One issued certificate. ``number`` is random (``documents.certificates``): the verification
    page is public, so a number must not be guessable nor tell how many certificates exist.

    ``report_id`` is the latest disk report then; ``disks`` lists every disk the certificate covers
    (each disk the device held since its last handover: identity, whether it was still in the
    device, and the ids of the erasure and removal records chosen for it) and so names the
    records the content was built from; ``digest`` is the HMAC of that content
    at issue time. Verification rebuilds the content from those records and compares."""

    __tablename__ = "erasure_certificates"

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    report_id: Mapped[int | None]
    disks: Mapped[list[Any]]
    digest: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[dt.datetime]
    issued_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    device: Mapped[Device] = relationship()
