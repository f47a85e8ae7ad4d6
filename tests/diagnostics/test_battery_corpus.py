"""Every battery report in tests/corpus/battery (and in samples/battery) parses to the reviewed
expectation stored in expected/, or is refused with the reviewed reason.

A new input file without an expectation fails. To draft expectations for new files, run
``.venv/bin/python tests/diagnostics/test_battery_corpus.py --write`` and then *review* the JSON
against the raw file before committing it (jc's ``.out``/``.json`` habit).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from diagnostics.battery.parsers import detect_battery_format, parse_batteries
from diagnostics.errors import ParseError
from diagnostics.grading.battery import assess_battery, battery_identity, battery_measurements
from tests.corpus_path import BATTERY_CORPUS

HERE = Path(__file__).resolve().parent
CORPUS = BATTERY_CORPUS
SAMPLES = HERE / "samples" / "battery"
EXPECTED = HERE / "expected" / "battery"
EXPECTED_SAMPLES = HERE / "expected" / "battery-samples"

IDENTITY_KEYS = ("name", "manufacturer", "model", "serial", "chemistry", "host_model")
MEASUREMENT_KEYS = (
    "design_capacity_mwh",
    "full_charge_capacity_mwh",
    "design_capacity_mah",
    "full_charge_capacity_mah",
    "cycle_count",
    "health_percent",
)


def _inputs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in {".tsv", ".md"} and p.name != "README")


def _expected_path(path: Path) -> Path:
    if path.is_relative_to(SAMPLES):
        return EXPECTED_SAMPLES / (path.relative_to(SAMPLES).as_posix() + ".json")
    return EXPECTED / (path.relative_to(CORPUS).as_posix() + ".json")


def summarise(path: Path) -> dict[str, Any]:
    """The fields that matter, as stored in the expectation files."""
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    result: dict[str, Any] = {"format": detect_battery_format(text.lstrip("\ufeff"))}
    try:
        batteries = parse_batteries(data, path.name)
    except ParseError as exc:
        result["refused"] = exc.reason
        return result
    result["batteries"] = []
    for battery in batteries:
        assessment = assess_battery(battery)
        identity = battery_identity(battery)
        measurements = battery_measurements(battery)
        result["batteries"].append(
            {
                "identity": {key: identity[key] for key in IDENTITY_KEYS},
                **{key: measurements[key] for key in MEASUREMENT_KEYS},
                "health": assessment.health.value,
                "grade": assessment.grade.value,
                "findings": sorted(f.code for f in assessment.findings),
                "remaining_life_basis": assessment.remaining_life.basis if assessment.remaining_life else None,
            }
        )
    return result


ALL_INPUTS = _inputs(CORPUS) + _inputs(SAMPLES)


def test_the_corpus_is_there() -> None:
    assert len(_inputs(CORPUS)) >= 30, f"battery corpus missing or shrunk at {CORPUS}"


@pytest.mark.parametrize("path", ALL_INPUTS, ids=[p.relative_to(p.parents[1]).as_posix() for p in ALL_INPUTS])
def test_report_matches_reviewed_expectation(path: Path) -> None:
    expected_file = _expected_path(path)
    assert expected_file.is_file(), f"no reviewed expectation for {path}: write {expected_file}"
    assert summarise(path) == json.loads(expected_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("expected_file", sorted(EXPECTED.rglob("*.json")), ids=lambda p: p.name)
def test_every_expectation_has_its_input(expected_file: Path) -> None:
    assert (CORPUS / expected_file.relative_to(EXPECTED).as_posix().removesuffix(".json")).is_file()


def _manifest() -> list[tuple[str, dict[str, Any]]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    rows = [line for line in manifest.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    found = []
    for row in csv.DictReader(rows, delimiter="\t"):
        summary = json.loads(row["summary"] or "{}")
        if isinstance(summary, dict) and isinstance(summary.get("health_pct"), float | int):
            found.append((row["file"], summary))
    return found


@pytest.mark.parametrize(("name", "summary"), _manifest(), ids=[name for name, _ in _manifest()])
def test_capacity_ratio_agrees_with_the_manifest(name: str, summary: dict[str, Any]) -> None:
    """An independent extraction (the corpus MANIFEST) gives the same full/design ratio."""
    batteries = parse_batteries((CORPUS / name).read_bytes(), name)
    ratio = battery_measurements(batteries[0])["full_over_design_percent"]
    assert ratio == pytest.approx(summary["health_pct"], abs=0.15)


if __name__ == "__main__":  # draft expectations for files that have none (then review them)
    overwrite = "--overwrite" in sys.argv
    if "--write" in sys.argv or overwrite:
        for source in ALL_INPUTS:
            target = _expected_path(source)
            if target.exists() and not overwrite:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(summarise(source), indent=2, ensure_ascii=False) + "\n", "utf-8")
            print(f"wrote {target}")
