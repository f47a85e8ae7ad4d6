"""Catalogue use cases: list a device, edit or withdraw the offer, search and facet counts.

Listing moves the device to ``listed`` and withdrawing moves it back to ``diagnosed``, through
``devices.lifecycle.transition``, each with its passport event. The listing row carries a
snapshot of the device for the catalogue (``listability.follow.sync_from_device``), which
``listability.follow.follow_device`` keeps in step with every change of the device.

Reads return plain dicts built from one Core select of exactly the columns a result shows (no
ORM objects, no serial, no asset tag): the search endpoint serialises them straight to JSON.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from marketplace.api.pagination import decode_cursor, encode_cursor
from marketplace.db import ReadConnection, utcnow
from marketplace.devices import lifecycle, passport
from marketplace.devices.models import CosmeticGrade, Device, DeviceKind, DeviceState, EventKind
from marketplace.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from marketplace.listability.follow import key_findings, open_listing, sync_from_device
from marketplace.listability.rules import ensure_listable
from marketplace.listings import textsearch
from marketplace.listings.compiled import CompiledQueries
from marketplace.listings.models import (
    GRADE_RANKS,
    OPEN_STATUSES,
    Listing,
    ListingMode,
    ListingStatus,
    Visibility,
)
from marketplace.loans.availability import booked_for_loan
from marketplace.members.access import INVENTORY_ROLES, Principal, require_org_role, require_user
from marketplace.members.identifiers import department_of
from marketplace.members.models import Organisation, OrganisationKind
from marketplace.orders.models import Order, OrderStatus
from marketplace.reservations import locks
from marketplace.reservations.service import live_hold

#: Largest page of search results; a larger ``limit`` is a 422, never a silent cap.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
#: Donations go to these organisation kinds unless the listing says otherwise.
DEFAULT_DONATION_KINDS = (OrganisationKind.NONPROFIT, OrganisationKind.PUBLIC_BODY, OrganisationKind.UNIVERSITY)

SALE_FIELDS = frozenset({"price_cents", "warranty_months"})
LOAN_FIELDS = frozenset({"min_days", "max_days", "deposit_cents"})
DONATION_FIELDS = frozenset({"eligible_kinds"})
MODE_FIELDS = {ListingMode.SALE: SALE_FIELDS, ListingMode.LOAN: LOAN_FIELDS, ListingMode.DONATION: DONATION_FIELDS}
#: Fields PATCH may change (mode and device are fixed: withdraw and list again instead).
EDITABLE_FIELDS = SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS | {"visibility", "postcode", "description"}


# --- reading -------------------------------------------------------------------------------

_L = Listing.__table__.c
_O = Organisation.__table__.c


def _text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """An enum column read as its stored string: the JSON needs the value, not an Enum object."""
    return sa.type_coerce(column, sa.String).label(column.name)


#: The columns a listing shows, in one Core select (the organisation's public face joined); ``card``
#: reads them by position. Core, not ORM attributes: no ORM compile or loading step per query.
CARD_COLUMNS: tuple[sa.ColumnElement[Any], ...] = (
    _L.id,
    _L.device_id,
    _L.organisation_id,
    _text(_L.status),
    _text(_L.mode),
    _text(_L.visibility),
    _L.price_cents,
    _L.currency,
    _L.warranty_months,
    _L.min_days,
    _L.max_days,
    _L.deposit_cents,
    _L.eligible_kinds,
    _L.postcode,
    _L.department,
    _L.description,
    _L.created_at,
    _L.updated_at,
    _text(_L.kind),
    _L.make,
    _L.model,
    _L.specs,
    _L.health,
    _L.grade,
    _text(_L.cosmetic_grade),
    _L.battery_health_pct,
    _L.key_findings,
    _L.remaining_life,
    _O.name.label("organisation_name"),
    _text(_L.organisation_kind),
    _O.department.label("organisation_department"),
    _L.suspended_reason,
)
_CARD_FROM = sa.join(Listing.__table__, Organisation.__table__, _O.id == _L.organisation_id)


def card(r: Sequence[Any]) -> dict[str, Any]:
    """A listing as the API shows it (``schemas.ListingSchema`` documents this shape), from a row
    of ``CARD_COLUMNS``."""
    return {
        "id": r[0],
        "device_id": r[1],
        "status": r[3],
        "mode": r[4],
        "visibility": r[5],
        "price_cents": r[6],
        "currency": r[7],
        "warranty_months": r[8],
        "min_days": r[9],
        "max_days": r[10],
        "deposit_cents": r[11],
        "eligible_kinds": r[12],
        "postcode": r[13],
        "department": r[14],
        "description": r[15],
        "created_at": r[16],
        "updated_at": r[17],
        "device": {
            "kind": r[18],
            "make": r[19],
            "model": r[20],
            "specs": r[21],
            "health": r[22],
            "grade": r[23],
            "cosmetic_grade": r[24],
            "battery_health_pct": r[25],
            "key_findings": r[26],
            "remaining_life": r[27],
        },
        "organisation": {"id": r[2], "name": r[28], "kind": r[29], "department": r[30]},
        "status_reason": r[31],
    }


def _read_card(session: Session, listing_id: int) -> dict[str, Any]:
    statement = sa.select(*CARD_COLUMNS).select_from(_CARD_FROM).where(_L.id == listing_id)
    return card(session.connection().execute(statement).one())


def _sees_members_only(principal: Principal | None) -> bool:
    """Members of any organisation (and staff) see members-only listings; others public ones."""
    return (
        principal is not None
        and principal.user_id is not None
        and (principal.is_staff or bool(principal.organisation_ids))
    )


def _is_owner(principal: Principal | None, organisation_id: int) -> bool:
    return (
        principal is not None
        and principal.user_id is not None
        and (principal.is_staff or principal.is_member_of(organisation_id))
    )


def get_listing(session: Session, principal: Principal | None, listing_id: int) -> dict[str, Any]:
    """An active listing the caller may see; the owner organisation also sees past ones."""
    row = session.execute(
        sa.select(Listing.organisation_id, Listing.status, Listing.visibility).where(Listing.id == listing_id)
    ).one_or_none()
    if row is None:
        raise NotFound("No such listing.")
    owner = _is_owner(principal, row.organisation_id)
    visible = row.status is ListingStatus.ACTIVE and (
        row.visibility is Visibility.PUBLIC or _sees_members_only(principal)
    )
    if not (owner or visible):
        raise NotFound("No such listing.")
    return _read_card(session, listing_id)


# --- writing -------------------------------------------------------------------------------


def _check_mode_fields(mode: ListingMode, values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name in sorted((SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS) - MODE_FIELDS[mode]):
        if values.get(name) is not None:
            errors[name] = [f"Not used by a {mode.value} listing."]
    if mode is ListingMode.SALE and values.get("price_cents") is None:
        errors["price_cents"] = ["A sale needs a price (in cents)."]
    min_days, max_days = values.get("min_days"), values.get("max_days")
    if min_days is not None and max_days is not None and min_days > max_days:
        errors["max_days"] = ["Must not be shorter than min_days."]
    if errors:
        raise ValidationFailed(f"The {mode.value} listing has invalid fields.", errors=errors)


def _place(postcode: str | None, organisation: Organisation) -> tuple[str, str]:
    if postcode is None:
        return organisation.postcode, organisation.department
    department = department_of(postcode)
    if department is None:
        raise ValidationFailed("The pickup postcode is not valid.", errors={"postcode": ["Not a French postcode."]})
    return postcode, department


def _load_device_for_listing(session: Session, principal: Principal | None, device_id: int) -> Device:
    require_user(principal)
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    require_org_role(principal, device.organisation_id, INVENTORY_ROLES, what="device")
    return device


def create_listing(
    session: Session,
    principal: Principal | None,
    *,
    device_id: int,
    mode: ListingMode,
    visibility: Visibility = Visibility.MEMBERS,
    postcode: str | None = None,
    description: str | None = None,
    price_cents: int | None = None,
    warranty_months: int | None = None,
    min_days: int | None = None,
    max_days: int | None = None,
    deposit_cents: int | None = None,
    eligible_kinds: Sequence[OrganisationKind] | None = None,
) -> dict[str, Any]:
    # Under the device's lock (``reservations.locks``): of parallel listings of one device, or a
    # listing and a diagnostics upload, the later one sees what the first did (409, not a clash).
    device = locks.lock_device(session, _load_device_for_listing(session, principal, device_id).id)
    values: dict[str, Any] = {
        "price_cents": price_cents,
        "warranty_months": warranty_months,
        "min_days": min_days,
        "max_days": max_days,
        "deposit_cents": deposit_cents,
        "eligible_kinds": eligible_kinds,
    }
    _check_mode_fields(mode, values)
    organisation = device.organisation
    place = _place(postcode, organisation)
    current = open_listing(session, device.id)
    if current is not None:
        if current.status is ListingStatus.SUSPENDED:
            raise InvalidState(
                f"This device's listing {current.id} is suspended; it comes back by itself once the device "
                f"is listable again ({current.suspended_reason}), or withdraw it first.",
                errors={"device_id": ["Listing suspended."]},
            )
        raise InvalidState(f"This device is already listed (listing {current.id}).", errors={"device_id": ["Listed."]})
    ensure_listable(session, device)
    if mode is ListingMode.DONATION:
        kinds = eligible_kinds or DEFAULT_DONATION_KINDS
        values["eligible_kinds"] = sorted({OrganisationKind(k).value for k in kinds})
    listing = Listing(
        device_id=device.id,
        organisation_id=device.organisation_id,
        mode=mode,
        status=ListingStatus.ACTIVE,
        visibility=visibility,
        postcode=place[0],
        department=place[1],
        description=description,
        **values,
    )
    sync_from_device(listing, device, organisation, key_findings(session, device))
    session.add(listing)
    previous = lifecycle.transition(device, DeviceState.LISTED)
    session.flush()
    passport.record_event(
        session,
        device,
        EventKind.LISTED,
        principal,
        state_from=previous,
        data={
            "listing_id": listing.id,
            "mode": mode.value,
            "price_cents": listing.price_cents,
            "visibility": visibility.value,
            "department": listing.department,
        },
    )
    session.flush()
    return _read_card(session, listing.id)


def _load_listing_as_lister(session: Session, principal: Principal | None, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("No such listing.")
    if not _is_owner(principal, listing.organisation_id):
        visible = listing.status is ListingStatus.ACTIVE and (
            listing.visibility is Visibility.PUBLIC or _sees_members_only(principal)
        )
        if not visible:
            raise NotFound("No such listing.")
        require_user(principal)
        raise Forbidden("Only the listing organisation's listers change its listings.")
    require_org_role(principal, listing.organisation_id, INVENTORY_ROLES, what="listing")
    return listing


def _ensure_editable(listing: Listing) -> None:
    """Active and suspended listings may change their terms or be withdrawn; past ones not."""
    if listing.status not in OPEN_STATUSES:
        raise InvalidState(f"This listing is {listing.status.value}; it can no longer change.")
    if listing.device.state is not DeviceState.LISTED:
        raise InvalidState(f"The device is {listing.device.state.value}; its listing cannot change now.")


def update_listing(
    session: Session, principal: Principal | None, listing_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    _device, listing = locks.lock_listing(session, _load_listing_as_lister(session, principal, listing_id).id)
    _ensure_editable(listing)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed("These fields cannot change.", errors={k: ["Cannot change."] for k in sorted(unknown)})
    merged = {name: getattr(listing, name) for name in SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS}
    merged.update({k: v for k, v in changes.items() if k in merged})
    if "eligible_kinds" in changes and changes["eligible_kinds"] is not None:
        merged["eligible_kinds"] = sorted({OrganisationKind(k).value for k in changes["eligible_kinds"]})
    _check_mode_fields(listing.mode, merged)
    updates = dict(merged)
    if "visibility" in changes:
        updates["visibility"] = changes["visibility"]
    if "description" in changes:
        updates["description"] = changes["description"]
    if "postcode" in changes:
        updates["postcode"], updates["department"] = _place(changes["postcode"], listing.organisation)
    diff: dict[str, tuple[Any, Any]] = {}
    for name, new in updates.items():
        old = getattr(listing, name)
        if old != new:
            diff[name] = (_plain(old), _plain(new))
            setattr(listing, name, new)
    if diff:
        listing.search_price_cents = (
            listing.price_cents if listing.mode is ListingMode.SALE and listing.price_cents else 0
        )
        listing.updated_at = utcnow()
        passport.record_event(
            session,
            listing.device,
            EventKind.UPDATED,
            principal,
            changes=diff,
            data={"listing_id": listing.id},
        )
        session.flush()
    return _read_card(session, listing.id)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Visibility | ListingMode) else value


def _ensure_no_live_commitment(session: Session, listing: Listing) -> None:
    """A listing someone holds, has ordered or has booked a loan on cannot be withdrawn: the
    member would be left with a hold, an order or a loan on nothing."""
    now = utcnow()
    live = {
        "hold": live_hold(session, listing.id, now) is not None,
        "order": session.scalar(
            sa.select(Order.id)
            .where(Order.device_id == listing.device_id, Order.status.in_((OrderStatus.PENDING, OrderStatus.CONFIRMED)))
            .limit(1)
        )
        is not None,
        "loan": booked_for_loan(session, listing.device_id, now.date()),
    }
    found = [name for name, is_live in live.items() if is_live]
    if found:
        raise InvalidState(
            f"The listing cannot be withdrawn while a {' and a '.join(found)} on it is live.",
            errors={"listing": [f"Live {name}." for name in found]},
        )


def withdraw_listing(session: Session, principal: Principal | None, listing_id: int) -> dict[str, Any]:
    # Under the device's then the listing's lock, like every hold, order and loan booking: a hold or
    # a loan taken meanwhile is seen by the check below, and one taken after sees the withdrawal.
    _device, listing = locks.lock_listing(session, _load_listing_as_lister(session, principal, listing_id).id)
    _ensure_editable(listing)
    _ensure_no_live_commitment(session, listing)
    device = listing.device
    previous = lifecycle.transition(device, DeviceState.DIAGNOSED)
    listing.status = ListingStatus.WITHDRAWN
    listing.withdrawn_at = utcnow()
    listing.suspended_reason = None
    passport.record_event(
        session,
        device,
        EventKind.UNLISTED,
        principal,
        state_from=previous,
        data={"listing_id": listing.id, "reason": "withdrawn"},
    )
    session.flush()
    return _read_card(session, listing.id)


# --- search --------------------------------------------------------------------------------


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
    statement run five times) and SQLite's plan ignore those indexes: at a million listings the
    catalogue page went from index scans to a third of the throughput. A handful of such terms
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
        if not _is_owner(principal, f.organisation_id):
            raise Forbidden("Only the organisation's members see its past listings.")
    terms = [_fixed("status", f.status)]
    if f.status is ListingStatus.ACTIVE and not _sees_members_only(principal):
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
            .select_from(_CARD_FROM)
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
        sa.select(*(_text(c) for c in columns), sa.func.count())
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
