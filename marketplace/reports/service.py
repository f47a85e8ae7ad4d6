"""Diagnostics use cases: upload raw reports, record a checklist, read the history, re-grade.

Rules decided here:

* **The server grades.** Every uploaded file is parsed and graded with ``diagnostics.read_report``;
  a grade sent by a client is never read. One unreadable file refuses the whole upload (422 naming
  the file, ``errors = {"files.<n>": ["<filename>: <reason>"]}``) and nothing is stored.
* **Limits.** At most ``MAX_FILES`` files per request (422) and ``MAX_FILE_BYTES`` per file (413).
* **Duplicates.** The same set of files (same SHA-256s) sent again for the same device is the same
  report: the existing report comes back with ``duplicate: true`` and status 200, nothing is written.
  A bench that lost the answer to its first upload and retries gets a success, not an error.
* **Current components and diagnosed**: ``listability.current`` (read by the catalogue too); a
  complete diagnosis moves a registered or in-repair device to ``diagnosed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload, undefer

import diagnostics
from diagnostics import ComponentReport, DeviceAssessment, ParseError
from diagnostics.grading.explain import explanations
from diagnostics.grading.trends import Reading, apply_history, readings_from_dicts
from marketplace.db import utcnow
from marketplace.devices import lifecycle, reconcile
from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.devices.passport import departures, record_event
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.listability.current import (
    CurrentComponents,
    Diagnosis,
    diagnosis_from,
    diagnosis_of,
    parse_components,
    reports_of,
    select_current,
)
from marketplace.listability.follow import follow_device
from marketplace.listability.rules import last_came_back
from marketplace.members.access import (
    BENCH_ROLES,
    SCOPE_DIAGNOSTICS_UPLOAD,
    Principal,
    former_owner_history_end,
    require_org_role,
    require_principal,
)
from marketplace.members.models import Role, TokenKind
from marketplace.pagination import Page, id_page
from marketplace.reports.models import DiagnosticFile, DiagnosticReport, ReportKind
from marketplace.uploads import FileTooLarge, UploadedFile

#: Largest file accepted in an upload. The biggest real ``smartctl -x -j`` of a SAS drive with full
#: logs is a few hundred kB and a Windows battery report HTML 1-2 MB; 5 MiB leaves room for both.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Files per upload: one per disk plus a battery report; a 12-bay server stays well below.
MAX_FILES = 16
MAX_FILENAME_CHARS = 255

CHECKLIST_FILENAME = "checklist.json"
CHECKLIST_CONTENT_TYPE = "application/json"

#: States from which a complete diagnosis moves the device to ``diagnosed``.
BECOMES_DIAGNOSED = frozenset({DeviceState.REGISTERED, DeviceState.IN_REPAIR})
READ_ROLES = frozenset(Role)


@dataclass
class ReportResult:
    """A report as the API shows it, with the device's assessment and diagnosis status."""

    report: DiagnosticReport
    duplicate: bool = False
    diagnosis: Diagnosis | None = None
    device: Device | None = None

    @property
    def findings(self) -> list[dict[str, Any]]:
        return report_findings(self.report)


# --- access ---------------------------------------------------------------------------------------


def _device_for_upload(session: Session, principal: Principal | None, device_id: int) -> Device:
    """Lister/technician/admin of the device's organisation, staff, or a bench token of that
    organisation with the diagnostics:upload scope. Outsiders get 404 (devices are private)."""
    principal = require_principal(principal)
    # Row lock (PostgreSQL): two uploads for one device take turns instead of one failing on the
    # device's version column. SQLite already serialises writing requests (BEGIN IMMEDIATE).
    device = session.get(Device, device_id, with_for_update=True)
    if principal.token_kind is TokenKind.BENCH:
        if device is None or not principal.is_bench_of(device.organisation_id):
            raise NotFound("No such device.")
        if not principal.has_scope(SCOPE_DIAGNOSTICS_UPLOAD):
            raise Forbidden("This bench token lacks the diagnostics:upload scope.")
        return device
    if device is None:
        require_org_role(principal, -1, BENCH_ROLES, what="device")  # 401/403 for bad tokens, else 404
        raise NotFound("No such device.")
    require_org_role(principal, device.organisation_id, BENCH_ROLES, what="device")
    return device


def device_for_reading(session: Session, principal: Principal | None, device_id: int) -> Device:
    """Any member of the device's organisation, or staff; others get 404."""
    device = session.get(Device, device_id)
    if device is None:
        require_org_role(principal, -1, READ_ROLES, what="device")
        raise NotFound("No such device.")
    require_org_role(principal, device.organisation_id, READ_ROLES, what="device")
    return device


def device_history_for_reading(
    session: Session, principal: Principal | None, device_id: int
) -> tuple[Device, dt.datetime | None]:
    """The device and how far the caller reads its records (reports, erasures).

    Members of its organisation and staff read all of them (``None``). A former owner's members
    read those recorded up to its departure (``members.access.former_owner_history_end``, the
    rule of the passport): the time of that departure's passport event is returned. Others 404."""
    device = session.get(Device, device_id)
    outsider = (
        device is not None
        and principal is not None
        and not principal.is_staff
        and bool(principal.organisation_ids)
        and not principal.is_member_of(device.organisation_id)
    )
    if outsider and device is not None:
        history_end = former_owner_history_end(principal, departures(session, device.id))
        if history_end is not None:
            departed_at = session.scalar(sa.select(DeviceEvent.occurred_at).where(DeviceEvent.id == history_end))
            if departed_at is not None:
                return device, departed_at
    return device_for_reading(session, principal, device_id), None


# --- upload ---------------------------------------------------------------------------------------


def upload_files(
    session: Session, principal: Principal | None, device_id: int, files: Sequence[UploadedFile]
) -> ReportResult:
    """Store and grade raw diagnostics files for a device (see the module docstring)."""
    device = _device_for_upload(session, principal, device_id)
    _check_limits(files)
    parsed = [_read(index, f) for index, f in enumerate(files, start=1)]
    for position, (upload, (_fmt, components)) in enumerate(zip(files, parsed, strict=True), start=1):
        for component in components:
            checked_kind = component.identity.get("device_kind")
            if component.component.value == "manual" and checked_kind != device.kind.value:
                raise ValidationFailed(
                    f"File {position} ({upload.filename}) is a checklist for a {checked_kind}; "
                    f"the device is a {device.kind.value}. Nothing was stored.",
                    errors={f"files.{position}": [f"{upload.filename}: checklist for a {checked_kind}"]},
                )
    if all(c.component.value == "machine" for _fmt, components in parsed for c in components):
        # dmidecode / system_profiler say what the machine is, not how healthy it is: nothing to grade.
        raise ValidationFailed(
            "These files give the machine's identity (make, model, serial, CPU, RAM), not its health: "
            "upload them with the disk or battery reports (relife-bench scan --save). Nothing was stored.",
            errors={"files": ["machine identity only (dmidecode / system_profiler)"]},
        )
    # A bench may send its checklist file with the other reports (relife-bench checklist / upload):
    # an upload made only of checklists is a manual report, like POST /checklist.
    only_checklists = all(c.component.value == "manual" for _fmt, components in parsed for c in components)
    kind = ReportKind.MANUAL if only_checklists else ReportKind.AUTO
    return _record(session, require_principal(principal), device, kind, files, parsed)


def record_checklist(
    session: Session, principal: Principal | None, device_id: int, doc: Mapping[str, Any]
) -> ReportResult:
    """Record a technician's functional checklist as a report of kind ``manual``.

    The document is stored as the raw JSON file of the report (so ``regrade`` re-reads it like
    any other file). ``device_kind`` defaults to the device's kind and must match it.
    """
    device = _device_for_upload(session, principal, device_id)
    doc = {"kind": "relife-checklist", "device_kind": device.kind.value, **doc}
    if (came_back := last_came_back(session, device)) is not None:
        # After a return (a buyer's or a loan's) a fresh checklist is required (``listability.rules``):
        # one that reads like the old one is still a new report, not a re-sent upload of the old.
        doc["after_return"] = came_back.isoformat()
    if doc["device_kind"] != device.kind.value:
        raise ValidationFailed(
            f"This checklist is for a {doc['device_kind']}, the device is a {device.kind.value}.",
            errors={"device_kind": [f"Must be {device.kind.value} (the device's kind)."]},
        )
    content = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    upload = UploadedFile(CHECKLIST_FILENAME, CHECKLIST_CONTENT_TYPE, content)
    try:
        component = diagnostics.grade_checklist(doc, CHECKLIST_FILENAME)
    except ParseError as exc:
        raise ValidationFailed(
            f"The checklist cannot be graded: {exc.reason}", errors={"items": [exc.reason]}
        ) from None
    return _record(
        session, require_principal(principal), device, ReportKind.MANUAL, [upload], [(component.format, (component,))]
    )


def _check_limits(files: Sequence[UploadedFile]) -> None:
    if not files:
        raise ValidationFailed("Send at least one file in the multipart field 'files'.", errors={"files": ["No file."]})
    if len(files) > MAX_FILES:
        raise ValidationFailed(
            f"At most {MAX_FILES} files per upload (got {len(files)}).",
            errors={"files": [f"At most {MAX_FILES} files per upload."]},
        )
    too_big = {
        f"files.{n}": [f"{f.filename}: {len(f.content)} bytes, limit {MAX_FILE_BYTES}"]
        for n, f in enumerate(files, start=1)
        if len(f.content) > MAX_FILE_BYTES
    }
    if too_big:
        raise FileTooLarge(
            f"Each file may hold at most {MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES // (1024 * 1024)} MiB).",
            errors=too_big,
        )


def _read(position: int, upload: UploadedFile) -> tuple[str, tuple[ComponentReport, ...]]:
    try:
        components = diagnostics.read_report(upload.content, upload.filename)
    except ParseError as exc:
        raise ValidationFailed(
            f"File {position} ({upload.filename}) cannot be read: {exc.reason}. Nothing was stored.",
            errors={f"files.{position}": [f"{upload.filename}: {exc.reason}"]},
        ) from None
    for component in components:
        out_of_range = _non_finite_path(component.to_dict(), "")
        if out_of_range is not None:
            # A number too large for a float (a 400-digit capacity) became infinity: no database
            # stores it in JSON, and it measures nothing. Refused here, naming the file, rather
            # than by the database later with a problem that cannot say which file it was.
            reason = f"a value is out of range ({component.component.value} {out_of_range})"
            raise ValidationFailed(
                f"File {position} ({upload.filename}) cannot be read: {reason}. Nothing was stored.",
                errors={f"files.{position}": [f"{upload.filename}: {reason}"]},
            )
    formats = sorted({c.format for c in components})
    return ",".join(formats), components


def _non_finite_path(value: Any, path: str) -> str | None:
    """The dotted path of the first infinite or NaN number in ``value``, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path or "value"
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _non_finite_path(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def json_safe(value: Any) -> Any:
    """``value`` with NUL characters removed from every string: PostgreSQL's JSONB (and text)
    cannot hold U+0000, and raw vendor bytes in old smartctl outputs can decode to it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Mapping):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def files_digest(contents: Iterable[bytes]) -> str:
    digests = sorted(hashlib.sha256(c).hexdigest() for c in contents)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _record(
    session: Session,
    principal: Principal,
    device: Device,
    kind: ReportKind,
    files: Sequence[UploadedFile],
    parsed: Sequence[tuple[str, tuple[ComponentReport, ...]]],
) -> ReportResult:
    lifecycle.ensure_not_sold(device)
    digest = files_digest(f.content for f in files)
    existing = session.scalar(
        sa.select(DiagnosticReport).where(
            DiagnosticReport.device_id == device.id,
            DiagnosticReport.kind == kind,
            DiagnosticReport.files_digest == digest,
        )
    )
    if existing is not None:
        return ReportResult(existing, duplicate=True, diagnosis=diagnosis_of(session, device), device=device)
    lifecycle.ensure_in_hands(device, "diagnostics cannot be recorded")

    report = DiagnosticReport(
        device=device,
        kind=kind,
        uploaded_by_user_id=principal.user_id,
        uploaded_by_token_id=principal.token_id,
        files_digest=digest,
        policy=diagnostics.POLICY_VERSION,
        grade="",
        health="",
        assessment={},
    )
    for position, (upload, (fmt, components)) in enumerate(zip(files, parsed, strict=True), start=1):
        report.files.append(
            DiagnosticFile(
                position=position,
                filename=_clean_filename(upload.filename) or f"file-{position}",
                content_type=(upload.content_type or "application/octet-stream")[:127],
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
                format=fmt[:64],
                components=json_safe([c.to_dict() for c in components]),
            )
        )
    session.add(report)
    session.flush()

    reports = reports_of(session, device)
    current = parse_components(select_current(reports))
    assessment = diagnostics.assess_device(with_history(reports, current))
    _set_report_assessment(report, assessment)
    diagnosis = diagnosis_from(device, current)
    changes = apply_assessment(device, assessment)
    device.diagnosed_at = utcnow()
    state_from = None
    if diagnosis.complete and device.state in BECOMES_DIAGNOSED:
        state_from = lifecycle.transition(device, DeviceState.DIAGNOSED)
    record_event(
        session,
        device,
        EventKind.DIAGNOSED if kind is ReportKind.AUTO else EventKind.CHECKED,
        principal,
        changes=changes,
        data=_event_data(report, assessment, diagnosis),
        state_from=state_from,
    )
    if kind is ReportKind.AUTO:
        # Registered specs against what the disks measured: a finding and a passport event (issue #19).
        report.assessment = reconcile.after_upload(session, device, dict(report.assessment), current.reports, principal)
    session.flush()
    follow_device(session, device, principal)
    return ReportResult(report, diagnosis=diagnosis, device=device)


def _clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\r\n')
    return name[:MAX_FILENAME_CHARS]


# --- current components, assessment, device update -------------------------------------------------


def _when(report: DiagnosticReport) -> str | None:
    return report.created_at.isoformat() if report.created_at is not None else None


def with_history(reports_newest_first: Sequence[DiagnosticReport], current: CurrentComponents) -> list[ComponentReport]:
    """The current components graded with the device's history (issue 18, point 4): each disk and
    battery is compared with its oldest earlier reading, read from the stored component JSON of the
    device's reports older than the one it comes from (``diagnostics.grading.trends``)."""
    out: list[ComponentReport] = []
    for kind, source in (("disk", current.disk_report), ("battery", current.battery_report)):
        mine = current.of_kind(kind)
        if source is None or not mine:
            out.extend(mine)
            continue
        earlier: list[Reading] = []
        for report in reversed(reports_newest_first):  # oldest first
            if report.id >= source.id:
                break
            for stored in report.files:
                when, label = _when(report), f"report {report.id}"
                earlier.extend(r for r in readings_from_dicts(stored.components, when, label) if r.component == kind)
        out.extend(apply_history(mine, earlier, _when(source), f"report {source.id}") if earlier else mine)
    out.extend(current.of_kind("manual"))
    return out


def _set_report_assessment(report: DiagnosticReport, assessment: DeviceAssessment) -> None:
    report.assessment = json_safe(assessment.to_dict())
    report.grade = assessment.grade.value
    report.health = assessment.health.value
    report.policy = assessment.policy


def _battery_health_pct(assessment: DeviceAssessment) -> float | None:
    """The worst battery's health (full charge over design capacity, %), for the catalogue."""
    values: list[float] = []
    for component in assessment.components:
        value = component.measurements.get("health_percent")
        if component.component.value == "battery" and isinstance(value, int | float):
            values.append(float(value))
    return min(values) if values else None


def device_fields(assessment: DeviceAssessment) -> dict[str, Any]:
    life = json_safe(assessment.to_dict()["remaining_life"])
    return {
        "grade": assessment.grade.value,
        "health": assessment.health.value,
        "battery_health_pct": _battery_health_pct(assessment),
        "remaining_life": life,
        "grading_policy": assessment.policy,
    }


def apply_assessment(device: Device, assessment: DeviceAssessment) -> dict[str, list[Any]]:
    """Set the device's denormalised grade fields; returns the changes ``{field: [old, new]}``."""
    changes: dict[str, list[Any]] = {}
    for name, value in device_fields(assessment).items():
        old = getattr(device, name)
        if old != value:
            changes[name] = [old, value]
            setattr(device, name, value)
    return changes


def _event_data(report: DiagnosticReport, assessment: DeviceAssessment, diagnosis: Diagnosis) -> dict[str, Any]:
    """The passport's view of a report: grades and finding codes, never serials or evidence."""
    return {
        "report_id": report.id,
        "report_kind": report.kind.value,
        "grade": assessment.grade.value,
        "health": assessment.health.value,
        "policy": assessment.policy,
        "findings": sorted({f.code for f in assessment.findings} | {f["code"] for f in report_findings(report)}),
        "components": [
            {"component": c.component.value, "grade": c.assessment.grade.value, "health": c.assessment.health.value}
            for c in assessment.components
        ],
        "diagnosis_complete": diagnosis.complete,
    }


def report_findings(report: DiagnosticReport) -> list[dict[str, Any]]:
    """Every finding of the report's own components, with the file and component they belong to and
    its plain-language explanation in French and English (``diagnostics.grading.explain``), when the
    code has one."""
    out: list[dict[str, Any]] = []
    known = explanations()
    for stored in report.files:
        for component in stored.components:
            for finding in component.get("findings") or []:
                entry = known.get(str(finding.get("code")))
                extra = {"explanation": entry._asdict()} if entry is not None else {}
                out.append({**finding, "file": stored.position, "component": component.get("component"), **extra})
    return out


# --- reading --------------------------------------------------------------------------------------


def list_reports(
    session: Session, principal: Principal | None, device_id: int, *, limit: int, cursor: str | None
) -> Page[DiagnosticReport]:
    """The device's reports, newest first, keyset-paginated on the id."""
    device, recorded_until = device_history_for_reading(session, principal, device_id)
    query = sa.select(DiagnosticReport).where(DiagnosticReport.device_id == device.id)
    if recorded_until is not None:
        query = query.where(DiagnosticReport.created_at <= recorded_until)
    query = query.options(selectinload(DiagnosticReport.files))
    return id_page(session, query, DiagnosticReport.id, cursor=cursor, limit=limit)


def get_report(session: Session, principal: Principal | None, report_id: int) -> ReportResult:
    report = session.get(DiagnosticReport, report_id)
    if report is None:
        require_org_role(principal, -1, READ_ROLES, what="report")
        raise NotFound("No such report.")
    require_org_role(principal, report.device.organisation_id, READ_ROLES, what="report")
    return ReportResult(report, device=report.device)


def get_file(session: Session, principal: Principal | None, report_id: int, position: int) -> DiagnosticFile:
    result = get_report(session, principal, report_id)
    stored = session.scalar(
        sa.select(DiagnosticFile)
        .options(undefer(DiagnosticFile.content))
        .where(DiagnosticFile.report_id == result.report.id, DiagnosticFile.position == position)
    )
    if stored is None:
        raise NotFound(f"Report {report_id} has no file {position}.")
    return stored


# --- re-grading -----------------------------------------------------------------------------------


@dataclass
class RegradeOutcome:
    reports: int = 0
    changed: int = 0
    unchanged: int = 0
    devices_changed: int = 0
    unreadable: list[str] = field(default_factory=list)


def _signature(assessment: Mapping[str, Any]) -> tuple[Any, ...]:
    codes = sorted(f.get("code") for f in assessment.get("findings") or [])
    components = [
        (c.get("component"), c.get("grade"), c.get("health"), sorted(f.get("code") for f in c.get("findings") or []))
        for c in assessment.get("components") or []
    ]
    return (assessment.get("grade"), assessment.get("health"), codes, components)


def device_ids_to_regrade(session: Session, device_id: int | None = None) -> list[int]:
    query = sa.select(DiagnosticReport.device_id).distinct().order_by(DiagnosticReport.device_id)
    if device_id is not None:
        query = query.where(DiagnosticReport.device_id == device_id)
    return list(session.scalars(query))


def regrade_device(session: Session, device_id: int, outcome: RegradeOutcome) -> None:
    """Re-read every stored file of one device with the current policy.

    Each report whose assessment changes keeps the old one in ``history``; the device's fields
    follow its current components, and a ``regraded`` passport event records a change of the
    device's grade or health. Running it again with the same policy changes nothing.
    """
    # Row lock on PostgreSQL: two machines re-grading at once take turns per device, and the
    # second finds nothing left to change.
    device = session.get(Device, device_id, with_for_update=True, populate_existing=True)
    if device is None:
        return
    reports = list(reversed(reports_of(session, device)))  # oldest first
    cache: dict[int, tuple[ComponentReport, ...]] = {}

    def reader(stored: DiagnosticFile) -> tuple[ComponentReport, ...]:
        if stored.id not in cache:
            try:
                cache[stored.id] = diagnostics.read_report(stored.content, stored.filename)
            except ParseError as exc:
                outcome.unreadable.append(f"report {stored.report_id} file {stored.position}: {exc.reason}")
                cache[stored.id] = ()
        return cache[stored.id]

    now = utcnow()
    latest: DeviceAssessment | None = None
    for index, report in enumerate(reports):
        outcome.reports += 1
        for stored in report.files:
            stored.components = json_safe([c.to_dict() for c in reader(stored)]) or stored.components
        so_far = list(reversed(reports[: index + 1]))
        current = parse_components(select_current(so_far), reader)
        if not current.reports:
            outcome.unchanged += 1
            continue
        assessment = diagnostics.assess_device(with_history(so_far, current))
        latest = assessment
        new = json_safe(assessment.to_dict())
        if _signature(new) == _signature(report.assessment):
            # Same grades and findings (perhaps under a newer policy version): nothing to record.
            if report.policy != assessment.policy:
                _set_report_assessment(report, assessment)
            outcome.unchanged += 1
            continue
        report.history = [
            *report.history,
            {
                "policy": report.policy,
                "grade": report.grade,
                "health": report.health,
                "assessment": report.assessment,
                "regraded_at": now.isoformat(),
            },
        ]
        _set_report_assessment(report, assessment)
        report.regraded_at = now
        outcome.changed += 1
    if latest is None:
        return
    before = (device.grade, device.health)
    fields = device_fields(latest)
    if any(getattr(device, k) != v for k, v in fields.items()):
        changes = apply_assessment(device, latest)
        if (device.grade, device.health) != before or changes:
            outcome.devices_changed += 1
            record_event(
                session,
                device,
                EventKind.REGRADED,
                None,
                changes=changes,
                data={
                    "grade": latest.grade.value,
                    "health": latest.health.value,
                    "policy": latest.policy,
                    "findings": sorted({f.code for f in latest.findings}),
                },
            )
    session.flush()
    follow_device(session, device, None)


def regrade_all(
    session: Session, device_ids: Sequence[int], *, on_device: Callable[[int], None] | None = None
) -> RegradeOutcome:
    outcome = RegradeOutcome()
    for device_id in device_ids:
        regrade_device(session, device_id, outcome)
        if on_device is not None:
            on_device(device_id)
    return outcome
