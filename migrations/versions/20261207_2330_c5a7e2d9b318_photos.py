"""photos: listing and condition photos (their blobs live in the media storage)

Revision ID: c5a7e2d9b318
Revises: c5e2a8d4f913
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5a7e2d9b318"
down_revision: str | Sequence[str] | None = "c5e2a8d4f913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("listing", "condition", name="photopurpose", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attached_type", sa.String(length=32), nullable=True),
        sa.Column("attached_id", sa.Integer(), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("thumbnail_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(attached_type IS NULL) = (attached_id IS NULL)", name=op.f("ck_photos_attachment_complete")
        ),
        sa.CheckConstraint(
            "purpose <> 'listing' OR attached_type = 'listing'", name=op.f("ck_photos_listing_photo_attached")
        ),
        sa.CheckConstraint("size > 0 AND thumbnail_size > 0", name=op.f("ck_photos_sizes_positive")),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_photos_dimensions_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_photos_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"], ["users.id"], name=op.f("fk_photos_uploaded_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_photos_storage_key")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index("ix_photos_attached", ["attached_type", "attached_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_organisation_id"))
        batch_op.drop_index("ix_photos_attached")
    op.drop_table("photos")
