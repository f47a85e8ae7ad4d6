"""Database foundations: the declarative base, column types, engine set-up.

- ``Base`` carries a naming convention (Alembic can then drop constraints by name, also on
  SQLite in batch mode) and a type map that stores enums by value and datetimes as UTC.
- ``make_engine`` applies the SQLite pragmas (foreign keys, WAL, busy timeout) and the
  pysqlite SAVEPOINT/transactional-DDL workaround from SQLAlchemy's SQLite dialect docs,
  for the app and the tests alike.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar, cast

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.orm import Session as Session
from sqlalchemy.pool import NullPool, PoolProxiedConnection

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Execution option asking SQLite to take the write lock when the transaction begins, so a
#: check-then-write (one hold per listing, no overlapping loans) cannot interleave with another.
SQLITE_IMMEDIATE = "relife_sqlite_immediate"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every database.

    PostgreSQL keeps ``timestamptz``; SQLite has no timezone storage, so values are stored as
    naive UTC and given back their UTC zone on load. Naive input is refused: it is a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # PostgreSQL sessions run in UTC (make_engine): psycopg already returns aware UTC values,
        # so the catalogue's hot path does not pay a conversion call per value.
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

intpk = Annotated[int, mapped_column(sa.Integer, primary_key=True)]
created_at_col = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        list[str]: JSONType,
        enum.Enum: sa.Enum(
            enum.Enum,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
    }

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} id={ident}>"


class TimestampMixin:
    created_at: Mapped[created_at_col]


def make_engine(url: str, **kwargs: Any) -> Engine:
    # orjson reads JSON columns ~4x faster than the json module (catalogue pages carry several per row).
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        if ":memory:" not in url:
            # A file database shared between threads and processes: a pool of real connections
            # only adds locking surprises; SQLite connections are cheap to open.
            kwargs.setdefault("poolclass", NullPool)
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip (three with BEGIN/ROLLBACK) on every checkout, more than a
    # catalogue page's query. A connection that died (server restart) is detected on use instead:
    # SQLAlchemy then invalidates the whole pool and that one request gets a 503 with Retry-After;
    # pool_recycle retires connections before server or proxy idle timeouts can cut them.
    # Sessions in UTC: timestamptz values come back in UTC (see UTCDateTime.result_processor).
    kwargs.setdefault("connect_args", {}).setdefault("options", "-c TimeZone=UTC")
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    return sa.create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINT and transactional DDL work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A 64 MB page cache (the default is 2 MB): a bulk write (100 k imported devices and their
        # passport events) then keeps its index pages in memory instead of spilling them to the
        # WAL several times over; allocated only as used.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(SQLITE_IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_read_engine(engine: Engine) -> Engine:
    """The engine of read-only views that run one statement and write nothing (the catalogue search).

    PostgreSQL: a second pool on the same database whose connections are in autocommit from the
    start, so a request takes one and gives it back with no BEGIN/ROLLBACK round trips and no
    isolation-level switching (switching per request cost more than the parse of the query). One
    statement still reads one consistent snapshot. Disposed along with ``engine``. SQLite: the
    engine itself (connections are opened per use there anyway).
    """
    if engine.dialect.name != "postgresql":
        return engine
    reader = make_engine(
        engine.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        # Nothing to reset: an autocommit connection is never left inside a transaction.
        pool_reset_on_return=None,
    )

    @event.listens_for(engine, "engine_disposed")
    def _dispose_reader(_engine: Engine) -> None:
        reader.dispose()

    return reader


class ReadConnection(Protocol):
    """What a one-statement read on the raw DBAPI cursor needs (``listings.compiled``): a dialect,
    the pooled DBAPI connection, and invalidation when the server is gone. ``sqlalchemy.Connection``
    has it (a request's session, tests), and so does ``PooledReader``."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def connection(self) -> PoolProxiedConnection: ...

    def invalidate(self, exception: BaseException | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class PooledReader:
    """A DBAPI connection from an engine's pool (``engine.raw_connection()``) and its dialect:
    for a read of one statement, SQLAlchemy's ``Connection`` (events, execution options,
    transaction state) costs more than checking out the connection itself. Close it to give the
    connection back."""

    dialect: Dialect
    connection: PoolProxiedConnection

    @classmethod
    def checkout(cls, engine: Engine) -> PooledReader:
        dialect = engine.dialect
        try:
            return cls(dialect, engine.raw_connection())
        except dialect.loaded_dbapi.Error as exc:
            # What ``Engine.connect()`` raises in this case: the driver's error wrapped as
            # SQLAlchemy's (``OperationalError`` when the server is down), which the API answers
            # with a 503 problem like any other view, not with a 500 for an unknown exception.
            raise sa.exc.DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc

    def invalidate(self, exception: BaseException | None = None) -> None:
        self.connection.invalidate(exception)

    def close(self) -> None:
        self.connection.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def sqlite_url_for_path(path: str) -> str:
    return f"sqlite:///{path}"


# --- row helpers every domain uses -------------------------------------------------------------

M = TypeVar("M", bound=Base)


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database: {dialect}")  # pragma: no cover - the two supported ones


def lock(session: Session, model: type[M], ident: Any) -> M | None:
    """Load one row with a row lock, refreshing any stale copy in the session."""
    pk = sa.inspect(model).primary_key[0]
    statement = sa.select(model).where(pk == ident).with_for_update().execution_options(populate_existing=True)
    return session.execute(statement).scalar_one_or_none()


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``; True when this call inserted the row.

    On PostgreSQL a concurrent uncommitted insert of the same key makes this wait for the other
    transaction, then do nothing if it committed: exactly one caller wins.
    """
    table = cast(sa.Table, model.__table__)
    # RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    statement = _insert(session, table).values(**values).on_conflict_do_nothing()
    return session.execute(statement.returning(*table.primary_key.columns)).first() is not None


def insert_ignore_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> int:
    """``insert_ignore`` for several rows in one statement; returns how many this call inserted."""
    table = cast(sa.Table, model.__table__)
    inserted = 0
    for start in range(0, len(rows), 200):  # well within SQLite's 32,766 bound parameters
        statement = _insert(session, table).values(rows[start : start + 200]).on_conflict_do_nothing()
        inserted += len(session.execute(statement.returning(*table.primary_key.columns)).all())
    return inserted


def bump_counter(session: Session, model: type[Base], key: dict[str, Any], column: str, step: int) -> int:
    """Add ``step`` to the counter row ``key`` of ``model`` (created at ``step``) and return its value.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` locks the row until the transaction ends
    (PostgreSQL; SQLite holds the database write lock), even with ``step`` 0: whoever bumps the
    same row next waits, so two callers never get the same number, and a rolled-back transaction
    gives its numbers back (asset tags, invoice numbers: gap-free).
    """
    table = cast(sa.Table, model.__table__)
    counter = table.c[column]
    statement = (
        _insert(session, table)
        .values(**key, **{column: step})
        .on_conflict_do_update(index_elements=[table.c[name] for name in key], set_={column: counter + step})
        .returning(counter)
    )
    return int(session.execute(statement).scalar_one())
