"""Normalised records shared by every parser, the grading policy and the CLI.

Parsers produce component records (``DiskHealth`` in ``diagnostics.smart.records``,
``BatteryHealth`` in ``diagnostics.battery.records``); grading turns one into an
``Assessment``; ``ComponentReport`` bundles both with the detected format so that the
CLI and the marketplace can serialise it with ``to_dict()``.

All records are immutable: a report, once parsed, never changes. The small records a report
builds several of (``Finding``, ``RemainingLife``, ``Assessment``) are ``typing.NamedTuple``,
built in one allocation where a frozen dataclass's ``__init__`` calls ``object.__setattr__`` once
per field; the reports themselves are frozen dataclasses.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Health(enum.StrEnum):
    HEALTHY = "healthy"
    WORN = "worn"
    FAILING = "failing"
    UNKNOWN = "unknown"  # only when the data says nothing about health


class Grade(enum.StrEnum):
    """A like new · B healthy, used · C worn but usable · D reusable after a part swap · F not reusable."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    F = "F"

    @property
    def rank(self) -> int:
        """0 for A (best) … 4 for F (worst): ``max`` by rank gives the worst grade."""
        return "ABCDF".index(self.value)


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class ComponentKind(enum.StrEnum):
    DISK = "disk"
    BATTERY = "battery"
    MANUAL = "manual"  # a technician's functional checklist
    MACHINE = "machine"  # the machine's identity (make, model, serial, CPU, RAM): never graded


class Finding(NamedTuple):
    """One reason behind a grade.

    ``code`` is stable (``ata.pending_sectors``, ``nvme.media_errors``, ``battery.capacity_low`` …):
    clients and tests rely on it. ``evidence`` holds at least ``attribute`` and ``value`` and, where a
    threshold applies, ``threshold``. ``source`` names where the rule comes from.
    """

    code: str
    severity: Severity
    message: str
    evidence: Mapping[str, Any]
    source: str


class Explanation(NamedTuple):
    """What a finding code means, in plain words, for the people who read the grade (French first).

    Each grading module keeps an ``EXPLANATIONS`` mapping (code -> Explanation) beside the rules that
    raise the codes; ``diagnostics.grading.explain`` gathers them."""

    fr: str
    en: str


class RemainingLife(NamedTuple):
    """An estimate of the life left, always with the basis it rests on."""

    basis: str  # e.g. "nvme.percentage_used", "battery.cycles_vs_rated", "hdd.age_vs_afr"
    percent: float | None = None  # share of rated life left, 0-100
    years: float | None = None  # years of typical use left
    detail: str = ""


class Assessment(NamedTuple):
    health: Health
    grade: Grade
    findings: tuple[Finding, ...]
    remaining_life: RemainingLife | None
    policy: str


@dataclass(frozen=True)
class ComponentReport:
    """A parsed and graded component (disk or battery or checklist)."""

    component: ComponentKind
    format: str  # e.g. "smartctl-json", "smartctl-text", "upower", "windows-batteryreport-html"
    identity: Mapping[str, Any]  # model, serial, firmware, capacity, interface, … (None where unknown)
    measurements: Mapping[str, Any]  # normalised measurements, JSON-serialisable
    assessment: Assessment
    replaceable: bool = True  # a failing replaceable part makes the device D rather than F
    record: Any = field(default=None, compare=False, repr=False)  # the parser's full record

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``relife-bench grade --json`` and stored by the marketplace."""
        return {
            "component": self.component.value,
            "format": self.format,
            "health": self.assessment.health.value,
            "grade": self.assessment.grade.value,
            "findings": [finding_to_dict(f) for f in self.assessment.findings],
            "remaining_life": (self.assessment.remaining_life._asdict() if self.assessment.remaining_life else None),
            "identity": dict(self.identity),
            "measurements": dict(self.measurements),
            "policy": self.assessment.policy,
        }


@dataclass(frozen=True)
class DeviceAssessment:
    """A whole device: as good as its worst component, except that a failing replaceable part
    makes it D (with a ``device.replace_part`` finding) rather than F."""

    health: Health
    grade: Grade
    findings: tuple[Finding, ...]
    remaining_life: RemainingLife | None
    policy: str
    components: tuple[ComponentReport, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "health": self.health.value,
            "grade": self.grade.value,
            "findings": [finding_to_dict(f) for f in self.findings],
            "remaining_life": self.remaining_life._asdict() if self.remaining_life else None,
            "policy": self.policy,
            "components": [c.to_dict() for c in self.components],
        }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "evidence": dict(finding.evidence),
        "source": finding.source,
    }
