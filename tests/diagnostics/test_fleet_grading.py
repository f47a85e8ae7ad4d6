"""How the grading reads what the Windows and server formats say about a drive that is not the
drive's own SMART log: where a wear reading comes from, a RAID controller's media error count and
drive state, and a wear reading with nothing else (issue 18 follow-ups)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from diagnostics import ParseError
from diagnostics.detect import read_report_strict
from diagnostics.grading.explain import explain
from diagnostics.grading.trends import apply_history, reading_of
from tests.corpus_path import CORPUS
from tests.diagnostics.test_fleet_parsers import POWERSHELL_ITEM, REDFISH_DRIVE

STORCLI_JSON = CORPUS / "storcli" / "prometheus-community_storcli_-cALL-eALL-sALL_show_all.json"


def _codes(report: Any) -> set[str]:
    return {f.code for f in report.assessment.findings}


def _storcli_first_drive(state: str | None = None, media_errors: int | None = None) -> Any:
    """The real storcli JSON (4 Micron 5200 SATA SSDs) with its first drive's state or media error count set."""
    doc = json.loads(STORCLI_JSON.read_text(encoding="utf-8"))
    data = doc["Controllers"][0]["Response Data"]
    name = next(k for k in data if k.startswith("Drive /") and not k.endswith("Detailed Information"))
    if state is not None:
        data[name][0]["State"] = state
    if media_errors is not None:
        detail = data[f"{name} - Detailed Information"]
        detail[f"{name} State"]["Media Error Count"] = media_errors
    return read_report_strict(json.dumps(doc).encode(), "storcli.json")[0]


def test_wear_basis_names_where_the_wear_was_read() -> None:
    (redfish,) = read_report_strict(json.dumps(REDFISH_DRIVE).encode(), "drive.json")
    assert redfish.measurements["ssd_wear_basis"] == "redfish.predicted_media_life_left"
    assert redfish.measurements["ssd_wear_used_percent"] == 3  # PredictedMediaLifeLeftPercent 97
    (windows,) = read_report_strict(json.dumps(POWERSHELL_ITEM).encode(), "ps.json")
    assert windows.measurements["ssd_wear_basis"] == "windows.reliability_counter.wear"
    assert windows.assessment.remaining_life.basis == "windows.reliability_counter.wear"
    nvme_bus = dict(POWERSHELL_ITEM, BusType="NVMe")
    (nvme,) = read_report_strict(json.dumps(nvme_bus).encode(), "ps.json")
    # on an NVMe bus too: Windows' figure, relayed, not the drive's log page read directly
    assert nvme.measurements["ssd_wear_basis"] == "windows.reliability_counter.wear"
    assert nvme.record.nvme is not None and nvme.record.nvme.percentage_used == 2


def test_controller_media_errors_on_a_sata_drive_are_the_controllers_count() -> None:
    report = _storcli_first_drive(media_errors=3)
    assert report.identity["device_type"] == "ssd" and report.record.scsi is None
    codes = _codes(report)
    assert "controller.media_errors" in codes and "scsi.uncorrected_errors" not in codes
    finding = next(f for f in report.assessment.findings if f.code == "controller.media_errors")
    assert finding.evidence["value"] == 3 and report.assessment.grade.value == "F"
    assert report.measurements["controller"] == {"drive_state": "Onln", "media_errors": 3, "other_errors": 0}


@pytest.mark.parametrize("state", ["UBad", "Failed", "Offln"])
def test_a_drive_the_controller_failed_is_its_own_finding(state: str) -> None:
    report = _storcli_first_drive(state=state)
    # the drive itself said "S.M.A.R.T alert flagged by drive = No": that stays its verdict
    assert report.record.smart_passed is True and report.record.controller_drive_state == state
    codes = _codes(report)
    assert "controller.drive_state" in codes and "smart.overall_failed" not in codes
    assert report.assessment.health.value == "failing" and report.assessment.grade.value == "F"


def test_a_drive_in_use_has_no_controller_finding() -> None:
    report = _storcli_first_drive()
    assert not {c for c in _codes(report) if c.startswith("controller.")}


def test_a_wear_only_ssd_is_graded_for_its_wear() -> None:
    # what a non-elevated Get-PhysicalDisk | Get-StorageReliabilityCounter gives: Wear, no health, no counters
    item = {"DeviceId": "0", "FriendlyName": "Samsung SSD 860 EVO 500GB", "MediaType": "SSD", "BusType": "SATA"}
    (fresh,) = read_report_strict(json.dumps(dict(item, Wear=2)).encode(), "ps.json")
    assert fresh.assessment.health.value == "healthy" and fresh.assessment.grade.value == "B"
    assert "disk.wear_only" in _codes(fresh)
    (worn,) = read_report_strict(json.dumps(dict(item, Wear=95)).encode(), "ps.json")
    assert worn.assessment.health.value == "worn" and "ssd.wear" in _codes(worn)
    assert explain("disk.wear_only", "fr") and explain("disk.wear_only", "en")


def test_wear_of_a_drive_not_known_to_be_flash_is_no_reading() -> None:
    # Windows writes Wear 0 for drives that report none: without MediaType it proves nothing
    with pytest.raises(ParseError) as info:
        read_report_strict(json.dumps({"DeviceId": "0", "Wear": 0}).encode(), "ps.json")
    assert "no wear of a drive known to be an SSD" in info.value.reason
    hdd = {"DeviceId": "0", "MediaType": "HDD", "Wear": 0}
    with pytest.raises(ParseError):
        read_report_strict(json.dumps(hdd).encode(), "ps.json")


def test_controller_media_errors_that_appear_between_two_storcli_runs() -> None:
    earlier, later = _storcli_first_drive(media_errors=0), _storcli_first_drive(media_errors=4)
    (trended,) = apply_history([later], [reading_of(earlier, "2026-01-01", "january.json")])
    (finding,) = [f for f in trended.assessment.findings if f.code == "trend.uncorrectable_growing"]
    assert (finding.evidence["earlier"]["value"], finding.evidence["later"]["value"]) == (0, 4)
    assert "RAID controller media errors" in finding.message
