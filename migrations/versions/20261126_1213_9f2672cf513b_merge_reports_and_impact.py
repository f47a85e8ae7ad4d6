"""merge reports and impact: the diagnostics/erasures and impact migrations both follow 404090641c97

Revision ID: 9f2672cf513b
Revises: f42bd115202e, 7c1e5a2b9d40
Create Date: 2026-11-26 12:13:14.647194
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "9f2672cf513b"
down_revision: str | Sequence[str] | None = ("f42bd115202e", "7c1e5a2b9d40")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
