"""listing search snapshot and indexes

The searchable snapshot of the device on each listing, the partial indexes matching the search's
sort keys, and text search: pg_trgm (GIN) on PostgreSQL, an FTS5 trigram table kept in sync by
triggers on SQLite (declared here only: migrate.include_object keeps autogenerate off it).

Revision ID: f951dec0a7d9
Revises: f42bd115202e
Create Date: 2026-11-26 11:55:37.208227
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f951dec0a7d9"
down_revision: str | Sequence[str] | None = "f42bd115202e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# External-content FTS5 index of listings.search_text with the trigram tokenizer (SQLite >= 3.34):
# substring matches in any case, as pg_trgm gives on PostgreSQL. The triggers keep it in sync with
# every write to listings, whoever makes it.
SQLITE_FTS_UP = (
    "CREATE VIRTUAL TABLE listings_fts USING fts5("
    "search_text, content='listings', content_rowid='id', tokenize='trigram', columnsize=0)",
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')",
    "CREATE TRIGGER listings_fts_ai AFTER INSERT ON listings BEGIN "
    "INSERT INTO listings_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER listings_fts_ad AFTER DELETE ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER listings_fts_au AFTER UPDATE OF search_text ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO listings_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_FTS_DOWN = (
    "DROP TRIGGER IF EXISTS listings_fts_au",
    "DROP TRIGGER IF EXISTS listings_fts_ad",
    "DROP TRIGGER IF EXISTS listings_fts_ai",
    "DROP TABLE IF EXISTS listings_fts",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Trusted extension since PostgreSQL 13: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
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
                server_default="other",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("make", sa.String(length=120), server_default="", nullable=False))
        batch_op.add_column(sa.Column("model", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("cpu", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ram_gb", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("storage_gb", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("health", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("grade", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("grade_rank", sa.SmallInteger(), server_default="9", nullable=False))
        batch_op.add_column(
            sa.Column(
                "cosmetic_grade",
                sa.Enum("premium", "excellent", "good", "fair", name="cosmeticgrade", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("battery_health_pct", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "specs",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default="{}",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "remaining_life",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "key_findings",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "organisation_kind",
                sa.Enum(
                    "company",
                    "university",
                    "public_body",
                    "nonprofit",
                    "refurbisher",
                    name="organisationkind",
                    native_enum=False,
                    length=32,
                ),
                server_default="company",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("search_price_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("search_text", sa.String(length=600), server_default="", nullable=False))
        batch_op.create_index(
            "ix_listings_active_department_price",
            ["department", "search_price_cents", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_visibility_mode_price",
            ["visibility", "mode", "search_price_cents", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_visibility_kind_price",
            ["visibility", "kind", "search_price_cents", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_grade",
            ["grade_rank", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_price",
            ["search_price_cents", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_visibility_grade",
            ["visibility", "grade_rank", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_visibility_newest",
            ["visibility", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_active_visibility_price",
            ["visibility", "search_price_cents", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_listings_search_text_trgm",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )
        batch_op.create_index(
            "uq_listings_device_id_active",
            ["device_id"],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
    if dialect == "sqlite":
        for statement in SQLITE_FTS_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_DOWN:
            op.execute(statement)
    # pg_trgm stays: an extension is database-wide and other objects may use it.
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_listings_device_id_active",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_search_text_trgm",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        )
        batch_op.drop_index(
            "ix_listings_active_visibility_price",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_visibility_newest",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_visibility_grade",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_price",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_grade",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_visibility_kind_price",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_visibility_mode_price",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_listings_active_department_price",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_column("search_text")
        batch_op.drop_column("search_price_cents")
        batch_op.drop_column("organisation_kind")
        batch_op.drop_column("key_findings")
        batch_op.drop_column("remaining_life")
        batch_op.drop_column("specs")
        batch_op.drop_column("battery_health_pct")
        batch_op.drop_column("cosmetic_grade")
        batch_op.drop_column("grade_rank")
        batch_op.drop_column("grade")
        batch_op.drop_column("health")
        batch_op.drop_column("storage_gb")
        batch_op.drop_column("ram_gb")
        batch_op.drop_column("cpu")
        batch_op.drop_column("model")
        batch_op.drop_column("make")
        batch_op.drop_column("kind")
        batch_op.drop_column("withdrawn_at")
