"""Data erasure use cases: record an erasure per disk, and the certificate.

* A disk is named by its serial and must be one the device has held since its last handover (sold,
  donated, returned; ``listability.rules.held_disks``): the disks of its latest diagnostics and any
  disk an earlier report saw that is gone since (pulled out, it still holds its data). An unknown
  serial is a 422 that lists the known ones. Every held disk needs its verified erasure (or a
  recorded removal), and the certificate lists them all. Serials
  are compared ignoring case and surrounding spaces (tools print them differently).
* What an erasure means for the catalogue (the listability rule, which erasures count after a
  return) lives in ``listability.rules``, below every service.
* Each record writes an ``erased`` passport event whose public part says the method and standard,
  never the serial or the operator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices import lifecycle
from marketplace.devices.models import Device, EventKind
from marketplace.devices.passport import record_event
from marketplace.erasures.models import Erasure, ErasureMethod, ErasureStandard
from marketplace.errors import ValidationFailed
from marketplace.listability.follow import follow_device
from marketplace.listability.rules import DiskStatus, disk_statuses, held_disks, normalise_serial
from marketplace.members.access import BENCH_ROLES, Principal, require_org_role
from marketplace.reports import service as reports
from marketplace.reports.models import DiagnosticReport
from marketplace.reservations import locks


@dataclass(frozen=True)
class Certificate:
    device: Device
    report_id: int | None
    disks: list[DiskStatus]
    generated_at: dt.datetime

    @property
    def complete(self) -> bool:
        return all(d.accounted_for for d in self.disks)


def record_erasure(session: Session, principal: Principal | None, device_id: int, data: Mapping[str, Any]) -> Erasure:
    """Record one erasure run on one disk of the device (see the module docstring)."""
    device = reports.device_for_reading(session, principal, device_id)
    principal = require_org_role(principal, device.organisation_id, BENCH_ROLES, what="device")
    # The device's lock (``reservations.locks``): an erasure and a listing or an upload of the same
    # device take turns, so a listing's erasure check sees a settled set of disks, and an upload
    # naming a new disk (which suspends the listing) cannot interleave with this erasure
    # reinstating it from the disks it read before.
    device = locks.lock_device(session, device.id)
    lifecycle.ensure_in_hands(device, "no erasure now")
    started_at: dt.datetime = data["started_at"]
    finished_at: dt.datetime = data["finished_at"]
    if finished_at < started_at:
        raise ValidationFailed(
            "An erasure cannot finish before it starts.",
            errors={"finished_at": ["Must be at or after started_at."]},
        )
    if finished_at > utcnow() + dt.timedelta(minutes=5):
        raise ValidationFailed("An erasure cannot finish in the future.", errors={"finished_at": ["In the future."]})
    report, match = _match_disk(session, device, data["disk_serial"])
    return _store(session, principal, device, report, match, data)


def _match_disk(session: Session, device: Device, disk_serial: str) -> tuple[Any, dict[str, Any]]:
    """The device's disk with this serial (its latest diagnostics), or a 422 naming the known ones."""
    latest, held = held_disks(session, device)
    disks = [disk for _report_id, disk in held]
    wanted = normalise_serial(disk_serial)
    found = next(
        ((rid, d) for rid, d in held if d.get("serial") and normalise_serial(str(d["serial"])) == wanted), None
    )
    report = session.get(DiagnosticReport, found[0]) if found is not None else latest
    match = found[1] if found is not None else None
    if match is None:
        known = sorted(str(d["serial"]) for d in disks if d.get("serial"))
        if known:
            hint = f"known disks: {', '.join(known)}."
        elif disks:
            hint = "its disk reports carry no serial: upload reports that do (smartctl -x -j)."
        else:
            hint = "it has no disk report: upload one first."
        detail = f"No disk with serial {disk_serial!r} in the device's diagnostics since its last handover; {hint}"
        raise ValidationFailed(detail, errors={"disk_serial": [f"Unknown disk; known serials: {known}"]})
    return report, match


def _store(
    session: Session,
    principal: Principal,
    device: Device,
    report: Any,
    match: Mapping[str, Any],
    data: Mapping[str, Any],
) -> Erasure:
    erasure = Erasure(
        device=device,
        disk_serial=str(match["serial"]),
        disk_model=match.get("model"),
        method=ErasureMethod(data["method"]),
        standard=ErasureStandard(data["standard"]),
        tool=data["tool"],
        tool_version=data.get("tool_version"),
        started_at=data["started_at"],
        finished_at=data["finished_at"],
        verified=data["verified"],
        verification_method=data.get("verification_method"),
        operator=data.get("operator"),
        recorded_by_user_id=principal.user_id,
        recorded_by_token_id=principal.token_id if principal.user_id is None else None,
        report_id=report.id if report is not None else None,
        evidence=data.get("evidence"),
        evidence_filename=data.get("evidence_filename"),
        evidence_sha256=data.get("evidence_sha256"),
        evidence_format=data.get("evidence_format"),
        tool_method=data.get("tool_method"),
        outcome=data.get("outcome"),
    )
    session.add(erasure)
    session.flush()
    method, standard = erasure.method, erasure.standard
    record_event(
        session,
        device,
        EventKind.ERASED,
        principal,
        data={
            "erasure_id": erasure.id,
            "method": method.value,
            "standard": standard.value,
            "verified": erasure.verified,
            "tool": erasure.tool,
        },
    )
    session.flush()
    # The missing erasure of a suspended listing's disk brings it back.
    follow_device(session, device, principal)
    return erasure


def list_erasures(session: Session, principal: Principal | None, device_id: int) -> list[Erasure]:
    device, recorded_until = reports.device_history_for_reading(session, principal, device_id)
    query = sa.select(Erasure).where(Erasure.device_id == device.id)
    if recorded_until is not None:  # a former owner: what was recorded up to its departure
        query = query.where(Erasure.created_at <= recorded_until)
    return list(session.scalars(query.order_by(Erasure.id)))


def certificate(session: Session, principal: Principal | None, device_id: int) -> Certificate:
    device = reports.device_for_reading(session, principal, device_id)
    report_id, statuses = disk_statuses(session, device)
    return Certificate(device=device, report_id=report_id, disks=statuses, generated_at=utcnow())
