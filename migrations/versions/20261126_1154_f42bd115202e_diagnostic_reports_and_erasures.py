"""diagnostic reports and erasures

Revision ID: f42bd115202e
Revises: 5484d837d44c
Create Date: 2026-11-26 11:54:21.617788
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f42bd115202e"
down_revision: str | Sequence[str] | None = "5484d837d44c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diagnostic_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("auto", "manual", name="reportkind", native_enum=False, length=32), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_token_id", sa.Integer(), nullable=True),
        sa.Column("files_digest", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("health", sa.String(length=16), nullable=False),
        sa.Column(
            "assessment", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "history", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("regraded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_diagnostic_reports_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_diagnostic_reports_uploaded_by_token_id_api_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_diagnostic_reports_uploaded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnostic_reports")),
        sa.UniqueConstraint(
            "device_id", "kind", "files_digest", name=op.f("uq_diagnostic_reports_device_id_kind_files_digest")
        ),
    )
    with op.batch_alter_table("diagnostic_reports", schema=None) as batch_op:
        batch_op.create_index("ix_diagnostic_reports_device_id_id", ["device_id", "id"], unique=False)

    op.create_table(
        "diagnostic_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("format", sa.String(length=64), nullable=False),
        sa.Column(
            "components", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.CheckConstraint("size >= 0", name=op.f("ck_diagnostic_files_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["diagnostic_reports.id"],
            name=op.f("fk_diagnostic_files_report_id_diagnostic_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnostic_files")),
        sa.UniqueConstraint("report_id", "position", name=op.f("uq_diagnostic_files_report_id_position")),
    )
    with op.batch_alter_table("diagnostic_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diagnostic_files_sha256"), ["sha256"], unique=False)

    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("disk_serial", sa.String(length=120), nullable=False),
        sa.Column("disk_model", sa.String(length=200), nullable=True),
        sa.Column(
            "method",
            sa.Enum("clear", "purge", "destroy", name="erasuremethod", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "standard",
            sa.Enum("nist-sp-800-88-r1", "ieee-2883-2022", name="erasurestandard", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("tool", sa.String(length=120), nullable=False),
        sa.Column("tool_version", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification_method", sa.String(length=200), nullable=True),
        sa.Column("operator", sa.String(length=120), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("finished_at >= started_at", name=op.f("ck_erasures_finished_after_started")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_erasures_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_erasures_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["diagnostic_reports.id"],
            name=op.f("fk_erasures_report_id_diagnostic_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index("ix_erasures_device_id_disk_serial", ["device_id", "disk_serial"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index("ix_erasures_device_id_disk_serial")

    op.drop_table("erasures")
    with op.batch_alter_table("diagnostic_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnostic_files_sha256"))

    op.drop_table("diagnostic_files")
    with op.batch_alter_table("diagnostic_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnostic_reports_device_id_id")

    op.drop_table("diagnostic_reports")
