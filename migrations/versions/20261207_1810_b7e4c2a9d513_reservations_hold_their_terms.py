"""reservations hold their terms

A hold freezes the terms it was taken on (issue #20): mode, price, currency, warranty and a
donation's eligible organisation kinds are copied from the listing into the reservation, and the
order uses them. Existing holds take their listing's current terms.

Revision ID: b7e4c2a9d513
Revises: b7d2e4c1a9f3
Create Date: 2026-12-07 18:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7e4c2a9d513"
down_revision: str | Sequence[str] | None = "b7d2e4c1a9f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MODE = sa.Enum("sale", "loan", "donation", name="listingmode", native_enum=False, length=32)
_COPIED = ("mode", "price_cents", "currency", "warranty_months", "eligible_kinds")


def upgrade() -> None:
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mode", _MODE, nullable=True))
        batch_op.add_column(sa.Column("price_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False))
        batch_op.add_column(sa.Column("warranty_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("eligible_kinds", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True)
        )
    # Holds taken before this revision: their listing's terms of now (a correlated subquery per
    # column runs on both databases).
    reservations = sa.table("reservations", sa.column("listing_id"), *(sa.column(n) for n in _COPIED))
    listings = sa.table("listings", sa.column("id"), *(sa.column(n) for n in _COPIED))
    op.execute(
        reservations.update().values(
            {
                name: sa.select(listings.c[name]).where(listings.c.id == reservations.c.listing_id).scalar_subquery()
                for name in _COPIED
            }
        )
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.alter_column("mode", existing_type=_MODE, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        for name in reversed(_COPIED):
            batch_op.drop_column(name)
