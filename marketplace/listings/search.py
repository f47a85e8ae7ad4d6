"""The catalogue search and its facet counts: keyset-paginated pages of cards (``cards``), with
each query's SQL compiled once per shape (``compiled.CompiledQueries``).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from marketplace.db import ReadConnection
from marketplace.devices.models import CosmeticGrade, DeviceKind
from marketplace.errors import Forbidden, ValidationFailed
from marketplace.listings import textsearch
from marketplace.listings.cards import CARD_COLUMNS, CARD_FROM, card, text_column
from marketplace.listings.compiled import CompiledQueries
from marketplace.listings.models import GRADE_RANKS, Listing, ListingMode, ListingStatus, Visibility
from marketplace.listings.visibility import on_offer_to
from marketplace.members.access import Principal, owns
from marketplace.members.models import OrganisationKind
from marketplace.pagination import decode_cursor, encode_cursor

#: Largest page of search results; a larger ``limit`` is a 422, never a silent cap.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

_L = Listing.__table__.c


@dataclass(frozen=True)
class SearchFilters:
    """The catalogue filters (``schemas.ListingQueryArgsSchema`` parses them)."""

    kind: DeviceKind | None = None
    mode: ListingMode | None = None
    min_grade: str | None = None
    cosmetic_grade: CosmeticGrade | None = None
    price_min: int | None = None
    price_max: int | None = None
    ram_min: float | None = None
    storage_min: float | None = None
    cpu: str | None = None
    battery_min: float | None = None
    department: str | None = None
    organisation_kind: OrganisationKind | None = None
    organisation_id: int | None = None
    q: str | None = None
    #: Non-active listings: only for members of ``organisation_id`` (their own history).
    status: ListingStatus = ListingStatus.ACTIVE


@dataclass(frozen=True)
class SearchQuery(SearchFilters):
    sort: str = "newest"
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class _Sort:
    columns: tuple[Any, ...]
    descending: bool


SORTS: dict[str, _Sort] = {
    "price": _Sort((_L.search_price_cents, _L.id), False),
    "-price": _Sort((_L.search_price_cents, _L.id), True),
    # Best grade first; within a grade, longest listed first (a price tie-break would put every
    # free loan and donation first and make a mode=sale page scan past all of them).
    "grade": _Sort((_L.grade_rank, _L.id), False),
    "newest": _Sort((_L.id,), True),
}


def _param(name: str, type_: sa.types.TypeEngine[Any] | None = None) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=type_ or sa.String())


@dataclass(frozen=True)
class _Term:
    """One condition of a search: its part of the query's shape, its values, and how to build it
    (only done when that shape is first seen)."""

    key: Hashable
    params: Mapping[str, Any]
    build: Callable[[], ColumnElement[bool]]


def _equal(column: sa.ColumnElement[Any], name: str, value: Any) -> _Term:
    # Enum columns are compared with their stored string; other columns keep their own type.
    type_ = sa.String() if isinstance(value, enum.Enum) or isinstance(column.type, sa.Enum) else column.type
    stored = value.value if isinstance(value, enum.Enum) else value
    return _Term(name, {name: stored}, lambda: column == _param(name, type_))


@functools.cache
def _fixed(name: str, value: enum.Enum) -> _Term:
    """An enum condition written into the SQL itself, its value part of the query's shape.

    For ``status`` and ``visibility``: the search indexes are partial (``WHERE status =
    'active'``), and a planner can use a partial index only when the query says so literally. With
    a bound parameter, PostgreSQL's generic plan for a prepared statement (psycopg prepares a
    statement run five times) and SQLite's plan ignore those indexes and scan instead. A handful of such terms
    exist (they carry no parameters): each is made once."""
    stored = str(value.value)
    if not stored.replace("_", "").isalpha():  # enum values only: nothing to quote or escape
        raise ValueError(f"not a plain enum value: {stored!r}")
    column = _L[name]
    return _Term((name, stored), {}, lambda: column == sa.literal_column(f"'{stored}'"))


def _compare(column: sa.ColumnElement[Any], name: str, value: Any, *, at_least: bool) -> _Term:
    def build() -> ColumnElement[bool]:
        bound = _param(name, sa.Float())
        return column >= bound if at_least else column <= bound

    return _Term(name, {name: value}, build)


#: Filters compared for equality, and range filters (``at_least`` or at most): column, name.
_EQUAL_FILTERS = (
    (_L.kind, "kind"),
    (_L.mode, "mode"),
    (_L.cosmetic_grade, "cosmetic_grade"),
    (_L.department, "department"),
    (_L.organisation_kind, "organisation_kind"),
    (_L.organisation_id, "organisation_id"),
)
_RANGE_FILTERS = (
    (_L.search_price_cents, "price_min", True),
    (_L.search_price_cents, "price_max", False),
    (_L.ram_gb, "ram_min", True),
    (_L.storage_gb, "storage_min", True),
    (_L.battery_health_pct, "battery_min", True),
)


def _terms(dialect: str, principal: Principal | None, f: SearchFilters) -> list[_Term]:
    if f.status is not ListingStatus.ACTIVE:
        if f.organisation_id is None:
            raise ValidationFailed(
                "Past listings are listed per organisation.",
                errors={"organisation_id": ["Required with a status other than active."]},
            )
        if not owns(principal, f.organisation_id):
            raise Forbidden("Only the organisation's members see its past listings.")
    terms = [_fixed("status", f.status)]
    if f.status is ListingStatus.ACTIVE and not on_offer_to(principal, Visibility.MEMBERS):
        terms.append(_fixed("visibility", Visibility.PUBLIC))
    for column, name in _EQUAL_FILTERS:
        value = getattr(f, name)
        if value is not None:
            terms.append(_equal(column, name, value))
    if f.min_grade is not None:
        terms.append(_compare(_L.grade_rank, "max_grade_rank", GRADE_RANKS[f.min_grade], at_least=False))
    for column, name, at_least in _RANGE_FILTERS:
        value = getattr(f, name)
        if value is not None:
            terms.append(_compare(column, name, value, at_least=at_least))
    if f.cpu:
        words = textsearch.words_of(f.cpu)
        params = {f"cpu_{i}": textsearch.like_pattern(w) for i, w in enumerate(words)}

        def cpu_build() -> ColumnElement[bool]:
            lowered = sa.func.lower(_L.cpu)
            return sa.and_(*(lowered.like(_param(name), escape="\\") for name in params))

        terms.append(_Term(("cpu", len(words)), params, cpu_build))
    if f.q:
        words = textsearch.words_of(f.q)
        if words:
            search = textsearch.for_dialect(dialect)
            shape, params, build = search.plan(words)
            terms.append(_Term(("q", shape), params, build))
    return terms


def _cursor_term(sort_name: str, sort: _Sort, cursor: str) -> _Term:
    keys = decode_cursor(cursor, keys=len(sort.columns), tag=sort_name)
    names = [f"after_{i}" for i in range(len(keys))]

    def build() -> ColumnElement[bool]:
        bound = [_param(name, sa.Integer()) for name in names]
        left: ColumnElement[Any] = sa.tuple_(*sort.columns) if len(names) > 1 else sort.columns[0]
        right: ColumnElement[Any] = sa.tuple_(*bound) if len(names) > 1 else bound[0]
        condition: ColumnElement[bool] = left < right if sort.descending else left > right
        return condition

    return _Term("after", dict(zip(names, keys, strict=True)), build)


_PAGES = CompiledQueries()


def search(connection: ReadConnection, principal: Principal | None, query: SearchQuery) -> dict[str, Any]:
    """One page of the catalogue: ``{"items": [...], "next_cursor": ...}``, keyset-paginated.

    The most-read operation of the API: it reads through a plain connection (no ORM session: see
    ``api.context.current_read_connection``), the query is compiled once per shape
    (``compiled.CompiledQueries``) and its rows become the documented dicts directly.
    """
    sort = SORTS[query.sort]
    terms = _terms(connection.dialect.name, principal, query)
    if query.cursor is not None:
        terms.append(_cursor_term(query.sort, sort, query.cursor))
    params: dict[str, Any] = {"page_limit": query.limit + 1}
    for term in terms:
        params.update(term.params)

    def build() -> sa.Select[Any]:
        order = [c.desc() for c in sort.columns] if sort.descending else list(sort.columns)
        return (
            sa.select(*CARD_COLUMNS, *sort.columns)
            .select_from(CARD_FROM)
            .where(*(term.build() for term in terms))
            .order_by(*order)
            .limit(_param("page_limit", sa.Integer()))
        )

    shape = (query.sort, *(term.key for term in terms))
    rows = _PAGES.fetch(connection, shape, build, params)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor([query.sort, *rows[-1][len(CARD_COLUMNS) :]])
    return {"items": [card(r) for r in rows], "next_cursor": next_cursor}


FACETS = ("kind", "mode", "grade", "department")


def facets(session: Session, principal: Principal | None, filters: SearchFilters) -> dict[str, Any]:
    """Counts per kind, mode, grade and department of the listings matching ``filters``."""
    terms = _terms(session.get_bind().dialect.name, principal, filters)
    params: dict[str, Any] = {}
    for term in terms:
        params.update(term.params)
    columns = (_L.kind, _L.mode, _L.grade, _L.department)
    statement = (
        sa.select(*(text_column(c) for c in columns), sa.func.count())
        .where(*(term.build() for term in terms))
        .group_by(*columns)
    )
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = 0
    for row in session.connection().execute(statement, params).all():
        kind, mode, grade, department, count = tuple(row)
        total += count
        for name, value in zip(FACETS, (kind, mode, grade or "ungraded", department), strict=True):
            counts[name][value] = counts[name].get(value, 0) + count
    return {"total": total, **{name: dict(sorted(counts[name].items())) for name in FACETS}}
