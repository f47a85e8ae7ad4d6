"""The parsers' fast paths build the same records as the plain ones.

``parse_smartctl_json`` reads attribute rows as smartctl writes them through a fast path and any other
row through the tolerant ``_attribute_row``; records are built with ``fast_record`` (their ``__dict__``
in one step) rather than the dataclass ``__init__``. Both shortcuts must be invisible.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics.errors import ParseError
from diagnostics.smart.json_report import _attribute_row, _attributes
from tests.diagnostics.regen_smart_expected import corpus_files, parse_file

JSON_DOCS = [p for p in corpus_files() if p.read_bytes().lstrip()[:1] == b"{"]


def _rows() -> list[dict[str, Any]]:
    rows = []
    for path in JSON_DOCS:
        try:
            doc = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        table = doc.get("ata_smart_attributes", {}).get("table", []) if isinstance(doc, dict) else []
        rows += [row for row in table if isinstance(row, dict)]
    return rows


CORPUS_ROWS = _rows()


def _both(row: dict[str, Any]) -> tuple[Any, Any]:
    fast = _attributes({"ata_smart_attributes": {"table": [row]}})
    tolerant = _attribute_row(row)
    return fast, (tolerant,) if tolerant is not None else ()


def test_corpus_rows_take_the_fast_path_and_match_the_tolerant_reading() -> None:
    assert len(CORPUS_ROWS) > 500
    for row in CORPUS_ROWS:
        fast, tolerant = _both(row)
        assert fast == tolerant
        assert list(fast[0].__dict__) == [f.name for f in dataclasses.fields(fast[0])]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
ROW_VALUES = {
    "id": st.integers(0, 255) | JSON_VALUES,
    "name": st.sampled_from(["Reallocated_Sector_Ct", "Unknown_Attribute", "", " x "]) | JSON_VALUES,
    "value": st.integers(0, 253) | JSON_VALUES,
    "worst": st.integers(0, 253) | JSON_VALUES,
    "thresh": st.integers(0, 253) | JSON_VALUES,
    "when_failed": st.sampled_from(["", "now", "past", "-", "FAILING_NOW"]) | JSON_VALUES,
    "flags": st.fixed_dictionaries({"prefailure": st.booleans() | JSON_VALUES}) | JSON_VALUES,
    "raw": st.fixed_dictionaries(
        {"value": st.integers(0, 2**48) | JSON_VALUES, "string": st.sampled_from(["0", "12", "35 (Min/Max 20/45)"])}
    )
    | JSON_VALUES,
}


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional=ROW_VALUES))
def test_any_row_reads_the_same_on_both_paths(row: dict[str, Any]) -> None:
    fast, tolerant = _both(row)
    assert fast == tolerant


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: Path(p).name)
def test_fast_built_records_equal_dataclass_built_ones(path: Path) -> None:
    try:
        _fmt, disk = parse_file(path)
    except ParseError:
        return
    records: list[Any] = [disk, disk.identity, *disk.attributes, *disk.self_tests]
    records += [r for r in (disk.nvme, disk.scsi) if r is not None]
    for record in records:
        names = [f.name for f in dataclasses.fields(record)]
        assert list(record.__dict__)[: len(names)] == names, type(record).__name__
        assert dataclasses.replace(record) == record
