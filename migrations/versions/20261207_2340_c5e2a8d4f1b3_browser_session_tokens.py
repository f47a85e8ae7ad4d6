"""api_tokens: a ``session`` kind, the server side of a browser's session cookie

A browser session is a token of the same table as bearer tokens (so revoking it, a password reset
and the account's state end it the same way), of its own kind: a session token is never accepted
as a bearer token, and a bearer token never as a session. It belongs to a user, like a personal one.

Revision ID: c5e2a8d4f1b3
Revises: b7d3e9f1a4c2
Create Date: 2026-12-07 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c5e2a8d4f1b3"
down_revision: str | Sequence[str] | None = "b7d3e9f1a4c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "(kind = 'personal' AND user_id IS NOT NULL) OR (kind = 'bench' AND organisation_id IS NOT NULL)"
NEW = "(kind IN ('personal', 'session') AND user_id IS NOT NULL) OR (kind = 'bench' AND organisation_id IS NOT NULL)"


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_owner_matches_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_api_tokens_owner_matches_kind"), NEW)


def downgrade() -> None:
    op.execute("DELETE FROM api_tokens WHERE kind = 'session'")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_owner_matches_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_api_tokens_owner_matches_kind"), OLD)
