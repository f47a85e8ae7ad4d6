"""Set-based writes of devices and passport events for the importer: many rows per statement.

The checks are the devices domain's (``validate_specs``, required fields, unique asset tag and
serial per organisation) and were applied by the importer before it calls these; here rows are
only written, straight through the DBAPI's ``executemany`` with values already in their stored
form (JSON text, the dialect's datetime form, enum values): SQLAlchemy's per-row bind processing
costs more than the INSERT itself at 100 k rows. New ids are read back by asset tag (unique in the
organisation) because SQLite cannot batch an ``INSERT … RETURNING`` whose rows must come back in
order. Updates are guarded by the device's version, which they bump as the ORM's
``version_id_col`` does, so a device changed meanwhile is never overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, DeviceTagSequence
from marketplace.devices.service import format_asset_tag

_DEVICES = cast(sa.Table, Device.__table__)
_EVENTS = cast(sa.Table, DeviceEvent.__table__)
#: Asset tags per ``IN (…)`` when reading back new ids (below SQLite's historical 999-variable limit).
ID_QUERY_CHUNK = 900

DEVICE_COLUMNS = (
    "organisation_id",
    "kind",
    "make",
    "model",
    "serial",
    "asset_tag",
    "specs",
    "cosmetic_grade",
    "location",
    "notes",
    "state",
    "version",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "device_id",
    "kind",
    "occurred_at",
    "actor_user_id",
    "actor_token_id",
    "actor_organisation_id",
    "changes",
    "data",
    "public",
)
UPDATE_COLUMNS = ("kind", "make", "model", "serial", "asset_tag", "specs", "cosmetic_grade", "location", "notes")


#: A passport event to write: device id, event kind (its value), changes, data.
EventRow = tuple[int, str, dict[str, Any], dict[str, Any]]


def _insert_sql(table: str, columns: tuple[str, ...], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class Writer:
    """Statements for one session's dialect, with the batch's timestamp in its stored form."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.postgres = dialect.name == "postgresql"
        mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"
        processor = _DEVICES.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp = processor(now) if processor else now
        # S608: statements built from this module's constant column names; every value is bound.
        self.insert_devices_sql = _insert_sql("devices", DEVICE_COLUMNS, mark)
        self.insert_events_sql = _insert_sql("device_events", EVENT_COLUMNS, mark)
        assignments = ", ".join(f"{name} = {mark}" for name in UPDATE_COLUMNS)
        self.update_devices_sql = (
            f"UPDATE devices SET {assignments}, version = version + 1, "  # noqa: S608
            f"updated_at = {mark} WHERE id = {mark} AND version = {mark}"
        )

    def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        result = self.session.connection().exec_driver_sql(sql, rows)
        return int(result.rowcount)

    def _copy(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL ``COPY … FROM STDIN`` (psycopg's copy, in this transaction): several times
        faster than any INSERT. Driver errors are raised as SQLAlchemy's, like any statement's."""
        connection = self.session.connection()
        driver = connection.connection.driver_connection
        dbapi = connection.dialect.loaded_dbapi
        assert driver is not None
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi.IntegrityError as exc:
            raise IntegrityError(statement, None, exc) from exc
        except dbapi.Error as exc:
            raise DBAPIError(statement, None, exc) from exc

    def insert_devices(self, organisation_id: int, rows: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> list[int]:
        """Insert checked devices, given as (column values, specs); return their ids in that order.

        PostgreSQL: ids are drawn from the column's sequence first (one ``nextval`` query) and sent
        with the rows through COPY. SQLite: executemany, then the new ids read back by asset tag.
        (Reading back by asset tag on PostgreSQL degrades as the fresh table grows before
        autovacuum has analysed it: the planner keeps scanning; 55 s of a 60 k-row import.)
        """
        stamp = self.stamp
        registered = DeviceState.REGISTERED.value
        values = [
            (
                organisation_id,
                row["kind"],
                row["make"],
                row["model"],
                row["serial"],
                row["asset_tag"],
                _json(specs),
                row["cosmetic_grade"],
                row["location"],
                row["notes"],
                registered,
                1,
                stamp,
                stamp,
            )
            for row, specs in rows
        ]
        if self.postgres:
            ids = list(
                self.session.execute(
                    sa.text("SELECT nextval(pg_get_serial_sequence('devices', 'id')) FROM generate_series(1, :n)"),
                    {"n": len(values)},
                ).scalars()
            )
            self._copy("devices", ("id", *DEVICE_COLUMNS), [(i, *v) for i, v in zip(ids, values, strict=True)])
            return ids
        self._executemany(self.insert_devices_sql, values)
        tags = [row["asset_tag"] for row, _specs in rows]
        found: dict[str, int] = {}
        for start in range(0, len(tags), ID_QUERY_CHUNK):
            chunk = tags[start : start + ID_QUERY_CHUNK]
            query = sa.select(_DEVICES.c.asset_tag, _DEVICES.c.id).where(
                _DEVICES.c.organisation_id == organisation_id, _DEVICES.c.asset_tag.in_(chunk)
            )
            found.update((tag, device_id) for tag, device_id in self.session.execute(query))
        return [found[tag] for tag in tags]

    def update_devices(self, rows: Sequence[dict[str, Any]]) -> int:
        """Update devices by ``id`` if still at ``version``; return how many were updated."""
        stamp = self.stamp
        return self._executemany(
            self.update_devices_sql,
            [
                (
                    *(row[name] for name in UPDATE_COLUMNS[:5]),
                    _json(row["specs"]),
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

    def insert_events(self, events: Sequence[EventRow], *, actor: tuple[int | None, int | None, int]) -> None:
        """Public passport events ``(device_id, kind value, changes, data)`` by one actor
        ``(user id, token id, organisation id)``, all at the batch's time."""
        stamp = self.stamp
        user_id, token_id, organisation_id = actor
        rows = [
            (device_id, kind, stamp, user_id, token_id, organisation_id, _json(changes), _json(data), True)
            for device_id, kind, changes, data in events
        ]
        if self.postgres:
            self._copy("device_events", EVENT_COLUMNS, rows)
        else:
            self._executemany(self.insert_events_sql, rows)


def reserve_tag_numbers(session: Session, organisation_id: int, count: int) -> range:
    """Take ``count`` consecutive numbers of the organisation's asset-tag sequence in one statement
    (the devices domain's sequence row, locked until the transaction ends)."""
    table = cast(sa.Table, DeviceTagSequence.__table__)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(organisation_id=organisation_id, last_value=count)
        .on_conflict_do_update(
            index_elements=[table.c.organisation_id], set_={"last_value": table.c.last_value + count}
        )
        .returning(table.c.last_value)
    )
    last = int(session.execute(statement).scalar_one())
    return range(last - count + 1, last + 1)


def generate_tags(session: Session, organisation_id: int, count: int, taken: set[str]) -> list[str]:
    """``count`` new server-generated tags, skipping those already used in the organisation."""
    tags: list[str] = []
    while len(tags) < count:
        for number in reserve_tag_numbers(session, organisation_id, count - len(tags)):
            tag = format_asset_tag(number)
            if tag not in taken:
                tags.append(tag)
                taken.add(tag)
    return tags
