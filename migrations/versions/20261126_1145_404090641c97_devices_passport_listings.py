"""devices passport listings

Revision ID: 404090641c97
Revises: f8d9ac2a4d18
Create Date: 2026-11-26 11:45:43.125660
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "404090641c97"
down_revision: str | Sequence[str] | None = "f8d9ac2a4d18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "laptop",
                "desktop",
                "server",
                "screen",
                "phone",
                "tablet",
                "other",
                name="devicekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("make", sa.String(length=120), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=120), nullable=False),
        sa.Column("asset_tag", sa.String(length=64), nullable=False),
        sa.Column(
            "specs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "cosmetic_grade",
            sa.Enum("premium", "excellent", "good", "fair", name="cosmeticgrade", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "registered",
                "diagnosed",
                "listed",
                "reserved",
                "sold",
                "on_loan",
                "returned",
                "in_repair",
                "retired",
                name="devicestate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("health", sa.String(length=16), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("battery_health_pct", sa.Double(), nullable=True),
        sa.Column(
            "remaining_life",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("grading_policy", sa.String(length=32), nullable=True),
        sa.Column("diagnosed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warranty_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_devices_version_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_devices_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("organisation_id", "asset_tag", name=op.f("uq_devices_organisation_id_asset_tag")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index("ix_devices_organisation_id_serial", ["organisation_id", "serial"], unique=False)

    op.create_table(
        "device_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "registered",
                "updated",
                "diagnosed",
                "checked",
                "erased",
                "listed",
                "unlisted",
                "reserved",
                "released",
                "sold",
                "donated",
                "lent",
                "returned",
                "repaired",
                "regraded",
                "retired",
                "imported",
                name="eventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_organisation_id", sa.Integer(), nullable=True),
        sa.Column("state_from", sa.String(length=16), nullable=True),
        sa.Column("state_to", sa.String(length=16), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_device_events_actor_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_device_events_actor_token_id_api_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_device_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_events_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_events")),
    )
    with op.batch_alter_table("device_events", schema=None) as batch_op:
        batch_op.create_index("ix_device_events_device_id_id", ["device_id", "id"], unique=False)

    op.create_table(
        "listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("sale", "loan", "donation", name="listingmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "closed", "withdrawn", name="listingstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "visibility",
            sa.Enum("members", "public", name="visibility", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("warranty_months", sa.Integer(), nullable=True),
        sa.Column("min_days", sa.Integer(), nullable=True),
        sa.Column("max_days", sa.Integer(), nullable=True),
        sa.Column("deposit_cents", sa.Integer(), nullable=True),
        sa.Column(
            "eligible_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("postcode", sa.String(length=5), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode <> 'sale' OR price_cents IS NOT NULL", name=op.f("ck_listings_sale_has_price")),
        sa.CheckConstraint(
            "deposit_cents IS NULL OR deposit_cents >= 0", name=op.f("ck_listings_deposit_not_negative")
        ),
        sa.CheckConstraint(
            "min_days IS NULL OR max_days IS NULL OR min_days <= max_days",
            name=op.f("ck_listings_loan_days_ordered"),
        ),
        sa.CheckConstraint("price_cents IS NULL OR price_cents >= 0", name=op.f("ck_listings_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_listings_device_id_devices"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_listings_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listings_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listings_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_listings_device_id"))

    op.drop_table("listings")
    with op.batch_alter_table("device_events", schema=None) as batch_op:
        batch_op.drop_index("ix_device_events_device_id_id")

    op.drop_table("device_events")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_organisation_id_serial")

    op.drop_table("devices")
