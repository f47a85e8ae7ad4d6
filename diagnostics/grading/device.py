"""One assessment for a whole device from its component reports (DESIGN §2.2).

The device is as good as its worst component, with one exception: a component that fails but is
*replaceable* (a 2.5"/M.2 drive, a battery, a keyboard …, see ``ComponentReport.replaceable``)
makes the device ``D``, "reusable after replacing this part", with a ``device.replace_part``
finding saying what to replace, rather than ``F``. ``F`` stays for devices that need more than a
part swap.

Components whose health is ``unknown`` (the data said nothing about health) do not set the grade:
they are listed in a ``device.component_unknown`` finding instead. The remaining life is the most
limiting one among the components that stay in the device (a part to be replaced does not limit
it). A ``machine`` component (the machine's identity) never counts. Pure and deterministic: same
reports in, same assessment out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diagnostics.errors import DiagnosticsError
from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.models import (
    ComponentKind,
    ComponentReport,
    DeviceAssessment,
    Explanation,
    Finding,
    Grade,
    Health,
    RemainingLife,
    Severity,
)

SOURCE = "Relife policy: DESIGN §2.2 (device = worst component; failing replaceable part → D)"

_HEALTH_RANK = {Health.HEALTHY: 0, Health.WORN: 1, Health.FAILING: 2}


def assess_device(reports: Sequence[ComponentReport]) -> DeviceAssessment:
    """Combine component reports into one device assessment (see the module docstring)."""
    if not reports:
        raise DiagnosticsError("no component report to assess the device from")

    findings: list[Finding] = []
    contributions: list[tuple[Grade, ComponentReport]] = []
    kept: list[ComponentReport] = []  # components that stay in the device as they are
    unknown: list[ComponentReport] = []

    for report in reports:
        if report.component is ComponentKind.MACHINE:
            continue  # identity (make, model, serial, CPU, RAM), never a grade
        assessment = report.assessment
        if assessment.health is Health.UNKNOWN:
            unknown.append(report)
            continue
        grade = assessment.grade
        if grade.rank >= Grade.D.rank and report.replaceable:
            # Reusable after replacing this part: the device is D, and says which part.
            findings.append(_replace_finding(report))
            contributions.append((Grade.D, report))
            continue
        contributions.append((grade, report))
        kept.append(report)

    if unknown:
        findings.append(
            Finding(
                code="device.component_unknown",
                severity=Severity.INFO,
                message="no health data for: " + ", ".join(_describe(r) for r in unknown),
                evidence={
                    "attribute": "components",
                    "value": [_describe(r) for r in unknown],
                },
                source=SOURCE,
            )
        )

    if not contributions:
        # Nothing says anything about health: report it as such and keep the components' own grade
        # (the worst of them), never a better one made up here.
        worst = max((r.assessment.grade for r in reports), key=lambda g: g.rank)
        return DeviceAssessment(
            health=Health.UNKNOWN,
            grade=worst,
            findings=tuple(findings),
            remaining_life=None,
            policy=POLICY_VERSION,
            components=tuple(reports),
        )

    grade, limiting = max(contributions, key=lambda c: c[0].rank)
    health = max(
        (r.assessment.health for _, r in contributions),
        key=lambda h: _HEALTH_RANK.get(h, 0),
    )
    replaced = any(f.code == "device.replace_part" for f in findings)
    if grade.rank >= Grade.B.rank and not (grade is Grade.D and replaced):
        findings.append(
            Finding(
                code="device.limited_by",
                severity=Severity.INFO,
                message=f"grade {grade.value} is set by the {_describe(limiting)}",
                evidence={
                    "attribute": "component",
                    "value": _describe(limiting),
                    "grade": grade.value,
                },
                source=SOURCE,
            )
        )
    return DeviceAssessment(
        health=health,
        grade=grade,
        findings=tuple(findings),
        remaining_life=_most_limiting_life(kept),
        policy=POLICY_VERSION,
        components=tuple(reports),
    )


def _replace_finding(report: ComponentReport) -> Finding:
    what = _describe(report)
    parts = report.measurements.get("parts_to_replace") if report.component is ComponentKind.MANUAL else None
    if parts:
        what = ", ".join(str(p).replace("_", " ") for p in parts)
    severity = Severity.CRITICAL if report.assessment.health is Health.FAILING else Severity.WARNING
    return Finding(
        code="device.replace_part",
        severity=severity,
        message=f"replace the {what} before reuse",
        evidence={
            "attribute": report.component.value,
            "value": report.assessment.grade.value,
            "part": what,
            "identity": _plain_identity(report.identity),
            "findings": [f.code for f in report.assessment.findings],
        },
        source=SOURCE,
    )


def _most_limiting_life(reports: Sequence[ComponentReport]) -> RemainingLife | None:
    """The shortest remaining life: in years where any component gives years, else in percent."""
    lives = [r.assessment.remaining_life for r in reports if r.assessment.remaining_life is not None]
    with_years = [life for life in lives if life is not None and life.years is not None]
    if with_years:
        return min(with_years, key=lambda life: (life.years, life.percent if life.percent is not None else 100))
    with_percent = [life for life in lives if life is not None and life.percent is not None]
    if with_percent:
        return min(with_percent, key=lambda life: life.percent if life.percent is not None else 100.0)
    return None


def _describe(report: ComponentReport) -> str:
    """ "disk ST500LM012 (serial S2ZYJ9...)" / "battery DELL 0GFJ6" / "functional check (laptop)"."""
    identity = report.identity
    if report.component is ComponentKind.MANUAL:
        return f"functional check ({identity.get('device_kind') or 'device'})"
    label = report.component.value
    model = identity.get("model") or identity.get("name")
    serial = identity.get("serial")
    if model:
        label += f" {model}"
    if serial:
        label += f" (serial {serial})"
    return label


def _plain_identity(identity: Mapping[str, Any]) -> dict[str, Any]:
    return {k: identity.get(k) for k in ("model", "serial", "name") if identity.get(k) is not None}


#: What each device finding code means, for the people reading the grade (French, English).
EXPLANATIONS: dict[str, Explanation] = {
    "device.component_unknown": Explanation(
        "Aucune donnée de santé pour certains composants : ils ne comptent pas dans la note.",
        "No health data for some components: they do not count in the grade.",
    ),
    "device.limited_by": Explanation(
        "La note de l'appareil est celle de son composant le moins bon, nommé ici.",
        "The device's grade is that of its weakest component, named here.",
    ),
    "device.replace_part": Explanation(
        "L'appareil sera réutilisable après le remplacement de la pièce nommée.",
        "The device is reusable after replacing the part named.",
    ),
}
