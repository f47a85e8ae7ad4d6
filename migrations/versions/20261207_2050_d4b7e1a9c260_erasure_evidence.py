"""erasure records keep the wiping tool's evidence

``relife-bench erase`` sends the wiping tool's own output (nwipe log, ``nvme sanitize-log``,
hdparm); the server re-parses it and stores it unchanged with the record (issue #19), with the
tool's name for its method, its verdict word for word, and the bench token that recorded it.

Revision ID: d4b7e1a9c260
Revises: d4e8a1c7b2f6
Create Date: 2026-12-07 20:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4b7e1a9c260"
down_revision: str | Sequence[str] | None = "d4e8a1c7b2f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by_token_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("evidence_filename", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("evidence_format", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tool_method", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_erasures_recorded_by_token_id_api_tokens"),
            "api_tokens",
            ["recorded_by_token_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_erasures_device_id_evidence_sha256", ["device_id", "evidence_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index("ix_erasures_device_id_evidence_sha256")
        batch_op.drop_constraint(batch_op.f("fk_erasures_recorded_by_token_id_api_tokens"), type_="foreignkey")
        for column in (
            "outcome",
            "tool_method",
            "evidence_format",
            "evidence_sha256",
            "evidence_filename",
            "evidence",
            "recorded_by_token_id",
        ):
            batch_op.drop_column(column)
