"""What was measured on a device across its diagnostics reports, over time: the series its web
page draws (battery capacity, disk wear, reallocated sectors).

Read from the stored component JSON of each report (``DiagnosticFile.components``: what the server
made of each file), oldest report first. Only the named measures below leave this module, labelled
with the component's model, never its serial or any other identifier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from marketplace.devices.models import Device
from marketplace.reports.models import DiagnosticReport

#: (component, measurement key) → the series' name; the unit is the page's business.
MEASURES: dict[tuple[str, str], str] = {
    ("battery", "health_percent"): "battery_capacity_percent",
    ("disk", "ssd_wear_used_percent"): "disk_wear_percent",
    ("disk", "reallocated_sectors"): "reallocated_sectors",
}


@dataclass
class Series:
    measure: str
    component: str
    #: The component's model (a disk's or battery's), to tell two disks of one device apart.
    label: str
    points: list[tuple[dt.datetime, float]] = field(default_factory=list)


def _label(component: dict[str, Any], position: int) -> str:
    identity = component.get("identity") or {}
    for key in ("model", "name"):
        value = identity.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:60]
    return f"#{position}"


def measure_history(session: Session, device: Device) -> list[Series]:
    """Every measured series of ``device`` with at least one point, by measure then label. The caller
    has already decided the device is visible (``devices.service.get_passport``'s rule)."""
    reports = session.scalars(
        sa.select(DiagnosticReport)
        .where(DiagnosticReport.device_id == device.id)
        .order_by(DiagnosticReport.id)
        .options(selectinload(DiagnosticReport.files))
    ).all()
    found: dict[tuple[str, str], Series] = {}
    for report in reports:
        when = report.created_at if report.created_at.tzinfo else report.created_at.replace(tzinfo=dt.UTC)
        for stored in report.files:
            for position, component in enumerate(stored.components or [], start=1):
                if not isinstance(component, dict):
                    continue
                kind = str(component.get("component"))
                measurements = component.get("measurements") or {}
                for (measured_kind, key), measure in MEASURES.items():
                    value = measurements.get(key)
                    if measured_kind != kind or isinstance(value, bool) or not isinstance(value, int | float):
                        continue
                    label = _label(component, position)
                    series = found.setdefault((measure, label), Series(measure, kind, label))
                    series.points.append((when, float(value)))
    return [found[key] for key in sorted(found)]
