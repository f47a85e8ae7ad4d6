"""listings: a covering index for the catalogue facet counts

The facet counts group the active listings by kind, mode, grade and department (after the
visibility filter): an index over these columns, then ``grade_rank`` (the ``min_grade`` filter), lets
PostgreSQL count from the index alone (an index-only scan, already in GROUP BY order) instead of
reading every listing row.

Revision ID: b7d3e9f1a4c2
Revises: e4b8c1d7f2a6
Create Date: 2026-12-07 22:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d3e9f1a4c2"
down_revision: str | Sequence[str] | None = "e4b8c1d7f2a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listings_active_facets",
            ["visibility", "kind", "mode", "grade", "department", "grade_rank"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_listings_active_facets",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
