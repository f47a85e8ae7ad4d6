"""returns and warranty claims: order_returns, refunded and credited amounts

A buyer opens a return or a warranty claim on a handed-over order and the seller accepts or refuses
it (issue #17), within the return window its listing states (``return_days``, frozen by the hold
and the order like the other terms; null: 30 days). One open return per order (a unique partial
index). An order records what was given back so far (``refunded_cents``, never more than paid: a
check) and its credit note's amount (a partial one for a missing accessory). Orders already
refunded or credited keep their meaning: the whole amount.

Revision ID: c9e2f4a7b1d3
Revises: a6c2e8f4b913
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c9e2f4a7b1d3"
down_revision: str | Sequence[str] | None = "a6c2e8f4b913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status = 'open'"


def upgrade() -> None:
    # Plain ADD COLUMN: a batch on SQLite would rebuild ``listings`` and lose its FTS5 triggers.
    op.add_column("listings", sa.Column("return_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_days", sa.Integer(), nullable=True))
    op.create_table(
        "order_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("return", "warranty", name="returnkind", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("open", "accepted", "refused", name="returnstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("condition_notes", sa.Text(), nullable=True),
        sa.Column(
            "photo_ids", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("refund_cents", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "refund_cents IS NULL OR refund_cents >= 0", name=op.f("ck_order_returns_refund_not_negative")
        ),
        sa.CheckConstraint(
            "(status = 'open') = (decided_at IS NULL)", name=op.f("ck_order_returns_decided_unless_open")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_returns_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_user_id"],
            ["users.id"],
            name=op.f("fk_order_returns_opened_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_order_returns_decided_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_returns")),
    )
    with op.batch_alter_table("order_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_returns_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "uq_order_returns_order_id_open",
            ["order_id"],
            unique=True,
            postgresql_where=sa.text(_OPEN),
            sqlite_where=sa.text(_OPEN),
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("credit_note_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("return_days", sa.Integer(), nullable=True))
    op.execute("UPDATE orders SET refunded_cents = amount_cents WHERE payment_status IN ('refunded', 'refund_due')")
    op.execute("UPDATE orders SET credit_note_cents = amount_cents WHERE credit_note_number IS NOT NULL")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_check_constraint("refund_in_amount", "refunded_cents >= 0 AND refunded_cents <= amount_cents")
        batch_op.create_check_constraint(
            "credit_note_in_amount",
            "credit_note_cents IS NULL OR (credit_note_cents >= 0 AND credit_note_cents <= amount_cents)",
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint("credit_note_in_amount", type_="check")
        batch_op.drop_constraint("refund_in_amount", type_="check")
        batch_op.drop_column("return_days")
        batch_op.drop_column("credit_note_cents")
        batch_op.drop_column("refunded_cents")
    with op.batch_alter_table("order_returns", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_order_returns_order_id_open", postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN)
        )
        batch_op.drop_index(batch_op.f("ix_order_returns_order_id"))
    op.drop_table("order_returns")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_column("return_days")
    op.drop_column("listings", "return_days")
