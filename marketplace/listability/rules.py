"""What keeps a device out of the catalogue: THE listability rule, and the erasure status of its
disks that the rule and the erasure certificate read.

* ``listing_problems`` is the one rule of what may be offered (complete diagnostics, not graded F,
  every current disk with a *verified* erasure); ``ensure_listable`` adds the state (``diagnosed``
  or ``returned``) for a new listing. For a device that came back (``returned``), only erasures
  recorded after its latest return count: the borrower or buyer may have put data on it.

Reads models only, so every service that changes a device can ask it (through
``listability.follow.follow_device``) without importing another domain's use cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.erasures.models import Erasure
from marketplace.errors import InvalidState
from marketplace.listability.current import current_disks, diagnosis_of

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


def normalise_serial(serial: str) -> str:
    return serial.strip().upper()


def _last_return(session: Session, device: Device) -> dt.datetime | None:
    return session.scalar(
        sa.select(sa.func.max(DeviceEvent.occurred_at)).where(
            DeviceEvent.device_id == device.id, DeviceEvent.kind == EventKind.RETURNED
        )
    )


def disk_statuses(session: Session, device: Device) -> tuple[int | None, list[DiskStatus]]:
    report, disks = current_disks(session, device)
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
    * ``disks``: every disk of its latest diagnostics has a verified erasure (after a return, one
      recorded since).
    """
    problems: dict[str, list[str]] = {}
    diagnosis = diagnosis_of(session, device)
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
