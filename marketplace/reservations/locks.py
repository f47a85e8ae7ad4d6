"""Serialising the writes that decide who gets a device.

Every use case that can take a device (a hold, an order, a loan, a webhook that confirms a
payment) first locks the device's row: ``SELECT … FOR UPDATE`` on PostgreSQL, which makes a
second request for the same device wait until the first commits and then see its result; on
SQLite the request's transaction already began with ``BEGIN IMMEDIATE`` (the database's single
write lock), and SQLAlchemy drops ``FOR UPDATE`` there. The database constraints (partial unique
indexes, the loans exclusion constraint) are the backstop if a code path ever forgets.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marketplace.db import Base
from marketplace.devices.models import Device
from marketplace.errors import NotFound

M = TypeVar("M", bound=Base)


def lock(session: Session, model: type[M], ident: Any) -> M | None:
    """Load one row with a row lock, refreshing any stale copy in the session."""
    mapper = sa.inspect(model)
    pk = mapper.primary_key[0]
    stmt = sa.select(model).where(pk == ident).with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def lock_device(session: Session, device_id: int) -> Device:
    device = lock(session, Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    return device


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``; True when this call inserted the row.

    On PostgreSQL a concurrent uncommitted insert of the same key makes this wait for the other
    transaction, then do nothing if it committed: exactly one caller wins.
    """
    table: Any = model.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database: {dialect}")
    # RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    returned = session.execute(stmt.returning(*table.primary_key.columns)).first()
    return returned is not None
