"""The migrations are the schema: upgrade head == the models, and they go down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from marketplace import migrate, models_registry
from marketplace.db import Base, make_engine
from tests.dbutil import fresh_database


def test_upgrade_head_matches_models(engine: Engine) -> None:
    models_registry.import_all()
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": migrate.include_object}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_single_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_downgrade_to_base_then_upgrade(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "roundtrip") as url:
        migrate.upgrade(url)
        migrate.downgrade(url, "base")
        scratch = make_engine(url)
        with scratch.connect() as conn:
            tables = set(conn.dialect.get_table_names(conn)) - {"alembic_version"}
        scratch.dispose()
        assert tables == set()
        migrate.upgrade(url)


@pytest.mark.parametrize("path", sorted((migrate.MIGRATIONS_DIR / "versions").glob("*.py")), ids=lambda p: p.name)
def test_migration_files_are_date_prefixed(path: Path) -> None:
    assert path.name[:8].isdigit() and path.name[8] == "_"
