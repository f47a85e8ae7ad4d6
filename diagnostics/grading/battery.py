"""Battery grading: a pure function of a ``BatteryHealth`` record (DESIGN §2.3).

Health is the full-charge capacity over the design capacity, clamped at 100 % (new packs often
report a little more than design; that is calibration, not extra life). Where the record has no
capacity pair, the vendor's own figure (macOS "Maximum Capacity") or verdict (macOS "Condition",
Linux sysfs ``HEALTH``) is used; where it has nothing, the health is ``unknown``.

A battery is a replaceable part: a failing one is graded F *as a component* and its
``ComponentReport`` says ``replaceable=True``, so that the device assessment makes the device D
("replace the battery") rather than F.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnostics.battery.records import BatteryHealth
from diagnostics.grading.policy import POLICY_VERSION
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

# --- thresholds (each with its source) -------------------------------------------------------

SOURCE_EU = (
    "EU Regulation 2023/1670 (ecodesign for smartphones and tablets), Annex II: batteries must keep "
    ">= 80 % of rated capacity after 800 full cycles"
)
SOURCE_APPLE = (
    "Apple, 'Determine battery cycle count for Mac laptops' (support.apple.com HT201585): Mac "
    "laptop batteries are designed to keep up to 80 % of their original capacity at their maximum "
    "cycle count (1000 for current models)"
)
SOURCE_POLICY = "Relife grading policy (DESIGN §2.3)"
SOURCE_KERNEL = "Linux kernel power-supply ABI (Documentation/ABI/testing/sysfs-class-power: health)"

HEALTHY_MIN_PERCENT = 80.0
"""At or above: healthy. The end-of-life line used by EU 2023/1670 (80 % after 800 cycles,
SOURCE_EU), by Apple (batteries designed to keep 80 % at their rated cycle count, SOURCE_APPLE)
and by the refurbished market, whose battery guarantees are usually stated as >= 80 % of new."""

FAILING_BELOW_PERCENT = 40.0
"""Below: failing. Less than 40 % of design capacity leaves a laptop well under two hours of use and
usually comes with sudden shutdowns under load; the pack is due for replacement (DESIGN §2.3)."""

LIKE_NEW_MIN_PERCENT = 95.0
"""Grade A needs >= 95 % of design capacity: within the few percent that a new pack loses in its
first months (Apple's "Maximum Capacity" reads 100 % on new Macs and falls a few percent a year)."""

LIKE_NEW_MAX_RATED_SHARE = 0.2
"""Grade A also needs, when the cycle count is reported, at most 20 % of the rated cycles used."""

CAPACITY_ABOVE_DESIGN_NOTE_PERCENT = 105.0
"""Full charge more than 5 % above design: reported as an info finding (gauge calibration or a
higher-capacity replacement pack); the health is clamped at 100 % either way."""

CAPACITY_IMPLAUSIBLE_PERCENT = 130.0
"""A full charge more than 30 % above design is not a battery, it is a gauge fault or a unit mix-up
(a design capacity left at a placeholder, mAh against mWh): cells are sold at their minimum rated
capacity and measure at most a few percent above it. Such a ratio says nothing about health."""

REPORTED_MISMATCH_POINTS = 2.0
"""When a tool prints its own capacity percentage and it differs from full/design by more than two
points (upower clamps energy_full to the design value but computes its percentage from charge), the
lower figure is kept: a grade must not rest on the more flattering of two readings."""

RATED_CYCLES_LAPTOP = 500
"""Cycles to 80 % assumed for a laptop Li-ion/Li-polymer pack that does not state its own rating:
PC makers' battery datasheets commonly give 300-1000 cycles for standard and long-life packs; 500
is the conservative middle, below Apple's 1000 (SOURCE_APPLE) and EU 2023/1670's 800 for phones
(SOURCE_EU). A pack that reports its own design cycle count (macOS DesignCycleCount9C) overrides it."""

RATED_CYCLES_APPLE = 1000
"""Apple's rated cycle count for Mac laptops since 2009 (SOURCE_APPLE)."""

CYCLES_PER_YEAR = 250
"""Assumed use for years left: about one full cycle per working day."""

MAX_ESTIMATED_YEARS = 10.0
"""Years-left estimates are capped here: beyond it, capacity fade is not what limits the laptop (the
same cap as the disks' endurance estimates)."""

UNKNOWN_GRADE = Grade.C
"""A battery whose data says nothing about its health is not graded above C: a buyer cannot be
promised a healthy battery without a measurement (the finding says to measure it)."""

# Vendor verdicts without a capacity figure. macOS: "Normal", "Replace Soon", "Replace Now",
# "Service Battery" (before 10.15.5); "Normal", "Service Recommended" (since) (SOURCE_APPLE).
# Linux sysfs HEALTH values: include/linux/power_supply.h (SOURCE_KERNEL).
_CONDITION_HEALTH = {
    "normal": Health.HEALTHY,
    "good": Health.HEALTHY,  # system_profiler -json and sysfs say "Good" where the text says "Normal"
    "fair": Health.WORN,
    "poor": Health.WORN,
    "replace soon": Health.WORN,
    "replace now": Health.WORN,
    "service recommended": Health.WORN,
    "check battery": Health.WORN,
    "service battery": Health.FAILING,
    # The same verdicts as a French macOS prints them.
    "remplacer bientôt": Health.WORN,
    "remplacer maintenant": Health.WORN,
    "maintenance recommandée": Health.WORN,
    "réparer la batterie": Health.FAILING,
    "dead": Health.FAILING,
    "unspecified failure": Health.FAILING,
    "over voltage": Health.FAILING,
}
_IMPLAUSIBLE = "implausible full/design ratio"
_HEALTH_RANK = {Health.UNKNOWN: -1, Health.HEALTHY: 0, Health.WORN: 1, Health.FAILING: 2}


@dataclass(frozen=True)
class _Capacity:
    percent: float | None  # the health figure used (clamped at 100)
    ratio_percent: float | None  # full / design x 100, unclamped
    basis: str | None  # "full_charge/design (mWh)", "vendor maximum capacity" …


def _capacity(b: BatteryHealth) -> _Capacity:
    ratio: float | None = None
    basis: str | None = None
    for full, design, unit in (
        (b.full_charge_capacity_mwh, b.design_capacity_mwh, "mWh"),
        (b.full_charge_capacity_mah, b.design_capacity_mah, "mAh"),
    ):
        if full is not None and design is not None and design > 0:
            ratio = round(100.0 * full / design, 1)
            basis = f"full_charge/design ({unit})"
            break
    reported = b.reported_health_percent
    if ratio is not None and ratio > CAPACITY_IMPLAUSIBLE_PERCENT:
        return _Capacity(None, ratio, _IMPLAUSIBLE)
    if ratio is None:
        if reported is None:
            return _Capacity(None, None, None)
        return _Capacity(round(min(reported, 100.0), 1), None, "reported by the tool")
    percent = min(ratio, 100.0)
    if reported is not None and min(reported, 100.0) < percent - REPORTED_MISMATCH_POINTS:
        return _Capacity(round(min(reported, 100.0), 1), ratio, "reported by the tool (lower than full/design)")
    return _Capacity(round(percent, 1), ratio, basis)


def rated_cycles(b: BatteryHealth) -> tuple[int, str]:
    if b.rated_cycles:
        return b.rated_cycles, "the pack's design cycle count"
    if b.source_format.startswith("macos"):
        return RATED_CYCLES_APPLE, SOURCE_APPLE
    return RATED_CYCLES_LAPTOP, "typical laptop pack rating (RATED_CYCLES_LAPTOP)"


def health_percent(b: BatteryHealth) -> float | None:
    """The health figure the grade rests on (0-100), or None when there is none."""
    return _capacity(b).percent


def assess_battery(b: BatteryHealth) -> Assessment:
    findings: list[Finding] = []
    capacity = _capacity(b)
    health = Health.UNKNOWN
    percent = capacity.percent

    if percent is not None:
        evidence = {"attribute": "health_percent", "value": percent, "basis": capacity.basis}
        if percent < FAILING_BELOW_PERCENT:
            health = Health.FAILING
            findings.append(
                Finding(
                    "battery.capacity_failing",
                    Severity.CRITICAL,
                    f"Battery holds {percent:g} % of its design capacity: replace it.",
                    {**evidence, "threshold": FAILING_BELOW_PERCENT},
                    SOURCE_POLICY,
                )
            )
        elif percent < HEALTHY_MIN_PERCENT:
            health = Health.WORN
            findings.append(
                Finding(
                    "battery.capacity_worn",
                    Severity.WARNING,
                    f"Battery holds {percent:g} % of its design capacity (below {HEALTHY_MIN_PERCENT:g} %).",
                    {**evidence, "threshold": HEALTHY_MIN_PERCENT},
                    SOURCE_EU,
                )
            )
        else:
            health = Health.HEALTHY
            findings.append(
                Finding(
                    "battery.capacity_healthy",
                    Severity.INFO,
                    f"Battery holds {percent:g} % of its design capacity.",
                    {**evidence, "threshold": HEALTHY_MIN_PERCENT},
                    SOURCE_EU,
                )
            )
        if capacity.ratio_percent is not None and capacity.ratio_percent > CAPACITY_ABOVE_DESIGN_NOTE_PERCENT:
            findings.append(
                Finding(
                    "battery.capacity_above_design",
                    Severity.INFO,
                    f"Full charge reads {capacity.ratio_percent:g} % of design: counted as 100 %.",
                    {
                        "attribute": "full_charge_over_design_percent",
                        "value": capacity.ratio_percent,
                        "threshold": CAPACITY_ABOVE_DESIGN_NOTE_PERCENT,
                    },
                    SOURCE_POLICY,
                )
            )
        if capacity.ratio_percent is not None and capacity.basis and capacity.basis.startswith("reported"):
            findings.append(
                Finding(
                    "battery.capacity_inconsistent",
                    Severity.INFO,
                    "The tool's own capacity percentage is lower than full/design; the lower one is used.",
                    {
                        "attribute": "reported_health_percent",
                        "value": b.reported_health_percent,
                        "threshold": capacity.ratio_percent,
                    },
                    SOURCE_POLICY,
                )
            )

    if capacity.basis == _IMPLAUSIBLE:
        findings.append(
            Finding(
                "battery.capacity_implausible",
                Severity.WARNING,
                f"Full charge reads {capacity.ratio_percent:g} % of design: a gauge fault or a unit mix-up, "
                "not a health figure. Measure the battery with another tool.",
                {
                    "attribute": "full_charge_over_design_percent",
                    "value": capacity.ratio_percent,
                    "threshold": CAPACITY_IMPLAUSIBLE_PERCENT,
                },
                SOURCE_POLICY,
            )
        )

    condition_health = _CONDITION_HEALTH.get((b.condition or "").lower())
    if condition_health is not None:
        if percent is None and condition_health is Health.HEALTHY:
            findings.append(
                Finding(
                    "battery.condition_normal",
                    Severity.INFO,
                    f"The system rates the battery {b.condition!r} but gives no capacity figure.",
                    {"attribute": "condition", "value": b.condition},
                    SOURCE_KERNEL if b.source_format == "linux-sysfs" else SOURCE_APPLE,
                )
            )
        elif condition_health is not Health.HEALTHY:
            findings.append(
                Finding(
                    "battery.condition_service",
                    Severity.CRITICAL if condition_health is Health.FAILING else Severity.WARNING,
                    f"The system rates the battery {b.condition!r}.",
                    {"attribute": "condition", "value": b.condition},
                    SOURCE_KERNEL if b.source_format == "linux-sysfs" else SOURCE_APPLE,
                )
            )
        if _HEALTH_RANK[condition_health] > _HEALTH_RANK[health]:
            health = condition_health

    if b.permanent_failure:
        health = Health.FAILING
        findings.append(
            Finding(
                "battery.permanent_failure",
                Severity.CRITICAL,
                "The battery reports a permanent failure: replace it.",
                {"attribute": "permanent_failure", "value": True},
                "Smart Battery Data spec (PermanentFailureStatus / SafetyStatus); " + SOURCE_KERNEL,
            )
        )

    rated, rated_source = rated_cycles(b)
    if b.cycle_count is not None and b.cycle_count >= rated:
        findings.append(
            Finding(
                "battery.cycle_count_high",
                Severity.WARNING,
                f"{b.cycle_count} charge cycles: at or past the {rated} the pack is rated for.",
                {"attribute": "cycle_count", "value": b.cycle_count, "threshold": rated},
                rated_source,
            )
        )

    if health is Health.UNKNOWN and capacity.basis != _IMPLAUSIBLE:
        findings.append(
            Finding(
                "battery.no_capacity_data",
                Severity.WARNING,
                "The report gives no full-charge and design capacity: battery health is not measured.",
                {"attribute": "full_charge_capacity", "value": None},
                SOURCE_POLICY,
            )
        )

    grade = _grade(health, percent, b.cycle_count, rated)
    return Assessment(
        health=health,
        grade=grade,
        findings=tuple(findings),
        remaining_life=_remaining_life(b, percent, rated, rated_source),
        policy=POLICY_VERSION,
    )


def _grade(health: Health, percent: float | None, cycle_count: int | None, rated: int) -> Grade:
    if health is Health.FAILING:
        return Grade.F  # as a component; the device is D because the battery is replaceable
    if health is Health.WORN:
        return Grade.C
    if health is Health.UNKNOWN:
        return UNKNOWN_GRADE
    if percent is None or percent < LIKE_NEW_MIN_PERCENT:
        return Grade.B
    if cycle_count is not None and cycle_count > LIKE_NEW_MAX_RATED_SHARE * rated:
        return Grade.B
    return Grade.A


def _remaining_life(b: BatteryHealth, percent: float | None, rated: int, rated_source: str) -> RemainingLife | None:
    """Share of rated life left: cycles left of the rating (when the pack counts them), capped by the
    capacity still above the 80 % end-of-life line (linear fade from 100 %). A worn pack (below 80 %
    but not failing) is still reused: its life left is the time until it fades below the failing line
    (``_fade_to_failing``), never "0 % left"."""
    if percent is not None and FAILING_BELOW_PERCENT <= percent < HEALTHY_MIN_PERCENT:
        return _fade_to_failing(b, percent, rated, rated_source)
    capacity_left = None
    if percent is not None:
        span = 100.0 - HEALTHY_MIN_PERCENT
        capacity_left = round(max(0.0, min(100.0, 100.0 * (percent - HEALTHY_MIN_PERCENT) / span)), 1)
    if b.cycle_count is not None:
        share = round(100.0 * max(0, rated - b.cycle_count) / rated, 1)
        detail = f"{b.cycle_count} of {rated} rated cycles used ({rated_source})"
        if capacity_left is not None and capacity_left < share:
            share = capacity_left
            detail += f"; capacity already {percent:g} % of design, the closer limit"
        return RemainingLife(
            basis="battery.cycles_vs_rated",
            percent=share,
            years=round(share / 100.0 * rated / CYCLES_PER_YEAR, 1),
            detail=f"{detail}; years at {CYCLES_PER_YEAR} cycles a year",
        )
    if capacity_left is not None:
        return RemainingLife(
            basis="battery.capacity_vs_end_of_life",
            percent=capacity_left,
            years=None,
            detail=(
                f"{percent:g} % of design capacity: share left of the fade from 100 % to the "
                f"{HEALTHY_MIN_PERCENT:g} % end of life (no cycle count reported)"
            ),
        )
    return None


def _fade_to_failing(b: BatteryHealth, percent: float, rated: int, rated_source: str) -> RemainingLife:
    """A worn pack: cycles (and years at ``CYCLES_PER_YEAR``) until it falls below
    ``FAILING_BELOW_PERCENT``, at the pack's own fade per cycle when it counts its cycles, else at the
    rated fade (100 % to ``HEALTHY_MIN_PERCENT`` over the rated cycles). Percent is the share left of
    the worn span, from ``HEALTHY_MIN_PERCENT`` down to ``FAILING_BELOW_PERCENT``."""
    rated_fade = (100.0 - HEALTHY_MIN_PERCENT) / rated
    if b.cycle_count:  # 0 is often "not supported", not a measurement
        fade = (100.0 - percent) / b.cycle_count
        basis_text = f"its own fade: {100.0 - percent:g} points over {b.cycle_count} cycles"
    else:
        fade = rated_fade
        basis_text = f"the rated fade: {100.0 - HEALTHY_MIN_PERCENT:g} points over {rated} cycles ({rated_source})"
    cycles_left = int((percent - FAILING_BELOW_PERCENT) / fade)
    years = min(MAX_ESTIMATED_YEARS, cycles_left / CYCLES_PER_YEAR)
    share = 100.0 * (percent - FAILING_BELOW_PERCENT) / (HEALTHY_MIN_PERCENT - FAILING_BELOW_PERCENT)
    return RemainingLife(
        basis="battery.fade_to_failing",
        percent=round(share, 1),
        years=round(years, 1),
        detail=(
            f"{percent:g} % of design capacity, worn: about {cycles_left} cycles "
            f"(~{years:.1f} years at {CYCLES_PER_YEAR} cycles a year) until it falls below the "
            f"{FAILING_BELOW_PERCENT:g} % failing line, at {basis_text}"
        ),
    )


def battery_identity(b: BatteryHealth) -> dict[str, Any]:
    """What the battery is (JSON-serialisable): shown in passports; the serial is private there."""
    return {
        "name": b.name,
        "manufacturer": b.manufacturer,
        "model": b.model,
        "serial": b.serial,
        "chemistry": b.chemistry,
        "design_capacity_mwh": b.design_capacity_mwh,
        "design_capacity_mah": b.design_capacity_mah,
        "design_voltage_mv": b.design_voltage_mv,
        "manufacture_date": b.manufacture_date,
        "host_model": b.host_model,
    }


def battery_measurements(b: BatteryHealth) -> dict[str, Any]:
    """What was measured (JSON-serialisable), including the health figure the grade rests on."""
    capacity = _capacity(b)
    return {
        "design_capacity_mwh": b.design_capacity_mwh,
        "full_charge_capacity_mwh": b.full_charge_capacity_mwh,
        "design_capacity_mah": b.design_capacity_mah,
        "full_charge_capacity_mah": b.full_charge_capacity_mah,
        "health_percent": capacity.percent,
        "health_basis": capacity.basis,
        "full_over_design_percent": capacity.ratio_percent,
        "reported_health_percent": b.reported_health_percent,
        "cycle_count": b.cycle_count,
        "cycle_count_raw": b.cycle_count_raw,
        "rated_cycles": b.rated_cycles,
        "chemistry": b.chemistry,
        "condition": b.condition,
        "permanent_failure": b.permanent_failure,
        "state": b.state,
        "charge_percent": b.charge_percent,
        "present": b.present,
        "notes": list(b.notes),
    }


def battery_report(b: BatteryHealth) -> ComponentReport:
    """The graded component, ready for ``to_dict()``; a battery is always a replaceable part."""
    return ComponentReport(
        component=ComponentKind.BATTERY,
        format=b.source_format,
        identity=battery_identity(b),
        measurements=battery_measurements(b),
        assessment=assess_battery(b),
        replaceable=True,
        record=b,
    )


# --- plain-language explanations (issue 18, point 7) ---------------------------------------------
#: What each battery finding code means, for the people reading the grade (French, English).
EXPLANATIONS: dict[str, Explanation] = {
    "battery.capacity_failing": Explanation(
        "La batterie ne tient plus qu'une petite part de sa charge d'origine : à remplacer.",
        "The battery holds only a small part of its original charge: replace it.",
    ),
    "battery.capacity_worn": Explanation(
        "La batterie a perdu une partie de sa capacité : l'appareil tiendra moins longtemps sur batterie.",
        "The battery has lost some of its capacity: the device will run for less time on battery.",
    ),
    "battery.capacity_healthy": Explanation(
        "La batterie garde l'essentiel de sa capacité d'origine.",
        "The battery keeps most of its original capacity.",
    ),
    "battery.capacity_above_design": Explanation(
        "La batterie annonce plus que sa capacité d'origine (réglage de la jauge) : comptée comme neuve.",
        "The battery reports more than its original capacity (gauge calibration): counted as new.",
    ),
    "battery.capacity_inconsistent": Explanation(
        "Deux mesures de la batterie ne concordent pas : la moins favorable est retenue.",
        "Two readings of the battery disagree: the less favourable one is used.",
    ),
    "battery.capacity_implausible": Explanation(
        "Les chiffres de la batterie sont impossibles (jauge défaillante ou unités mélangées) : à mesurer autrement.",
        "The battery's figures are impossible (faulty gauge or mixed units): measure it another way.",
    ),
    "battery.condition_normal": Explanation(
        "Le système juge la batterie normale, sans donner de chiffre de capacité.",
        "The system rates the battery as normal, without giving a capacity figure.",
    ),
    "battery.condition_service": Explanation(
        "Le système recommande de faire réviser ou de remplacer la batterie.",
        "The system recommends servicing or replacing the battery.",
    ),
    "battery.permanent_failure": Explanation(
        "La batterie signale une panne définitive : à remplacer.",
        "The battery reports a permanent failure: replace it.",
    ),
    "battery.cycle_count_high": Explanation(
        "La batterie a fait plus de cycles de charge que prévu par son fabricant.",
        "The battery has gone through more charge cycles than its maker rates it for.",
    ),
    "battery.no_capacity_data": Explanation(
        "Le rapport ne donne pas la capacité de la batterie : sa santé n'est pas mesurée.",
        "The report does not give the battery's capacity: its health is not measured.",
    ),
}
