"""organisations: staff approval (status and the history of decisions) and Stripe Connect state

A new organisation waits for the cluster staff's approval; the organisations that exist already
were working before approval existed, so they are recorded as approved (the column is added with
that default, which then becomes ``pending`` for new rows). ``organisation_approvals`` keeps every
decision (who, when, what, why). The three ``stripe_*`` flags are what Stripe's ``account.updated``
last said of the connected account.

Revision ID: a6c2e8f4b913
Revises: c5a7e2d9b318
Create Date: 2026-12-07 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a6c2e8f4b913"
down_revision: str | Sequence[str] | None = "c5a7e2d9b318"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROVAL_STATUS = sa.Enum("pending", "approved", "refused", name="approvalstatus", native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_status", APPROVAL_STATUS, server_default="approved", nullable=False))
        for column in ("stripe_charges_enabled", "stripe_payouts_enabled", "stripe_details_submitted"):
            batch_op.add_column(sa.Column(column, sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_organisations_approval_status"), ["approval_status"], unique=False)
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column(
            "approval_status", existing_type=APPROVAL_STATUS, existing_nullable=False, server_default="pending"
        )
    op.create_table(
        "organisation_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("approved", "refused", name="approvaldecision", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision = 'approved' OR reason IS NOT NULL",
            name=op.f("ck_organisation_approvals_refusal_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_organisation_approvals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_approvals_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_approvals")),
    )
    op.create_index(
        op.f("ix_organisation_approvals_organisation_id"), "organisation_approvals", ["organisation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_organisation_approvals_organisation_id"), table_name="organisation_approvals")
    op.drop_table("organisation_approvals")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_approval_status"))
        for column in ("stripe_details_submitted", "stripe_payouts_enabled", "stripe_charges_enabled"):
            batch_op.drop_column(column)
        batch_op.drop_column("approval_status")
