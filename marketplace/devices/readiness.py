"""What a device still needs before it may be listed: its reports by kind, its checklist and the
erasure of each of its disks, in words for the bench (``relife-bench status``).

Nothing is decided here: the one rule of what is listable is ``listability.rules.listing_problems``
(called, never copied), the diagnosis is ``listability.current``'s, the disks and their erasures
are ``listability.rules.disk_statuses``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from marketplace.devices.lookup import read_device
from marketplace.devices.models import Device, DeviceState
from marketplace.listability import rules
from marketplace.listability.current import REQUIRED_COMPONENTS, WAIVER_ITEMS, current_components
from marketplace.members.access import Principal

#: States in which the device is already offered or promised: "ready" is then beside the point.
_OFFERED = {
    DeviceState.LISTED: "listed",
    DeviceState.RESERVED: "reserved",
    DeviceState.SOLD: "sold",
    DeviceState.ON_LOAN: "on loan",
    DeviceState.RETIRED: "retired",
    DeviceState.IN_REPAIR: "in repair",
}


@dataclass
class Readiness:
    device: Device
    ready: bool
    verdict: str
    reports: list[dict[str, Any]] = field(default_factory=list)
    disks: list[dict[str, Any]] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def readiness(session: Session, principal: Principal | None, device_id: int) -> Readiness:
    device = read_device(session, principal, device_id)
    return readiness_of(session, device)


def readiness_of(session: Session, device: Device) -> Readiness:
    problems = rules.listing_problems(session, device)
    current = current_components(session, device)
    required = REQUIRED_COMPONENTS.get(device.kind, frozenset())
    checklist = current.of_kind("manual")
    items = (checklist[0].measurements.get("items") or {}) if checklist else {}
    rows: list[dict[str, Any]] = []
    for kind, report in (("disk", current.disk_report), ("battery", current.battery_report)):
        waived = report is None and WAIVER_ITEMS[kind] in items
        rows.append(
            {
                "kind": kind,
                "required": kind in required,
                "present": report is not None,
                "report_id": report.id if report is not None else None,
                "waived_by_checklist": waived,
            }
        )
    rows.append(
        {
            "kind": "checklist",
            "required": True,
            "present": current.checklist_report is not None,
            "report_id": current.checklist_report.id if current.checklist_report is not None else None,
            "waived_by_checklist": False,
        }
    )
    _report_id, statuses = rules.disk_statuses(session, device)
    disks = [
        {
            "serial": d.serial,
            "model": d.model,
            "capacity_bytes": d.capacity_bytes,
            "erased": d.erased,
            "erasure_id": d.erasure.id if d.erasure is not None else None,
            "current": d.current,
            "removed": d.removal.outcome.value if d.removal is not None else None,
            "status": _disk_status(d),
        }
        for d in statuses
    ]
    missing = [message for messages in problems.values() for message in messages]
    state_ok = device.state in rules.LISTABLE_STATES
    ready = not problems and state_ok
    if ready:
        verdict = "ready to list"
    elif device.state in _OFFERED:
        verdict = _OFFERED[device.state] + (" (and: " + "; ".join(missing) + ")" if missing else "")
    elif not problems:
        verdict = f"not ready: the device is {device.state.value}"
    else:
        verdict = "not ready: " + rules.describe_problems(problems)
    return Readiness(device, ready, verdict, rows, disks, problems, missing)


def _disk_status(disk: rules.DiskStatus) -> str:
    if disk.erased:
        return "erased"
    if disk.removal is not None:
        return f"removed ({disk.removal.outcome.value})"
    words = "erasure not verified" if disk.erasure is not None else "needs a verified erasure"
    return words if disk.current else words + " (no longer in the latest scan: erase it, or record its removal)"
