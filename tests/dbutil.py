"""Test databases: a SQLite file by default, a fresh PostgreSQL database when DATABASE_URL
points at a PostgreSQL server (created for the run, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from marketplace.config import normalise_database_url


def server_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    return normalise_database_url(url) if url else None


@contextmanager
def fresh_database(tmp_dir: Path, label: str) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    base = server_url()
    if base is None or base.startswith("sqlite"):
        path = tmp_dir / f"{label}-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    url = make_url(base)
    name = f"relife_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
