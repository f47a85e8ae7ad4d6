"""The technician's functional checklist is graded like any report (DESIGN §3.2)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnostics import ParseError, assess_device, grade_checklist, read_report
from diagnostics.manual import CAVEAT_ITEMS, EXPECTED_ITEMS, PART_SWAPS
from diagnostics.models import ComponentKind, Grade, Health


def checklist(kind: str = "laptop", **results: str) -> dict[str, Any]:
    """Every expected item passes unless overridden; an override of "" drops the item."""
    items = dict.fromkeys(EXPECTED_ITEMS[kind], "pass")
    items.update(results)
    return {
        "kind": "relife-checklist",
        "device_kind": kind,
        "items": [{"item": k, "result": v, "note": f"checked {k}"} for k, v in items.items() if v],
    }


def codes(report: Any) -> list[str]:
    return [f.code for f in report.assessment.findings]


@pytest.mark.parametrize("kind", sorted(k for k in EXPECTED_ITEMS if EXPECTED_ITEMS[k]))
def test_everything_passing_is_grade_a_healthy(kind: str) -> None:
    report = grade_checklist(checklist(kind), "check.json")
    assert report.component is ComponentKind.MANUAL
    assert (report.assessment.health, report.assessment.grade) == (Health.HEALTHY, Grade.A)
    assert report.assessment.findings == ()
    assert report.replaceable


@pytest.mark.parametrize(
    ("kind", "item"),
    [
        ("laptop", "keyboard"),
        ("laptop", "charger"),
        ("laptop", "screen"),
        ("phone", "screen"),
        ("phone", "charging"),
        ("screen", "stand"),
    ],
)
def test_failed_part_swap_is_d_with_replace_finding(kind: str, item: str) -> None:
    report = grade_checklist(checklist(kind, **{item: "fail"}), "check.json")
    assert (report.assessment.health, report.assessment.grade) == (Health.FAILING, Grade.D)
    (finding,) = report.assessment.findings
    assert finding.code == "manual.replace_part"
    assert finding.message == f"replace the {item.replace('_', ' ')}"
    assert finding.evidence["attribute"] == item
    assert finding.evidence["note"] == f"checked {item}"
    assert report.replaceable
    assert report.measurements["parts_to_replace"] == [item]


@pytest.mark.parametrize(
    ("kind", "item"), [("laptop", "usb_ports"), ("screen", "panel"), ("screen", "inputs"), ("phone", "sim")]
)
def test_failure_that_is_not_a_part_swap_is_f(kind: str, item: str) -> None:
    report = grade_checklist(checklist(kind, **{item: "fail", next(iter(PART_SWAPS[kind])): "fail"}), "c.json")
    assert (report.assessment.health, report.assessment.grade) == (Health.FAILING, Grade.F)
    assert "manual.function_failed" in codes(report)
    assert not report.replaceable


def test_missing_items_are_a_finding_and_cap_the_grade_at_b() -> None:
    report = grade_checklist(checklist("laptop", webcam="", wifi=""), "c.json")
    assert (report.assessment.health, report.assessment.grade) == (Health.HEALTHY, Grade.B)
    assert codes(report) == ["manual.items_missing"]
    assert report.assessment.findings[0].evidence["value"] == ["webcam", "wifi"]


def test_not_applicable_is_neither_missing_nor_failed() -> None:
    report = grade_checklist(checklist("laptop", webcam="na", wifi="N/A"), "c.json")
    assert report.assessment.grade is Grade.A
    assert report.measurements["not_applicable"] == ["webcam", "wifi"]


@pytest.mark.parametrize("items", [[], [{"item": "screen", "result": "na"}]])
def test_nothing_recorded_is_unknown_health(items: list[dict[str, str]]) -> None:
    doc = {"kind": "relife-checklist", "device_kind": "laptop", "items": items}
    report = grade_checklist(doc, "c.json")
    assert report.assessment.health is Health.UNKNOWN
    assert "manual.nothing_recorded" in codes(report)


def test_items_outside_the_list_are_graded_too() -> None:
    report = grade_checklist(checklist("laptop", battery="fail", fingerprint_reader="fail"), "c.json")
    assert report.assessment.grade is Grade.F  # the fingerprint reader is not a known part swap
    report = grade_checklist(checklist("laptop", battery="fail"), "c.json")
    assert report.assessment.grade is Grade.D


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"kind": "other"}, "kind"),
        ({"kind": "relife-checklist", "device_kind": "toaster", "items": []}, "device_kind"),
        ({"kind": "relife-checklist", "device_kind": "laptop", "items": {}}, "items must be a list"),
        ({"kind": "relife-checklist", "device_kind": "laptop", "items": [1]}, "items[0]"),
        (
            {
                "kind": "relife-checklist",
                "device_kind": "laptop",
                "items": [{"item": "screen", "result": "ok"}],
            },
            "pass, fail or na",
        ),
        (
            {
                "kind": "relife-checklist",
                "device_kind": "laptop",
                "items": [{"item": "screen", "result": "pass"}, {"item": "Screen", "result": "fail"}],
            },
            "twice",
        ),
        (
            {
                "kind": "relife-checklist",
                "device_kind": "laptop",
                "items": [{"item": "screen", "result": "pass", "note": 3}],
            },
            "note",
        ),
    ],
)
def test_invalid_checklists_are_refused_with_the_reason(doc: dict[str, Any], reason: str) -> None:
    with pytest.raises(ParseError) as info:
        grade_checklist(doc, "bench/check.json")
    assert info.value.source == "bench/check.json"
    assert reason in info.value.reason


def test_read_report_detects_a_checklist_file() -> None:
    import orjson

    (report,) = read_report(orjson.dumps(checklist("phone", cameras="fail")), "phone.json")
    assert report.format == "relife-checklist"
    assert report.assessment.grade is Grade.D
    assert report.to_dict()["component"] == "manual"


@pytest.mark.parametrize(("kind", "item"), [("laptop", "webcam"), ("laptop", "audio"), ("desktop", "audio")])
def test_dead_convenience_function_is_a_caveat_on_a_usable_device(kind: str, item: str) -> None:
    report = grade_checklist(checklist(kind, **{item: "fail"}), "check.json")
    assert (report.assessment.health, report.assessment.grade) == (Health.WORN, Grade.C)
    (finding,) = report.assessment.findings
    assert finding.code == "manual.function_caveat"
    assert finding.evidence["attribute"] == item
    assert item.replace("_", " ") in finding.message
    assert report.measurements["caveats"] == [item]
    assert report.measurements["parts_to_replace"] == []
    assert report.replaceable


def test_a_caveat_does_not_hide_a_part_swap_the_keyboard_stays_d() -> None:
    report = grade_checklist(checklist("laptop", webcam="fail", keyboard="fail"), "check.json")
    assert (report.assessment.health, report.assessment.grade) == (Health.FAILING, Grade.D)
    assert sorted(codes(report)) == ["manual.function_caveat", "manual.replace_part"]
    assert report.measurements["parts_to_replace"] == ["keyboard"]


def test_a_laptop_with_a_dead_webcam_is_a_c_device_naming_it() -> None:
    device = assess_device([grade_checklist(checklist("laptop", webcam="fail"), "check.json")])
    assert (device.health, device.grade) == (Health.WORN, Grade.C)
    assert not any(f.code == "device.replace_part" for f in device.findings)
    assert "functional check" in device.findings[-1].message


def test_caveat_and_part_swap_lists_never_overlap() -> None:
    for kind in EXPECTED_ITEMS:
        assert not CAVEAT_ITEMS[kind] & PART_SWAPS[kind], kind
