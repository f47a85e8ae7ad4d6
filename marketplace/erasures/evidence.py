"""Record a disk's erasure from the evidence the wiping tool left (``relife-bench erase``).

The server reads the raw output itself (``diagnostics.erasure.parse_evidence``; a client's reading
is never sent, never trusted) and stores it unchanged with the record. Refused, nothing stored:

* evidence no parser reads, or cut short (422 naming the line);
* a wipe the tool reports as failed, aborted or unfinished (422 quoting the tool's own words);
* a log naming another disk than ``disk_serial``, or a disk the device never had (422);
* a log naming no disk when ``disk_serial`` is not given (422: say which disk);
* the same evidence recorded twice for the device (409 naming the first record).

Who: the device's admins, listers and technicians, staff, and its organisation's bench tokens with
the ``erasures:write`` scope; anyone else gets 404 (devices are private).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from diagnostics.erasure import parse_evidence
from diagnostics.errors import ParseError
from marketplace.db import utcnow
from marketplace.devices import lifecycle
from marketplace.devices.models import Device
from marketplace.erasures import service
from marketplace.erasures.models import Erasure
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.listability.rules import normalise_serial
from marketplace.members.access import (
    BENCH_ROLES,
    SCOPE_ERASURES_WRITE,
    Principal,
    require_org_role,
    require_principal,
)
from marketplace.members.models import TokenKind
from marketplace.reports import service as reports
from marketplace.reservations import locks
from marketplace.uploads import FileTooLarge

MAX_EVIDENCE_BYTES = reports.MAX_FILE_BYTES


def _device_for_erasure(session: Session, principal: Principal | None, device_id: int) -> tuple[Principal, Device]:
    principal = require_principal(principal)
    device = session.get(Device, device_id)
    if principal.token_kind is TokenKind.BENCH:
        if device is None or not principal.is_bench_of(device.organisation_id):
            raise NotFound("No such device.")
        if not principal.has_scope(SCOPE_ERASURES_WRITE):
            raise Forbidden(
                f"This bench token lacks the {SCOPE_ERASURES_WRITE} scope (an admin issues one that has it)."
            )
        return principal, device
    if device is None:
        require_org_role(principal, -1, BENCH_ROLES, what="device")
        raise NotFound("No such device.")
    return require_org_role(principal, device.organisation_id, BENCH_ROLES, what="device"), device


def record_from_evidence(
    session: Session,
    principal: Principal | None,
    device_id: int,
    *,
    filename: str,
    content: bytes,
    disk_serial: str | None = None,
    operator: str | None = None,
) -> Erasure:
    principal, device = _device_for_erasure(session, principal, device_id)
    device = locks.lock_device(session, device.id)
    lifecycle.ensure_in_hands(device, "no erasure now")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise FileTooLarge(
            f"Erasure evidence may hold at most {MAX_EVIDENCE_BYTES} bytes.",
            errors={"evidence": [f"{len(content)} bytes, limit {MAX_EVIDENCE_BYTES}"]},
        )
    name = filename or "evidence"
    try:
        evidence = parse_evidence(content, name)
    except ParseError as exc:
        raise ValidationFailed(
            f"{name} cannot be read as erasure evidence: {exc.reason}. Nothing was stored.",
            errors={"evidence": [exc.reason]},
        ) from None
    if not evidence.succeeded:
        raise ValidationFailed(
            f"{evidence.tool} does not report a completed erasure: «{evidence.outcome}». Nothing was stored; "
            "wipe the disk again (or destroy it) and send the new evidence.",
            errors={"evidence": [evidence.outcome]},
        )
    given = (disk_serial or "").strip() or None
    named = evidence.disk_serial
    if given and named and normalise_serial(given) != normalise_serial(named):
        raise ValidationFailed(
            f"The {evidence.tool} log is about disk {named}, not {given}: send the log of disk {given}.",
            errors={"disk_serial": [f"The evidence names disk {named}."]},
        )
    serial = named or given
    if serial is None:
        raise ValidationFailed(
            f"This {evidence.tool} output does not name the disk it erased: say which (disk_serial, "
            "relife-bench erase --disk SERIAL).",
            errors={"disk_serial": ["Required: the evidence does not name the disk."]},
        )
    digest = hashlib.sha256(content).hexdigest()
    first = session.scalar(
        sa.select(Erasure.id).where(Erasure.device_id == device.id, Erasure.evidence_sha256 == digest).limit(1)
    )
    if first is not None:
        raise Conflict(
            f"This evidence was already recorded for the device (erasure {first}); nothing was stored.",
            errors={"evidence": [f"Already recorded as erasure {first}."]},
        )
    report, match = service._match_disk(session, device, serial)
    now = utcnow()
    started = evidence.started_at or now
    finished = evidence.finished_at or now
    if finished > now + dt.timedelta(minutes=5):
        raise ValidationFailed(
            "The evidence's wipe ends in the future: check the clock of the wiping machine.",
            errors={"evidence": ["Ends in the future."]},
        )
    data = {
        "method": evidence.method,
        "standard": evidence.standard,
        "tool": evidence.tool,
        "tool_version": evidence.tool_version,
        "started_at": started,
        "finished_at": max(started, finished),
        "verified": evidence.verified,
        "verification_method": (evidence.verification or None) and evidence.verification[:200],
        "operator": (operator or "").strip()[:120] or None,
        "evidence": content,
        "evidence_filename": reports._clean_filename(name)[:255] or "evidence",
        "evidence_sha256": digest,
        "evidence_format": evidence.format,
        "tool_method": (evidence.tool_method or None) and evidence.tool_method[:120],
        "outcome": evidence.outcome[:500],
    }
    return service._store(session, principal, device, report, match, data)


def get_evidence(session: Session, principal: Principal | None, erasure_id: int) -> Erasure:
    erasure = session.get(Erasure, erasure_id)
    if erasure is None or erasure.evidence_sha256 is None:
        require_org_role(principal, -1, reports.READ_ROLES, what="erasure")
        raise NotFound("No such erasure evidence.")
    reports.device_for_reading(session, principal, erasure.device_id)
    return erasure
