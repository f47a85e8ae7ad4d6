"""documents: erasure certificates, organisations' VAT regime, credit notes

Issued erasure certificates with the digest of their content (their public page /verify/<number>
recomputes it), the VAT regime that decides what an organisation's invoices say (standard rate,
margin scheme, not liable), and the credit note of a cancelled or returned invoice order (issue #15).

Revision ID: d4e8a1c7b2f6
Revises: c3a5f0d2e8b1
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d4e8a1c7b2f6"
down_revision: str | Sequence[str] | None = "c3a5f0d2e8b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("disks", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_erasure_certificates_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_erasure_certificates_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"],
            ["users.id"],
            name=op.f("fk_erasure_certificates_issued_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_erasure_certificates_number")),
    )
    op.create_index(op.f("ix_erasure_certificates_device_id"), "erasure_certificates", ["device_id"], unique=False)
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "vat_regime",
                sa.Enum("standard", "margin", "not_liable", name="vatregime", native_enum=False, length=32),
                server_default="standard",
                nullable=False,
            )
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_note_number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("credit_note_issued_on", sa.Date(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_orders_credit_note_number"), ["credit_note_number"])


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_orders_credit_note_number"), type_="unique")
        batch_op.drop_column("credit_note_issued_on")
        batch_op.drop_column("credit_note_number")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("vat_regime")
    op.drop_index(op.f("ix_erasure_certificates_device_id"), table_name="erasure_certificates")
    op.drop_table("erasure_certificates")
