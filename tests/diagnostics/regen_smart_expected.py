"""Regenerate the reviewed expectations for the SMART corpus: tests/diagnostics/expected/smart/.

Run ``.venv/bin/python -m tests.diagnostics.regen_smart_expected`` after a deliberate parser or policy
change, then review the diff file by file against the raw corpus data before committing: the stored
JSON is the reviewed truth that ``test_smart_corpus.py`` compares against.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diagnostics.errors import ParseError
from diagnostics.grading.disk import assess_disk, disk_identity, disk_measurements
from diagnostics.smart.json_report import parse_smartctl_json
from diagnostics.smart.records import DiskHealth
from diagnostics.smart.text_report import parse_smartctl_text
from tests.corpus_path import SMART_CORPUS

EXPECTED = Path(__file__).resolve().parent / "expected" / "smart"

_MEASUREMENT_KEYS = (
    "smart_passed",
    "power_on_hours",
    "temperature_c",
    "reallocated_sectors",
    "pending_sectors",
    "offline_uncorrectable",
    "reported_uncorrectable",
    "load_cycles",
    "ssd_wear_used_percent",
)
_NVME_KEYS = ("critical_warning", "available_spare", "percentage_used", "media_errors", "num_err_log_entries")
_SCSI_KEYS = ("grown_defects", "read_uncorrected", "write_uncorrected", "verify_uncorrected")


def corpus_files() -> list[Path]:
    """Every corpus input on disk (the manifest is documentation, not an input)."""
    return sorted(p for p in SMART_CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")


def expected_path(path: Path) -> Path:
    return EXPECTED / (str(path.relative_to(SMART_CORPUS)) + ".json")


def parse_file(path: Path) -> tuple[str, DiskHealth]:
    data = path.read_bytes()
    source = str(path.relative_to(SMART_CORPUS))
    if data.lstrip()[:1] == b"{":
        return "smartctl-json", parse_smartctl_json(data, source)
    return "smartctl-text", parse_smartctl_text(data.decode("utf-8", errors="replace"), source)


def corpus_result(path: Path) -> dict[str, Any]:
    """The fields that matter for one corpus file, as stored in its expectation."""
    try:
        fmt, disk = parse_file(path)
    except ParseError as exc:
        return {"refused": exc.reason}
    assessment = assess_disk(disk)
    identity = disk_identity(disk)
    measurements = disk_measurements(disk)
    result: dict[str, Any] = {
        "format": fmt,
        "identity": {k: identity[k] for k in ("model", "serial", "interface", "device_type")},
        "measurements": {k: measurements[k] for k in _MEASUREMENT_KEYS},
        "health": assessment.health.value,
        "grade": assessment.grade.value,
        "findings": sorted(f"{f.code}:{f.severity.value}" for f in assessment.findings),
        "remaining_life": (
            {"basis": assessment.remaining_life.basis, "percent": assessment.remaining_life.percent}
            if assessment.remaining_life
            else None
        ),
    }
    if disk.nvme is not None:
        result["measurements"]["nvme"] = {k: measurements["nvme"][k] for k in _NVME_KEYS}
    if disk.scsi is not None:
        result["measurements"]["scsi"] = {k: measurements["scsi"][k] for k in _SCSI_KEYS}
    failed = [t for t in disk.self_tests if t.passed is False]
    result["measurements"]["self_tests"] = {"count": len(disk.self_tests), "failed": len(failed)}
    return result


def write_expectations(
    files: list[Path], target_of: Callable[[Path], Path], result_of: Callable[[Path], Any], root: Path
) -> int:
    """Write each file's result where its expectation lives (only those that changed), for review."""
    written = 0
    for path in files:
        target = target_of(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result_of(path), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written += 1
    print(f"{written} expectation(s) written under {root}", file=sys.stderr)
    return 0


def main() -> int:
    return write_expectations(corpus_files(), expected_path, corpus_result, EXPECTED)


if __name__ == "__main__":
    raise SystemExit(main())
