"""Regenerate the reviewed expectations for the Windows and server disk corpora (CrystalDiskInfo,
PowerShell, nvme-cli, storcli, Redfish): tests/diagnostics/expected/fleet/.

Run ``.venv/bin/python -m tests.diagnostics.regen_fleet_expected`` after a deliberate parser or
policy change, then review the diff against the raw files before committing: the stored JSON is
the reviewed truth that ``test_fleet_corpus.py`` compares against. Each file goes through
``read_report_strict`` (detection, parse, grade), the path the CLI and the upload endpoint take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diagnostics.detect import read_report_strict
from diagnostics.errors import ParseError
from tests.corpus_path import CORPUS
from tests.diagnostics.regen_smart_expected import write_expectations

EXPECTED = Path(__file__).resolve().parent / "expected" / "fleet"
SECTIONS = ("crystaldiskinfo", "powershell", "nvme_cli", "storcli", "redfish")

_MEASUREMENT_KEYS = (
    "smart_passed",
    "power_on_hours",
    "temperature_c",
    "reallocated_sectors",
    "pending_sectors",
    "offline_uncorrectable",
    "load_cycles",
    "ssd_wear_used_percent",
)


def corpus_files() -> list[Path]:
    return sorted(
        p
        for section in SECTIONS
        if (CORPUS / section).is_dir()
        for p in (CORPUS / section).rglob("*")
        if p.is_file() and p.name != "MANIFEST.tsv"
    )


def expected_path(path: Path) -> Path:
    return EXPECTED / (path.relative_to(CORPUS).as_posix() + ".json")


def corpus_result(path: Path) -> dict[str, Any]:
    source = path.relative_to(CORPUS).as_posix()
    try:
        reports = read_report_strict(path.read_bytes(), source)
    except ParseError as exc:
        return {"refused": exc.reason}
    disks = []
    for report in reports:
        data = report.to_dict()
        disks.append(
            {
                "format": report.format,
                "identity": {k: report.identity.get(k) for k in ("model", "serial", "interface", "device_type")},
                "measurements": {k: report.measurements.get(k) for k in _MEASUREMENT_KEYS},
                "health": data["health"],
                "grade": data["grade"],
                "findings": sorted(f"{f['code']}:{f['severity']}" for f in data["findings"]),
            }
        )
    return {"disks": disks}


def main() -> int:
    return write_expectations(corpus_files(), expected_path, corpus_result, EXPECTED)


if __name__ == "__main__":
    raise SystemExit(main())
