"""listing suspension: why a listing left the catalogue when its device stopped being listable

Revision ID: b7d2e4c1a9f3
Revises: d1a33b741295
Create Date: 2026-12-07 18:00:00

The new status value ``suspended`` needs no DDL (statuses are stored as VARCHAR(32) without a CHECK
constraint). Plain ADD/DROP COLUMN rather than a batch operation: on SQLite a batch would rebuild
``listings`` and lose the FTS5 triggers declared on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e4c1a9f3"
down_revision: str | Sequence[str] | None = "d1a33b741295"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("listings", sa.Column("suspended_reason", sa.Text(), nullable=True))
    op.add_column("listings", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A suspended listing has no earlier equivalent: it becomes a withdrawal (out of the catalogue;
    # its device, if still only listed, goes back to diagnosed as a withdrawal leaves it).
    op.execute(
        "UPDATE devices SET state = 'diagnosed' WHERE state = 'listed' "
        "AND id IN (SELECT device_id FROM listings WHERE status = 'suspended')"
    )
    op.execute("UPDATE listings SET status = 'withdrawn' WHERE status = 'suspended'")
    op.drop_column("listings", "suspended_at")
    op.drop_column("listings", "suspended_reason")
