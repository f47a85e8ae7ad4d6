"""The smartctl JSON reader reads what smartctl writes and tolerates the rest.

A key may be missing or hold another JSON type (older 7.x builds, other tools' excerpts, hand-edited
files): that field reads as unknown, and the rest of the report is still graded. The corpus tests
cover real documents; these name the shapes around them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from diagnostics import ParseError, read_report
from diagnostics.smart.json_report import parse_smartctl_json
from diagnostics.smart.records import AtaAttribute

ROW: dict[str, Any] = {
    "id": 5,
    "name": "Reallocated_Sector_Ct",
    "value": 100,
    "worst": 100,
    "thresh": 10,
    "when_failed": "",
    "flags": {"value": 51, "string": "PO--CK ", "prefailure": True, "updated_online": True},
    "raw": {"value": 8, "string": "8"},
}
EXPECTED = AtaAttribute(
    id=5,
    name="Reallocated_Sector_Ct",
    value=100,
    worst=100,
    thresh=10,
    raw=8,
    raw_string="8",
    when_failed="",
    prefailure=True,
)


def _report(**top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "smartctl": {"version": [7, 3], "exit_status": 0},
        "device": {"name": "/dev/sda", "type": "sat", "protocol": "ATA"},
        "model_name": "TEST HDD",
        "rotation_rate": 7200,
        "smart_status": {"passed": True},
        "power_on_time": {"hours": 1234},
        "temperature": {"current": 31},
    }
    doc.update(top)
    return doc


def _row(**changes: Any) -> AtaAttribute | None:
    row = {k: v for k, v in {**ROW, **changes}.items() if v is not _MISSING}
    disk = parse_smartctl_json(_report(ata_smart_attributes={"table": [row]}), "doc")
    return disk.attributes[0] if disk.attributes else None


_MISSING = object()


def test_a_row_as_smartctl_writes_it() -> None:
    assert _row() == EXPECTED


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "5", "value": "100", "worst": 100.0, "thresh": True}, {"thresh": 1}),
        ({"value": None, "worst": _MISSING, "thresh": "x"}, {"value": None, "worst": None, "thresh": None}),
        ({"name": ""}, {"name": "Unknown_Attribute"}),
        ({"name": _MISSING}, {"name": "Unknown_Attribute"}),
        ({"name": 7}, {"name": "7"}),
        ({"when_failed": "now"}, {"when_failed": "FAILING_NOW"}),
        ({"when_failed": "past"}, {"when_failed": "In_the_past"}),
        ({"when_failed": "-"}, {}),
        ({"flags": "PO--CK"}, {"prefailure": False}),
        ({"raw": {"value": 8, "string": "35 (Min/Max 20/45)"}}, {"raw": 35, "raw_string": "35 (Min/Max 20/45)"}),
        # No leading number in the string: the 48-bit raw value. '²' is a digit to str.isdigit but
        # not to int(); such a row once refused the whole report.
        ({"raw": {"value": 8, "string": "²"}}, {"raw_string": "²"}),
        ({"raw": {"value": 8}}, {"raw_string": ""}),
        ({"raw": 8}, {"raw": None, "raw_string": ""}),
    ],
)
def test_a_row_of_another_shape_reads_what_it_can(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    attr = _row(**changes)
    assert attr is not None
    assert attr._asdict() == {**EXPECTED._asdict(), **expected}


@pytest.mark.parametrize("attr_id", [_MISSING, None, "id", [5]])
def test_a_row_without_an_id_is_skipped(attr_id: Any) -> None:
    assert _row(id=attr_id) is None


@pytest.mark.parametrize("table", [None, "x", {"0": ROW}, [None, 1, "row", []]])
def test_an_attribute_table_of_another_shape_reads_as_no_rows(table: Any) -> None:
    disk = parse_smartctl_json(_report(ata_smart_attributes={"table": table}), "doc")
    assert disk.attributes == ()
    assert disk.smart_passed is True


@pytest.mark.parametrize(
    "key", ["device", "user_capacity", "form_factor", "smart_status", "power_on_time", "temperature"]
)
@pytest.mark.parametrize("value", [None, [], {}, "x", 1, {"other": 1}])
def test_a_section_of_another_shape_reads_as_unknown_and_the_rest_still_grades(key: str, value: Any) -> None:
    doc = _report(ata_smart_attributes={"table": [ROW]}, **{key: value})
    (report,) = read_report(json.dumps(doc).encode(), "doc")
    assert report.record.attributes == (EXPECTED,)
    assert report.identity["model"] == "TEST HDD"


def test_exit_status_bit_3_is_a_failed_verdict_without_smart_status() -> None:
    doc = _report(smartctl={"version": [7, 1], "exit_status": 8})
    del doc["smart_status"]
    assert parse_smartctl_json(doc, "doc").smart_passed is False


def test_a_checklist_carrying_a_smartctl_key_is_read_as_a_checklist() -> None:
    doc = {"kind": "relife-checklist", "smartctl": {}}
    with pytest.raises(ParseError, match="device_kind must be one of"):
        read_report(json.dumps(doc).encode(), "doc")


def test_invalid_utf8_in_a_field_not_read_still_grades() -> None:
    # orjson refuses the bytes; the text fallback (latin-1) reads the same report.
    data = json.dumps(_report(vendor_note="@")).encode().replace(b"@", b"\xff")
    (report,) = read_report(data, "doc")
    assert report.format == "smartctl-json"
    assert report.measurements["power_on_hours"] == 1234
