"""Specs reconciled with what the diagnostics measured: the registered specs said a 256 GB SSD, the
disk reported is a 1 TB NVMe drive → a finding in the report, a passport event, and one call to
take the measured values into the specs.

Measured today from the disk reports: ``storage_gb`` (all current disks, decimal GB, as labels
count) and ``storage_type`` (nvme / ssd / hdd / mixed), with each disk's model for the record; the
battery's design capacity is shown with them (the specs have no battery field to compare). A
capacity within ``CAPACITY_TOLERANCE`` of the registered one is the same (a "1 TB" label is
1000 GB, the disk reports 1024 GB).

Measured from the machine's identity (``dmidecode``, ``system_profiler``, a ``machine`` component):
``cpu`` (the same processor when one name contains the other once trademarks, "CPU" and the clock
are left out) and ``ram_gb`` (installed modules, whole GB); its make, model and serial go in the
details. A machine serial that differs from the device's is a mismatch too, but it is never
accepted into the device: the serial is who the device is, a person checks it.
"""

from __future__ import annotations

import re
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
    machines = [c for c in components if c.component.value == "machine"]
    if machines:
        machine = machines[-1]
        cpu, ram = machine.measurements.get("cpu"), machine.measurements.get("ram_gb")
        if isinstance(cpu, str) and cpu:
            measured["cpu"] = cpu
        if isinstance(ram, int | float) and ram > 0:
            measured["ram_gb"] = round(ram)
        details["machine"] = {k: machine.identity.get(k) for k in ("make", "model", "serial")}
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
    registered_ram, measured_ram = specs.get("ram_gb"), measured.get("ram_gb")
    if isinstance(registered_ram, int | float) and isinstance(measured_ram, int) and registered_ram != measured_ram:
        out.append(
            {
                "field": "ram_gb",
                "registered": registered_ram,
                "measured": measured_ram,
                "message": f"Registered {registered_ram} GB of RAM; the machine reports {measured_ram} GB.",
            }
        )
    registered_cpu, measured_cpu = specs.get("cpu"), measured.get("cpu")
    if isinstance(registered_cpu, str) and isinstance(measured_cpu, str) and not same_cpu(registered_cpu, measured_cpu):
        out.append(
            {
                "field": "cpu",
                "registered": registered_cpu,
                "measured": measured_cpu,
                "message": f"Registered processor {registered_cpu}; the machine reports {measured_cpu}.",
            }
        )
    return out


def serial_mismatch(device: Device, details: Mapping[str, Any]) -> dict[str, Any] | None:
    """The machine's own serial against the registered one. Reported, never accepted: the serial is
    the device's identity (a swapped motherboard, or the wrong device scanned), a person decides."""
    machine = details.get("machine") or {}
    measured = machine.get("serial")
    if not isinstance(measured, str) or not device.serial or _plain(measured) == _plain(device.serial):
        return None
    return {
        "field": "serial",
        "registered": device.serial,
        "measured": measured,
        "message": (
            f"Registered serial {device.serial}; the machine reports {measured}. "
            "Accepting the measured values does not change the serial: check the device."
        ),
    }


_CPU_NOISE = re.compile(r"\((?:r|tm|c)\)|®|™|\bcpu\b|\bprocessor\b|@.*$|\bwith\b.*$", re.IGNORECASE)


def _plain(text: str) -> str:
    return "".join(text.split()).lower()


def same_cpu(registered: str, measured: str) -> bool:
    """ "Intel Core i5-8350U" is the "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz" the firmware names:
    trademarks, "CPU" and the clock left out, one contained in the other."""
    a, b = (" ".join(_CPU_NOISE.sub(" ", t).lower().split()) for t in (registered, measured))
    return bool(a and b) and (a in b or b in a)


def check(device: Device, components: Sequence[ComponentReport]) -> SpecsCheck:
    measured, details = measure(components)
    mismatches = compare(device, measured)
    serial = serial_mismatch(device, details)
    if serial is not None:
        mismatches.append(serial)
    return SpecsCheck(dict(device.specs or {}), measured, mismatches, details)


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
