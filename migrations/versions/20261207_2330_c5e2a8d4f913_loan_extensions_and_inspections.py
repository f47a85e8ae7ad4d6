"""loans: extension requests the lender decides, return inspections, days held by a pending extension

``loans.pending_end`` holds the days a pending extension asks for; the exclusion constraint
``ex_loans_device_period`` is recreated on PostgreSQL over ``[start_date, COALESCE(pending_end,
end_date))`` so bookings and extensions obey one rule. ``loan_extensions`` (one pending per loan)
and ``loan_inspections`` (one per loan: the final deposit decision) are new.

Revision ID: c5e2a8d4f913
Revises: f2c6a8d4e1b9
Create Date: 2026-12-07 23:24:40.874505
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c5e2a8d4f913"
down_revision: str | Sequence[str] | None = "f2c6a8d4e1b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_EXCLUSION = (
    "ALTER TABLE loans ADD CONSTRAINT ex_loans_device_period EXCLUDE USING gist "
    "(device_id WITH =, daterange(start_date, end_date, '[)') WITH &&) "
    "WHERE (status IN ('booked', 'on_loan'))"
)
NEW_EXCLUSION = (
    "ALTER TABLE loans ADD CONSTRAINT ex_loans_device_period EXCLUDE USING gist "
    "(device_id WITH =, daterange(start_date, COALESCE(pending_end, end_date), '[)') WITH &&) "
    "WHERE (status IN ('booked', 'on_loan'))"
)


def upgrade() -> None:
    is_postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "loan_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=False),
        sa.Column("previous_end", sa.Date(), nullable=False),
        sa.Column("requested_end", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "refused",
                "withdrawn",
                "lapsed",
                name="extensionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_setup_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_client_secret", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("requested_end > previous_end", name=op.f("ck_loan_extensions_extends_the_loan")),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_loan_extensions_decided_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_extensions_loan_id_loans"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_loan_extensions_requested_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_extensions")),
        sa.UniqueConstraint("stripe_setup_intent_id", name=op.f("uq_loan_extensions_stripe_setup_intent_id")),
    )
    with op.batch_alter_table("loan_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_extensions_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(
            "uq_loan_extensions_loan_id_pending",
            ["loan_id"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "loan_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("inspector_user_id", sa.Integer(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum("as_lent", "worn", "damaged", "not_working", name="returncondition", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "accessories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "photo_ids", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "decision",
            sa.Enum("released", "partly_captured", "captured", name="depositdecision", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("captured_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("captured_cents >= 0", name=op.f("ck_loan_inspections_captured_not_negative")),
        sa.ForeignKeyConstraint(
            ["inspector_user_id"],
            ["users.id"],
            name=op.f("fk_loan_inspections_inspector_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_inspections_loan_id_loans"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_inspections")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_loan_inspections_loan_id")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_end", sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_loans_pending_end_after_end"), "pending_end IS NULL OR pending_end > end_date"
        )
    if is_postgresql:
        op.execute("ALTER TABLE loans DROP CONSTRAINT ex_loans_device_period")
        op.execute(NEW_EXCLUSION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE loans DROP CONSTRAINT ex_loans_device_period")
        op.execute(OLD_EXCLUSION)
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loans_pending_end_after_end"), type_="check")
        batch_op.drop_column("pending_end")

    op.drop_table("loan_inspections")
    with op.batch_alter_table("loan_extensions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_loan_extensions_loan_id_pending",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_loan_extensions_loan_id"))

    op.drop_table("loan_extensions")
