"""A stored photo: who owns it, what it is for, what it is attached to, and its two blobs.

The bytes live in the storage backend (``media.storage``) under ``storage_key`` (the photo) and
``storage_key`` + ``.thumb`` (its thumbnail); the row holds what the API shows about them. Both
are the server's re-encoding of the upload (``media.images``), never the uploaded bytes.

``attached_type`` / ``attached_id`` name what the photo belongs to: ``listing`` + the listing's id
for a listing photo (attached at upload), or what a return / inspection claims it as
(``service.claim``); both NULL for a condition photo uploaded and not claimed yet. A photo is
attached once: ``claim`` only takes unattached rows.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, TimestampMixin, intpk


class PhotoPurpose(enum.StrEnum):
    LISTING = "listing"  # shown with a listing, to whoever sees the listing
    CONDITION = "condition"  # evidence of a device's condition (a return, a loan return inspection)


class Photo(TimestampMixin, Base):
    __tablename__ = "photos"
    __table_args__ = (
        sa.CheckConstraint("(attached_type IS NULL) = (attached_id IS NULL)", name="attachment_complete"),
        sa.CheckConstraint("purpose <> 'listing' OR attached_type = 'listing'", name="listing_photo_attached"),
        sa.CheckConstraint("size > 0 AND thumbnail_size > 0", name="sizes_positive"),
        sa.CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        sa.UniqueConstraint("storage_key"),
        sa.Index("ix_photos_attached", "attached_type", "attached_id", "id"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[PhotoPurpose]
    attached_type: Mapped[str | None] = mapped_column(sa.String(32))
    attached_id: Mapped[int | None]
    attached_at: Mapped[dt.datetime | None]
    uploaded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The name the file was uploaded with (shown to its owner, never used to decide anything).
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: ``image/jpeg``, ``image/png`` or ``image/webp``: the stored encoding (the thumbnail's too).
    content_type: Mapped[str] = mapped_column(sa.String(32))
    #: SHA-256 of the stored photo (its ETag); the thumbnail's ETag is its own digest.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    thumbnail_sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    thumbnail_size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    storage_key: Mapped[str] = mapped_column(sa.String(128))
