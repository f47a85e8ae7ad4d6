"""Battery grading policy: each rule at its boundaries (DESIGN §2.3)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from diagnostics.battery.records import BatteryHealth
from diagnostics.grading import battery as policy
from diagnostics.grading.battery import (
    assess_battery,
    battery_identity,
    battery_measurements,
    battery_report,
    health_percent,
)
from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.models import ComponentKind, Grade, Health, Severity


def pack(full: float | None, design: float | None = 50000.0, **fields: object) -> BatteryHealth:
    """A Windows-report battery with the given full-charge capacity (mWh)."""
    base = BatteryHealth(
        source_format="windows-batteryreport-html",
        model="01AV430",
        design_capacity_mwh=design,
        full_charge_capacity_mwh=full,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def codes(b: BatteryHealth) -> set[str]:
    return {f.code for f in assess_battery(b).findings}


@pytest.mark.parametrize(
    ("percent", "health", "grade"),
    [
        (100.0, Health.HEALTHY, Grade.A),
        (95.0, Health.HEALTHY, Grade.A),
        (94.9, Health.HEALTHY, Grade.B),
        (80.0, Health.HEALTHY, Grade.B),
        (79.9, Health.WORN, Grade.C),
        (40.0, Health.WORN, Grade.C),
        (39.9, Health.FAILING, Grade.F),
        (5.0, Health.FAILING, Grade.F),
    ],
)
def test_health_and_grade_from_capacity(percent: float, health: Health, grade: Grade) -> None:
    assessment = assess_battery(pack(percent * 500.0))
    assert (assessment.health, assessment.grade) == (health, grade)
    assert assessment.policy == POLICY_VERSION


def test_thresholds_are_the_documented_ones() -> None:
    assert (policy.HEALTHY_MIN_PERCENT, policy.FAILING_BELOW_PERCENT, policy.LIKE_NEW_MIN_PERCENT) == (80, 40, 95)


def test_worn_finding_carries_evidence_threshold_and_source() -> None:
    (finding,) = [f for f in assess_battery(pack(35000.0)).findings if f.code == "battery.capacity_worn"]
    assert finding.severity is Severity.WARNING
    assert finding.evidence["attribute"] == "health_percent"
    assert finding.evidence["value"] == 70.0
    assert finding.evidence["threshold"] == 80.0
    assert "2023/1670" in finding.source


def test_failing_finding_is_critical() -> None:
    (finding,) = [f for f in assess_battery(pack(15000.0)).findings if f.code == "battery.capacity_failing"]
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["threshold"] == 40.0


def test_capacity_above_design_is_clamped_and_noted() -> None:
    b = pack(57000.0)  # 114 % of design
    assert health_percent(b) == 100.0
    assert battery_measurements(b)["full_over_design_percent"] == 114.0
    assert "battery.capacity_above_design" in codes(b)
    assert assess_battery(b).grade is Grade.A


def test_slightly_above_design_is_not_worth_a_finding() -> None:
    assert "battery.capacity_above_design" not in codes(pack(52000.0))  # 104 %


def test_mah_pair_is_used_when_there_is_no_energy() -> None:
    b = pack(None, None, design_capacity_mah=4400.0, full_charge_capacity_mah=3013.0)
    assert health_percent(b) == 68.5
    assert assess_battery(b).health is Health.WORN


def test_mixed_units_are_never_divided() -> None:
    b = pack(None, 50000.0, full_charge_capacity_mah=4000.0)
    assert health_percent(b) is None
    assert assess_battery(b).health is Health.UNKNOWN


@pytest.mark.parametrize(("cycles", "grade"), [(None, Grade.A), (0, Grade.A), (100, Grade.A), (101, Grade.B)])
def test_grade_a_needs_few_cycles_when_they_are_reported(cycles: int | None, grade: Grade) -> None:
    # 20 % of the 500 cycles assumed for a laptop pack that states no rating
    b = pack(49000.0, cycle_count=cycles)
    assert assess_battery(b).grade is grade


@pytest.mark.parametrize(("cycles", "high"), [(499, False), (500, True), (1200, True)])
def test_cycle_count_high_at_the_rated_count(cycles: int, high: bool) -> None:
    b = pack(45000.0, cycle_count=cycles)
    assert ("battery.cycle_count_high" in codes(b)) is high
    assert assess_battery(b).health is Health.HEALTHY  # cycles alone never change health


def test_rated_cycles_come_from_the_pack_then_the_platform() -> None:
    mac = BatteryHealth(
        source_format="macos-ioreg", design_capacity_mah=6000.0, full_charge_capacity_mah=5400.0, cycle_count=900
    )
    assert "battery.cycle_count_high" not in codes(mac)  # Apple rates 1000
    rated_low = replace(mac, rated_cycles=800)
    (finding,) = [f for f in assess_battery(rated_low).findings if f.code == "battery.cycle_count_high"]
    assert finding.evidence == {"attribute": "cycle_count", "value": 900, "threshold": 800}


def test_permanent_failure_makes_a_full_pack_failing() -> None:
    b = pack(50000.0, permanent_failure=True)
    assessment = assess_battery(b)
    assert (assessment.health, assessment.grade) == (Health.FAILING, Grade.F)
    (finding,) = [f for f in assessment.findings if f.code == "battery.permanent_failure"]
    assert finding.severity is Severity.CRITICAL


def test_no_capacity_data_is_unknown_not_a_made_up_health() -> None:
    b = BatteryHealth(source_format="acpi", name="Battery 2", state="discharging")
    assessment = assess_battery(b)
    assert assessment.health is Health.UNKNOWN
    assert assessment.grade is policy.UNKNOWN_GRADE
    assert "battery.no_capacity_data" in codes(b)
    assert assessment.remaining_life is None


@pytest.mark.parametrize(
    ("condition", "health", "grade"),
    [
        ("Normal", Health.HEALTHY, Grade.B),
        ("Replace Soon", Health.WORN, Grade.C),
        ("Service Recommended", Health.WORN, Grade.C),
        ("Service Battery", Health.FAILING, Grade.F),
    ],
)
def test_macos_condition_without_capacity_figure(condition: str, health: Health, grade: Grade) -> None:
    b = BatteryHealth(source_format="macos-system-profiler", condition=condition, cycle_count=300)
    assessment = assess_battery(b)
    assert (assessment.health, assessment.grade) == (health, grade)


def test_a_bad_condition_overrides_a_good_capacity() -> None:
    b = BatteryHealth(
        source_format="macos-system-profiler", reported_health_percent=86.0, condition="Service Recommended"
    )
    assert assess_battery(b).health is Health.WORN
    assert "battery.condition_service" in codes(b)


def test_reported_percentage_lower_than_full_over_design_wins() -> None:
    # upower clamps energy-full to the design value but computes "capacity" from charge
    b = BatteryHealth(
        source_format="upower",
        design_capacity_mwh=54000.0,
        full_charge_capacity_mwh=54000.0,
        reported_health_percent=78.0,
    )
    assert health_percent(b) == 78.0
    assert assess_battery(b).health is Health.WORN
    assert "battery.capacity_inconsistent" in codes(b)


def test_reported_percentage_within_two_points_is_ignored() -> None:
    b = pack(45000.0, reported_health_percent=88.5)
    assert health_percent(b) == 90.0
    assert "battery.capacity_inconsistent" not in codes(b)


def test_remaining_life_from_cycles_vs_rated() -> None:
    life = assess_battery(pack(48000.0, cycle_count=125)).remaining_life
    assert life is not None
    assert life.basis == "battery.cycles_vs_rated"
    assert life.percent == 75.0
    assert life.years == pytest.approx(375 / policy.CYCLES_PER_YEAR, abs=0.05)


def test_remaining_life_is_capped_by_capacity_already_lost() -> None:
    life = assess_battery(pack(42000.0, cycle_count=50)).remaining_life  # 84 %: 20 % of the fade left
    assert life is not None
    assert life.percent == 20.0


def test_remaining_life_from_capacity_when_cycles_are_unknown() -> None:
    life = assess_battery(pack(45000.0)).remaining_life
    assert life is not None
    assert (life.basis, life.percent, life.years) == ("battery.capacity_vs_end_of_life", 50.0, None)


def test_worn_pack_life_is_the_time_until_it_fails_at_its_own_fade() -> None:
    # 60 % after 400 cycles: 0.1 point per cycle, 20 points above the failing line -> 200 cycles.
    life = assess_battery(pack(30000.0, cycle_count=400)).remaining_life
    assert life is not None
    assert life.basis == "battery.fade_to_failing"
    assert life.percent == pytest.approx(50.0)  # half of the worn span (80 % -> 40 %) is left
    assert life.years == pytest.approx(200 / policy.CYCLES_PER_YEAR, abs=0.05)
    assert "about 200 cycles" in life.detail and "below the 40 % failing line" in life.detail


def test_worn_pack_without_cycle_count_fades_at_the_rated_pace() -> None:
    # 60 %, no cycle count: 20 points per RATED_CYCLES_LAPTOP cycles -> 20 points left = 500 cycles.
    life = assess_battery(pack(30000.0)).remaining_life
    assert life is not None
    assert life.basis == "battery.fade_to_failing"
    assert life.years == pytest.approx(policy.RATED_CYCLES_LAPTOP / policy.CYCLES_PER_YEAR, abs=0.05)
    assert "rated fade" in life.detail


def test_a_worn_pack_never_reads_zero_life_left() -> None:
    for full in (39900.0, 35000.0, 25000.0):  # 79.8 %, 70 %, 50 %
        life = assess_battery(pack(full, cycle_count=300)).remaining_life
        assert life is not None and life.percent is not None and life.percent > 0
        assert life.years is not None and life.years > 0


def test_identity_and_measurements_are_json_serialisable() -> None:
    b = pack(45000.0, serial="1234", cycle_count=12, notes=("x",), host_model="LENOVO 20KH")
    json.dumps(battery_identity(b))
    measurements = battery_measurements(b)
    json.dumps(measurements)
    assert measurements["health_percent"] == 90.0
    assert battery_identity(b)["host_model"] == "LENOVO 20KH"


def test_battery_report_is_a_replaceable_battery_component() -> None:
    report = battery_report(pack(10000.0))
    assert report.component is ComponentKind.BATTERY
    assert report.replaceable is True
    assert report.format == "windows-batteryreport-html"
    as_dict = report.to_dict()
    json.dumps(as_dict)
    assert (as_dict["health"], as_dict["grade"]) == ("failing", "F")
    assert all({"code", "severity", "evidence", "source"} <= set(f) for f in as_dict["findings"])


@pytest.mark.parametrize("full", [65100.0, 200000.0])
def test_implausible_ratio_is_not_a_health_figure(full: float) -> None:
    b = pack(full)  # > 130 % of design: a placeholder design capacity or a unit mix-up
    assessment = assess_battery(b)
    assert assessment.health is Health.UNKNOWN
    assert health_percent(b) is None
    assert "battery.capacity_implausible" in codes(b)
    assert "battery.no_capacity_data" not in codes(b)


def test_ratio_just_under_the_plausibility_limit_is_clamped() -> None:
    assert health_percent(pack(65000.0)) == 100.0  # 130 %


def test_zero_full_charge_next_to_a_real_design_is_a_dead_pack() -> None:
    assessment = assess_battery(pack(0.0))
    assert (assessment.health, assessment.grade) == (Health.FAILING, Grade.F)
    assert "battery.capacity_failing" in codes(pack(0.0))
