"""The msgspec fast path for smartctl JSON (``json_report.load_fast``) gives exactly what the orjson
path gives: the same record, grade and findings, or the same refusal, on every corpus file and on
corpus documents with values replaced by arbitrary JSON (the shapes the fast path must hand back)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics import ParseError, detect
from diagnostics.detect import read_report_strict
from tests.diagnostics.test_parsers_never_crash import JSON_FILES, _paths

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(data: bytes) -> Any:
    try:
        return [(r.to_dict(), r.record) for r in read_report_strict(data, "doc")]
    except ParseError as exc:
        return ("refused", exc.reason)


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _outcome(data)
    with monkeypatch.context() as patch:
        patch.setattr(detect, "load_fast", lambda _data: None)
        slow = _outcome(data)
    return fast, slow


@pytest.mark.parametrize("path", JSON_FILES, ids=lambda p: p.name)
def test_corpus_file_same_on_both_paths(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(path.read_bytes(), monkeypatch)
    assert fast == slow


def test_the_fast_path_takes_most_corpus_files() -> None:
    taken = [p for p in JSON_FILES if detect.load_fast(p.read_bytes()) is not None]
    assert len(taken) >= len(JSON_FILES) * 3 // 4


@pytest.mark.parametrize(
    "text",
    [
        '{"smartctl": {}, "x": "\\ud800", "smart_status": {"passed": true}}',
        '{"smartctl": {}, "smart_status": {"passed": true}, "smart_status": {"passed": false}}',
        '{"kind": "relife-checklist", "smartctl": {}}',
    ],
)
def test_edge_documents_same_on_both_paths(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(text.encode(), monkeypatch)
    assert fast == slow


def test_invalid_utf8_in_a_skipped_field_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"smartctl": {}, "x": "\xff", "smart_status": {"passed": true}, "temperature": {"current": 30}}'
    fast, slow = _both(data, monkeypatch)
    assert fast == slow


def test_numbers_no_smartctl_writes_are_the_one_documented_difference() -> None:
    # json_report.load_fast's docstring: msgspec skips an out-of-range float in a field never read
    # (orjson refuses the document) and keeps a huge integer exact (orjson gives a float).
    doc = b'{"smartctl": {}, "x": 1e400, "smart_status": {"passed": true}, "power_on_time": {"hours": 5}}'
    assert detect.load_fast(doc) is not None
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(doc)
    fast = detect.load_fast(b'{"power_cycle_count": 123456789012345678901234}')
    assert fast is not None
    assert fast.power_cycle_count == 123456789012345678901234


#: What smartctl can write: integers within 64 bits and finite floats. Beyond that, the two paths
#: differ by design (see test_numbers_no_smartctl_writes_are_the_one_documented_difference).
smartctl_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


def _edited_corpus_file(data: st.DataObject, most: int, edit: Callable[[Any, Any], None]) -> bytes:
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
    return json.dumps(doc).encode()


def _assert_same_on_both_paths(raw: bytes) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = _both(raw, monkeypatch)
    assert fast == slow


@FUZZ
@given(st.data())
def test_mutated_corpus_json_same_on_both_paths(data: st.DataObject) -> None:
    def replace(parent: Any, key: Any) -> None:
        parent[key] = data.draw(smartctl_values, label="value")

    _assert_same_on_both_paths(_edited_corpus_file(data, 4, replace))


@FUZZ
@given(st.data())
def test_corpus_json_with_keys_removed_same_on_both_paths(data: st.DataObject) -> None:
    # The fast path reads a missing key as UNSET (top level) or a field default (the objects it
    # decodes into Structs: device, user_capacity, smart_status, …): both must read as `.get` does.
    def remove(parent: Any, key: Any) -> None:
        del parent[key]

    _assert_same_on_both_paths(_edited_corpus_file(data, 6, remove))


@pytest.mark.parametrize(
    "key", ["device", "user_capacity", "form_factor", "smart_status", "power_on_time", "temperature"]
)
@pytest.mark.parametrize("value", [None, [], {}, "x", 1, {"other": 1}])
def test_objects_read_as_structs_same_on_both_paths(key: str, value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {
        "smartctl": {"version": [7, 3], "exit_status": 0},
        "device": {"type": "sat", "protocol": "ATA"},
        "model_name": " Disk ",
        "user_capacity": {"bytes": 500107862016},
        "form_factor": {"name": "2.5 inches"},
        "smart_status": {"passed": True},
        "power_on_time": {"hours": 1234},
        "temperature": {"current": 31},
        key: value,
    }
    fast, slow = _both(json.dumps(doc).encode(), monkeypatch)
    assert fast == slow
