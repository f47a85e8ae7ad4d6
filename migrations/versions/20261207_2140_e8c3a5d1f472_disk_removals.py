"""disks recorded as removed from a device

Every disk a device has held needs its erasure until it is erased or recorded as removed (kept,
destroyed, or moved to another device), with who and when (issue #19).

Revision ID: e8c3a5d1f472
Revises: d4b7e1a9c260
Create Date: 2026-12-07 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8c3a5d1f472"
down_revision: str | Sequence[str] | None = "d4b7e1a9c260"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disk_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("disk_serial", sa.String(length=120), nullable=False),
        sa.Column("disk_model", sa.String(length=200), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("kept", "destroyed", "moved", name="removaloutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("moved_to_device_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_disk_removals_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["moved_to_device_id"],
            ["devices.id"],
            name=op.f("fk_disk_removals_moved_to_device_id_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_disk_removals_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_disk_removals_recorded_by_token_id_api_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disk_removals")),
    )
    op.create_index("ix_disk_removals_device_id_disk_serial", "disk_removals", ["device_id", "disk_serial"])


def downgrade() -> None:
    op.drop_index("ix_disk_removals_device_id_disk_serial", table_name="disk_removals")
    op.drop_table("disk_removals")
