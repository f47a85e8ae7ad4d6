"""Bulk import of an organisation's devices from a CSV file (native, GLPI or Snipe-IT).

Semantics (``marketplace/imports/README.md`` has the user-facing version):

- Upsert within the target organisation: a row matches the device with its serial, else the one
  with its asset tag. No match → a new device (kind, make, model and serial required). A match →
  the non-empty cells update the device; an empty cell leaves its field as it is.
- Rows whose cells already equal the device are ``unchanged``: re-importing a file writes nothing.
- Every created device is the devices domain's registration of its row
  (``devices.service.new_registration``, as for ``create_device``: cleaned fields, validated specs,
  public code) and gets its ``imported`` passport event (each set field from ``None``, specs as one
  document, ``state_to`` registered). Every updated device gets an ``updated`` event
  with the field changes ``{field: [old, new]}``, specs per key (``specs.ram_gb``), public unless it
  changes private fields only, as the devices service decides.
- ``dry_run`` runs every check and returns the same report, writing nothing.
- A bad row is reported (row = line in the file, field, message) and skipped; it never stops the
  good ones and never leaves half a device: writes go in batches inside a savepoint
  (``session.begin_nested()``); when a batch fails (e.g. a device written meanwhile by someone else)
  it is rolled back and replayed row by row, each row in its own savepoint.

Speed: the organisation's devices are read once (one query); the file's records are converted by
cell index (``Converter.record``, specs once per distinct set of spec cells) and planned in memory
(``validate_specs`` once per distinct kind + specs); each batch is written through ``bulk``: the new
devices with ids taken up front and their passport events as rows in stored form (the ``changes``
JSON text assembled from pieces cached per value and per specs document), one statement each, and
one executemany UPDATE. The service never commits: the request or the command does.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices.models import Device, DeviceKind, DeviceState, EventKind
from marketplace.devices.service import (
    COMMITTED_STATES,
    PRIVATE_FIELDS,
    Registration,
    new_asset_tags,
    new_registration,
)
from marketplace.devices.specs import validate_specs
from marketplace.errors import DomainError, NotFound, ValidationFailed
from marketplace.imports import bulk
from marketplace.imports.formats import FileError, ImportFormat, ParsedFile, neutralise, read_rows
from marketplace.imports.mapping import Converter, DeviceInput, RowError, required_for_create
from marketplace.listability.follow import follow_device
from marketplace.listings.models import OPEN_STATUSES, Listing
from marketplace.members.access import INVENTORY_ROLES, Principal, require_org_role
from marketplace.members.models import Organisation

#: Rows written per savepoint. Large enough that the per-statement cost vanishes, small enough that
#: a failing batch replayed row by row stays cheap.
BATCH_SIZE = 2000
#: The report lists at most this many row errors (``failed`` counts them all).
MAX_REPORTED_ERRORS = 1000
#: Device columns an import may set; compared to decide between ``updated`` and ``unchanged``.
SCALAR_FIELDS = ("kind", "make", "model", "serial", "asset_tag", "cosmetic_grade", "location", "notes")

_DEVICES = cast(sa.Table, Device.__table__)

#: ``progress(stage, advance, total)``: stage ``"check"`` (rows read and checked; total unknown) then
#: ``"write"`` (rows written, out of ``total``).
Progress = Callable[[str, int, int | None], None]
PROGRESS_EVERY = 1000


@dataclass
class ImportReport:
    dry_run: bool
    format: str
    encoding: str
    delimiter: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False
    _failed_rows: set[int] = field(default_factory=set, repr=False)

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            if error.row not in self._failed_rows:
                self._failed_rows.add(error.row)
                self.failed += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)
            else:
                self.errors_truncated = True


@dataclass
class _Existing:
    """What the import needs to know of a device already in the organisation."""

    id: int
    version: int
    values: dict[str, Any]
    specs: dict[str, Any]
    state: DeviceState = DeviceState.REGISTERED
    #: Offered or promised (listed, reserved, lent, sold, or with an open listing): its kind is
    #: fixed, and the catalogue follows what the import changes (``listability.follow.follow_device``).
    offered: bool = False


@dataclass(slots=True)
class _Create:
    """A row that registers a new device."""

    line: int
    #: The devices domain's registration of the row (``new_registration``); its specs are shared
    #: between the rows with the same document: read-only. Without an asset tag until the batch
    #: is written, which takes one from the organisation's sequence (kept if the batch is replayed).
    registration: Registration


@dataclass(slots=True)
class _Update:
    """A row that changes a device of the organisation."""

    line: int
    values: dict[str, Any]
    specs: dict[str, Any]
    changes: dict[str, list[Any]]
    existing: _Existing


_Plan = _Create | _Update


def import_devices(
    session: Session,
    principal: Principal | None,
    *,
    organisation_id: int,
    data: bytes,
    fmt: ImportFormat,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Import as a lister/admin of the organisation (staff too); outsiders get 404, members
    without an inventory role 403."""
    require_org_role(principal, organisation_id, INVENTORY_ROLES)
    return run_import(
        session,
        principal,
        organisation_id=organisation_id,
        data=data,
        fmt=fmt,
        dry_run=dry_run,
        progress=progress,
    )


def run_import(
    session: Session,
    actor: Principal | None,
    *,
    organisation_id: int,
    data: bytes,
    fmt: ImportFormat,
    dry_run: bool,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> ImportReport:
    """The import itself, for an already authorised caller (``actor`` None: a shell operator).

    A real import locks the organisation's row first (PostgreSQL; SQLite requests hold the write
    lock already): two imports into one organisation then run one after the other, and the second
    plans against what the first committed, so neither creates a device the other just created."""
    query = sa.select(Organisation.id).where(Organisation.id == organisation_id)
    if not dry_run:
        query = query.with_for_update()
    if session.execute(query).scalar_one_or_none() is None:
        raise NotFound("No such organisation.")
    try:
        parsed = read_rows(data, fmt)
    except FileError as exc:
        raise ValidationFailed(exc.message, errors={exc.field: [exc.message]}) from None
    with _collector_paused():
        return _run(session, actor, organisation_id, parsed, fmt, dry_run, progress, now or utcnow())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during an import.

    Planning keeps hundreds of thousands of small dicts alive; each allocation burst triggers a
    collection that walks all of them, so with the collector on, the import's time grows faster
    than its rows. The import creates no reference cycles; reference counting frees everything as
    usual, and the collector is resumed after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(
    session: Session,
    actor: Principal | None,
    organisation_id: int,
    parsed: ParsedFile,
    fmt: ImportFormat,
    dry_run: bool,
    progress: Progress | None,
    now: dt.datetime,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run, format=fmt.value, encoding=parsed.encoding, delimiter=parsed.delimiter)
    existing = _load_existing(session, organisation_id)
    by_serial: dict[str, list[_Existing]] = {}
    by_tag: dict[str, _Existing] = {}
    for device in existing:
        by_serial.setdefault(device.values["serial"], []).append(device)
        by_tag[device.values["asset_tag"]] = device

    plans: list[_Plan] = []
    converter = Converter(fmt, current_year=now.year, columns=parsed.columns)
    check_specs = _SpecsChecker()
    seen_serials: dict[str, int] = {}
    seen_tags: dict[str, int] = {}
    seen_devices: dict[int, int] = {}
    rows = 0
    convert = converter.record
    planned = plans.append
    for line, record in parsed.records:
        rows += 1
        item = convert(line, record)
        if isinstance(item, list):
            report.add_errors(item)
            continue
        plan = _plan_row(item, by_serial, by_tag, seen_serials, seen_tags, seen_devices, check_specs)
        if plan is None:
            report.unchanged += 1
        elif isinstance(plan, list):
            report.add_errors(plan)
        else:
            planned(plan)
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress("check", PROGRESS_EVERY, None)
    report.rows = rows

    if progress is not None and report.rows % PROGRESS_EVERY:
        progress("check", report.rows % PROGRESS_EVERY, None)
    if dry_run:
        report.created = sum(1 for p in plans if isinstance(p, _Create))
        report.updated = len(plans) - report.created
        report.errors.sort(key=lambda e: e.row)
        return report

    writer = _Writer(session, actor, organisation_id, fmt, now, tags_in_use=lambda: set(by_tag) | set(seen_tags))
    for start in range(0, len(plans), BATCH_SIZE):
        batch = plans[start : start + BATCH_SIZE]
        created, updated, errors = writer.write(batch)
        report.created += created
        report.updated += updated
        report.add_errors(errors)
        if progress is not None:
            progress("write", len(batch), len(plans))
    failed_lines = {e.row for e in report.errors} | report._failed_rows
    for plan in plans:
        if isinstance(plan, _Update) and plan.existing.offered and plan.line not in failed_lines:
            # Written with Core statements: reload the device, then let the catalogue follow it.
            written = session.get(Device, plan.existing.id, populate_existing=True)
            if written is not None:
                follow_device(session, written, actor)
    report.errors.sort(key=lambda e: e.row)
    return report


# --- planning ------------------------------------------------------------------------------


def _load_existing(session: Session, organisation_id: int) -> list[_Existing]:
    t = _DEVICES
    rows = session.execute(
        sa.select(
            t.c.id,
            t.c.version,
            t.c.kind,
            t.c.make,
            t.c.model,
            t.c.serial,
            t.c.asset_tag,
            t.c.cosmetic_grade,
            t.c.location,
            t.c.notes,
            t.c.specs,
            t.c.state,
        ).where(t.c.organisation_id == organisation_id)
    )
    with_listing = set(
        session.scalars(
            sa.select(Listing.device_id).where(
                Listing.organisation_id == organisation_id, Listing.status.in_(OPEN_STATUSES)
            )
        )
    )
    out = []
    for r in rows:
        values = {
            "kind": _value(r.kind),
            "make": r.make,
            "model": r.model,
            "serial": r.serial,
            "asset_tag": r.asset_tag,
            "cosmetic_grade": _value(r.cosmetic_grade),
            "location": r.location,
            "notes": r.notes,
        }
        state = DeviceState(r.state)
        offered = state in COMMITTED_STATES or r.id in with_listing
        out.append(_Existing(r.id, r.version, values, dict(r.specs or {}), state, offered))
    return out


def _value(member: Any) -> Any:
    return member.value if hasattr(member, "value") else member


def _plan_row(
    item: DeviceInput,
    by_serial: dict[str, list[_Existing]],
    by_tag: dict[str, _Existing],
    seen_serials: dict[str, int],
    seen_tags: dict[str, int],
    seen_devices: dict[int, int],
    check_specs: _SpecsChecker,
) -> _Plan | list[RowError] | None:
    line = item.line
    serial = item.serial
    tag = item.asset_tag
    if serial is not None and serial in seen_serials:
        return [RowError(line, "serial", f"Same serial as row {seen_serials[serial]} of this file.")]
    if tag is not None and tag in seen_tags:
        return [RowError(line, "asset_tag", f"Same asset tag as row {seen_tags[tag]} of this file.")]

    target: _Existing | None = None
    if serial is not None:
        matches = by_serial.get(serial)
        if matches is not None:  # never an empty list
            if len(matches) > 1:
                message = "Several devices of this organisation have this serial; import by asset tag."
                return [RowError(line, "serial", message)]
            target = matches[0]
    if target is None:
        if tag is not None:
            target = by_tag.get(tag)
    elif tag is not None:
        holder = by_tag.get(tag)
        if holder is not None and holder is not target:
            return [
                RowError(
                    line,
                    "asset_tag",
                    f"Asset tag {neutralise(tag)!r} belongs to another device of this organisation.",
                )
            ]
    if target is not None and target.id in seen_devices:
        return [RowError(line, "serial", f"Same device as row {seen_devices[target.id]} of this file.")]

    if serial is not None:
        seen_serials[serial] = line
    if tag is not None:
        seen_tags[tag] = line
    if target is None:
        # _plan_create, inlined: most rows of a big import are new devices.
        if serial is None or item.kind is None or item.make is None or item.model is None:
            return required_for_create(item)
        try:
            registration = new_registration(
                kind=item.kind,
                make=item.make,
                model=item.model,
                serial=serial,
                asset_tag=tag,
                specs=item.specs,
                cosmetic_grade=item.cosmetic_grade,
                location=item.location,
                notes=item.notes,
                check_specs=check_specs.validated,
            )
        except ValidationFailed as exc:
            return [RowError(line, name, "; ".join(messages)) for name, messages in exc.errors.items()] or [
                RowError(line, "row", exc.detail)
            ]
        return _Create(line, registration)
    seen_devices[target.id] = line
    return _plan_update(item, target, check_specs)


_SpecsOutcome = tuple[dict[str, Any] | None, dict[str, list[str]]]


class _SpecsChecker:
    """``validate_specs`` of the devices domain, remembered per distinct (kind, specs) within one
    import: a fleet repeats the same few hundred configurations, and the check is a pure function
    of its input, so each distinct document is validated once.

    ``shared`` looks a document up by identity first: the converter hands the same dict to every row
    with the same spec cells, so most rows skip even building the sorted key."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, tuple[tuple[str, Any], ...]], _SpecsOutcome] = {}
        #: (kind, id(specs)) → (specs, outcome); the dict is kept so that its id is not reused.
        self.by_identity: dict[tuple[str, int], tuple[dict[str, Any], _SpecsOutcome]] = {}

    def _check(self, kind: str, specs: dict[str, Any]) -> _SpecsOutcome:
        try:
            return validate_specs(kind, specs), {}
        except ValidationFailed as exc:
            return None, exc.errors or {"specs": [exc.detail]}

    def _outcome(self, kind: str, specs: dict[str, Any]) -> _SpecsOutcome:
        if kind == DeviceKind.SCREEN and "screen_in" in specs:
            # A screen's diagonal is its ``size_in`` in the devices domain's specs.
            specs = {**specs}
            specs["size_in"] = specs.pop("screen_in")
        key = (kind, tuple(sorted(specs.items())))
        try:
            outcome = self.known.get(key)
            if outcome is None:
                outcome = self.known[key] = self._check(kind, specs)
        except TypeError:  # an unhashable value (a list): validate without remembering
            outcome = self._check(kind, specs)
        return outcome

    @staticmethod
    def _result(line: int, outcome: _SpecsOutcome) -> dict[str, Any] | list[RowError]:
        clean, errors = outcome
        if clean is not None:
            return clean  # shared between rows with the same specs: read-only
        return [RowError(line, name, "; ".join(messages)) for name, messages in errors.items()]

    def __call__(self, line: int, kind: str, specs: dict[str, Any]) -> dict[str, Any] | list[RowError]:
        return self._result(line, self._outcome(kind, specs))

    def validated(self, kind: str, specs: Mapping[str, Any] | None) -> dict[str, Any]:
        """``validate_specs``'s answer (clean specs, or ``ValidationFailed``) for a dict that many
        rows share and nobody changes: the ``check_specs`` of ``new_registration``."""
        assert isinstance(specs, dict)
        entry = self.by_identity.get((kind, id(specs)))
        if entry is None or entry[0] is not specs:
            entry = self.by_identity[(kind, id(specs))] = (specs, self._outcome(kind, specs))
        clean, errors = entry[1]
        if clean is None:
            raise ValidationFailed("Invalid specs.", errors=errors)
        return clean


def _plan_update(item: DeviceInput, target: _Existing, check_specs: _SpecsChecker) -> _Update | list[RowError] | None:
    values = dict(target.values)
    changes: dict[str, list[Any]] = {}
    for name in SCALAR_FIELDS:
        new = getattr(item, name)
        if new is not None and new != values[name]:
            changes[name] = [values[name], new]
            values[name] = new
    merged = {**target.specs, **item.specs}
    if merged != target.specs or "kind" in changes:
        specs = check_specs(item.line, values["kind"], merged)
        if isinstance(specs, list):
            return specs
    else:
        specs = target.specs
    for key in sorted(set(specs) | set(target.specs)):
        old, new = target.specs.get(key), specs.get(key)
        if old != new:
            changes[f"specs.{key}"] = [old, new]
    if not changes:
        return None
    # The devices service's rules for a PATCH (``lifecycle.ensure_not_sold``, ``ensure_kind_may_change``).
    if target.state is DeviceState.SOLD:
        return [RowError(item.line, "serial", "This device is sold: it can no longer be changed.")]
    if "kind" in changes and target.offered:
        message = f"The kind of a {target.state.value} device cannot change while it is offered or promised."
        return [RowError(item.line, "kind", message)]
    return _Update(item.line, values, specs, changes, target)


# --- writing -------------------------------------------------------------------------------


class _Conflict(Exception):
    """A device changed between planning and writing (its version moved)."""


class _Writer:
    """Writes planned rows, a batch per savepoint, as rows in their stored form.

    A created device's row and passport ``changes`` are its ``Registration``'s values, in stored
    form (``changes`` as ``orjson`` writes them); the JSON of each distinct specs document is made once."""

    def __init__(
        self,
        session: Session,
        actor: Principal | None,
        organisation_id: int,
        fmt: ImportFormat,
        now: dt.datetime,
        *,
        tags_in_use: Callable[[], set[str]],
    ) -> None:
        self.session = session
        user_id = actor.user_id if actor else None
        token_id = (actor.token_id or None) if actor else None
        self.bulk = bulk.Writer(session, now, organisation_id=organisation_id, actor=(user_id, token_id))
        self.tags_in_use = tags_in_use
        self._taken_tags: set[str] | None = None
        self.organisation_id = organisation_id
        #: ``{"source": "import", "format": …, "row": N}`` as orjson writes it, up to N.
        self.data_prefix = '{"source":"import","format":' + bulk.json_text(fmt.value) + ',"row":'
        #: id(specs) → (specs, specs as JSON, its ``,"specs":[null,…]`` change).
        self.specs_texts: dict[int, tuple[dict[str, Any], str]] = {}

    def write(self, batch: list[_Plan]) -> tuple[int, int, list[RowError]]:
        try:
            with self.session.begin_nested():
                created = self._write_batch(batch)
            return created, len(batch) - created, []
        except (IntegrityError, DBAPIError, _Conflict):
            pass
        created = updated = 0
        errors: list[RowError] = []
        for plan in batch:
            try:
                with self.session.begin_nested():
                    self._write_one(plan)
            except (IntegrityError, _Conflict):
                errors.append(
                    RowError(
                        plan.line,
                        "serial" if isinstance(plan, _Update) else "asset_tag",
                        "Conflicts with a device written meanwhile in this organisation; import the file again.",
                    )
                )
            except DomainError as exc:
                errors.append(RowError(plan.line, next(iter(exc.errors), "row"), exc.detail))
            else:
                if isinstance(plan, _Create):
                    created += 1
                else:
                    updated += 1
        return created, updated, errors

    def _specs_texts(self, specs: dict[str, Any]) -> tuple[dict[str, Any], str]:
        entry = self.specs_texts.get(id(specs))
        if entry is None or entry[0] is not specs:
            entry = self.specs_texts[id(specs)] = (specs, bulk.json_text(specs))
        return entry

    def _write_batch(self, batch: list[_Plan]) -> int:
        creates = [p for p in batch if isinstance(p, _Create)]
        updates = [p for p in batch if isinstance(p, _Update)] if len(creates) < len(batch) else []
        untagged = [p for p in creates if p.registration.values["asset_tag"] is None]
        if untagged:
            if self._taken_tags is None:
                self._taken_tags = self.tags_in_use()
            tags = new_asset_tags(self.session, self.organisation_id, len(untagged), self._taken_tags)
            for plan, new_tag in zip(untagged, tags, strict=True):
                plan.registration = plan.registration.with_asset_tag(new_tag)
        data_prefix = self.data_prefix
        if creates:
            events: list[tuple[Any, ...]] = []
            devices: list[tuple[Any, ...]] = []
            imported = EventKind.IMPORTED.value
            specs_texts = self.specs_texts
            dumps = orjson.dumps
            for device_id, plan in zip(self.bulk.new_device_ids(len(creates)), creates, strict=True):
                values, changes = plan.registration
                specs = values["specs"]
                entry = specs_texts.get(id(specs))
                if entry is None or entry[0] is not specs:
                    entry = self._specs_texts(specs)
                devices.append(
                    (
                        device_id,
                        values["kind"],
                        values["make"],
                        values["model"],
                        values["serial"],
                        values["asset_tag"],
                        values["public_code"],
                        entry[1],
                        values["cosmetic_grade"],
                        values["location"],
                        values["notes"],
                    )
                )
                events.append((device_id, imported, dumps(changes).decode(), f"{data_prefix}{plan.line}}}"))
            self.bulk.insert_devices(devices)
            self.bulk.insert_events(events, state_to=DeviceState.REGISTERED.value, public=True)
        if updates:
            rows = [{**p.values, "specs": p.specs, "id": p.existing.id, "version": p.existing.version} for p in updates]
            if self.bulk.update_devices(rows) != len(rows):
                raise _Conflict
            updated = EventKind.UPDATED.value
            # Like the devices service's updates: an event that only changes private fields (serial,
            # asset tag, location, notes) stays out of the public passport.
            for public in (True, False):
                events = [
                    (p.existing.id, updated, bulk.json_text(p.changes), f"{data_prefix}{p.line}}}")
                    for p in updates
                    if (not p.changes.keys() <= PRIVATE_FIELDS) is public
                ]
                if events:
                    self.bulk.insert_events(events, state_to=None, public=public)
        return len(creates)

    def _write_one(self, plan: _Plan) -> None:
        """The slow path for one row of a failed batch: re-read the device, then write through the
        ORM (same checks, same passport event)."""
        if isinstance(plan, _Create):
            self._write_batch([plan])
            return
        device = self.session.get(Device, plan.existing.id, with_for_update=True)
        if device is None or device.version != plan.existing.version:
            raise _Conflict
        self._write_batch([plan])
        self.session.expire(device)


def report_as_dict(report: ImportReport) -> dict[str, Any]:
    """The report as plain data (CLI JSON output)."""
    return {
        "dry_run": report.dry_run,
        "format": report.format,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": report.failed,
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in report.errors],
        "errors_truncated": report.errors_truncated,
    }


__all__ = ["ImportFormat", "ImportReport", "import_devices", "report_as_dict", "run_import"]
