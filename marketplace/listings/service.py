"""Catalogue use cases: list a device, edit or withdraw the offer, search and facet counts.

Listing moves the device to ``listed`` and withdrawing moves it back to ``diagnosed``, through
``devices.lifecycle.transition``, each with its passport event. The listing row carries a
snapshot of the device for the catalogue (``sync_from_device``); call ``sync_device_listing``
after changing a listed device's grade, specs or findings so the catalogue follows.

Reads return plain dicts built from one Core select of exactly the columns a result shows (no
ORM objects, no serial, no asset tag): the search endpoint serialises them straight to JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

import diagnostics
from diagnostics.models import Finding
from marketplace.api.pagination import decode_cursor, encode_cursor
from marketplace.db import utcnow
from marketplace.devices import lifecycle, passport
from marketplace.devices.models import CosmeticGrade, Device, DeviceKind, DeviceState, EventKind
from marketplace.erasures import service as erasures
from marketplace.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from marketplace.listings import textsearch
from marketplace.listings.models import (
    GRADE_RANKS,
    UNGRADED_RANK,
    Listing,
    ListingMode,
    ListingStatus,
    Visibility,
)
from marketplace.members.access import INVENTORY_ROLES, Principal, require_org_role, require_user
from marketplace.members.identifiers import department_of
from marketplace.members.models import Organisation, OrganisationKind
from marketplace.reports import service as reports

#: Largest page of search results; a larger ``limit`` is a 422, never a silent cap.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
#: Donations go to these organisation kinds unless the listing says otherwise.
DEFAULT_DONATION_KINDS = (OrganisationKind.NONPROFIT, OrganisationKind.PUBLIC_BODY, OrganisationKind.UNIVERSITY)
#: At most this many findings are shown on a result card.
MAX_KEY_FINDINGS = 5
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
#: Spec keys never copied to the public catalogue, at any depth (identifiers of the hardware).
_PRIVATE_SPEC_KEY = re.compile(r"serial|asset|uuid|mac_?addr|imei|wwn", re.IGNORECASE)

SALE_FIELDS = frozenset({"price_cents", "warranty_months"})
LOAN_FIELDS = frozenset({"min_days", "max_days", "deposit_cents"})
DONATION_FIELDS = frozenset({"eligible_kinds"})
MODE_FIELDS = {ListingMode.SALE: SALE_FIELDS, ListingMode.LOAN: LOAN_FIELDS, ListingMode.DONATION: DONATION_FIELDS}
#: Fields PATCH may change (mode and device are fixed: withdraw and list again instead).
EDITABLE_FIELDS = SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS | {"visibility", "postcode", "description"}


# --- reading -------------------------------------------------------------------------------

#: The columns a listing shows, in one select (the organisation's public face joined).
CARD_COLUMNS = (
    Listing.id,
    Listing.device_id,
    Listing.organisation_id,
    Listing.status,
    Listing.mode,
    Listing.visibility,
    Listing.price_cents,
    Listing.currency,
    Listing.warranty_months,
    Listing.min_days,
    Listing.max_days,
    Listing.deposit_cents,
    Listing.eligible_kinds,
    Listing.postcode,
    Listing.department,
    Listing.description,
    Listing.created_at,
    Listing.updated_at,
    Listing.kind,
    Listing.make,
    Listing.model,
    Listing.specs,
    Listing.health,
    Listing.grade,
    Listing.cosmetic_grade,
    Listing.battery_health_pct,
    Listing.key_findings,
    Listing.remaining_life,
    Organisation.name.label("organisation_name"),
    Listing.organisation_kind,
    Organisation.department.label("organisation_department"),
)
_CARD_FROM = sa.join(Listing, Organisation, Organisation.id == Listing.organisation_id)


def card(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A listing as the API shows it (``schemas.ListingSchema`` documents this shape)."""
    return {
        "id": row["id"],
        "device_id": row["device_id"],
        "status": row["status"],
        "mode": row["mode"],
        "visibility": row["visibility"],
        "price_cents": row["price_cents"],
        "currency": row["currency"],
        "warranty_months": row["warranty_months"],
        "min_days": row["min_days"],
        "max_days": row["max_days"],
        "deposit_cents": row["deposit_cents"],
        "eligible_kinds": row["eligible_kinds"],
        "postcode": row["postcode"],
        "department": row["department"],
        "description": row["description"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "device": {
            "kind": row["kind"],
            "make": row["make"],
            "model": row["model"],
            "specs": row["specs"],
            "health": row["health"],
            "grade": row["grade"],
            "cosmetic_grade": row["cosmetic_grade"],
            "battery_health_pct": row["battery_health_pct"],
            "key_findings": row["key_findings"],
            "remaining_life": row["remaining_life"],
        },
        "organisation": {
            "id": row["organisation_id"],
            "name": row["organisation_name"],
            "kind": row["organisation_kind"],
            "department": row["organisation_department"],
        },
    }


def _read_card(session: Session, listing_id: int) -> dict[str, Any]:
    row = session.execute(sa.select(*CARD_COLUMNS).select_from(_CARD_FROM).where(Listing.id == listing_id)).one()
    return card(row._mapping)


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


# --- the device snapshot -------------------------------------------------------------------


def _public_specs(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _public_specs(v) for k, v in value.items() if not _PRIVATE_SPEC_KEY.search(str(k))}
    if isinstance(value, list):
        return [_public_specs(v) for v in value]
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _storage_gb(specs: Mapping[str, Any]) -> float | None:
    direct = _number(specs.get("storage_gb"))
    if direct is not None:
        return direct
    disks = specs.get("storage") or specs.get("disks")
    if isinstance(disks, list):
        sizes = [_number(d.get("capacity_gb")) for d in disks if isinstance(d, Mapping)]
        known = [s for s in sizes if s is not None]
        return sum(known) if known else None
    return _number(disks)


def _ram_gb(specs: Mapping[str, Any]) -> float | None:
    direct = _number(specs.get("ram_gb"))
    if direct is not None:
        return direct
    megabytes = _number(specs.get("ram_mb"))
    return megabytes / 1024 if megabytes is not None else _number(specs.get("ram"))


def _cpu(specs: Mapping[str, Any]) -> str | None:
    cpu = specs.get("cpu")
    if isinstance(cpu, Mapping):
        cpu = cpu.get("model") or cpu.get("name")
    return str(cpu)[:200] if cpu else None


def key_findings(session: Session, device: Device) -> list[dict[str, Any]]:
    """The findings a result card shows (code, severity, message, component), worst first.

    Read from the device's current diagnostics (the reports domain re-reads its raw files); the
    device-level findings (e.g. "replace the battery") come first at equal severity. Messages are
    scrubbed of the components' serials: the catalogue never shows one.
    """
    current = reports.current_components(session, device)
    if not current.reports:
        return []
    serials = [str(c.identity.get("serial")) for c in current.reports if c.identity.get("serial")]
    found: list[tuple[str | None, Finding]] = [(None, f) for f in diagnostics.assess_device(current.reports).findings]
    found += [(c.component.value, f) for c in current.reports for f in c.assessment.findings]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for component, finding in sorted(found, key=lambda cf: _SEVERITY_ORDER.get(cf[1].severity.value, 9)):
        if finding.code in seen:
            continue
        seen.add(finding.code)
        message = finding.message
        for serial in serials:
            message = message.replace(serial, "…")
        out.append(
            {"code": finding.code, "severity": finding.severity.value, "message": message, "component": component}
        )
    return out[:MAX_KEY_FINDINGS]


def sync_from_device(listing: Listing, device: Device, organisation: Organisation, findings: list[Any]) -> None:
    """Copy what the catalogue filters on and shows from the device and its owner."""
    specs = device.specs or {}
    listing.kind = device.kind
    listing.make = device.make
    listing.model = device.model
    listing.cpu = _cpu(specs)
    listing.ram_gb = _ram_gb(specs)
    listing.storage_gb = _storage_gb(specs)
    listing.health = device.health
    listing.grade = device.grade
    listing.grade_rank = GRADE_RANKS.get(device.grade or "", UNGRADED_RANK)
    listing.cosmetic_grade = device.cosmetic_grade
    listing.battery_health_pct = device.battery_health_pct
    listing.specs = _public_specs(specs)
    listing.remaining_life = device.remaining_life
    listing.key_findings = findings[:MAX_KEY_FINDINGS]
    listing.organisation_kind = organisation.kind
    listing.search_price_cents = listing.price_cents if listing.mode is ListingMode.SALE and listing.price_cents else 0
    listing.search_text = " ".join(p for p in (device.make, device.model, listing.cpu) if p).lower()[:600]


def sync_device_listing(session: Session, device: Device) -> None:
    """Refresh the active listing of ``device`` (if any) after its grade, specs or findings changed."""
    listing = session.scalar(
        sa.select(Listing).where(Listing.device_id == device.id, Listing.status == ListingStatus.ACTIVE)
    )
    if listing is not None:
        sync_from_device(listing, device, listing.organisation, key_findings(session, device))
        session.flush()


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
    device = _load_device_for_listing(session, principal, device_id)
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
    active = session.scalar(
        sa.select(Listing.id).where(Listing.device_id == device.id, Listing.status == ListingStatus.ACTIVE)
    )
    if active is not None:
        raise InvalidState(f"This device is already listed (listing {active}).", errors={"device_id": ["Listed."]})
    erasures.ensure_listable(session, device)
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
    if listing.status is not ListingStatus.ACTIVE:
        raise InvalidState(f"This listing is {listing.status.value}; it can no longer change.")
    if listing.device.state is not DeviceState.LISTED:
        raise InvalidState(f"The device is {listing.device.state.value}; its listing cannot change now.")


def update_listing(
    session: Session, principal: Principal | None, listing_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    listing = _load_listing_as_lister(session, principal, listing_id)
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


def withdraw_listing(session: Session, principal: Principal | None, listing_id: int) -> dict[str, Any]:
    listing = _load_listing_as_lister(session, principal, listing_id)
    _ensure_editable(listing)
    device = listing.device
    previous = lifecycle.transition(device, DeviceState.DIAGNOSED)
    listing.status = ListingStatus.WITHDRAWN
    listing.withdrawn_at = utcnow()
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
    keys: tuple[str, ...] = field(default=())


SORTS: dict[str, _Sort] = {
    "price": _Sort((Listing.search_price_cents, Listing.id), False, ("search_price_cents", "id")),
    "-price": _Sort((Listing.search_price_cents, Listing.id), True, ("search_price_cents", "id")),
    "grade": _Sort(
        (Listing.grade_rank, Listing.search_price_cents, Listing.id), False, ("grade_rank", "search_price_cents", "id")
    ),
    "newest": _Sort((Listing.id,), True, ("id",)),
}


def _conditions(session: Session, principal: Principal | None, f: SearchFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Listing.status == f.status]
    if f.status is not ListingStatus.ACTIVE:
        if f.organisation_id is None:
            raise ValidationFailed(
                "Past listings are listed per organisation.",
                errors={"organisation_id": ["Required with a status other than active."]},
            )
        if not _is_owner(principal, f.organisation_id):
            raise Forbidden("Only the organisation's members see its past listings.")
    elif not _sees_members_only(principal):
        where.append(Listing.visibility == Visibility.PUBLIC)
    if f.kind is not None:
        where.append(Listing.kind == f.kind)
    if f.mode is not None:
        where.append(Listing.mode == f.mode)
    if f.min_grade is not None:
        where.append(Listing.grade_rank <= GRADE_RANKS[f.min_grade])
    if f.cosmetic_grade is not None:
        where.append(Listing.cosmetic_grade == f.cosmetic_grade)
    if f.price_min is not None:
        where.append(Listing.search_price_cents >= f.price_min)
    if f.price_max is not None:
        where.append(Listing.search_price_cents <= f.price_max)
    if f.ram_min is not None:
        where.append(Listing.ram_gb >= f.ram_min)
    if f.storage_min is not None:
        where.append(Listing.storage_gb >= f.storage_min)
    if f.battery_min is not None:
        where.append(Listing.battery_health_pct >= f.battery_min)
    if f.department is not None:
        where.append(Listing.department == f.department)
    if f.organisation_kind is not None:
        where.append(Listing.organisation_kind == f.organisation_kind)
    if f.organisation_id is not None:
        where.append(Listing.organisation_id == f.organisation_id)
    if f.cpu:
        for word in textsearch.words_of(f.cpu):
            where.append(sa.func.lower(Listing.cpu).like("%" + _escape_like(word) + "%", escape="\\"))
    if f.q:
        words = textsearch.words_of(f.q)
        if words:
            where.append(textsearch.for_dialect(session.get_bind().dialect.name).matches(words))
    return where


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _cursor_condition(sort: _Sort, values: list[Any]) -> ColumnElement[bool]:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Invalid cursor."]})
    if len(sort.columns) == 1:
        left: ColumnElement[Any] = sort.columns[0]
        right: ColumnElement[Any] = sa.literal(values[0])
    else:
        left = sa.tuple_(*sort.columns)
        right = sa.tuple_(*(sa.literal(v) for v in values))
    condition: ColumnElement[bool] = left < right if sort.descending else left > right
    return condition


def search(session: Session, principal: Principal | None, query: SearchQuery) -> dict[str, Any]:
    """One page of the catalogue: ``{"items": [...], "next_cursor": ...}``, keyset-paginated."""
    sort = SORTS[query.sort]
    where = _conditions(session, principal, query)
    if query.cursor is not None:
        values = decode_cursor(query.cursor, length=len(sort.columns) + 1)
        if values[0] != query.sort:
            raise ValidationFailed(
                "The cursor belongs to another sort order.", errors={"cursor": ["Made for sort=" + str(values[0])]}
            )
        where.append(_cursor_condition(sort, values[1:]))
    order = [c.desc() for c in sort.columns] if sort.descending else list(sort.columns)
    statement = (
        sa.select(*CARD_COLUMNS, *(Listing.__table__.c[k].label("_k_" + k) for k in sort.keys))
        .select_from(_CARD_FROM)
        .where(*where)
        .order_by(*order)
        .limit(query.limit + 1)
    )
    rows = session.execute(statement).mappings().all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = encode_cursor([query.sort, *(last["_k_" + k] for k in sort.keys)])
    return {"items": [card(r) for r in rows], "next_cursor": next_cursor}


FACETS = ("kind", "mode", "grade", "department")


def facets(session: Session, principal: Principal | None, filters: SearchFilters) -> dict[str, Any]:
    """Counts per kind, mode, grade and department of the listings matching ``filters``."""
    where = _conditions(session, principal, filters)
    columns = (Listing.kind, Listing.mode, Listing.grade, Listing.department)
    statement = sa.select(*columns, sa.func.count()).where(*where).group_by(*columns)
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = 0
    for kind, mode, grade, department, count in session.execute(statement):
        total += count
        for name, value in zip(FACETS, (kind, mode, grade or "ungraded", department), strict=True):
            key = str(value.value if hasattr(value, "value") else value)
            counts[name][key] = counts[name].get(key, 0) + count
    return {"total": total, **{name: dict(sorted(counts[name].items())) for name in FACETS}}
