"""Devices: register, read, update, repair and retire an organisation's devices.

Plain functions with the session passed in; they flush, never commit, and raise DomainError.
Every change writes its passport event (``passport.record_event``) in the same transaction,
and every state change goes through ``lifecycle.transition``.

Who may do what (staff may do everything):

- read (get, list, passport in full): any member of the owning organisation;
- write (create, update, retire): its admins and listers;
- repairs: its admins, listers and technicians;
- anyone else gets 404 for a device (its existence is not revealed); bench tokens only upload
  diagnostics (403 here).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marketplace.db import bump_counter
from marketplace.devices import lifecycle, transfers
from marketplace.devices.codes import new_public_code
from marketplace.devices.models import (
    CosmeticGrade,
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceState,
    DeviceTagSequence,
    EventKind,
)
from marketplace.devices.passport import public_event, record_event
from marketplace.devices.specs import validate_specs
from marketplace.errors import (
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from marketplace.listability.follow import follow_device, open_listing
from marketplace.listings import visibility
from marketplace.listings.models import Listing, ListingStatus
from marketplace.members.access import (
    BENCH_ROLES,
    INVENTORY_ROLES,
    SCOPE_API,
    Principal,
    former_owner_history_end,
    owns,
    require_user,
)
from marketplace.members.models import ApiToken, Organisation, Role, User
from marketplace.pagination import Page, id_page

#: Server-generated asset tags: ``RLF-000123``, numbered per organisation.
ASSET_TAG_PREFIX = "RLF-"
ASSET_TAG_DIGITS = 6

#: Device fields a PATCH may change. State, grade and health have their own paths
#: (lifecycle endpoints, diagnostics); organisation and version never change by PATCH.
UPDATABLE_FIELDS = ("kind", "make", "model", "serial", "asset_tag", "specs", "cosmetic_grade", "location", "notes")

#: Fields whose change alone keeps an ``updated`` event out of the public passport (identifiers,
#: internal notes, where the device sits in the owner's premises). What a public event shows is
#: decided by the allow-list ``passport.PUBLIC_VIEWS``.
PRIVATE_FIELDS = frozenset({"serial", "asset_tag", "notes", "location"})

__all__ = [
    "ASSET_TAG_PREFIX",
    "PRIVATE_FIELDS",
    "PassportPage",
    "Registration",
    "complete_repair",
    "create_device",
    "find_device_for_upsert",
    "format_asset_tag",
    "get_device",
    "get_passport",
    "list_devices",
    "lock_organisation_devices",
    "new_asset_tags",
    "new_registration",
    "registration_changes",
    "retire_device",
    "start_repair",
    "update_device",
    "validate_specs",
]


# --- access -----------------------------------------------------------------------------------


def _require_role(principal: Principal, organisation_id: int, allowed: frozenset[Role], action: str) -> None:
    """Staff and the allowed roles pass; other members of the organisation get 403; outsiders
    get 404 (the device is private: whether it exists is not revealed)."""
    if principal.is_staff or principal.has_role(organisation_id, allowed):
        return
    if principal.is_member_of(organisation_id):
        raise Forbidden(f"Your role in this organisation does not allow you to {action}.")
    raise NotFound("No such device.")


def _load_device(session: Session, principal: Principal, device_id: int, *, for_update: bool = True) -> Device:
    """The device, for a write under its row lock (``reservations.locks``: the device first, like
    listing, holds, orders and loans), so a change of state races none of them; reads pass
    ``for_update=False``. The version check (If-Match) then compares with the committed version."""
    device = session.get(Device, device_id, with_for_update=for_update, populate_existing=for_update)
    if device is None or not principal.owns(device.organisation_id):
        raise NotFound("No such device.")
    return device


def require_organisation_reader(principal: Principal | None, organisation_id: int) -> Principal:
    """Who reads an organisation's devices: its members and staff (a user, not a bench token)."""
    principal = require_user(principal)
    if not principal.owns(organisation_id):
        raise Forbidden("You are not a member of this organisation.")
    return principal


def get_devices_of(
    session: Session, principal: Principal | None, organisation_id: int, device_ids: Sequence[int]
) -> list[Device]:
    """Devices of one organisation by id, in the order asked, all or nothing: an id that is not
    one of the organisation's devices the caller reads (unknown, or another's: the same answer)
    is a 422 naming it."""
    require_organisation_reader(principal, organisation_id)
    wanted = list(dict.fromkeys(device_ids))
    found = {
        d.id: d
        for d in session.scalars(
            sa.select(Device).where(Device.id.in_(wanted), Device.organisation_id == organisation_id)
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        names = ", ".join(str(i) for i in missing)
        raise ValidationFailed(
            f"No device {names} in this organisation: nothing was printed.",
            errors={"device_ids": [f"Not a device of organisation {organisation_id}: {names}."]},
        )
    return [found[i] for i in wanted]


def device_by_public_code(session: Session, code: str) -> Device:
    """The device whose label carries ``code`` (already normalised: ``codes.normalise_public_code``).
    Who may read what of it is the passport's rule (``get_passport``), not this lookup's."""
    device = session.scalar(sa.select(Device).where(Device.public_code == code))
    if device is None:
        raise NotFound("No such device.")
    return device


def public_codes(session: Session, device_ids: Iterable[int]) -> dict[int, str]:
    """``{device id: public code}`` for catalogue cards that link to the devices' pages."""
    ids = sorted(set(device_ids))
    if not ids:
        return {}
    rows = session.execute(sa.select(Device.id, Device.public_code).where(Device.id.in_(ids))).all()
    return {row.id: row.public_code for row in rows}


# --- asset tags -------------------------------------------------------------------------------


def format_asset_tag(number: int) -> str:
    return f"{ASSET_TAG_PREFIX}{number:0{ASSET_TAG_DIGITS}d}"


def reserve_tag_numbers(session: Session, organisation_id: int, count: int) -> range:
    """Take ``count`` consecutive numbers (0: none) of the organisation's asset-tag sequence.

    The sequence row stays locked until the transaction ends (``db.bump_counter``), even for 0:
    device creations in one organisation are serialised from there on, so two never get the same
    number, nor pass the serial and asset tag checks together."""
    last = bump_counter(session, DeviceTagSequence, {"organisation_id": organisation_id}, "last_value", count)
    return range(last - count + 1, last + 1)


def lock_organisation_devices(session: Session, organisation_id: int) -> None:
    """Serialise device creation in the organisation until the transaction ends (see above)."""
    reserve_tag_numbers(session, organisation_id, 0)


def new_asset_tags(session: Session, organisation_id: int, count: int, taken: set[str]) -> list[str]:
    """``count`` new server-generated tags from the sequence, skipping those in ``taken`` (the
    organisation's tags in use, which the new ones join): for the bulk importer, which knows them."""
    tags: list[str] = []
    while len(tags) < count:
        for number in reserve_tag_numbers(session, organisation_id, count - len(tags)):
            tag = format_asset_tag(number)
            if tag not in taken:
                tags.append(tag)
                taken.add(tag)
    return tags


def _next_tag_number(session: Session, organisation_id: int) -> int:
    return reserve_tag_numbers(session, organisation_id, 1)[0]


def _asset_tag_taken(session: Session, organisation_id: int, asset_tag: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(Device.id).where(Device.organisation_id == organisation_id, Device.asset_tag == asset_tag)
    if exclude_id is not None:
        query = query.where(Device.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def asset_tag_for_newcomer(session: Session, device: Device, organisation_id: int) -> str:
    """The asset tag ``device`` keeps when it joins ``organisation_id`` (a transfer of ownership):
    its own, unless that organisation already uses it; then the next one of its sequence."""
    if _asset_tag_taken(session, organisation_id, device.asset_tag, exclude_id=device.id):
        return _generate_asset_tag(session, organisation_id)
    return device.asset_tag


def _generate_asset_tag(session: Session, organisation_id: int) -> str:
    # A user may have taken a tag of our form by hand (e.g. in an import): skip those numbers.
    while True:
        tag = format_asset_tag(_next_tag_number(session, organisation_id))
        if not _asset_tag_taken(session, organisation_id, tag):
            return tag


def _asset_tag_conflict(asset_tag: str) -> Conflict:
    return Conflict(
        f"The asset tag {asset_tag} is already used in this organisation.",
        errors={"asset_tag": ["Already used in this organisation."]},
    )


def _serial_taken(session: Session, organisation_id: int, serial: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(Device.id).where(Device.organisation_id == organisation_id, Device.serial == serial)
    if exclude_id is not None:
        query = query.where(Device.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def _serial_conflict() -> Conflict:
    return Conflict(
        "A device with this serial number is already registered in this organisation.",
        errors={"serial": ["Already registered in this organisation."]},
    )


#: Column lengths (PostgreSQL enforces them; the service checks first so the importer, which
#: calls it without the API schemas, gets a field error rather than a database error).
MAX_LENGTHS = {"make": 120, "model": 200, "serial": 120, "asset_tag": 64, "location": 200, "notes": 5000}


def _clean_text(value: str | None, field: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ValidationFailed(f"{field} is required.", errors={field: ["Missing data for required field."]})
        return None
    value = str(value).strip()
    if not value:
        if required:
            raise ValidationFailed(f"{field} must not be blank.", errors={field: ["Must not be blank."]})
        return None
    limit = MAX_LENGTHS.get(field)
    if limit is not None and len(value) > limit:
        raise ValidationFailed(f"{field} is too long.", errors={field: [f"Longer than maximum length {limit}."]})
    return value


def _as_cosmetic_grade(value: CosmeticGrade | str | None) -> CosmeticGrade | None:
    if value is None:
        return None
    try:
        return CosmeticGrade(value)
    except ValueError:
        allowed = ", ".join(g.value for g in CosmeticGrade)
        raise ValidationFailed(
            "Unknown cosmetic grade.", errors={"cosmetic_grade": [f"Must be one of: {allowed}."]}
        ) from None


# --- create / find ----------------------------------------------------------------------------


def create_device(
    session: Session,
    principal: Principal | None,
    *,
    organisation_id: int,
    kind: DeviceKind | str,
    make: str,
    model: str,
    serial: str,
    asset_tag: str | None = None,
    specs: Mapping[str, Any] | None = None,
    cosmetic_grade: CosmeticGrade | str | None = None,
    location: str | None = None,
    notes: str | None = None,
    source_event: EventKind = EventKind.REGISTERED,
) -> Device:
    """Register a device in ``organisation_id`` (admins and listers of it, staff).

    The asset tag is generated (``RLF-000123``) when absent; a given tag already used in the
    organisation, or a serial already registered there, is a 409. The passport gets a
    ``source_event`` event (``imported`` for the bulk importer) with every field as a change.
    """
    principal = require_user(principal)
    if session.get(Organisation, organisation_id) is None:
        if principal.is_staff:
            raise ValidationFailed("No such organisation.", errors={"organisation_id": ["Unknown organisation."]})
        raise Forbidden("You may not register devices for this organisation.")
    if not (principal.is_staff or principal.has_role(organisation_id, INVENTORY_ROLES)):
        raise Forbidden("Only the organisation's admins and listers register devices.")

    registration = new_registration(
        kind=kind,
        make=make,
        model=model,
        serial=serial,
        asset_tag=asset_tag,
        specs=specs,
        cosmetic_grade=cosmetic_grade,
        location=location,
        notes=notes,
    )
    clean_serial = registration.values["serial"]
    tag = registration.values["asset_tag"]

    lock_organisation_devices(session, organisation_id)
    if _serial_taken(session, organisation_id, clean_serial):
        raise _serial_conflict()
    if tag is not None and _asset_tag_taken(session, organisation_id, tag):
        raise _asset_tag_conflict(tag)
    if tag is None:
        tag = _generate_asset_tag(session, organisation_id)
        registration = registration.with_asset_tag(tag)

    values = registration.values
    device = Device(
        **{
            **values,
            "kind": DeviceKind(values["kind"]),
            "cosmetic_grade": _as_cosmetic_grade(values["cosmetic_grade"]),
        },
        organisation_id=organisation_id,
        state=DeviceState.REGISTERED,
    )
    try:
        # A concurrent creation may have taken the same tag since the check above: the
        # savepoint keeps the caller's transaction usable and the unique constraint decides.
        with session.begin_nested():
            session.add(device)
            session.flush()
    except IntegrityError:
        raise _asset_tag_conflict(tag) from None
    event = record_event(
        session,
        device,
        source_event,
        principal,
        organisation_id=organisation_id,
        changes=registration.event_changes,
        public=True,
    )
    event.state_to = device.state.value
    session.flush()
    return device


class Registration(NamedTuple):
    """A device to register, as plain values: what the API's ``create_device`` turns into a
    ``Device`` and the bulk importer into a row of its COPY / multi-row INSERT."""

    #: The device's columns (``REGISTRATION_COLUMNS``) in stored form: kind and grade as their
    #: values, specs as a dict; the asset tag is None until the caller has chosen or generated it.
    values: dict[str, Any]
    #: Its first passport event's ``changes`` (``registration_changes`` of ``values``).
    event_changes: dict[str, tuple[None, Any]]

    def with_asset_tag(self, asset_tag: str) -> Registration:
        """The same registration with the asset tag the organisation's sequence gave it."""
        values = {**self.values, "asset_tag": asset_tag}
        return Registration(values, registration_changes(values))


#: The columns a registration sets (organisation, state and version are the caller's).
REGISTRATION_COLUMNS = (*UPDATABLE_FIELDS, "public_code")


def new_registration(
    *,
    kind: DeviceKind | str,
    make: str | None,
    model: str | None,
    serial: str | None,
    asset_tag: str | None = None,
    specs: Mapping[str, Any] | None = None,
    cosmetic_grade: CosmeticGrade | str | None = None,
    location: str | None = None,
    notes: str | None = None,
    check_specs: Callable[[DeviceKind, Mapping[str, Any] | None], dict[str, Any]] = validate_specs,
) -> Registration:
    """THE registration of a device, for the API and the bulk importer alike: fields cleaned
    (stripped, required, lengths), kind and cosmetic grade checked, specs validated, a new public
    code, and the passport changes of its first event. Raises ``ValidationFailed`` naming the field.

    No database access: the caller checks serial and asset tag against the organisation's devices
    and generates a missing tag (``with_asset_tag``). ``check_specs`` is ``validate_specs`` or a
    memo of it (the importer validates each distinct specs document of a file once)."""
    clean_kind = _as_kind(kind)
    clean_specs = check_specs(clean_kind, specs)
    clean_make = _clean_text(make, "make", required=True)
    clean_model = _clean_text(model, "model", required=True)
    clean_serial = _clean_text(serial, "serial", required=True)
    grade = _as_cosmetic_grade(cosmetic_grade)
    values = {
        "kind": clean_kind.value,
        "make": clean_make,
        "model": clean_model,
        "serial": clean_serial,
        "asset_tag": _clean_text(asset_tag, "asset_tag"),
        "specs": clean_specs,
        "cosmetic_grade": grade.value if grade is not None else None,
        "location": _clean_text(location, "location"),
        "notes": _clean_text(notes, "notes"),
        "public_code": new_public_code(),
    }
    return Registration(values, registration_changes(values))


def find_device_for_upsert(
    session: Session, organisation_id: int, serial: str | None = None, asset_tag: str | None = None
) -> Device | None:
    """The organisation's device with this asset tag or serial (for the bulk importer's upsert).

    No access check: the caller has checked that the principal may write in the organisation.
    A tag and a serial that name two different devices are a 409 naming both fields.
    """
    serial = (serial or "").strip() or None
    asset_tag = (asset_tag or "").strip() or None
    by_tag = by_serial = None
    if asset_tag is not None:
        by_tag = session.scalar(
            sa.select(Device).where(Device.organisation_id == organisation_id, Device.asset_tag == asset_tag)
        )
    if serial is not None:
        by_serial = session.scalar(
            sa.select(Device)
            .where(Device.organisation_id == organisation_id, Device.serial == serial)
            .order_by(Device.id)
            .limit(1)
        )
    if by_tag is not None and by_serial is not None and by_tag.id != by_serial.id:
        raise Conflict(
            "The asset tag and the serial number belong to two different devices.",
            errors={
                "asset_tag": [f"Belongs to device {by_tag.id}."],
                "serial": [f"Belongs to device {by_serial.id}."],
            },
        )
    return by_tag or by_serial


def _as_kind(kind: DeviceKind | str) -> DeviceKind:
    try:
        return DeviceKind(kind)
    except ValueError:
        raise ValidationFailed("Unknown device kind.", errors={"kind": [f"Not a device kind: {kind}."]}) from None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _snapshot(device: Device) -> dict[str, Any]:
    return {field: _plain(getattr(device, field)) for field in UPDATABLE_FIELDS}


#: A field left empty at registration, which its first passport event does not mention.
_UNSET: tuple[Any, ...] = (None, {}, "")


def registration_changes(values: Mapping[str, Any]) -> dict[str, tuple[None, Any]]:
    """The passport changes of a device's first event (``registered``, or ``imported``), from its
    plain field values (``new_registration``'s, for the API and the bulk importer alike): each
    set field from nothing, specs as one document, in ``UPDATABLE_FIELDS`` order. THE shape of a
    registration in the passport: the API and the importer both write what this returns."""
    return {field: (None, values[field]) for field in UPDATABLE_FIELDS if values[field] not in _UNSET}


# --- read -------------------------------------------------------------------------------------


def get_device(session: Session, principal: Principal | None, device_id: int) -> Device:
    principal = require_user(principal)
    return _load_device(session, principal, device_id, for_update=False)


def list_devices(
    session: Session,
    principal: Principal | None,
    *,
    organisation_id: int | None = None,
    kind: DeviceKind | None = None,
    state: DeviceState | None = None,
    grade: str | None = None,
    cosmetic_grade: CosmeticGrade | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Device]:
    """The caller's organisations' devices (all of them for staff), newest first."""
    principal = require_user(principal)
    query = sa.select(Device)
    if organisation_id is not None:
        require_organisation_reader(principal, organisation_id)
        query = query.where(Device.organisation_id == organisation_id)
    elif not principal.is_staff:
        query = query.where(Device.organisation_id.in_(sorted(principal.organisation_ids)))
    if kind is not None:
        query = query.where(Device.kind == kind)
    if state is not None:
        query = query.where(Device.state == state)
    if grade is not None:
        query = query.where(Device.grade == grade)
    if cosmetic_grade is not None:
        query = query.where(Device.cosmetic_grade == cosmetic_grade)
    if q is not None and q.strip():
        term = q.strip()
        query = query.where(
            sa.or_(
                *(
                    column.icontains(term, autoescape=True)
                    for column in (Device.make, Device.model, Device.serial, Device.asset_tag)
                )
            )
        )
    return id_page(session, query, Device.id, cursor=cursor, limit=limit)


# --- update -----------------------------------------------------------------------------------


def _device_to_change(
    session: Session,
    principal: Principal | None,
    device_id: int,
    roles: frozenset[Role],
    action: str,
    expected_version: int | None,
    *,
    version_required: bool = False,
) -> tuple[Principal, Device]:
    """The caller and the device a write changes, under its row lock: the caller's role in the
    device's organisation checked (``_require_role``), and the version it read (If-Match) when
    sent, or always when ``version_required``."""
    principal = require_user(principal)
    device = _load_device(session, principal, device_id)
    _require_role(principal, device.organisation_id, roles, action)
    if version_required or expected_version is not None:
        _check_version(device, expected_version)
    return principal, device


def _repair_data(parts: Sequence[str], notes: str | None) -> dict[str, Any]:
    """A repair event's data: the parts named (blank names dropped), and the notes when any."""
    data: dict[str, Any] = {"parts": [p.strip() for p in parts if p.strip()]}
    if notes and notes.strip():
        data["notes"] = notes.strip()
    return data


def _check_version(device: Device, expected_version: int | None) -> None:
    if expected_version is None:
        raise PreconditionRequired(
            "Send the version you read in an If-Match header (the ETag of GET /devices/{id}).",
            headers={"ETag": f'"{device.version}"'},
        )
    if expected_version != device.version:
        raise PreconditionFailed(
            f"The device has changed since you read it (version {device.version}, not {expected_version}); "
            "read it again and re-apply your change.",
            headers={"ETag": f'"{device.version}"'},
        )


def _flush_versioned(session: Session, device: Device) -> None:
    """Flush a change; a concurrent update that committed first (the versioned UPDATE then
    matches no row) is a lost update refused as 412, not applied."""
    try:
        session.flush()
    except StaleDataError:
        raise PreconditionFailed("The device was changed by someone else meanwhile; read it again.") from None


def update_device(
    session: Session,
    principal: Principal | None,
    device_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
) -> Device:
    """Apply ``changes`` (fields of ``UPDATABLE_FIELDS``) if ``expected_version`` is current.

    ``specs`` replaces the whole specs document and is validated for the (new) kind; changing
    the kind re-validates the current specs. One ``updated`` event lists each changed field
    from → to; an event whose changes are all private (serial, asset tag, notes, location) is
    left out of the public passport.
    """
    principal, device = _device_to_change(
        session, principal, device_id, INVENTORY_ROLES, "change devices", expected_version, version_required=True
    )
    unknown = sorted(set(changes) - set(UPDATABLE_FIELDS))
    if unknown:
        raise ValidationFailed("These fields cannot be changed.", errors={k: ["Cannot be changed."] for k in unknown})
    if device.state is DeviceState.RETIRED:
        raise InvalidState(f"A retired device cannot be changed {lifecycle.allowed_from(device.state)}.")
    lifecycle.ensure_not_sold(device)

    before = _snapshot(device)
    new: dict[str, Any] = {}
    if "kind" in changes:
        new["kind"] = _as_kind(changes["kind"])
    kind = new.get("kind", device.kind)
    if "specs" in changes or "kind" in new:
        new["specs"] = validate_specs(kind, changes.get("specs", device.specs))
    for field in ("make", "model", "serial"):
        if field in changes:
            new[field] = _clean_text(changes[field], field, required=True)
    for field in ("location", "notes"):
        if field in changes:
            new[field] = _clean_text(changes[field], field)
    if "cosmetic_grade" in changes:
        new["cosmetic_grade"] = _as_cosmetic_grade(changes["cosmetic_grade"])
    if "asset_tag" in changes:
        tag = _clean_text(changes["asset_tag"], "asset_tag", required=True)
        assert tag is not None
        if tag != device.asset_tag and _asset_tag_taken(session, device.organisation_id, tag, exclude_id=device.id):
            raise _asset_tag_conflict(tag)
        new["asset_tag"] = tag
    if "serial" in new and _serial_taken(session, device.organisation_id, new["serial"], exclude_id=device.id):
        raise _serial_conflict()

    after = {**before, **{field: _plain(value) for field, value in new.items()}}
    diff = {field: (before[field], after[field]) for field in UPDATABLE_FIELDS if before[field] != after[field]}
    if not diff:
        return device
    if "kind" in diff:
        ensure_kind_may_change(session, device)
    try:
        # The savepoint opens before the change so that a refused flush leaves the caller's
        # transaction usable (the importer updates many devices in one). It must also be
        # opened before any change is pending: begin_nested() flushes what is.
        with session.begin_nested():
            for field in diff:
                setattr(device, field, new[field])
            session.flush()
    except StaleDataError:
        # A concurrent update committed first: the versioned UPDATE matched no row.
        raise PreconditionFailed("The device was changed by someone else meanwhile; read it again.") from None
    except IntegrityError:
        raise _asset_tag_conflict(new.get("asset_tag", device.asset_tag)) from None
    record_event(
        session,
        device,
        EventKind.UPDATED,
        principal,
        changes=diff,
        public=not set(diff) <= PRIVATE_FIELDS,
    )
    session.flush()
    follow_device(session, device, principal)
    return device


#: States in which the device is promised to someone or offered: what it is may not change.
COMMITTED_STATES = frozenset({DeviceState.LISTED, DeviceState.RESERVED, DeviceState.ON_LOAN, DeviceState.SOLD})


def ensure_kind_may_change(session: Session, device: Device) -> None:
    """A listed (or reserved, lent, sold) device keeps its kind: a buyer searched for a screen and
    the listing's terms, checklist and required reports are those of its kind. Withdraw the listing,
    correct the kind, have it diagnosed as what it is, and list it again."""
    if device.state in COMMITTED_STATES or open_listing(session, device.id) is not None:
        raise InvalidState(
            f"The kind of a {device.state.value} device cannot change while it is offered or promised "
            "(withdraw its listing first).",
            errors={"kind": [f"Cannot change while the device is {device.state.value}."]},
        )


# --- lifecycle: repairs and retirement ----------------------------------------------------------


def _refuse_while_listed(device: Device, action: str) -> None:
    if device.state in {DeviceState.LISTED, DeviceState.RESERVED}:
        raise InvalidState(
            f"A {device.state.value} device cannot be {action}: withdraw its listing first "
            f"{lifecycle.allowed_from(device.state)}."
        )


def start_repair(
    session: Session,
    principal: Principal | None,
    device_id: int,
    *,
    parts: Sequence[str] = (),
    notes: str | None = None,
    expected_version: int | None = None,
) -> Device:
    """Send the device to repair (→ ``in_repair``), with the parts to replace (technicians too)."""
    principal, device = _device_to_change(
        session, principal, device_id, BENCH_ROLES, "record repairs", expected_version
    )
    _refuse_while_listed(device, "sent to repair")
    previous = lifecycle.transition(device, DeviceState.IN_REPAIR)
    _flush_versioned(session, device)
    record_event(
        session, device, EventKind.REPAIR_STARTED, principal, data=_repair_data(parts, notes), state_from=previous
    )
    session.flush()
    return device


def complete_repair(
    session: Session,
    principal: Principal | None,
    device_id: int,
    *,
    parts: Sequence[str] = (),
    notes: str | None = None,
    return_to: DeviceState | None = None,
    expected_version: int | None = None,
) -> Device:
    """End a repair with a ``repaired`` event listing the parts replaced.

    The device goes back to ``diagnosed`` when it has a server grade (its diagnostics still
    stand), else to ``registered``; ``return_to`` may ask for ``registered`` to have it
    diagnosed again (e.g. after a disk swap).
    """
    principal, device = _device_to_change(
        session, principal, device_id, BENCH_ROLES, "record repairs", expected_version
    )
    if device.state is not DeviceState.IN_REPAIR:
        raise InvalidState(
            f"Only a device in repair can be repaired; this one is {device.state.value} "
            f"{lifecycle.allowed_from(device.state)}."
        )
    if return_to is None:
        return_to = DeviceState.DIAGNOSED if device.grade is not None else DeviceState.REGISTERED
    if return_to not in {DeviceState.DIAGNOSED, DeviceState.REGISTERED}:
        raise ValidationFailed(
            "A repaired device goes back to registered or diagnosed.",
            errors={"return_to": ["Must be one of: registered, diagnosed."]},
        )
    if return_to is DeviceState.DIAGNOSED and device.grade is None:
        raise InvalidState(
            "This device has no diagnostics yet: it goes back to registered (allowed from in_repair: "
            "diagnosed once graded, registered, retired).",
            errors={"return_to": ["The device has not been diagnosed."]},
        )
    previous = lifecycle.transition(device, return_to)
    _flush_versioned(session, device)
    record_event(session, device, EventKind.REPAIRED, principal, data=_repair_data(parts, notes), state_from=previous)
    session.flush()
    return device


def retire_device(
    session: Session,
    principal: Principal | None,
    device_id: int,
    *,
    disposal: Mapping[str, Any],
    expected_version: int | None = None,
) -> Device:
    """Retire the device (→ ``retired``) with its disposal record (admins and listers)."""
    principal, device = _device_to_change(
        session, principal, device_id, INVENTORY_ROLES, "retire devices", expected_version
    )
    _refuse_while_listed(device, "retired")
    record = {key: value for key, value in disposal.items() if value is not None}
    previous = lifecycle.transition(device, DeviceState.RETIRED)
    device.disposal = record
    _flush_versioned(session, device)
    record_event(session, device, EventKind.RETIRED, principal, data={"disposal": record}, state_from=previous)
    session.flush()
    return device


# --- passport -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassportPage:
    view: str  # "full" or "public"
    items: list[dict[str, Any]]
    next_cursor: str | None


def _visible_listing_exists(session: Session, principal: Principal | None, device: Device) -> bool:
    visibilities = visibility.visibilities_for(principal)
    query = sa.select(Listing.id).where(
        Listing.device_id == device.id,
        Listing.organisation_id == device.organisation_id,
        Listing.status == ListingStatus.ACTIVE,
        Listing.visibility.in_(visibilities),
    )
    return session.scalar(query.limit(1)) is not None


def get_passport(
    session: Session,
    principal: Principal | None,
    device_id: int,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> PassportPage:
    """The device's passport, oldest event first.

    Members of the owning organisation and staff read it in full; members of a former owner, in
    full up to the event of its departure (``members.access.former_owner_history_end``). Anyone else, anonymous
    included, reads the public view only while the device has an active listing they can see
    (public, or members-only and they belong to an organisation): public events only, without
    private fields or actor identities. Otherwise 404.
    """
    if principal is not None and (principal.user_id is None or not principal.has_scope(SCOPE_API)):
        require_user(principal)  # bench tokens: 403
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    full = owns(principal, device.organisation_id)
    # A former owner reads the history in full up to its departure, not after.
    history_end = None
    if not full and principal is not None and principal.organisation_ids:
        history_end = former_owner_history_end(principal, transfers.departures(session, device.id))
    if history_end is not None:
        full = True
    elif not full and not _visible_listing_exists(session, principal, device):
        raise NotFound("No such device.")

    query = sa.select(DeviceEvent).where(DeviceEvent.device_id == device.id)
    if history_end is not None:
        query = query.where(DeviceEvent.id <= history_end)
    if not full:
        query = query.where(DeviceEvent.public.is_(True))
    page = id_page(session, query, DeviceEvent.id, cursor=cursor, limit=limit, newest_first=False)
    events, next_cursor = page.items, page.next_cursor

    if not full:
        # The public view: an allow-list per kind of event (``passport.PUBLIC_VIEWS``).
        owner_name = session.scalar(sa.select(Organisation.name).where(Organisation.id == device.organisation_id))
        public = [public_event(event, device.organisation_id, owner_name) for event in events]
        return PassportPage("public", public, next_cursor)

    org_ids = {e.actor_organisation_id for e in events if e.actor_organisation_id is not None}
    org_names: dict[int, str] = dict(
        session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all()
    )
    user_ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    user_names = dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    token_ids = {e.actor_token_id for e in events if e.actor_token_id is not None and e.actor_user_id is None}
    token_names = dict(session.execute(sa.select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(token_ids))).all())
    items: list[dict[str, Any]] = []
    for event in events:
        items.append(
            {
                "id": event.id,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "state_from": event.state_from,
                "state_to": event.state_to,
                "changes": dict(event.changes),
                "data": dict(event.data),
                "public": event.public,
                "actor": {
                    "user_id": event.actor_user_id,
                    "name": user_names.get(event.actor_user_id or 0),
                    "token_id": event.actor_token_id,
                    "bench_token": token_names.get(event.actor_token_id or 0),
                    "organisation_id": event.actor_organisation_id,
                    "organisation_name": org_names.get(event.actor_organisation_id or 0),
                },
            }
        )
    return PassportPage("full", items, next_cursor)
