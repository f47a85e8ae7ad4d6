"""A parser returns a result or raises ParseError, nothing else (STYLE §2.10; h11's fuzz rule).

``read_report_strict`` is the whole pipeline (detection, every parser, grading) without the safety
net that turns a bug into a ParseError, so a KeyError/IndexError/ValueError anywhere fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics import ParseError, read_report
from diagnostics.cli import json_line
from diagnostics.detect import read_report_strict
from tests.diagnostics.conftest import CORPUS

CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")
JSON_FILES = [p for p in CORPUS_FILES if p.read_bytes().lstrip()[:1] == b"{"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Openings that steer random text into each detector, so the fuzzing reaches the parsers.
OPENINGS = [
    "smartctl 7.3 2022-02-28 r5338 [x86_64-linux] (local build)\n=== START OF INFORMATION SECTION ===\n",
    "smartctl 5.38 2008-03-10 [i686]\nDevice Model:     ST3500630AS\nSMART overall-health self-assessment"
    " test result: PASSED\nID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  "
    "WHEN_FAILED RAW_VALUE\n",
    "=== START OF SMART DATA SECTION ===\nSMART/Health Information (NVMe Log 0x02)\nCritical Warning: 0x00\n",
    "  native-path:          BAT0\n  battery\n    present:             yes\n    energy-full:         ",
    "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_ENERGY_FULL=",
    "Battery 0: Discharging, 55%, 01:00:00 remaining\nBattery 0: design capacity ",
    "--- TLP 1.5 --------------------\n+++ Battery Care\n/sys/class/power_supply/BAT0/energy_full = ",
    "Design capacity:\t5800 mAh\nLast full capacity:\t",
    "Handle 0x0027, DMI type 22, 26 bytes\nPortable Battery\n\tDesign Capacity: ",
    "<!DOCTYPE html><html><head><title>Battery report</title></head><body><table>",
    '<?xml version="1.0" encoding="utf-8"?><BatteryReport xmlns="http://schemas.microsoft.com/battery/2012">',
    "Power:\n\n    Battery Information:\n\n      Model Information:\n",
    '+-o AppleSmartBattery  <class AppleSmartBattery>\n    {\n      "DesignCapacity" = ',
]


def only_parse_errors(data: bytes, source: str = "fuzz") -> None:
    error: ParseError | None = None
    try:
        reports = read_report_strict(data, source)
    except ParseError as exc:
        error = exc
    if error is not None:
        assert error.source == source
        assert error.reason.strip()
        return
    assert reports
    for report in reports:
        json_line(report.to_dict())  # what the CLI prints must serialise


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    only_parse_errors(data)


@FUZZ
@given(st.sampled_from(OPENINGS), st.text(max_size=3000))
def test_arbitrary_text_after_a_known_opening(opening: str, tail: str) -> None:
    only_parse_errors((opening + tail).encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    st.sampled_from(OPENINGS),
    st.lists(
        st.tuples(st.sampled_from(["", "  ", "\t"]), st.text("abcXYZ:_=-%()/ 0123456789.,", max_size=40)), max_size=40
    ),
)
def test_line_shaped_noise_after_a_known_opening(opening: str, lines: list[tuple[str, str]]) -> None:
    only_parse_errors((opening + "\n".join(indent + line for indent, line in lines)).encode())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


@FUZZ
@given(json_values)
def test_arbitrary_json_values(value: Any) -> None:
    only_parse_errors(json.dumps(value).encode())


@FUZZ
@given(st.dictionaries(st.text(max_size=20), json_values, max_size=8), st.sampled_from(["smartctl", "checklist"]))
def test_json_objects_that_claim_a_format(doc: dict[str, Any], claim: str) -> None:
    if claim == "smartctl":
        doc.setdefault("smartctl", {"version": [7, 3]})
        doc.setdefault("json_format_version", [1, 0])
    else:
        doc["kind"] = "relife-checklist"
    only_parse_errors(json.dumps(doc).encode())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:8]):
            out += _paths(item, (*prefix, index))
    return out


def _edited_corpus_file(data: st.DataObject, most: int, edit: Callable[[Any, Any], None]) -> tuple[Path, bytes]:
    """A corpus JSON file with 1 to ``most`` of its keys or items edited (``edit(parent, key)``);
    an edit whose path an earlier one broke is skipped."""
    path = data.draw(st.sampled_from(JSON_FILES), label="file")
    doc = orjson.loads(path.read_bytes())
    paths = [p for p in _paths(doc) if p]
    for _ in range(data.draw(st.integers(1, most), label="edits")):
        target = data.draw(st.sampled_from(paths), label="path")
        parent = doc
        try:
            for key in target[:-1]:
                parent = parent[key]
            edit(parent, target[-1])
        except (KeyError, IndexError, TypeError):
            continue
    return path, json.dumps(doc).encode()


@FUZZ
@given(st.data())
def test_real_smartctl_json_with_values_replaced(data: st.DataObject) -> None:
    def replace(parent: Any, key: Any) -> None:
        parent[key] = data.draw(json_values, label="value")

    path, edited = _edited_corpus_file(data, 4, replace)
    only_parse_errors(edited, str(path))


@FUZZ
@given(st.data())
def test_real_smartctl_json_with_keys_removed(data: st.DataObject) -> None:
    # Older smartctl builds and other tools' excerpts leave sections and fields out.
    def remove(parent: Any, key: Any) -> None:
        del parent[key]

    path, edited = _edited_corpus_file(data, 6, remove)
    only_parse_errors(edited, str(path))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_truncated_corpus_files(path: Path) -> None:
    data = path.read_bytes()
    cuts = sorted({len(data) * k // 12 for k in range(12)} | {1, 2, 3, len(data) - 1})
    for cut in cuts:
        only_parse_errors(data[:cut], f"{path.name}[:{cut}]")


@pytest.mark.parametrize("path", CORPUS_FILES[::7], ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_files_in_other_encodings(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    for encoded in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        only_parse_errors(encoded, path.name)


def test_read_report_turns_any_bug_into_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from diagnostics import detect

    def broken(_disk: object) -> None:
        raise KeyError("oops")

    data = next(p.read_bytes() for p in JSON_FILES if _grades(p.read_bytes()))
    monkeypatch.setattr(detect, "grade_disk", broken)  # the grading step read_report runs
    with pytest.raises(ParseError, match="internal error while reading it"):
        read_report(data, "x.json")
    with pytest.raises(KeyError):
        read_report_strict(data, "x.json")


def _grades(data: bytes) -> bool:
    try:
        return bool(read_report(data, "probe"))
    except ParseError:
        return False


def test_non_bytes_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="expected the file's bytes"):
        read_report("text", "x")  # type: ignore[arg-type]
