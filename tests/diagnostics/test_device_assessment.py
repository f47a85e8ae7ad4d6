"""A device is as good as its worst component, except a failing replaceable part makes it D."""

from __future__ import annotations

import pytest

from diagnostics import DiagnosticsError, assess_device
from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.models import (
    Assessment,
    ComponentKind,
    ComponentReport,
    Finding,
    Grade,
    Health,
    RemainingLife,
    Severity,
)

_HEALTH = {
    "A": Health.HEALTHY,
    "B": Health.HEALTHY,
    "C": Health.WORN,
    "D": Health.FAILING,
    "F": Health.FAILING,
}


def component(
    grade: str,
    kind: ComponentKind = ComponentKind.DISK,
    *,
    replaceable: bool = True,
    health: Health | None = None,
    life: RemainingLife | None = None,
    model: str = "ST500LM012",
) -> ComponentReport:
    finding = Finding("test.rule", Severity.WARNING, "because", {"attribute": "x", "value": 1}, "test")
    return ComponentReport(
        component=kind,
        format="smartctl-json",
        identity={"model": model, "serial": "S1"},
        measurements={},
        assessment=Assessment(health or _HEALTH[grade], Grade(grade), (finding,), life, POLICY_VERSION),
        replaceable=replaceable,
    )


@pytest.mark.parametrize(
    ("grades", "expected"),
    [(["A"], "A"), (["A", "B"], "B"), (["B", "C", "A"], "C"), (["A", "D"], "D")],
)
def test_device_is_as_good_as_its_worst_component(grades: list[str], expected: str) -> None:
    device = assess_device([component(g) for g in grades])
    assert device.grade is Grade(expected)
    assert device.policy == POLICY_VERSION
    assert len(device.components) == len(grades)


def test_failing_replaceable_part_makes_the_device_d_and_says_what_to_replace() -> None:
    device = assess_device([component("A", ComponentKind.BATTERY, model="DELL 0GFJ6"), component("F")])
    assert device.grade is Grade.D
    assert device.health is Health.FAILING
    replace = [f for f in device.findings if f.code == "device.replace_part"]
    assert len(replace) == 1
    assert "ST500LM012" in replace[0].message
    assert replace[0].message.startswith("replace the disk")
    assert replace[0].evidence["findings"] == ["test.rule"]


def test_failing_part_that_cannot_be_swapped_keeps_the_device_f() -> None:
    device = assess_device([component("F", replaceable=False), component("A", ComponentKind.BATTERY)])
    assert device.grade is Grade.F
    assert not [f for f in device.findings if f.code == "device.replace_part"]


def test_checklist_part_swap_names_the_parts() -> None:
    manual = ComponentReport(
        component=ComponentKind.MANUAL,
        format="relife-checklist",
        identity={"device_kind": "laptop"},
        measurements={"parts_to_replace": ["keyboard", "charger"]},
        assessment=Assessment(Health.FAILING, Grade.D, (), None, POLICY_VERSION),
        replaceable=True,
    )
    device = assess_device([manual, component("B")])
    assert device.grade is Grade.D
    (replace,) = [f for f in device.findings if f.code == "device.replace_part"]
    assert replace.message == "replace the keyboard, charger before reuse"


def test_unknown_components_do_not_set_the_grade() -> None:
    unknown = component("C", ComponentKind.BATTERY, health=Health.UNKNOWN)
    device = assess_device([component("A"), unknown])
    assert device.grade is Grade.A
    assert device.health is Health.HEALTHY
    assert "device.component_unknown" in [f.code for f in device.findings]


def test_only_unknown_components_give_unknown_health() -> None:
    device = assess_device([component("C", health=Health.UNKNOWN)])
    assert device.health is Health.UNKNOWN
    assert device.remaining_life is None


def test_remaining_life_is_the_most_limiting_of_the_kept_parts() -> None:
    disk = component("B", life=RemainingLife("nvme.percentage_used", percent=80, years=6))
    battery = component("C", ComponentKind.BATTERY, life=RemainingLife("battery.cycles_vs_rated", 40, 1.5))
    percent_only = component("B", life=RemainingLife("ssd.wear", percent=10))
    assert assess_device([disk, battery]).remaining_life == battery.assessment.remaining_life
    assert assess_device([disk, percent_only]).remaining_life == disk.assessment.remaining_life
    assert assess_device([percent_only]).remaining_life == percent_only.assessment.remaining_life
    # A battery to be replaced does not limit the device's life.
    dying = component("F", ComponentKind.BATTERY, life=RemainingLife("battery.cycles_vs_rated", 0, 0))
    assert assess_device([disk, dying]).remaining_life == disk.assessment.remaining_life


def test_no_report_is_an_error_not_a_grade() -> None:
    with pytest.raises(DiagnosticsError):
        assess_device([])


def test_to_dict_is_json_serialisable() -> None:
    import orjson

    device = assess_device([component("F"), component("A", ComponentKind.BATTERY)])
    doc = orjson.loads(orjson.dumps(device.to_dict()))
    assert doc["grade"] == "D"
    assert {c["component"] for c in doc["components"]} == {"disk", "battery"}
