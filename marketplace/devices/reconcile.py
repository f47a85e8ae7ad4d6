"""Specs reconciled with what the diagnostics measured: the registered specs said a 256 GB SSD, the
disk reported is a 1 TB NVMe drive → a finding in the report, a passport event, and one call to
take the measured values into the specs.

Measured today from the disk reports: ``storage_gb`` (all current disks, decimal GB, as labels
count) and ``storage_type`` (nvme / ssd / hdd / mixed), with each disk's model for the record; the
battery's design capacity is shown with them (the specs have no battery field to compare). A
capacity within ``CAPACITY_TOLERANCE`` of the registered one is the same (a "1 TB" label is
1000 GB, the disk reports 1024 GB).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from diagnostics import ComponentReport
from marketplace.devices.models import Device, DeviceEvent, DeviceKind, EventKind
from marketplace.devices.passport import record_event
from marketplace.members.access import Principal

CAPACITY_TOLERANCE = 0.10
#: Device kinds whose specs carry storage_gb / storage_type (``specs.py``).
STORAGE_KINDS = frozenset({DeviceKind.LAPTOP, DeviceKind.DESKTOP, DeviceKind.SERVER})
FINDING_CODE = "specs_mismatch"


@dataclass
class SpecsCheck:
    registered: dict[str, Any]
    measured: dict[str, Any]
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def measure(components: Sequence[ComponentReport]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(measured spec values, details) from the current component reports."""
    disks = [c for c in components if c.component.value == "disk"]
    measured: dict[str, Any] = {}
    details: dict[str, Any] = {}
    capacities = [c.identity.get("capacity_bytes") for c in disks]
    if disks and all(isinstance(b, int) and b > 0 for b in capacities):
        measured["storage_gb"] = round(sum(b for b in capacities if isinstance(b, int)) / 1e9)
    types = {str(c.identity.get("device_type")) for c in disks} - {"unknown", "None"}
    if types:
        solid = types & {"nvme", "ssd"}
        measured["storage_type"] = (
            "mixed" if solid and "hdd" in types else ("nvme" if "nvme" in types else ("ssd" if solid else "hdd"))
        )
    if disks:
        details["disks"] = [
            {
                "model": c.identity.get("model"),
                "serial": c.identity.get("serial"),
                "type": c.identity.get("device_type"),
            }
            for c in disks
        ]
    batteries = [c for c in components if c.component.value == "battery"]
    design = [c.identity.get("design_capacity_mwh") for c in batteries]
    if design and all(isinstance(v, int | float) for v in design):
        details["battery_design_wh"] = round(sum(float(v) for v in design if v is not None) / 1000, 1)
    return measured, details


def compare(device: Device, measured: Mapping[str, Any]) -> list[dict[str, Any]]:
    if device.kind not in STORAGE_KINDS:
        return []
    specs = device.specs or {}
    out: list[dict[str, Any]] = []
    registered_gb, measured_gb = specs.get("storage_gb"), measured.get("storage_gb")
    if (
        isinstance(registered_gb, int | float)
        and isinstance(measured_gb, int)
        and measured_gb > 0
        and abs(registered_gb - measured_gb) / measured_gb > CAPACITY_TOLERANCE
    ):
        out.append(
            {
                "field": "storage_gb",
                "registered": registered_gb,
                "measured": measured_gb,
                "message": f"Registered {registered_gb} GB of storage; the disks report {measured_gb} GB.",
            }
        )
    registered_type, measured_type = specs.get("storage_type"), measured.get("storage_type")
    if registered_type and measured_type and registered_type != measured_type:
        out.append(
            {
                "field": "storage_type",
                "registered": registered_type,
                "measured": measured_type,
                "message": f"Registered storage type {registered_type}; the disks report {measured_type}.",
            }
        )
    return out


def check(device: Device, components: Sequence[ComponentReport]) -> SpecsCheck:
    measured, details = measure(components)
    return SpecsCheck(dict(device.specs or {}), measured, compare(device, measured), details)


def after_upload(
    session: Session,
    device: Device,
    report_assessment: dict[str, Any],
    components: Sequence[ComponentReport],
    principal: Principal,
) -> dict[str, Any]:
    """The report's assessment with a finding per mismatch, and a private ``specs_mismatch`` passport
    event when the mismatches differ from the last one recorded."""  # fmt: skip
    result = check(device, components)
    if not result.mismatches:
        return report_assessment
    findings = [
        {"code": FINDING_CODE, "severity": "warning", "message": m["message"], "field": m["field"]}
        for m in result.mismatches
    ]
    assessment = {**report_assessment, "findings": [*(report_assessment.get("findings") or []), *findings]}
    last = session.scalar(
        sa.select(DeviceEvent)
        .where(DeviceEvent.device_id == device.id, DeviceEvent.kind == EventKind.SPECS_MISMATCH)
        .order_by(DeviceEvent.id.desc())
        .limit(1)
    )
    if last is None or last.data.get("mismatches") != result.mismatches:
        record_event(
            session, device, EventKind.SPECS_MISMATCH, principal, data={"mismatches": result.mismatches}, public=False
        )
    return assessment
