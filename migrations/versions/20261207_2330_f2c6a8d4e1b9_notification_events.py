"""notifications: a dedupe key on the outbox (reminders written once) and users' opt-outs

``outbox.dedupe_key`` is unique (NULLs allowed): the periodic reminder command inserts with
``ON CONFLICT DO NOTHING``, so running it twice, or on two machines at once, enqueues each reminder
once. ``notification_opt_outs`` holds the non-essential categories a user turned off.

Revision ID: f2c6a8d4e1b9
Revises: c5e2a8d4f1b3
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2c6a8d4e1b9"
down_revision: str | Sequence[str] | None = "c5e2a8d4f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_dedupe_key"), ["dedupe_key"])
    op.create_table(
        "notification_opt_outs",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_opt_outs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "category", name=op.f("pk_notification_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("notification_opt_outs")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
