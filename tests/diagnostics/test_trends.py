"""Trends across a device's reports (issue 18, point 4).

No device in the corpus was read twice, so each test starts from a real report and makes the later
reading by changing only the counters the trend is about (what a second smartctl run a few months on
would show); everything else is the real drive's data.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from diagnostics import assess_device, read_report
from diagnostics.battery.records import BatteryHealth
from diagnostics.grading.battery import battery_report
from diagnostics.grading.trends import Reading, apply_history, reading_of, readings_from_dicts
from diagnostics.models import ComponentReport, Grade, Health
from tests.diagnostics.regen_smart_expected import SMART_CORPUS


def corpus_json(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SMART_CORPUS / relative).read_text(encoding="utf-8"))
    return data


def graded(doc: dict[str, Any], serial: str = "WD-TREND-1") -> ComponentReport:
    doc = copy.deepcopy(doc)
    doc["serial_number"] = serial  # the corpus redacts serials; a trend needs the same drive twice
    (report,) = read_report(json.dumps(doc).encode(), "smart.json")
    return report


def with_raw(doc: dict[str, Any], attr_id: int, raw: int, hours: int | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for row in doc["ata_smart_attributes"]["table"]:
        if row["id"] == attr_id:
            row["raw"] = {"value": raw, "string": str(raw)}
    if hours is not None:
        doc["power_on_time"] = {"hours": hours}
        for row in doc["ata_smart_attributes"]["table"]:
            if row["id"] == 9:
                row["raw"] = {"value": hours, "string": str(hours)}
    return doc


HDD = "scrutiny/smart-ata.json"  # WDC WD140EDFZ, healthy, grade A


def codes(report: ComponentReport) -> list[str]:
    return [f.code for f in report.assessment.findings]


def test_reallocated_sectors_growing_within_the_worn_allowance_is_failing() -> None:
    base = corpus_json(HDD)
    earlier = graded(with_raw(base, 5, 2))
    later = graded(with_raw(base, 5, 6, hours=2400))
    assert (later.assessment.health, later.assessment.grade) == (Health.WORN, Grade.C)  # one report: settled

    (trended,) = apply_history([later], [reading_of(earlier, "2026-03-01", "march.json")], "2026-09-01", "sept.json")
    assert (trended.assessment.health, trended.assessment.grade) == (Health.FAILING, Grade.F)
    (finding,) = [f for f in trended.assessment.findings if f.code == "trend.reallocated_growing"]
    assert finding.evidence["earlier"] == {"report": "march.json", "date": "2026-03-01", "value": 2}
    assert finding.evidence["later"] == {"report": "sept.json", "date": "2026-09-01", "value": 6}
    assert trended.assessment.remaining_life is not None and trended.assessment.remaining_life.years == 0.0

    device = assess_device([trended])
    assert device.grade is Grade.D  # a replaceable drive: replace it
    assert any(f.code == "device.replace_part" for f in device.findings)


@pytest.mark.parametrize(("attr_id", "code"), [(197, "trend.pending_growing"), (198, "trend.uncorrectable_growing")])
def test_pending_and_uncorrectable_that_appear_are_their_own_findings(attr_id: int, code: str) -> None:
    base = corpus_json(HDD)
    earlier = graded(base)
    later = graded(with_raw(base, attr_id, 3))
    (trended,) = apply_history([later], [reading_of(earlier, "2026-01-01", "a")])
    assert code in codes(trended)
    assert trended.assessment.health is Health.FAILING


def test_stable_counts_change_nothing() -> None:
    base = corpus_json(HDD)
    earlier, later = graded(with_raw(base, 5, 2)), graded(with_raw(base, 5, 2))
    assert apply_history([later], [reading_of(earlier, "2026-01-01", "a")]) == (later,)


def test_another_drive_is_never_compared() -> None:
    base = corpus_json(HDD)
    earlier = graded(base, serial="OTHER")
    later = graded(with_raw(base, 5, 6))
    assert apply_history([later], [reading_of(earlier, "2026-01-01", "a")]) == (later,)


def test_nvme_media_errors_that_appear() -> None:
    base = corpus_json("scrutiny/smart-nvme.json")  # INTEL SSDPEKNW010T8, 0 media errors
    later_doc = copy.deepcopy(base)
    later_doc["nvme_smart_health_information_log"]["media_errors"] = 2
    earlier, later = graded(base, "N1"), graded(later_doc, "N1")
    (trended,) = apply_history([later], [reading_of(earlier, "2026-01-01", "a")])
    assert "trend.media_errors_growing" in codes(trended)
    (finding,) = [f for f in trended.assessment.findings if f.code == "trend.media_errors_growing"]
    assert (finding.evidence["earlier"]["value"], finding.evidence["later"]["value"]) == (0, 2)


def test_ssd_life_left_from_the_rate_of_wear_between_two_reports() -> None:
    base = corpus_json("scrutiny/smart-nvme.json")
    log = "nvme_smart_health_information_log"
    early, late = copy.deepcopy(base), copy.deepcopy(base)
    early[log].update(percentage_used=10, power_on_hours=10_000)
    early["power_on_time"] = {"hours": 10_000}
    late[log].update(percentage_used=20, power_on_hours=11_000)
    late["power_on_time"] = {"hours": 11_000}
    earlier, later = graded(early, "N2"), graded(late, "N2")
    lifetime = later.assessment.remaining_life
    assert lifetime is not None and lifetime.years is not None
    (trended,) = apply_history([later], [reading_of(earlier, "2026-01-01", "a")])
    life = trended.assessment.remaining_life
    assert life is not None and life.basis == "trend.wear_rate"
    # 10 points in 1000 h: 80 points left last 8000 h, far less than the lifetime pace (20 % in 11 000 h).
    assert life.years == pytest.approx(8000 / 8766, abs=0.05)
    assert life.years < lifetime.years


def pack(full: float, cycles: int, serial: str = "B1") -> ComponentReport:
    record = BatteryHealth(
        source_format="windows-batteryreport-html",
        model="01AV430",
        serial=serial,
        design_capacity_mwh=50_000.0,
        full_charge_capacity_mwh=full,
        cycle_count=cycles,
    )
    return battery_report(record)


def test_battery_losing_capacity_faster_than_its_cycles_explain() -> None:
    earlier, later = pack(47_500.0, 100), pack(41_000.0, 150)  # 95 % -> 82 %: 13 points in 50 cycles
    assert later.assessment.health is Health.HEALTHY
    (trended,) = apply_history([later], [reading_of(earlier, "2026-01-01", "jan.html")], "2026-06-01", "june.html")
    (finding,) = [f for f in trended.assessment.findings if f.code == "trend.battery_fading_fast"]
    assert finding.evidence["cycles"] == 50
    assert finding.evidence["explained_points"] == pytest.approx(2.0)
    assert (trended.assessment.health, trended.assessment.grade) == (Health.WORN, Grade.C)
    life = trended.assessment.remaining_life
    assert life is not None and life.basis == "trend.battery_fade_rate"
    # 2 points left above the 80 % line at 0.26 point per cycle: 7 cycles, a week or two of use.
    assert "about 7 cycles until below 80 %" in life.detail
    assert life.years == 0.0


def test_battery_fading_at_its_rated_pace_is_no_finding() -> None:
    earlier, later = pack(47_500.0, 100), pack(47_000.0, 150)  # 1 point in 50 cycles
    (trended,) = apply_history([later], [reading_of(earlier, "2026-01-01", "a")])
    assert "trend.battery_fading_fast" not in codes(trended)
    assert trended.assessment.health is Health.HEALTHY


def test_readings_from_stored_json_match_fresh_ones() -> None:
    base = corpus_json(HDD)
    earlier = graded(with_raw(base, 5, 2))
    later = graded(with_raw(base, 5, 6))
    stored = json.loads(json.dumps(earlier.to_dict()))
    readings = readings_from_dicts([stored, {"component": "manual"}], "2026-01-01", "report 3")
    assert readings == [Reading("2026-01-01", "report 3", "disk", stored["identity"], stored["measurements"])]
    (trended,) = apply_history([later], readings)
    assert "trend.reallocated_growing" in codes(trended)
