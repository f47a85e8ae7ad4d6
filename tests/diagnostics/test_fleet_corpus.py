"""The Windows and server disk corpora (CrystalDiskInfo, PowerShell, storcli …) grade to their
reviewed expectations through ``read_report`` (what ``relife-bench grade`` and the upload endpoint
run), and every corpus file has its manifest row and its expectation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diagnostics.detect import read_report_strict, sniff_format
from tests.corpus_path import CORPUS, SMART_CORPUS
from tests.corpus_sync import manifest_rows
from tests.diagnostics.regen_fleet_expected import EXPECTED, SECTIONS, corpus_files, corpus_result, expected_path

FILES = corpus_files()


def _id(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def test_each_windows_and_server_text_format_has_a_real_sample() -> None:
    sections = {path.relative_to(CORPUS).parts[0] for path in FILES}
    assert {"crystaldiskinfo", "storcli", "powershell", "redfish", "nvme_cli"} <= sections


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_corpus_file_matches_reviewed_expectation(path: Path) -> None:
    target = expected_path(path)
    assert target.exists(), f"no reviewed expectation for {_id(path)}: run regen_fleet_expected and review it"
    assert corpus_result(path) == json.loads(target.read_text(encoding="utf-8"))


@pytest.mark.parametrize("expected_file", sorted(EXPECTED.rglob("*.json")), ids=lambda p: p.name)
def test_every_expectation_has_its_input(expected_file: Path) -> None:
    assert (CORPUS / expected_file.relative_to(EXPECTED).as_posix()[: -len(".json")]).is_file()


@pytest.mark.parametrize("section", [s for s in SECTIONS if (CORPUS / s).is_dir()])
def test_the_manifest_names_every_file_and_its_source(section: str) -> None:
    rows = manifest_rows(CORPUS / section / "MANIFEST.tsv")
    on_disk = {p.relative_to(CORPUS / section).as_posix() for p in (CORPUS / section).rglob("*") if p.is_file()}
    assert set(rows) == on_disk - {"MANIFEST.tsv"}
    lines = (CORPUS / section / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    columns = next(line for line in lines if not line.startswith("#")).split("\t")
    for row in rows.values():
        fields = dict(zip(columns, row.split("\t"), strict=True))
        assert fields["source_repo"].count("/") == 1, row
        # a commit for repository files; an issue thread is named by its URL in source_path
        assert re.fullmatch(r"[0-9a-f]{40}", fields["commit"]) or (
            fields["commit"] == "issue-thread" and fields["source_path"].startswith("https://github.com/")
        ), row
        assert fields["license"], row


def test_crystaldiskinfo_japanese_export_reads_every_disk() -> None:
    path = CORPUS / "crystaldiskinfo" / "yakumo-saki_example_DiskInfo_excerpt.txt"
    reports = read_report_strict(path.read_bytes(), path.name)
    assert [r.identity["model"] for r in reports] == ["WDC WD30EFRX-68EUZN0", "WDC WD30EFRX-68AX9N0"]
    first = reports[0].record
    # 'Power On Hours : 62382 時間', 'Power On Count : 745 回', attribute 0xC1 raw 0x56
    assert (first.power_on_hours, first.power_cycles, first.temperature_c) == (62382, 745, 40)
    assert first.load_cycles == 0x56 and first.reallocated_sectors == 0 and first.smart_passed is True
    assert first.identity.serial is None  # masked '***************'
    assert first.identity.capacity_bytes == 5860533168 * 512
    assert sniff_format(path.read_bytes()) == "crystaldiskinfo-text"


def test_storcli_reads_each_physical_drive() -> None:
    path = CORPUS / "storcli" / "checkmk_test_storcli_physical_disks_OUTPUT.txt"
    reports = read_report_strict(path.read_bytes(), path.name)
    assert [r.identity["device_type"] for r in reports] == ["ssd", "ssd", "hdd", "hdd"]
    # the controller's counts and state, not a SCSI error counter log the drives do not have (2 are SATA)
    assert all(r.record.smart_passed is True and r.record.scsi is None for r in reports)
    assert [(r.record.controller_drive_state, r.record.controller_media_errors) for r in reports] == [("Onln", 0)] * 4
    assert reports[2].record.temperature_c == 28
    assert reports[3].identity["capacity_bytes"] == 0x575000000 * 512


MEGARAID = sorted(
    p for p in SMART_CORPUS.rglob("*megaraid,*") if p.is_file() and not p.read_bytes().startswith(b"../")
)  # pySMART's listing tests hold replay links to the singletests files


@pytest.mark.parametrize("path", MEGARAID, ids=lambda p: p.name)
def test_smartctl_through_megaraid_already_grades(path: Path) -> None:
    """The drives storcli lists, seen through ``smartctl -d megaraid,N``: the smartctl parsers read them."""
    (report,) = read_report_strict(path.read_bytes(), path.name)
    assert report.component.value == "disk"
    assert report.record.has_health_data and report.record.smart_passed is not None


def test_there_are_megaraid_smartctl_samples() -> None:
    assert len(MEGARAID) >= 4


def test_storcli_json_reads_the_same_fields_as_the_text() -> None:
    path = CORPUS / "storcli" / "prometheus-community_storcli_-cALL-eALL-sALL_show_all.json"
    reports = read_report_strict(path.read_bytes(), path.name)
    assert [r.identity["serial"] for r in reports] == ["20032656D641", "20032656D63C", "20032656D649", "20032656D5D1"]
    assert {r.format for r in reports} == {"storcli-json"}
    first = reports[0].record
    assert (first.smart_passed, first.temperature_c, first.identity.firmware) == (True, 21, "D1MU004")
    assert first.identity.capacity_bytes == 0x6FC81AB0 * 512 and first.identity.device_type == "ssd"


def test_redfish_cisco_drive_reads_life_left_and_oem_counters() -> None:
    ssd = CORPUS / "redfish" / "cisco_ucsc-c220-m5sx_MRAID_Drive1_ssd.json"
    (report,) = read_report_strict(ssd.read_bytes(), ssd.name)
    disk = report.record
    assert disk.identity.serial == "S3LKNX0K800827" and disk.identity.device_type == "ssd"
    assert disk.endurance_used_percent == 2  # PredictedMediaLifeLeftPercent 98
    assert (disk.power_on_hours, disk.power_cycles) == (29661, 126)  # Oem.Cisco.SmartData
    assert disk.smart_passed is True and disk.scsi is None and disk.controller_media_errors == 0
    assert report.measurements["ssd_wear_basis"] == "redfish.predicted_media_life_left"
    hdd = CORPUS / "redfish" / "cisco_ucsc-c220-m5sx_MRAID_Drive2_sas_hdd.json"
    (report,) = read_report_strict(hdd.read_bytes(), hdd.name)
    assert report.record.endurance_used_percent is None and report.identity["device_type"] == "hdd"


def test_crystaldiskinfo_nvme_table_in_a_russian_crlf_export() -> None:
    path = CORPUS / "crystaldiskinfo" / "MrSteford_ScriptonitusUpdate_DiskInfo_ru_nvme.txt"
    assert b"\r\n" in path.read_bytes()
    (report,) = read_report_strict(path.read_bytes(), path.name)
    disk = report.record
    assert disk.identity.device_type == "nvme" and disk.identity.serial == "213658802371"
    # ids 02, 05, 0E, 0F of the NVMe table: 0x141 K = 48 °C (the export's own 'Temperature : 48 C')
    assert (disk.nvme.temperature_c, disk.nvme.percentage_used) == (48, 9) == (disk.temperature_c, 9)
    assert (disk.nvme.media_errors, disk.nvme.num_err_log_entries, disk.power_on_hours) == (0, 9, 2949)
    assert disk.smart_passed is True  # 'Хорошо (91 %)'


def test_crystaldiskinfo_seven_byte_raw_values() -> None:
    path = CORPUS / "crystaldiskinfo" / "bartello88_HDD_Tracking_DiskInfo_pl_ssd_hdd.txt"
    ssd, hdd = read_report_strict(path.read_bytes(), path.name)
    life_left = ssd.record.attribute(0xE7)
    assert life_left is not None and (life_left.name, life_left.value, life_left.thresh) == ("SSD_Life_Left", 76, 10)
    assert ssd.identity["device_type"] == "ssd" and ssd.record.power_on_hours == 44997
    assert hdd.record.attribute(0xC7).raw == 0x6D and hdd.record.load_cycles == 0x534


def test_nvme_cli_smart_log_text_reads_the_health_log() -> None:
    path = CORPUS / "nvme_cli" / "nvme-cli_issue1037_wd_2tb_smart-log.txt"
    (report,) = read_report_strict(path.read_bytes(), path.name)
    nvme = report.record.nvme
    assert report.format == "nvme-cli-smart-log-text" and report.record.source_format == report.format
    assert (nvme.temperature_c, nvme.percentage_used, nvme.data_units_read) == (42, 3, 201_526_305)
    assert (nvme.num_err_log_entries, nvme.media_errors, report.record.power_on_hours) == (1, 0, 241)


def test_crystaldiskinfo_9_usb_enclosure_and_packed_raw_values() -> None:
    path = CORPUS / "crystaldiskinfo" / "ePaint_disk-info-parser_DiskInfo_en_excerpt.txt"
    seagate, usb = read_report_strict(path.read_bytes(), path.name)
    assert usb.identity["interface"] == "usb" and usb.identity["serial"] == "WD-WX31D770Y132"
    assert (usb.record.power_on_hours, usb.record.load_cycles) == (48760, 0x62B4)
    # Seagate packs several counters in the 48-bit raw field: 0xF0AA0000A649 is not a count
    assert seagate.record.attribute(0xF0).raw_count is None
    assert seagate.record.reported_uncorrectable == 0 and seagate.record.temperature_c == 32


def test_nvme_smart_log_json_of_a_dell_server() -> None:
    path = CORPUS / "nvme_cli" / "angelhvargas_dell-disk-exporter_smart-log.json"
    (report,) = read_report_strict(path.read_bytes(), path.name)
    assert report.format == "nvme-cli-smart-log" and sniff_format(path.read_bytes()) == "nvme-cli-smart-log"
    disk = report.record
    # "temperature" : 301 (kelvin), "percent_used" : 15, "num_err_log_entries" : 17
    assert (disk.power_on_hours, disk.power_cycles, disk.temperature_c) == (38313, 290, 28)
    assert disk.nvme is not None
    assert (disk.nvme.percentage_used, disk.nvme.num_err_log_entries, disk.nvme.media_errors) == (15, 17, 0)
    assert (disk.nvme.available_spare, disk.nvme.available_spare_threshold) == (100, 5)
    assert disk.nvme.data_units_written == 1474968593 and disk.nvme.unsafe_shutdowns == 139
    # error-log entries alone are not media errors: healthy, B for its hours and wear
    assert (report.assessment.health.value, report.assessment.grade.value) == ("healthy", "B")


def test_redfish_idrac_nvme_drive_on_a_pcie_backplane() -> None:
    path = CORPUS / "redfish" / "grantcurell_idrac_r840_CPU1_Disk.Bay.21_nvme.json"
    (report,) = read_report_strict(path.read_bytes(), path.name)
    disk = report.record
    assert (disk.identity.serial, disk.identity.capacity_bytes) == ("PHLN9396002Q3P2BGN", 3200631791616)
    # "FailurePredicted": false, "PredictedMediaLifeLeftPercent": 100, Dell OEM PredictiveFailureState null
    assert disk.smart_passed is True and disk.endurance_used_percent == 0
    assert report.measurements["ssd_wear_basis"] == "redfish.predicted_media_life_left"
    assert report.identity["device_type"] == "ssd" and disk.controller_media_errors is None


PS_LIST = CORPUS / "powershell" / "windows-powershell-docs_Get-StorageReliabilityCounter_example1_format-list.txt"


def test_powershell_format_list_from_microsoft_docs() -> None:
    (report,) = read_report_strict(PS_LIST.read_bytes(), PS_LIST.name)
    disk = report.record
    assert report.format == "powershell-reliability-list" == sniff_format(PS_LIST.read_bytes())
    assert (disk.temperature_c, disk.load_cycles) == (28, 224)
    assert disk.power_on_hours is None  # 'PowerOnHours : 0' beside 224 load cycles: not reported
    # no BusType in the paste: the counters stay the SCSI error counter log's
    assert disk.scsi is not None and disk.scsi.uncorrected_total == 0 and disk.scsi.start_stop_cycles == 80
    assert (report.assessment.health.value, report.assessment.grade.value) == ("healthy", "B")


#: A Get-PhysicalDisk table naming the bus, put before the real Format-List of the Microsoft docs
#: (hand-made: the docs' example has no table), with the real counters' uncorrected reads set to 3.
_BUS_TABLE = (
    "PS C:\\> Get-PhysicalDisk | Format-Table DeviceId, FriendlyName, MediaType, BusType\n\n"
    "DeviceId FriendlyName   MediaType BusType\n"
    "-------- ------------   --------- -------\n"
    "8        {model}  {media}       {bus}\n\n"
)


@pytest.mark.parametrize(
    ("bus", "media", "model", "finding"),
    [
        ("SATA", "HDD", "ST500LM012 HN", "ata.reported_uncorrectable"),
        ("USB ", "HDD", "WD My Passpor", "ata.reported_uncorrectable"),
        ("SAS ", "HDD", "AL15SEB120N  ", "scsi.uncorrected_errors"),
        ("NVMe", "SSD", "PC SN530 NVMe", "nvme.media_errors"),
    ],
)
def test_reliability_counters_are_read_for_what_the_bus_says(bus: str, media: str, model: str, finding: str) -> None:
    text = _BUS_TABLE.format(model=model, media=media, bus=bus) + PS_LIST.read_text(encoding="utf-8").replace(
        "ReadErrorsUncorrected   : 0", "ReadErrorsUncorrected   : 3"
    )
    (report,) = read_report_strict(text.encode(), "transcript.txt")
    disk = report.record
    codes = {f.code for f in report.assessment.findings}
    assert finding in codes and disk.identity.model == model.strip()
    if finding.startswith("ata."):
        # SATA counts are the drive's own ATA counts (187, 193, 4), not a SCSI error counter log
        assert disk.scsi is None and "scsi.uncorrected_errors" not in codes
        assert (disk.reported_uncorrectable, disk.load_cycles, disk.attribute(4).raw) == (3, 224, 80)
        assert disk.identity.device_type == "hdd"
    elif finding.startswith("nvme."):
        assert disk.scsi is None and disk.nvme is not None and disk.nvme.media_errors == 3
    else:
        assert disk.scsi is not None and disk.scsi.read_uncorrected == 3


def test_powershell_json_of_a_sata_disk_reads_ata_counts() -> None:
    item = {
        "DeviceId": "0",
        "FriendlyName": "WDC WD10SPZX-08Z10",
        "MediaType": "HDD",
        "BusType": "SATA",
        "ReadErrorsUncorrected": 2,
        "LoadUnloadCycleCount": 15000,
        "PowerOnHours": 9000,
    }
    (report,) = read_report_strict(json.dumps(item).encode(), "x.json")
    assert report.record.scsi is None and report.record.reported_uncorrectable == 2
    assert "ata.reported_uncorrectable" in {f.code for f in report.assessment.findings}


def test_nvme_smart_log_text_pasted_without_its_header() -> None:
    path = CORPUS / "nvme_cli" / "nvme-cli_issue556_samsung_970_smart-log_no_header.txt"
    assert not path.read_text(encoding="utf-8").startswith("Smart Log")
    (report,) = read_report_strict(path.read_bytes(), path.name)
    nvme = report.record.nvme
    assert report.format == "nvme-cli-smart-log-text"
    assert (nvme.temperature_c, nvme.power_on_hours, nvme.unsafe_shutdowns, nvme.num_err_log_entries) == (
        36,
        912,
        27,
        1,
    )


@pytest.mark.parametrize(
    ("name", "entries"),
    [
        ("nvme-cli_issue1739_samsung_950pro_error-log_excerpt.txt", 200),
        ("nvme-cli_issue1767_samsung_pm983_error-log_entry.txt", 1198),
    ],
)
def test_nvme_error_log_text_alone_counts_entries_and_cannot_vouch(name: str, entries: int) -> None:
    path = CORPUS / "nvme_cli" / name
    (report,) = read_report_strict(path.read_bytes(), name)
    assert report.format == "nvme-cli-error-log-text" == sniff_format(path.read_bytes())
    assert report.record.nvme.num_err_log_entries == entries
    # 0x2002 Invalid Field in Command: refused commands, nothing of the media: health unknown, not healthy
    assert (report.assessment.health.value, report.assessment.grade.value) == ("unknown", "C")
    assert "disk.error_log_only" in {f.code for f in report.assessment.findings}
