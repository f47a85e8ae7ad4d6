"""Set-based writes of devices and passport events for the importer: many rows per statement.

The checks are the devices domain's (``validate_specs``, required fields, unique asset tag and
serial per organisation) and were applied by the importer before it calls these; here rows are
only written, straight through the DBAPI (INSERTs of many rows each on SQLite, ``COPY … FROM
STDIN`` on PostgreSQL), given as tuples in column order with values already in their stored form
(JSON text, the dialect's datetime form, enum values): SQLAlchemy's per-row bind processing costs
more than the INSERT itself at 100 k rows.

New devices are inserted with their ids, taken first (``new_device_ids``): from the column's
sequence on PostgreSQL, after the largest id on SQLite. So no statement has to read ids back: a
read-back by asset tag costs a query per batch, and on PostgreSQL its plan degrades while a fresh
table grows before autovacuum analyses it.

Updates are guarded by the device's version, which they bump as the ORM's ``version_id_col``
does, so a device changed meanwhile is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState

_DEVICES = cast(sa.Table, Device.__table__)
_EVENTS = cast(sa.Table, DeviceEvent.__table__)
#: A new device as the importer gives it: the columns that differ from row to row.
NEW_DEVICE_COLUMNS = (
    "id",
    "kind",
    "make",
    "model",
    "serial",
    "asset_tag",
    "public_code",
    "specs",
    "cosmetic_grade",
    "location",
    "notes",
)
#: The columns every new device of one import shares, added by the writer.
DEVICE_CONSTANTS = ("organisation_id", "state", "version", "created_at", "updated_at")
#: A passport event as the importer gives it (``changes`` and ``data`` as JSON text).
EVENT_COLUMNS = ("device_id", "kind", "changes", "data")
#: The columns every event of one import shares, added by the writer.
EVENT_CONSTANTS = ("occurred_at", "actor_user_id", "actor_token_id", "actor_organisation_id", "state_to", "public")
UPDATE_COLUMNS = ("kind", "make", "model", "serial", "asset_tag", "specs", "cosmetic_grade", "location", "notes")


def _sqlite_literal(value: Any) -> str:
    """A constant of the import as a SQLite literal, stored as the bound value would be."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQLite literal for {type(value).__name__}")


def _copy_sql(table: str, columns: tuple[str, ...], constants: dict[str, Any]) -> str:
    """PostgreSQL: COPY of ``columns`` then ``constants``, which each row ends with."""
    return f"COPY {table} ({', '.join((*columns, *constants))}) FROM STDIN"


class _SqliteInsert:
    """SQLite: rows inserted by INSERTs of up to ``SQLITE_ROWS_PER_INSERT`` rows each, the
    ``constants`` written as literals of the statement (binding the same five values on every row
    is work per row for nothing).

    A statement with many ``VALUES`` groups is bound and stepped once for all its rows, where
    ``executemany`` resets, binds and steps the statement once per row (the technique of
    SQLAlchemy's "insertmanyvalues"). Fewer rows per
    statement when this SQLite allows fewer bound variables (999 before 3.32)."""

    def __init__(self, table: str, columns: tuple[str, ...], constants: dict[str, Any]) -> None:
        # S608: statements built from this module's constant column names and literals.
        self.head = f"INSERT INTO {table} ({', '.join((*columns, *constants))}) VALUES "  # noqa: S608
        self.group = "(" + ", ".join(["?"] * len(columns) + [_sqlite_literal(v) for v in constants.values()]) + ")"
        self.width = len(columns)
        self.statements: dict[int, str] = {}

    def statement(self, rows: int) -> str:
        found = self.statements.get(rows)
        if found is None:
            found = self.statements[rows] = self.head + ", ".join([self.group] * rows)
        return found

    def run(self, cursor: Any, rows: list[tuple[Any, ...]], variable_limit: int) -> None:
        per = max(1, min(SQLITE_ROWS_PER_INSERT, variable_limit // self.width))
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            cursor.execute(self.statement(len(part)), list(itertools.chain.from_iterable(part)))


#: See ``_SqliteInsert``: enough rows per statement to pay for the bind once; figures in bench/import.py.
SQLITE_ROWS_PER_INSERT = 100

#: How one kind of row is written: a COPY (PostgreSQL) or multi-row INSERTs (SQLite).
_Statement = str | _SqliteInsert


def json_text(value: Any) -> str:
    """A JSON column's stored text (orjson's compact form, as the engine's serializer may differ)."""
    return orjson.dumps(value).decode()


class Writer:
    """Statements of one import for the session's dialect: the organisation, the actor and the
    time (in its stored form) are the same for every row written."""

    def __init__(
        self,
        session: Session,
        now: dt.datetime,
        *,
        organisation_id: int,
        actor: tuple[int | None, int | None],
    ) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.postgres = dialect.name == "postgresql"
        mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"
        processor = _DEVICES.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp = processor(now) if processor else now
        device_constants = dict(
            zip(
                DEVICE_CONSTANTS,
                (organisation_id, DeviceState.REGISTERED.value, 1, self.stamp, self.stamp),
                strict=True,
            )
        )
        self.event_actor = (self.stamp, *actor, organisation_id)
        #: (state_to, public) → how such events are written, and the constants of their rows.
        self.event_statements: dict[tuple[str | None, bool], tuple[_Statement, tuple[Any, ...]]] = {}
        self.devices_statement = self._statement("devices", NEW_DEVICE_COLUMNS, device_constants)
        #: What PostgreSQL's COPY rows end with.
        self.device_constants = tuple(device_constants.values())
        assignments = ", ".join(f"{name} = {mark}" for name in UPDATE_COLUMNS)
        self.update_devices_sql = (
            f"UPDATE devices SET {assignments}, version = version + 1, "  # noqa: S608
            f"updated_at = {mark} WHERE id = {mark} AND version = {mark}"
        )

    def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        result = self.session.connection().exec_driver_sql(sql, rows)
        return int(result.rowcount)

    @contextlib.contextmanager
    def _driver(self, statement: str) -> Iterator[Any]:
        """The DBAPI connection of the session's transaction; its errors are raised as
        SQLAlchemy's (IntegrityError, OperationalError …), like any statement's."""
        connection = self.session.connection()
        driver = connection.connection.driver_connection
        dbapi = connection.dialect.loaded_dbapi
        assert driver is not None
        try:
            yield driver
        except dbapi.Error as exc:
            raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc

    def _copy(self, statement: str, rows: list[tuple[Any, ...]], constants: tuple[Any, ...]) -> None:
        """PostgreSQL ``COPY … FROM STDIN`` (psycopg's copy, in this transaction): several times
        faster than any INSERT."""
        with self._driver(statement) as driver, driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row + constants)

    def _insert(self, insert: _SqliteInsert, rows: list[tuple[Any, ...]]) -> None:
        """SQLite: multi-row INSERTs (``_SqliteInsert``), in this transaction."""
        with self._driver(insert.head) as driver:
            cursor = driver.cursor()
            try:
                insert.run(cursor, rows, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
            finally:
                cursor.close()

    def _statement(self, table: str, columns: tuple[str, ...], constants: dict[str, Any]) -> _Statement:
        if self.postgres:
            return _copy_sql(table, columns, constants)
        return _SqliteInsert(table, columns, constants)

    def _write(self, statement: _Statement, rows: list[tuple[Any, ...]], constants: tuple[Any, ...]) -> None:
        if isinstance(statement, _SqliteInsert):
            self._insert(statement, rows)
        else:
            self._copy(statement, rows, constants)

    def new_device_ids(self, count: int) -> Sequence[int]:
        """Ids for ``count`` new devices, in the order they will be inserted.

        PostgreSQL: drawn from the column's sequence (one ``nextval`` query), as any INSERT would.

        SQLite: the ``count`` ids after the largest one, which is what SQLite gives a row inserted
        without an id (``INTEGER PRIMARY KEY`` without AUTOINCREMENT: "one larger than the largest
        ROWID in the table", sqlite.org/autoinc.html). Safe against concurrent writers because a
        SQLite transaction is serializable: this read and the INSERT that follows are in one
        transaction, and SQLite lets it write only if no other connection has committed since it
        read (in WAL mode the upgrade to a write fails with SQLITE_BUSY_SNAPSHOT; with a rollback
        journal our shared lock keeps the other writer from committing). Once it has written, the
        transaction holds the database's write lock until it ends, so no one can insert devices in
        between either. (Requests and the import command take that lock at BEGIN already:
        ``SQLITE_IMMEDIATE``, so they wait for other writers rather than fail.)
        ``Session.execute`` autoflushes first, so devices pending in the session are counted.
        """
        if self.postgres:
            return list(
                self.session.execute(
                    sa.text("SELECT nextval(pg_get_serial_sequence('devices', 'id')) FROM generate_series(1, :n)"),
                    {"n": count},
                ).scalars()
            )
        largest = self.session.execute(sa.select(sa.func.max(_DEVICES.c.id))).scalar_one_or_none() or 0
        return range(largest + 1, largest + 1 + count)

    def insert_devices(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert checked devices, given as ``NEW_DEVICE_COLUMNS`` tuples (ids from ``new_device_ids``)."""
        self._write(self.devices_statement, rows, self.device_constants)

    def update_devices(self, rows: Sequence[dict[str, Any]]) -> int:
        """Update devices by ``id`` if still at ``version``; return how many were updated."""
        stamp = self.stamp
        return self._executemany(
            self.update_devices_sql,
            [
                (
                    *(row[name] for name in UPDATE_COLUMNS[:5]),
                    json_text(row["specs"]),
                    row["cosmetic_grade"],
                    row["location"],
                    row["notes"],
                    stamp,
                    row["id"],
                    row["version"],
                )
                for row in rows
            ],
        )

    def insert_events(self, rows: list[tuple[Any, ...]], *, state_to: str | None, public: bool) -> None:
        """Passport events by the import's actor, at its time, given as ``EVENT_COLUMNS`` tuples
        (changes and data as JSON text), all with this ``state_to`` and ``public``."""
        found = self.event_statements.get((state_to, public))
        if found is None:
            constants = dict(zip(EVENT_CONSTANTS, (*self.event_actor, state_to, public), strict=True))
            statement = self._statement("device_events", EVENT_COLUMNS, constants)
            found = self.event_statements[(state_to, public)] = (statement, tuple(constants.values()))
        statement, constants_of_rows = found
        self._write(statement, rows, constants_of_rows)
