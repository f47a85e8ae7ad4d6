"""Alembic environment: the models' metadata, the URL from the caller or from Config."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from marketplace import migrate, models_registry
from marketplace.config import Config
from marketplace.db import Base, UTCDateTime, make_engine

models_registry.import_all()
target_metadata = Base.metadata
config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from_env = Config.from_env().database_url
    if not from_env:
        raise RuntimeError("No database URL: set DATABASE_URL or use `flask --app wsgi db upgrade`.")
    return from_env


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write ``db.UTCDateTime`` as the column type it creates, so a revision never imports the
    application (a later change of ``marketplace.db`` must not change what an old revision does)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
        include_object=migrate.include_object,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
