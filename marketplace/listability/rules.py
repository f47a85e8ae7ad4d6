"""What keeps a device out of the catalogue: THE listability rule, and the erasure status of its
disks that the rule and the erasure certificate read.

* ``listing_problems`` is the one rule of what may be offered (complete diagnostics, not graded F,
  every current disk with a *verified* erasure); ``ensure_listable`` adds the state (``diagnosed``
  or ``returned``) for a new listing. For a device that came back (``returned``: a buyer's return
  or a loan's), only erasures recorded after its latest return count (the borrower or buyer may
  have put data on it), and a functional checklist recorded since is required too.

Reads models only, so every service that changes a device can ask it (through
``listability.follow.follow_device``) without importing another domain's use cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.erasures.models import DiskRemoval, Erasure
from marketplace.errors import InvalidState
from marketplace.listability.current import current_disks, diagnosis_of, reports_of, select_current
from marketplace.orders.models import Order, OrderReturn, ReturnStatus
from marketplace.reports.models import DiagnosticReport

#: States in which a device may be listed (after the other checks).
LISTABLE_STATES = frozenset({DeviceState.DIAGNOSED, DeviceState.RETURNED})


@dataclass(frozen=True)
class DiskStatus:
    serial: str | None
    model: str | None
    capacity_bytes: int | None
    erasure: Erasure | None  # the latest verified erasure that counts, else the latest one, else None
    removal: DiskRemoval | None = None  # recorded as taken out of the device since it was last seen
    current: bool = True  # in the device's latest disk report

    @property
    def erased(self) -> bool:
        return self.erasure is not None and self.erasure.verified

    @property
    def accounted_for(self) -> bool:
        """Erased with verification, or recorded as taken out (kept, destroyed, moved)."""
        return self.erased or self.removal is not None

    @property
    def label(self) -> str:
        serial = self.serial or "(no serial in its report)"
        return f"{serial} ({self.model})" if self.model else serial


def normalise_serial(serial: str) -> str:
    return serial.strip().upper()


def _last_return(session: Session, device: Device) -> dt.datetime | None:
    """When the device last came back or changed hands: erasures before that no longer count."""
    return session.scalar(
        sa.select(sa.func.max(DeviceEvent.occurred_at)).where(
            DeviceEvent.device_id == device.id, DeviceEvent.kind.in_([EventKind.RETURNED, EventKind.TRANSFERRED])
        )
    )


def last_came_back(session: Session, device: Device) -> dt.datetime | None:
    """When the device last came back to its owner: a sale or donation returned by its buyer, or a
    loan returned by its borrower (both a ``returned`` passport event)."""
    when = session.scalar(
        sa.select(sa.func.max(DeviceEvent.occurred_at)).where(
            DeviceEvent.device_id == device.id, DeviceEvent.kind == EventKind.RETURNED
        )
    )
    return when.astimezone(dt.UTC) if when is not None else None


def _checklist_since_return(session: Session, device: Device) -> list[str]:
    """A device that came back needs a functional checklist recorded since: someone else used it."""
    since = last_came_back(session, device)
    if since is None:
        return []
    checklist = select_current(reports_of(session, device)).checklist_report
    if checklist is not None and checklist.created_at.astimezone(dt.UTC) >= since:
        return []
    return [f"No functional checklist recorded since the device came back on {since.date().isoformat()}."]


def _return_pending(session: Session, device: Device) -> list[str]:
    """Its owner asked to send it back to whoever sold it (``orders.returns``): it stays as it is
    until the seller decides, or the return could no longer be accepted."""
    order_id = session.scalar(
        sa.select(Order.id)
        .join(OrderReturn, OrderReturn.order_id == Order.id)
        .where(
            Order.device_id == device.id,
            Order.buyer_organisation_id == device.organisation_id,
            OrderReturn.status == ReturnStatus.OPEN,
        )
        .limit(1)
    )
    if order_id is None:
        return []
    return [f"A return of this device under order {order_id} awaits its seller's answer."]


def _last_handover(session: Session, device: Device) -> dt.datetime | None:
    """When the device last changed hands (sold, donated, returned): disks seen before belong to an
    earlier life of the device and were accounted for then."""
    return session.scalar(
        sa.select(sa.func.max(DeviceEvent.occurred_at)).where(
            DeviceEvent.device_id == device.id,
            DeviceEvent.kind.in_([EventKind.RETURNED, EventKind.TRANSFERRED, EventKind.SOLD, EventKind.DONATED]),
        )
    )


def held_disks(session: Session, device: Device) -> tuple[DiagnosticReport | None, list[tuple[int, dict[str, Any]]]]:
    """Every disk the device has held since its last handover: the disks of its latest disk report
    first, then each disk an earlier report saw that is not there any more (a disk pulled out
    still holds the data it held). ``(latest disk report, [(report id, identity)])``."""
    latest, current = current_disks(session, device)
    held: list[tuple[int, dict[str, Any]]] = (
        [(latest.id, {**disk, "_seen_at": latest.created_at}) for disk in current] if latest is not None else []
    )
    seen = {normalise_serial(str(d["serial"])) for _id, d in held if d.get("serial")}
    query = sa.select(DiagnosticReport).where(DiagnosticReport.device_id == device.id)
    since = _last_handover(session, device)
    if since is not None:
        query = query.where(DiagnosticReport.created_at >= since)
    for report in session.scalars(query.order_by(DiagnosticReport.id.desc())):
        for stored in report.files:
            for component in stored.components:
                identity = component.get("identity") or {}
                if component.get("component") != "disk" or not identity.get("serial"):
                    continue  # a disk without a serial cannot be told apart from the current ones
                key = normalise_serial(str(identity["serial"]))
                if key not in seen:
                    seen.add(key)
                    held.append((report.id, {**identity, "_seen_at": report.created_at}))
    return latest, held


def latest_removals(session: Session, device: Device) -> dict[str, DiskRemoval]:
    """The latest removal recorded for each disk serial of the device (normalised)."""
    rows = session.scalars(sa.select(DiskRemoval).where(DiskRemoval.device_id == device.id).order_by(DiskRemoval.id))
    return {normalise_serial(r.disk_serial): r for r in rows}


def disk_statuses(session: Session, device: Device) -> tuple[int | None, list[DiskStatus]]:
    """Each disk the device held since its last handover (``held_disks``), with the erasure that
    counts for it and its removal, if one was recorded since it was last seen."""
    report, held = held_disks(session, device)
    erasures: Sequence[Erasure] = list(
        session.scalars(sa.select(Erasure).where(Erasure.device_id == device.id).order_by(Erasure.id))
    )
    since = _last_return(session, device)
    if since is not None:
        since = since.astimezone(dt.UTC)
        erasures = [e for e in erasures if e.created_at >= since]
    removals = latest_removals(session, device)
    statuses: list[DiskStatus] = []
    for report_id, disk in held:
        serial = str(disk["serial"]) if disk.get("serial") else None
        mine = [
            e for e in erasures if serial is not None and normalise_serial(e.disk_serial) == normalise_serial(serial)
        ]
        verified = [e for e in mine if e.verified]
        chosen = verified[-1] if verified else (mine[-1] if mine else None)
        capacity = disk.get("capacity_bytes")
        removal = removals.get(normalise_serial(serial)) if serial is not None else None
        seen_at = disk.get("_seen_at")
        if removal is not None and isinstance(seen_at, dt.datetime) and seen_at > removal.created_at:
            removal = None  # seen in the device again after its removal was recorded
        statuses.append(
            DiskStatus(
                serial=serial,
                model=disk.get("model"),
                capacity_bytes=capacity if isinstance(capacity, int) else None,
                erasure=chosen,
                removal=removal,
                current=report is not None and report_id == report.id,
            )
        )
    return (report.id if report is not None else None), statuses


#: Grades never offered: F is "not reusable without more than a part swap" (DESIGN §2.2).
UNLISTABLE_GRADES = frozenset({"F"})


def listing_problems(session: Session, device: Device) -> dict[str, list[str]]:
    """What keeps ``device`` out of the catalogue, whatever its state: ``{field: [plain words]}``,
    empty when it may be offered. THE rule of what is listable, used for a new listing
    (``ensure_listable``, with the state), for every change of a listed device
    (``listability.follow.follow_device`` suspends or reinstates its listing) and before a handover:

    * ``diagnosis``: its current diagnostics are complete (checklist with a result, and the automatic
      reports its kind needs, ``listability.current.diagnosis_of``);
    * ``grade``: its server grade is not F;
    * ``disks``: every disk the device held since its last handover has a verified erasure (after
      a return or a transfer to a new owner, one recorded since) or a recorded removal from the device;
    * ``checklist``: after it came back (a buyer's return or a loan's, ``last_came_back``), a
      functional checklist recorded since;
    * ``return``: no return of it to its seller is awaiting the seller's answer.
    """
    problems: dict[str, list[str]] = {}
    diagnosis = diagnosis_of(session, device)
    if not diagnosis.complete:
        problems["diagnosis"] = [f"Diagnostics incomplete: missing {', '.join(diagnosis.missing)}."]
    if device.grade in UNLISTABLE_GRADES:
        problems["grade"] = [f"Graded {device.grade} by its diagnostics: not reusable as it is."]
    _report_id, statuses = disk_statuses(session, device)
    missing = [d.label for d in statuses if not d.accounted_for]
    if missing:
        problems["disks"] = [f"{label}: no verified erasure" for label in missing]
    if stale := _checklist_since_return(session, device):
        problems["checklist"] = stale
    if pending := _return_pending(session, device):
        problems["return"] = pending
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
    for field in ("checklist", "return"):
        parts.extend(message.rstrip(".") for message in problems.get(field, ()))
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
    return all(d.accounted_for for d in statuses)
