"""ownership follows the device: device transfers

A sale or donation handed over moves the device to its receiving organisation, and a return gives
it back (issue #17); each move is a ``device_transfers`` row next to its passport event. A
handed-over order no longer holds its device (its buyer may sell it again), so the unique index of
live orders per device covers pending and confirmed orders only. An order's refund is confirmed by
Stripe's refund events: its status and the time it succeeded.

Revision ID: e4b8c1d7f2a6
Revises: d5f2a7c9e013
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4b8c1d7f2a6"
down_revision: str | Sequence[str] | None = "d5f2a7c9e013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_LIVE = "status IN ('pending', 'confirmed', 'handed_over')"
_NEW_LIVE = "status IN ('pending', 'confirmed')"


def upgrade() -> None:
    op.create_table(
        "device_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("from_organisation_id", sa.Integer(), nullable=False),
        sa.Column("to_organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum("sale", "donation", "return", name="transferreason", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "from_organisation_id <> to_organisation_id", name=op.f("ck_device_transfers_changes_owner")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_transfers_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["device_events.id"],
            name=op.f("fk_device_transfers_event_id_device_events"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["from_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_device_transfers_from_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_device_transfers_order_id_orders"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["to_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_device_transfers_to_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_transfers")),
    )
    with op.batch_alter_table("device_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_device_transfers_device_id_id", ["device_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_transfers_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_device_transfers_to_organisation_id"), ["to_organisation_id"], unique=False
        )
    _live_index(_OLD_LIVE, _NEW_LIVE)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_status", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("refund_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("refund_confirmed_at")
        batch_op.drop_column("refund_status")
    _live_index(_NEW_LIVE, _OLD_LIVE)
    with op.batch_alter_table("device_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_transfers_to_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_device_transfers_order_id"))
        batch_op.drop_index("ix_device_transfers_device_id_id")
    op.drop_table("device_transfers")


def _live_index(old: str, new: str) -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("uq_orders_device_id_live", postgresql_where=sa.text(old), sqlite_where=sa.text(old))
        batch_op.create_index(
            "uq_orders_device_id_live",
            ["device_id"],
            unique=True,
            postgresql_where=sa.text(new),
            sqlite_where=sa.text(new),
        )
