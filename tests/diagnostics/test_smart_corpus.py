"""Every SMART corpus file parses to its reviewed expectation, or is refused with its reviewed reason.

The expectations live in ``expected/smart/<corpus path>.json`` and are produced by
``regen_smart_expected.py`` then reviewed by hand against the raw files. The test parametrizes over the
files found on disk, so a new corpus file without a reviewed expectation fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnostics.errors import ParseError
from diagnostics.grading.disk import assess_disk, disk_identity, disk_measurements
from diagnostics.smart.json_report import parse_smartctl_json
from diagnostics.smart.text_report import looks_like_smartctl_text, parse_smartctl_text
from tests.diagnostics.regen_smart_expected import (
    EXPECTED,
    SMART_CORPUS,
    corpus_files,
    corpus_result,
    expected_path,
    parse_file,
)

FILES = corpus_files()


def _id(path: Path) -> str:
    return str(path.relative_to(SMART_CORPUS))


def test_the_corpus_is_there() -> None:
    assert len(FILES) >= 150, f"SMART corpus missing or incomplete under {SMART_CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_corpus_file_matches_reviewed_expectation(path: Path) -> None:
    target = expected_path(path)
    assert target.exists(), f"no reviewed expectation for {_id(path)}: run regen_smart_expected and review it"
    expected = json.loads(target.read_text(encoding="utf-8"))
    assert corpus_result(path) == expected


@pytest.mark.parametrize("expected_file", sorted(EXPECTED.rglob("*.json")), ids=lambda p: p.name)
def test_every_expectation_has_its_input(expected_file: Path) -> None:
    source = SMART_CORPUS / str(expected_file.relative_to(EXPECTED))[: -len(".json")]
    assert source.is_file(), f"stale expectation {expected_file}"


@pytest.mark.parametrize(
    ("fragment", "reason"),
    [
        ("_--scan-open", "smartctl --scan output lists devices"),
        ("detect_smartctl_scan", "smartctl --scan output lists devices"),
        ("_-d_test_", "only probes the device type"),
        ("detect_smartctl_info", "info-only output"),
        ("smart-fail.json", "smartctl reported an error"),
        ("_-l_background_", "SCSI log page only"),
    ],
)
def test_files_without_health_data_are_refused_with_a_reason(fragment: str, reason: str) -> None:
    matching = [p for p in FILES if fragment in p.name and not _is_replay_link(p)]
    assert matching, fragment
    for path in matching:
        with pytest.raises(ParseError) as info:
            parse_file(path)
        assert reason in info.value.reason, _id(path)
        assert info.value.source == _id(path)


def _is_replay_link(path: Path) -> bool:
    return path.stat().st_size < 400 and path.read_bytes().lstrip()[:3] in {b"../", b"_-x"}


def test_pysmart_replay_links_are_refused_as_links() -> None:
    links = [p for p in FILES if _is_replay_link(p)]
    assert links
    for path in links:
        with pytest.raises(ParseError, match="pySMART replay link"):
            parse_file(path)


def test_version_banner_and_garbage_are_refused() -> None:
    banner = (
        "smartctl 7.3 2022-02-28 r5338 [x86_64-linux-5.15.0] (local build)\n"
        "Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org\n\n"
        "smartctl comes with ABSOLUTELY NO WARRANTY. This is free software, and you are welcome to\n"
        "redistribute it under the terms of the GNU General Public License; either version 2, or (at\n"
        "your option) any later version.\n"
        "smartmontools release 7.3 dated 2022-02-28 at 16:33:40 UTC\n"
    )
    with pytest.raises(ParseError, match="--version"):
        parse_smartctl_text(banner, "version.txt")
    with pytest.raises(ParseError, match="not smartctl output"):
        parse_smartctl_text("POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_STATUS=Full\n", "uevent")
    with pytest.raises(ParseError, match="empty"):
        parse_smartctl_text("  \n", "empty.txt")
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_smartctl_json(b"{not json", "bad.json")
    with pytest.raises(ParseError, match="not an object"):
        parse_smartctl_json("[1, 2]", "list.json")


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_truncated_inputs_parse_or_raise_parse_error_only(path: Path) -> None:
    data = path.read_bytes()
    for cut in sorted({1, len(data) // 7, len(data) // 3, len(data) // 2, (len(data) * 5) // 6}):
        chunk = data[:cut]
        try:
            if data.lstrip()[:1] == b"{":
                parse_smartctl_json(chunk, "cut")
            else:
                parse_smartctl_text(chunk.decode("utf-8", errors="replace"), "cut")
        except ParseError:
            pass


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_parsed_reports_serialise_to_json(path: Path) -> None:
    try:
        _fmt, disk = parse_file(path)
    except ParseError:
        return
    assessment = assess_disk(disk)
    json.dumps({"identity": disk_identity(disk), "measurements": disk_measurements(disk)})
    for finding in assessment.findings:
        assert finding.source
        assert {"attribute", "value"} <= set(finding.evidence)
        json.dumps(dict(finding.evidence))


def test_text_detection_matches_the_corpus() -> None:
    texts = [p for p in FILES if p.suffix != ".json" and not _is_replay_link(p)]
    assert texts
    for path in texts:
        assert looks_like_smartctl_text(path.read_bytes().decode("utf-8", errors="replace")), _id(path)
    assert not looks_like_smartctl_text("Device: /org/freedesktop/UPower/devices/battery_BAT0\n")


def test_json_accepts_a_mapping_text_or_bytes_alike() -> None:
    path = SMART_CORPUS / "smartctl_exporter" / "ST3500418AS_11.json"
    raw = path.read_bytes()
    from_bytes = parse_smartctl_json(raw, "x")
    assert parse_smartctl_json(raw.decode(), "x") == from_bytes
    assert parse_smartctl_json(json.loads(raw), "x") == from_bytes


# --- layouts with no corpus sample: smartctl 7.x -x (brief attribute table) and -A only -------------------
X_BRIEF = """smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0-18-amd64] (local build)
Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org

=== START OF INFORMATION SECTION ===
Model Family:     Seagate Barracuda 7200.14 (AF)
Device Model:     ST2000DM001-1CH164
Serial Number:    Z1E0AAAA
Firmware Version: CC43
User Capacity:    2.000.398.934.016 bytes [2,00 TB]
Rotation Rate:    7200 rpm
Form Factor:      3.5 inches
SMART support is: Available - device has SMART capability.
SMART support is: Enabled

=== START OF READ SMART DATA SECTION ===
SMART overall-health self-assessment test result: PASSED

SMART Attributes Data Structure revision number: 10
Vendor Specific SMART Attributes with Thresholds:
ID# ATTRIBUTE_NAME          FLAGS    VALUE WORST THRESH FAIL RAW_VALUE
  1 Raw_Read_Error_Rate     POSR--   116   099   006    -    106084832
  5 Reallocated_Sector_Ct   PO--CK   100   100   010    -    8
  7 Seek_Error_Rate         POSR--   086   060   030    -    416180270
  9 Power_On_Hours          -O--CK   061   061   000    -    34612
187 Reported_Uncorrect      -O--CK   100   100   000    -    0
190 Airflow_Temperature_Cel -O---K   058   040   045    Past 42 (Min/Max 36/44)
193 Load_Cycle_Count        -O--CK   001   001   000    -    412005
194 Temperature_Celsius     -O---K   042   060   000    -    42 (0 14 0 0 0)
197 Current_Pending_Sector  -O--C-   100   100   000    -    0
198 Offline_Uncorrectable   ----C-   100   100   000    -    0
                            ||||||_ K auto-keep
                            |||||__ C event count
                            ||||___ R error rate
                            |||____ S speed/performance
                            ||_____ O updated online
                            |______ P prefailure warning

SMART Extended Comprehensive Error Log Version: 1 (5 sectors)
Device Error Count: 2

SMART Extended Self-test Log Version: 1 (1 sectors)
Num  Test_Description    Status                  Remaining  LifeTime(hours)  LBA_of_first_error
# 1  Short offline       Completed without error       00%     34600         -
# 2  Extended offline    Completed: read failure       70%     34580         1953525100
# 3  Extended offline    Completed without error       00%     30002         -

Device Statistics (GP Log 0x04)
Page  Offset Size        Value Flags Description
0x01  =====  =               =  ===  == General Statistics (rev 1) ==
0x01  0x010  4           34612  ---  Power-on Hours
"""


def test_x_output_with_brief_attribute_table() -> None:
    disk = parse_smartctl_text(X_BRIEF, "x.txt")
    assert disk.identity.model == "ST2000DM001-1CH164"
    assert disk.identity.capacity_bytes == 2_000_398_934_016
    assert disk.identity.device_type == "hdd"
    assert disk.power_on_hours == 34612
    assert disk.temperature_c == 42
    assert disk.reallocated_sectors == 8
    assert disk.load_cycles == 412005
    assert disk.ata_error_count == 2
    airflow = disk.attribute(190)
    assert airflow is not None
    assert airflow.when_failed == "In_the_past"
    assert [t.passed for t in disk.self_tests] == [True, False, True]
    assert disk.self_tests[1].lba_of_first_error == 1953525100
    result = assess_disk(disk)
    # the short test after the read failure does not clear it: the drive is failing although PASSED
    assert result.health.value == "failing"
    codes = {f.code for f in result.findings}
    assert {"selftest.read_failure", "ata.reallocated_sectors", "ata.error_log_entries"} <= codes
    # 412 005 is past the 300 000 a desktop Barracuda is rated for (SRC_LOAD_CYCLES; 600 000 is NAS drives').
    assert "ata.load_cycles" in codes
    assert "ata.attribute_failed_in_past" not in codes  # temperature


def test_attributes_only_output() -> None:
    text = X_BRIEF.split("=== START OF READ SMART DATA SECTION ===")[1].split("SMART Extended Comprehensive")[0]
    text = "smartctl 7.3 2022-02-28 r5338\n=== START OF READ SMART DATA SECTION ===\n" + text.replace(
        "SMART overall-health self-assessment test result: PASSED\n", ""
    )
    disk = parse_smartctl_text(text, "A.txt")
    assert disk.smart_passed is None
    assert len(disk.attributes) == 10
    assert assess_disk(disk).health.value == "worn"  # 8 reallocated sectors, load cycles within rating


def test_ssd_endurance_from_device_statistics() -> None:
    text = X_BRIEF.replace("Rotation Rate:    7200 rpm", "Rotation Rate:    Solid State Device") + (
        "0x07  =====  =               =  ===  == Solid State Device Statistics (rev 1) ==\n"
        "0x07  0x008  1              85  N--  Percentage Used Endurance Indicator\n"
    )
    disk = parse_smartctl_text(text, "ssd.txt")
    assert disk.identity.device_type == "ssd"
    assert disk.endurance_used_percent == 85


def test_failed_previous_self_test_counts_without_a_log() -> None:
    text = X_BRIEF.split("SMART Extended Self-test Log")[0].replace(
        "SMART Attributes Data Structure",
        "Self-test execution status:      ( 121)\tThe previous self-test completed having\n"
        "\t\t\t\t\tthe read element of the test failed.\n\nSMART Attributes Data Structure",
    )
    disk = parse_smartctl_text(text, "x.txt")
    assert [t.failure for t in disk.self_tests] == ["read failure"]
