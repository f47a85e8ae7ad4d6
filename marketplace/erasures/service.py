"""Data erasure use cases: record an erasure per disk, the certificate, and the listable check.

* A disk is named by its serial and must be one of the disks of the device's latest diagnostics
  (``reports.service.current_disks``): an unknown serial is a 422 that lists the known ones. Serials
  are compared ignoring case and surrounding spaces (tools print them differently).
* ``listing_problems`` is the one rule of what may be offered (complete diagnostics, not graded F,
  every current disk with a *verified* erasure); ``ensure_listable`` adds the state (``diagnosed``
  or ``returned``) for a new listing. For a device that came back (``returned``), only erasures
  recorded after its latest return count: the borrower or buyer may have put data on it.
* Each record writes an ``erased`` passport event whose public part says the method and standard,
  never the serial or the operator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices import lifecycle
from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.devices.passport import record_event
from marketplace.erasures.models import Erasure, ErasureMethod, ErasureStandard
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.members.access import BENCH_ROLES, Principal, require_org_role
from marketplace.reports import service as reports
from marketplace.reservations import locks

#: States in which a device may be listed (after the other checks).
LISTABLE_STATES = frozenset({DeviceState.DIAGNOSED, DeviceState.RETURNED})


@dataclass(frozen=True)
class DiskStatus:
    serial: str | None
    model: str | None
    capacity_bytes: int | None
    erasure: Erasure | None  # the latest verified erasure that counts, else the latest one, else None

    @property
    def erased(self) -> bool:
        return self.erasure is not None and self.erasure.verified

    @property
    def label(self) -> str:
        serial = self.serial or "(no serial in its report)"
        return f"{serial} ({self.model})" if self.model else serial


@dataclass(frozen=True)
class Certificate:
    device: Device
    report_id: int | None
    disks: list[DiskStatus]
    generated_at: dt.datetime

    @property
    def complete(self) -> bool:
        return all(d.erased for d in self.disks)


def normalise_serial(serial: str) -> str:
    return serial.strip().upper()


def record_erasure(session: Session, principal: Principal | None, device_id: int, data: Mapping[str, Any]) -> Erasure:
    """Record one erasure run on one disk of the device (see the module docstring)."""
    device = reports.device_for_reading(session, principal, device_id)
    principal = require_org_role(principal, device.organisation_id, BENCH_ROLES, what="device")
    # The device's lock (``reservations.locks``): an erasure and a listing or an upload of the same
    # device take turns, so a listing's erasure check sees a settled set of disks, and an upload
    # naming a new disk (which suspends the listing) cannot interleave with this erasure
    # reinstating it from the disks it read before.
    device = locks.lock_device(session, device.id)
    lifecycle.ensure_not_sold(device)
    if device.state not in lifecycle.DIAGNOSABLE:
        raise InvalidState(f"A {device.state.value} device is not in its organisation's hands: no erasure now.")
    started_at: dt.datetime = data["started_at"]
    finished_at: dt.datetime = data["finished_at"]
    if finished_at < started_at:
        raise ValidationFailed(
            "An erasure cannot finish before it starts.",
            errors={"finished_at": ["Must be at or after started_at."]},
        )
    if finished_at > utcnow() + dt.timedelta(minutes=5):
        raise ValidationFailed("An erasure cannot finish in the future.", errors={"finished_at": ["In the future."]})
    report, disks = reports.current_disks(session, device)
    wanted = normalise_serial(data["disk_serial"])
    match = next((d for d in disks if d.get("serial") and normalise_serial(str(d["serial"])) == wanted), None)
    if match is None:
        known = sorted(str(d["serial"]) for d in disks if d.get("serial"))
        if known:
            hint = f"known disks: {', '.join(known)}."
        elif disks:
            hint = "its disk reports carry no serial: upload reports that do (smartctl -x -j)."
        else:
            hint = "it has no disk report: upload one first."
        detail = f"No disk with serial {data['disk_serial']!r} in the device's latest diagnostics; {hint}"
        raise ValidationFailed(detail, errors={"disk_serial": [f"Unknown disk; known serials: {known}"]})
    erasure = Erasure(
        device=device,
        disk_serial=str(match["serial"]),
        disk_model=match.get("model"),
        method=data["method"],
        standard=data["standard"],
        tool=data["tool"],
        tool_version=data.get("tool_version"),
        started_at=started_at,
        finished_at=finished_at,
        verified=data["verified"],
        verification_method=data.get("verification_method"),
        operator=data.get("operator"),
        recorded_by_user_id=principal.user_id,
        report_id=report.id if report is not None else None,
    )
    session.add(erasure)
    session.flush()
    method: ErasureMethod = data["method"]
    standard: ErasureStandard = data["standard"]
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
    # The missing erasure of a suspended listing's disk brings it back (listings.service.follow_device);
    # imported here because the listings service reads this module's rule.
    from marketplace.listings.service import follow_device

    follow_device(session, device, principal)
    return erasure


def list_erasures(session: Session, principal: Principal | None, device_id: int) -> list[Erasure]:
    device = reports.device_for_reading(session, principal, device_id)
    return list(session.scalars(sa.select(Erasure).where(Erasure.device_id == device.id).order_by(Erasure.id)))


def _last_return(session: Session, device: Device) -> dt.datetime | None:
    """When the device last came back or changed hands: erasures before that no longer count."""
    return session.scalar(
        sa.select(sa.func.max(DeviceEvent.occurred_at)).where(
            DeviceEvent.device_id == device.id, DeviceEvent.kind.in_([EventKind.RETURNED, EventKind.TRANSFERRED])
        )
    )


def disk_statuses(session: Session, device: Device) -> tuple[int | None, list[DiskStatus]]:
    report, disks = reports.current_disks(session, device)
    erasures: Sequence[Erasure] = list(
        session.scalars(sa.select(Erasure).where(Erasure.device_id == device.id).order_by(Erasure.id))
    )
    since = _last_return(session, device)
    if since is not None:
        since = since.astimezone(dt.UTC)
        erasures = [e for e in erasures if e.created_at >= since]
    statuses: list[DiskStatus] = []
    for disk in disks:
        serial = str(disk["serial"]) if disk.get("serial") else None
        mine = [
            e for e in erasures if serial is not None and normalise_serial(e.disk_serial) == normalise_serial(serial)
        ]
        verified = [e for e in mine if e.verified]
        chosen = verified[-1] if verified else (mine[-1] if mine else None)
        capacity = disk.get("capacity_bytes")
        statuses.append(
            DiskStatus(
                serial=serial,
                model=disk.get("model"),
                capacity_bytes=capacity if isinstance(capacity, int) else None,
                erasure=chosen,
            )
        )
    return (report.id if report is not None else None), statuses


def certificate(session: Session, principal: Principal | None, device_id: int) -> Certificate:
    device = reports.device_for_reading(session, principal, device_id)
    report_id, statuses = disk_statuses(session, device)
    return Certificate(device=device, report_id=report_id, disks=statuses, generated_at=utcnow())


#: Grades never offered: F is "not reusable without more than a part swap" (DESIGN §2.2).
UNLISTABLE_GRADES = frozenset({"F"})


def listing_problems(session: Session, device: Device) -> dict[str, list[str]]:
    """What keeps ``device`` out of the catalogue, whatever its state: ``{field: [plain words]}``,
    empty when it may be offered. THE rule of what is listable, used for a new listing
    (``ensure_listable``, with the state), for every change of a listed device
    (``listings.service.follow_device`` suspends or reinstates its listing) and before a handover:

    * ``diagnosis``: its current diagnostics are complete (checklist with a result, and the automatic
      reports its kind needs, ``reports.service.diagnosis_of``);
    * ``grade``: its server grade is not F;
    * ``disks``: every disk of its latest diagnostics has a verified erasure (after a return or a
      transfer to a new owner, one recorded since).
    """
    problems: dict[str, list[str]] = {}
    diagnosis = reports.diagnosis_of(session, device)
    if not diagnosis.complete:
        problems["diagnosis"] = [f"Diagnostics incomplete: missing {', '.join(diagnosis.missing)}."]
    if device.grade in UNLISTABLE_GRADES:
        problems["grade"] = [f"Graded {device.grade} by its diagnostics: not reusable as it is."]
    _report_id, statuses = disk_statuses(session, device)
    missing = [d.label for d in statuses if not d.erased]
    if missing:
        problems["disks"] = [f"{label}: no verified erasure" for label in missing]
    return problems


def describe_problems(problems: Mapping[str, Sequence[str]]) -> str:
    """``listing_problems`` in one sentence for the seller."""
    parts: list[str] = []
    if "disks" in problems:
        disks = [message.removesuffix(": no verified erasure") for message in problems["disks"]]
        parts.append("every disk needs a verified erasure; missing for: " + ", ".join(disks))
    if "grade" in problems:
        parts.extend(message.rstrip(".") for message in problems["grade"])
    if "diagnosis" in problems:
        parts.extend(message.rstrip(".") for message in problems["diagnosis"])
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def ensure_listable(session: Session, device: Device) -> None:
    """Raise InvalidState (409) unless the device may be listed: diagnosed (state ``diagnosed`` or
    ``returned``) and ``listing_problems`` empty.

    The catalogue calls this before it lists a device; the problem names what is missing per
    field (``errors["disks"]``: the disks without a verified erasure). A device without storage (a
    screen, a diskless thin client whose checklist records ``storage: na``) needs no erasure.
    """
    if device.state not in LISTABLE_STATES:
        raise InvalidState(
            f"Only a diagnosed device can be listed (this one is {device.state.value}): "
            "upload its diagnostics and functional checklist first.",
            errors={"state": [f"Is {device.state.value}; must be diagnosed or returned."]},
        )
    problems = listing_problems(session, device)
    if problems:
        raise InvalidState("The device cannot be listed: " + describe_problems(problems), errors=problems)


def all_disks_erased(session: Session, device: Device) -> bool:
    """Whether every current disk has a verified erasure (vacuously true without disks).

    For the catalogue's "reconditionné" flag (décret 2022-190: diagnosed, checked and erased)."""
    _report_id, statuses = disk_statuses(session, device)
    return all(d.erased for d in statuses)
