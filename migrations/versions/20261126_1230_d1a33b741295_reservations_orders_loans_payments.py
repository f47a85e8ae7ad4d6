"""reservations orders loans payments

Revision ID: d1a33b741295
Revises: f951dec0a7d9
Create Date: 2026-11-26 11:56:30.351400
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d1a33b741295"
down_revision: str | Sequence[str] | None = "f951dec0a7d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: No two active loans of one device overlap (declared on the Loan model; PostgreSQL only: SQLite
#: checks the same rule in the loans service inside one BEGIN IMMEDIATE transaction).
LOAN_EXCLUSION = (
    "ALTER TABLE loans ADD CONSTRAINT ex_loans_device_period EXCLUDE USING gist "
    "(device_id WITH =, daterange(start_date, end_date, '[)') WITH &&) "
    "WHERE (status IN ('booked', 'on_loan'))"
)


def upgrade() -> None:
    is_postgresql = op.get_bind().dialect.name == "postgresql"
    if is_postgresql:
        # btree_gist lets a GiST index compare plain integers (device_id WITH =).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_events_object_id"), ["object_id"], unique=False)

    op.create_table(
        "loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("borrower_organisation_id", sa.Integer(), nullable=False),
        sa.Column("lender_organisation_id", sa.Integer(), nullable=False),
        sa.Column("borrower_user_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("booked", "on_loan", "returned", "cancelled", name="loanstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("deposit_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "deposit_kind",
            sa.Enum("none", "hold", "saved_card", name="depositkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "deposit_status",
            sa.Enum(
                "not_required",
                "pending",
                "secured",
                "captured",
                "partially_captured",
                "charged",
                "released",
                "failed",
                name="depositstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_setup_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_payment_method_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_damage_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_client_secret", sa.String(length=255), nullable=True),
        sa.Column("captured_cents", sa.Integer(), nullable=False),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("condition_notes", sa.Text(), nullable=True),
        sa.Column(
            "photos", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("damage_cents", sa.Integer(), nullable=True),
        sa.Column(
            "extensions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("damage_cents IS NULL OR damage_cents >= 0", name=op.f("ck_loans_damage_not_negative")),
        sa.CheckConstraint("deposit_cents >= 0", name=op.f("ck_loans_deposit_not_negative")),
        sa.CheckConstraint("start_date < end_date", name=op.f("ck_loans_period_not_empty")),
        sa.ForeignKeyConstraint(
            ["borrower_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_loans_borrower_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["borrower_user_id"], ["users.id"], name=op.f("fk_loans_borrower_user_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_loans_device_id_devices"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["lender_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_loans_lender_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_loans_listing_id_listings"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("stripe_payment_intent_id", name=op.f("uq_loans_stripe_payment_intent_id")),
        sa.UniqueConstraint("stripe_setup_intent_id", name=op.f("uq_loans_stripe_setup_intent_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_loans_reference")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loans_borrower_organisation_id"), ["borrower_organisation_id"], unique=False
        )
        batch_op.create_index("ix_loans_device_id_start_date", ["device_id", "start_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_lender_organisation_id"), ["lender_organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_listing_id"), ["listing_id"], unique=False)
    if is_postgresql:
        op.execute(LOAN_EXCLUSION)

    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "converted", "cancelled", "expired", name="reservationstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_reservations_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_reservations_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_reservations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reservations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reservations_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reservations_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index("ix_reservations_status_expires_at", ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reservations_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_reservations_listing_id_active",
            ["listing_id"],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("buyer_organisation_id", sa.Integer(), nullable=False),
        sa.Column("seller_organisation_id", sa.Integer(), nullable=False),
        sa.Column("buyer_user_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "payment",
            sa.Enum("card", "invoice", "donation", name="paymentmethod", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "handed_over",
                "returned",
                "cancelled",
                name="orderstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "payment_status",
            sa.Enum(
                "pending",
                "paid",
                "failed",
                "refunded",
                "refund_due",
                "void",
                "none",
                name="paymentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("platform_fee_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("warranty_months", sa.Integer(), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_client_secret", sa.String(length=255), nullable=True),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("invoice_number", sa.String(length=32), nullable=True),
        sa.Column("invoice_issued_on", sa.Date(), nullable=True),
        sa.Column("invoice_due_on", sa.Date(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_orders_amount_not_negative")),
        sa.CheckConstraint(
            "platform_fee_cents >= 0 AND platform_fee_cents <= amount_cents", name=op.f("ck_orders_fee_in_amount")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_orders_buyer_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"], ["users.id"], name=op.f("fk_orders_buyer_user_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_orders_device_id_devices"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_orders_listing_id_listings"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_orders_reservation_id_reservations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["seller_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_orders_seller_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("buyer_user_id", "idempotency_key", name=op.f("uq_orders_buyer_user_id_idempotency_key")),
        sa.UniqueConstraint("invoice_number", name=op.f("uq_orders_invoice_number")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_orders_reservation_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_orders_reference")),
        sa.UniqueConstraint("stripe_payment_intent_id", name=op.f("uq_orders_stripe_payment_intent_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_buyer_organisation_id"), ["buyer_organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_seller_organisation_id"), ["seller_organisation_id"], unique=False)
        batch_op.create_index(
            "uq_orders_device_id_live",
            ["device_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'confirmed', 'handed_over')"),
            sqlite_where=sa.text("status IN ('pending', 'confirmed', 'handed_over')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_orders_device_id_live",
            postgresql_where=sa.text("status IN ('pending', 'confirmed', 'handed_over')"),
            sqlite_where=sa.text("status IN ('pending', 'confirmed', 'handed_over')"),
        )
        batch_op.drop_index(batch_op.f("ix_orders_seller_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_orders_listing_id"))
        batch_op.drop_index(batch_op.f("ix_orders_buyer_organisation_id"))

    op.drop_table("orders")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reservations_listing_id_active",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_reservations_user_id"))
        batch_op.drop_index("ix_reservations_status_expires_at")
        batch_op.drop_index(batch_op.f("ix_reservations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_reservations_device_id"))

    op.drop_table("reservations")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_listing_id"))
        batch_op.drop_index(batch_op.f("ix_loans_lender_organisation_id"))
        batch_op.drop_index("ix_loans_device_id_start_date")
        batch_op.drop_index(batch_op.f("ix_loans_borrower_organisation_id"))

    op.drop_table("loans")
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_events_object_id"))

    op.drop_table("stripe_events")
    op.drop_table("invoice_counters")
