"""The device's current diagnostics: which reports hold its current components, re-read with
the current policy, and whether they make it diagnosed.

* **Current components.** The device is assessed over its *current* components: the disks of its
  latest report that holds disks (a bench scan sends every disk at once, so a replaced disk drops
  out), the batteries of its latest report that holds a battery, its latest checklist, and the machine's
  identity from its latest report that holds one (dmidecode, system_profiler: never graded). Their raw
  files are re-read with the current policy (a stored grade is never trusted either).
* **Diagnosed** when the checklist is in, records at least one pass or fail, and the automatic
  reports the device kind needs are in: a disk for laptops, desktops and servers, and a battery for
  laptops. A screen, phone, tablet or "other" is diagnosed by its checklist alone. A required report
  is waived when the checklist records the part itself (item ``storage`` for the disk, ``battery``
  for the battery, with any result: ``na`` says the device has none, ``fail`` that it is dead or
  missing).

Reads models only: the reports service (upload, re-grade), the listability rule and the catalogue
card all build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import diagnostics
from diagnostics import ComponentReport, ParseError
from marketplace.devices.models import Device, DeviceKind
from marketplace.reports.models import DiagnosticFile, DiagnosticReport

#: Automatic reports each device kind needs before it counts as diagnosed (see module docstring).
REQUIRED_COMPONENTS: Mapping[DeviceKind, frozenset[str]] = {
    DeviceKind.LAPTOP: frozenset({"disk", "battery"}),
    DeviceKind.DESKTOP: frozenset({"disk"}),
    DeviceKind.SERVER: frozenset({"disk"}),
}
#: Checklist item that stands for a required component when its report cannot be produced.
WAIVER_ITEMS: Mapping[str, str] = {"disk": "storage", "battery": "battery"}


@dataclass(frozen=True)
class Diagnosis:
    """Whether the device counts as diagnosed, and what is still missing if not."""

    complete: bool
    missing: tuple[str, ...]


@dataclass
class CurrentComponents:
    """The device's current component reports (re-read from the raw files) and where they came from."""

    reports: list[ComponentReport] = field(default_factory=list)
    disk_report: DiagnosticReport | None = None
    battery_report: DiagnosticReport | None = None
    checklist_report: DiagnosticReport | None = None
    machine_report: DiagnosticReport | None = None  # identity only (dmidecode, system_profiler)

    def of_kind(self, kind: str) -> list[ComponentReport]:
        return [r for r in self.reports if r.component.value == kind]


def reports_of(session: Session, device: Device, up_to_id: int | None = None) -> list[DiagnosticReport]:
    query = sa.select(DiagnosticReport).where(DiagnosticReport.device_id == device.id)
    if up_to_id is not None:
        query = query.where(DiagnosticReport.id <= up_to_id)
    return list(session.scalars(query.order_by(DiagnosticReport.id.desc())))


def _has_component(report: DiagnosticReport, component: str) -> bool:
    return any(c.get("component") == component for f in report.files for c in f.components)


def select_current(reports_newest_first: Sequence[DiagnosticReport]) -> CurrentComponents:
    """Pick the reports that hold the device's current disks, batteries and checklist (no parsing)."""
    current = CurrentComponents()
    for report in reports_newest_first:
        if current.disk_report is None and _has_component(report, "disk"):
            current.disk_report = report
        if current.battery_report is None and _has_component(report, "battery"):
            current.battery_report = report
        if current.checklist_report is None and _has_component(report, "manual"):
            current.checklist_report = report
        if current.machine_report is None and _has_component(report, "machine"):
            current.machine_report = report
        if current.disk_report and current.battery_report and current.checklist_report and current.machine_report:
            break
    return current


def parse_components(
    current: CurrentComponents, reader: Callable[[DiagnosticFile], tuple[ComponentReport, ...]] | None = None
) -> CurrentComponents:
    """Fill ``current.reports`` by re-reading the raw files of the selected reports."""
    read = reader or read_stored_file
    wanted = (
        (current.disk_report, "disk"),
        (current.battery_report, "battery"),
        (current.checklist_report, "manual"),
        (current.machine_report, "machine"),
    )
    for report, component in wanted:
        if report is None:
            continue
        for stored in report.files:
            current.reports.extend(c for c in read(stored) if c.component.value == component)
    return current


def read_stored_file(stored: DiagnosticFile) -> tuple[ComponentReport, ...]:
    try:
        return diagnostics.read_report(stored.content, stored.filename)
    except ParseError:
        # A file that the policy of its day could read but this one cannot: keep nothing from it
        # rather than a made-up grade (the regrade command reports such files).
        return ()


def current_components(session: Session, device: Device, up_to_id: int | None = None) -> CurrentComponents:
    return parse_components(select_current(reports_of(session, device, up_to_id)))


def current_disks(session: Session, device: Device) -> tuple[DiagnosticReport | None, list[dict[str, Any]]]:
    """The disks of the device's latest report that holds disks: (report, [identity dict]).

    Read from the stored component JSON (no re-parse): identity does not depend on the policy."""
    current = select_current(reports_of(session, device))
    if current.disk_report is None:
        return None, []
    disks = [
        dict(c.get("identity") or {})
        for f in current.disk_report.files
        for c in f.components
        if c.get("component") == "disk"
    ]
    return current.disk_report, disks


def diagnosis_from(device: Device, current: CurrentComponents) -> Diagnosis:
    missing: list[str] = []
    checklist = current.of_kind("manual")
    items: Mapping[str, Any] = {}
    if not checklist:
        missing.append("checklist")
    else:
        check = checklist[0]
        items = check.measurements.get("items") or {}
        if check.assessment.health is diagnostics.Health.UNKNOWN:
            missing.append("checklist (no item recorded as pass or fail)")
    for component in sorted(REQUIRED_COMPONENTS.get(device.kind, frozenset())):
        if not current.of_kind(component) and WAIVER_ITEMS[component] not in items:
            missing.append(component)
    return Diagnosis(complete=not missing, missing=tuple(missing))


def diagnosis_of(session: Session, device: Device) -> Diagnosis:
    return diagnosis_from(device, current_components(session, device))
