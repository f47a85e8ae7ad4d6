"""Compiled SQL per query shape, run on the DBAPI cursor: how the catalogue search stays fast.

A search page is one SELECT whose *shape* (which filters, which sort, a cursor or not) takes a few
dozen forms, while its values change every request. Building a SQLAlchemy statement, computing its
cache key and wrapping the DBAPI result cost more than the query itself on PostgreSQL. So the
statement is built and compiled once per shape and dialect (SQLAlchemy still writes the SQL, for
SQLite and PostgreSQL alike), then executed with its bound values on the session's own DBAPI
connection (same transaction), and SQLAlchemy's result processors for the selected types (UTC
datetimes, JSON on SQLite) are applied to the raw rows.

Bound values must be given already in their database form (enum values as strings): the bind
processors are not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from marketplace.db import ReadConnection

#: Distinct shapes kept per process (filters, sorts, cursor: far fewer in practice).
MAX_SHAPES = 1024


@dataclass(frozen=True)
class _Entry:
    sql: str
    #: Parameter names in order, for positional paramstyles (SQLite's qmark); None for named ones.
    positions: tuple[str, ...] | None
    #: SQLAlchemy's result type per selected column, whose processor is resolved on first use.
    types: tuple[sa.types.TypeEngine[Any], ...]
    #: Values SQLAlchemy bound itself (e.g. SQLite's ``OFFSET ?`` after a LIMIT).
    defaults: Mapping[str, Any]


class CompiledQueries:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, Hashable], _Entry] = {}
        self._processors: dict[tuple[str, Hashable], tuple[tuple[int, Callable[[Any], Any]], ...]] = {}
        self._lock = Lock()

    def _compile(self, statement: sa.Select[Any], dialect: Dialect) -> _Entry:
        compiled = statement.compile(dialect=dialect)
        positions = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        types = tuple(column.type for column in statement.selected_columns)
        return _Entry(compiled.string, positions, types, dict(compiled.params))

    @staticmethod
    def _resolve_processors(
        entry: _Entry, dialect: Dialect, description: Any
    ) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        found: list[tuple[int, Callable[[Any], Any]]] = []
        for index, (type_, column) in enumerate(zip(entry.types, description, strict=False)):
            result_processor = type_._cached_result_processor(dialect, column[1])
            if result_processor is not None:
                found.append((index, result_processor))
        return tuple(found)

    def fetch(
        self,
        connection: ReadConnection,
        shape: Hashable,
        build: Callable[[], sa.Select[Any]],
        params: Mapping[str, Any],
    ) -> list[Any]:
        """The rows of the statement ``build()`` makes for ``shape``, run with ``params``."""
        dialect = connection.dialect
        key = (dialect.name, shape)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._compile(build(), dialect)
            with self._lock:
                if len(self._entries) < MAX_SHAPES:
                    self._entries[key] = entry
        if entry.positions is None:
            bound: Any = params
        else:
            merged = {**entry.defaults, **params}
            bound = [merged[name] for name in entry.positions]
        processors = self._processors.get(key)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(entry.sql, bound)
            rows: list[Any] = list(cursor.fetchall())
            if processors is None:
                # Once per shape: the DBAPI type codes some result processors depend on.
                processors = self._resolve_processors(entry, dialect, cursor.description or ())
                with self._lock:
                    if len(self._processors) < MAX_SHAPES:
                        self._processors[key] = processors
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(connection, exc, entry.sql, bound, cursor) from exc
        finally:
            cursor.close()
        if processors:
            processed = []
            for row in rows:
                values = list(row)
                for index, processor in processors:
                    values[index] = processor(values[index])
                processed.append(values)
            return processed
        return rows


def _wrapped(connection: ReadConnection, error: Any, sql: str, bound: Any, cursor: Any) -> sa.exc.StatementError:
    """A driver error as SQLAlchemy would raise it from ``execute`` (``OperationalError`` → the
    API's 503, ``DataError`` → 422…), the connection invalidated if the server is gone, so a
    restarted database costs one failed request per pooled connection, not every request after."""
    dialect = connection.dialect
    disconnect = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if disconnect:
        connection.invalidate(error)
    wrapped: sa.exc.StatementError = sa.exc.DBAPIError.instance(
        sql, bound, error, dialect.loaded_dbapi.Error, connection_invalidated=disconnect, dialect=dialect
    )
    return wrapped
