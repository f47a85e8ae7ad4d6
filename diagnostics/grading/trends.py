"""Trends across a device's reports (issue 18, point 4): what one report cannot show.

A disk whose reallocated, pending or uncorrectable counts grow between two reports, or whose NVMe media
errors appear, is not "an old, settled defect": it is failing now. A battery that lost more capacity
than its cycles explain is wearing out faster than its rating. Each such change is a finding of its own,
with both readings (date, report, value) as evidence; and the rate of SSD wear or battery fade between the
two readings gives the remaining life where one report could only use the drive's whole life.

``apply_history(current, earlier)`` takes the device's current component reports and earlier readings
of its components, matches them by serial (a component is only ever compared with itself), and returns
the current reports with the trend findings added and their health, grade and remaining life updated.
``assess_device`` then combines them as usual. Pure and deterministic, like the rest of the grading.

Readings come from ``ComponentReport`` (the bench: ``relife-bench assess --earlier DATE FILE``) or from
the stored JSON of earlier uploads (the server: ``marketplace/reports``), through the same ``Reading``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from diagnostics.battery.records import BatteryHealth
from diagnostics.grading import battery as battery_policy
from diagnostics.grading.disk import FAILING_LIFE, HOURS_PER_YEAR, MAX_ESTIMATED_YEARS
from diagnostics.models import (
    Assessment,
    ComponentKind,
    ComponentReport,
    Explanation,
    Finding,
    Grade,
    Health,
    RemainingLife,
    Severity,
)

SRC_TREND = (
    "Pinheiro, Weber, Barroso, 'Failure Trends in a Large Disk Drive Population', USENIX FAST '07, and "
    "Backblaze drive stats: drives whose reallocation / pending / uncorrectable counts keep rising fail far "
    "more often than drives with a stable count"
)
SRC_NVME_TREND = "NVM Express Base Specification 2.0, SMART / Health log: Media and Data Integrity Errors"
SRC_BATTERY_TREND = (
    "EU Regulation 2023/1670 Annex II and Apple HT201585: a healthy pack loses about 20 % of its capacity "
    "over its rated cycles; faster loss points to a cell fault or heat damage"
)
SRC_POLICY = "Relife grading policy (DESIGN §2.3): trends across a device's reports"

#: A pack is "losing capacity faster than its cycles explain" when it lost more than this multiple of the
#: fade its rating implies for the cycles run between the two readings (SRC_BATTERY_TREND) ...
BATTERY_FADE_FASTER_MULTIPLE = 2.0
#: ... and more than this many points: gauges re-calibrate by a few points from one reading to the next
#: (the same tolerance as battery.REPORTED_MISMATCH_POINTS, plus one).
BATTERY_FADE_NOISE_POINTS = 3.0
#: Fewest power-on hours between two disk readings for a rate of wear between them: below ~a month of
#: office use, one percentage point of wear says too little about the pace (SRC_POLICY).
MIN_TREND_HOURS = 200
#: Fewest cycles between two battery readings for a fade rate between them (SRC_POLICY).
MIN_TREND_CYCLES = 20

_HEALTH_RANK = {Health.UNKNOWN: -1, Health.HEALTHY: 0, Health.WORN: 1, Health.FAILING: 2}


class Reading(NamedTuple):
    """One component as an earlier report saw it: enough to compare, nothing to grade."""

    when: str | None  # ISO date (or date-time) of the report, when known
    label: str  # which report: a file name, "report 12"
    component: str  # "disk" | "battery"
    identity: Mapping[str, Any]
    measurements: Mapping[str, Any]


def reading_of(report: ComponentReport, when: str | None, label: str) -> Reading:
    return Reading(when, label, report.component.value, report.identity, report.measurements)


def readings_from_dicts(components: Iterable[Mapping[str, Any]], when: str | None, label: str) -> list[Reading]:
    """Readings from stored ``ComponentReport.to_dict()`` JSON (disks and batteries only)."""
    out = []
    for c in components:
        if c.get("component") in {"disk", "battery"}:
            out.append(Reading(when, label, str(c["component"]), c.get("identity") or {}, c.get("measurements") or {}))
    return out


def _key(component: str, identity: Mapping[str, Any]) -> tuple[str, ...] | None:
    """Who the component is: its serial (with the model, so two makers' serials cannot collide)."""
    serial = identity.get("serial")
    if not serial:
        return None
    return (component, str(identity.get("model") or ""), str(serial))


def apply_history(
    current: Sequence[ComponentReport], earlier: Sequence[Reading], when: str | None = None, label: str = "latest"
) -> tuple[ComponentReport, ...]:
    """The current reports with the trends found against ``earlier`` (oldest first), see the module
    docstring. Components without a serial, or not seen before, are returned unchanged."""
    by_key: dict[tuple[str, ...], Reading] = {}
    for reading in earlier:
        key = _key(reading.component, reading.identity)
        if key is not None and key not in by_key:
            by_key[key] = reading  # the oldest reading: the widest window
    if not by_key:
        return tuple(current)
    out = []
    for report in current:
        key = _key(report.component.value, report.identity)
        before = by_key.get(key) if key is not None else None
        if before is None or report.assessment.health is Health.UNKNOWN:
            out.append(report)
            continue
        now = reading_of(report, when, label)
        if report.component is ComponentKind.DISK:
            findings, life = _disk_trends(before, now, report)
        else:
            findings, life = _battery_trends(before, now, report)
        out.append(_with_trends(report, findings, life))
    return tuple(out)


def _with_trends(report: ComponentReport, findings: list[Finding], life: RemainingLife | None) -> ComponentReport:
    if not findings and life is None:
        return report
    a = report.assessment
    health, grade = a.health, a.grade
    severities = {f.severity for f in findings}
    if Severity.CRITICAL in severities:
        health, grade = Health.FAILING, Grade.F
    elif Severity.WARNING in severities and _HEALTH_RANK[health] < _HEALTH_RANK[Health.WORN]:
        health, grade = Health.WORN, Grade.C
    if grade.rank < a.grade.rank:
        grade = a.grade
    remaining = a.remaining_life
    if health is Health.FAILING and report.component is ComponentKind.DISK:
        remaining = FAILING_LIFE
    elif life is not None:
        remaining = life
    assessment = Assessment(
        health=health, grade=grade, findings=(*a.findings, *findings), remaining_life=remaining, policy=a.policy
    )
    return replace(report, assessment=assessment)


def _evidence(attribute: str, before: Reading, now: Reading, old: Any, new: Any) -> dict[str, Any]:
    return {
        "attribute": attribute,
        "value": new,
        "threshold": old,
        "earlier": {"report": before.label, "date": before.when, "value": old},
        "later": {"report": now.label, "date": now.when, "value": new},
    }


def _count(measurements: Mapping[str, Any], *path: str) -> int | None:
    value: Any = measurements
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _grew(before: Reading, now: Reading, *path: str) -> tuple[int, int] | None:
    old, new = _count(before.measurements, *path), _count(now.measurements, *path)
    if new is None or new <= (old or 0) or old is None:
        return None
    return old, new


# Disk counters compared between readings: (measurement path, code, severity, what, source).
_DISK_COUNTERS: tuple[tuple[tuple[str, ...], str, Severity, str, str], ...] = (
    (("pending_sectors",), "trend.pending_growing", Severity.CRITICAL, "pending sectors", SRC_TREND),
    (
        ("offline_uncorrectable",),
        "trend.uncorrectable_growing",
        Severity.CRITICAL,
        "offline uncorrectable sectors",
        SRC_TREND,
    ),
    (
        ("reported_uncorrectable",),
        "trend.uncorrectable_growing",
        Severity.CRITICAL,
        "reported uncorrectable errors",
        SRC_TREND,
    ),
    (
        ("scsi", "read_uncorrected"),
        "trend.uncorrectable_growing",
        Severity.CRITICAL,
        "uncorrected read errors",
        SRC_TREND,
    ),
    (("scsi", "grown_defects"), "trend.reallocated_growing", Severity.CRITICAL, "grown defects", SRC_TREND),
    (("nvme", "media_errors"), "trend.media_errors_growing", Severity.CRITICAL, "NVMe media errors", SRC_NVME_TREND),
)


def _disk_trends(before: Reading, now: Reading, report: ComponentReport) -> tuple[list[Finding], RemainingLife | None]:
    findings: list[Finding] = []
    counters = list(_DISK_COUNTERS)
    if report.identity.get("device_type") == "ssd":
        # Retired flash blocks grow with routine wear management (disk.SRC_FLASH_FIELD): worth a warning.
        counters.append(
            (
                ("reallocated_sectors",),
                "trend.retired_blocks_growing",
                Severity.WARNING,
                "retired flash blocks",
                SRC_TREND,
            )
        )
    else:
        counters.append(
            (("reallocated_sectors",), "trend.reallocated_growing", Severity.CRITICAL, "reallocated sectors", SRC_TREND)
        )
    for path, code, severity, what, source in counters:
        grew = _grew(before, now, *path)
        if grew is None:
            continue
        old, new = grew
        verb = "appeared" if old == 0 else "grew"
        findings.append(
            Finding(
                code=code,
                severity=severity,
                message=f"{what.capitalize()} {verb} from {old} to {new} between {_when(before)} and {_when(now)}: "
                + ("the drive is degrading now." if severity is Severity.CRITICAL else "watch it."),
                evidence=_evidence(".".join(path), before, now, old, new),
                source=source,
            )
        )
    return findings, _wear_rate(before, now)


def _wear_rate(before: Reading, now: Reading) -> RemainingLife | None:
    """Life left at the rate of SSD wear between the two readings (percentage used per power-on hour)."""
    used_then = _count(before.measurements, "ssd_wear_used_percent")
    used_now = _count(now.measurements, "ssd_wear_used_percent")
    hours_then = _count(before.measurements, "power_on_hours")
    hours_now = _count(now.measurements, "power_on_hours")
    if used_then is None or used_now is None or hours_then is None or hours_now is None:
        return None
    hours = hours_now - hours_then
    used = used_now - used_then
    if hours < MIN_TREND_HOURS or used <= 0:
        return None
    per_hour = used / hours
    left = float(min(100, max(0, 100 - used_now)))
    years = min(MAX_ESTIMATED_YEARS, left / per_hour / HOURS_PER_YEAR)
    return RemainingLife(
        basis="trend.wear_rate",
        percent=left,
        years=round(years, 1),
        detail=(
            f"{used} points of rated endurance used in {hours} power-on hours between {_when(before)} and "
            f"{_when(now)} ({1000 * per_hour:.2f} % per 1000 h); years at that rate"
        ),
    )


def _battery_trends(
    before: Reading, now: Reading, report: ComponentReport
) -> tuple[list[Finding], RemainingLife | None]:
    pct_then, pct_now = before.measurements.get("health_percent"), now.measurements.get("health_percent")
    cyc_then, cyc_now = _count(before.measurements, "cycle_count"), _count(now.measurements, "cycle_count")
    if not isinstance(pct_then, int | float) or not isinstance(pct_now, int | float):
        return [], None
    rated = _rated(report)
    rated_fade = (100.0 - battery_policy.HEALTHY_MIN_PERCENT) / rated  # points per cycle
    lost = float(pct_then) - float(pct_now)
    cycles = (cyc_now - cyc_then) if cyc_now is not None and cyc_then is not None and cyc_now >= cyc_then else None
    findings: list[Finding] = []
    explained = (cycles or 0) * rated_fade
    if cycles is not None and lost > max(BATTERY_FADE_NOISE_POINTS, BATTERY_FADE_FASTER_MULTIPLE * explained):
        findings.append(
            Finding(
                code="trend.battery_fading_fast",
                severity=Severity.WARNING,
                message=(
                    f"The battery lost {lost:.1f} points of capacity in {cycles} cycles between {_when(before)} and "
                    f"{_when(now)}; its rating explains about {explained:.1f}: it is wearing out faster than it should."
                ),
                evidence={
                    **_evidence("health_percent", before, now, pct_then, pct_now),
                    "cycles": cycles,
                    "explained_points": round(explained, 1),
                },
                source=SRC_BATTERY_TREND,
            )
        )
    life = None
    if cycles is not None and cycles >= MIN_TREND_CYCLES and lost > 0:
        per_cycle = lost / cycles
        floor = (
            battery_policy.FAILING_BELOW_PERCENT
            if pct_now < battery_policy.HEALTHY_MIN_PERCENT
            else battery_policy.HEALTHY_MIN_PERCENT
        )
        cycles_left = max(0, int((float(pct_now) - floor) / per_cycle))
        years = min(MAX_ESTIMATED_YEARS, cycles_left / battery_policy.CYCLES_PER_YEAR)
        life = RemainingLife(
            basis="trend.battery_fade_rate",
            percent=report.assessment.remaining_life.percent if report.assessment.remaining_life else None,
            years=round(years, 1),
            detail=(
                f"{lost:.1f} points lost in {cycles} cycles between {_when(before)} and {_when(now)}: about "
                f"{cycles_left} cycles until below {floor:g} % at that rate, years at "
                f"{battery_policy.CYCLES_PER_YEAR} cycles a year"
            ),
        )
    return findings, life


def _rated(report: ComponentReport) -> int:
    record = report.record
    if isinstance(record, BatteryHealth):
        return battery_policy.rated_cycles(record)[0]
    rated = report.measurements.get("rated_cycles")
    return rated if isinstance(rated, int) and rated > 0 else battery_policy.RATED_CYCLES_LAPTOP


def _when(reading: Reading) -> str:
    return reading.when or reading.label


#: What each trend finding code means, for the people reading the grade (French, English).
EXPLANATIONS: dict[str, Explanation] = {
    "trend.reallocated_growing": Explanation(
        "Le nombre de zones abîmées du disque augmente d'un rapport à l'autre : il se dégrade en ce moment.",
        "The number of damaged areas on the drive grows from one report to the next: it is degrading now.",
    ),
    "trend.retired_blocks_growing": Explanation(
        "Le SSD met de côté de plus en plus de blocs usés : à surveiller.",
        "The SSD retires more and more worn blocks: keep an eye on it.",
    ),
    "trend.pending_growing": Explanation(
        "De nouvelles zones illisibles sont apparues depuis le rapport précédent.",
        "New unreadable areas have appeared since the previous report.",
    ),
    "trend.uncorrectable_growing": Explanation(
        "De nouvelles erreurs impossibles à corriger sont apparues depuis le rapport précédent.",
        "New errors that could not be corrected have appeared since the previous report.",
    ),
    "trend.media_errors_growing": Explanation(
        "Le SSD a rendu de nouvelles données illisibles depuis le rapport précédent.",
        "The SSD has returned new unreadable data since the previous report.",
    ),
    "trend.battery_fading_fast": Explanation(
        "La batterie perd sa capacité plus vite que ses cycles de charge ne l'expliquent.",
        "The battery is losing capacity faster than its charge cycles explain.",
    ),
}
