"""Bad input for the Windows and server disk formats: truncated files, numbers in mixed locales, a
disk listed twice, exports of zero disks, JSON of the wrong shape → a ``ParseError`` naming the line
or key, never another exception (STYLE §2.10).

The text variants are edits of the real corpus samples (tests/corpus/<format>/); the JSON documents
for nvme-cli and Redfish are HAND-MADE here, in the shapes the tools' documentation gives, and are
not corpus samples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics import ParseError
from diagnostics.cli import json_line
from diagnostics.detect import read_report_strict, sniff_format
from diagnostics.smart import _fleet
from tests.corpus_path import CORPUS

RULE = "-" * 76
CDI = (CORPUS / "crystaldiskinfo" / "yakumo-saki_example_DiskInfo_excerpt.txt").read_text(encoding="utf-8")
STORCLI = (CORPUS / "storcli" / "checkmk_test_storcli_physical_disks_OUTPUT.txt").read_text(encoding="utf-8")
NVME_TEXT = (CORPUS / "nvme_cli" / "nvme-cli_issue1037_wd_2tb_smart-log.txt").read_text(encoding="utf-8")
NVME_ERROR_TEXT = (CORPUS / "nvme_cli" / "nvme-cli_issue1739_samsung_950pro_error-log_excerpt.txt").read_text(
    encoding="utf-8"
)
PS_LIST = (
    CORPUS / "powershell" / "windows-powershell-docs_Get-StorageReliabilityCounter_example1_format-list.txt"
).read_text(encoding="utf-8")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- hand-made documents (not corpus samples) ---------------------------------------------------------
NVME_SMART_LOG: dict[str, Any] = {
    "critical_warning": 0,
    "temperature": 301,
    "avail_spare": 100,
    "spare_thresh": 5,
    "percent_used": 15,
    "data_units_read": 499296134,
    "data_units_written": 1474968593,
    "power_cycles": 290,
    "power_on_hours": 38313,
    "unsafe_shutdowns": 139,
    "media_errors": 0,
    "num_err_log_entries": 17,
}
NVME_ERROR_LOG: dict[str, Any] = {
    "errors": [
        {"error_count": 17, "sqid": 2, "cmdid": 12, "status_field": 8194, "parm_error_location": 65535, "lba": 0},
        {"error_count": 16, "sqid": 0, "cmdid": 5, "status_field": 16386, "parm_error_location": 40, "lba": 0},
        {"error_count": 0, "sqid": 0, "cmdid": 0, "status_field": 0, "parm_error_location": 0, "lba": 0},
    ]
}
REDFISH_DRIVE: dict[str, Any] = {
    "@odata.type": "#Drive.v1_9_0.Drive",
    "Id": "Disk.Bay.0",
    "Model": "MZ7KH960HAJR0D3",
    "SerialNumber": "S47NNA0M000001",
    "Revision": "HF56",
    "Manufacturer": "SAMSUNG",
    "CapacityBytes": 960197124096,
    "MediaType": "SSD",
    "Protocol": "SATA",
    "FailurePredicted": False,
    "PredictedMediaLifeLeftPercent": 97,
    "Status": {"Health": "OK", "State": "Enabled"},
}
POWERSHELL_ITEM: dict[str, Any] = {
    "DeviceId": "0",
    "FriendlyName": "Samsung SSD 860 EVO 500GB",
    "SerialNumber": "S3Z2NB0K000001",
    "MediaType": "SSD",
    "BusType": "SATA",
    "HealthStatus": "Healthy",
    "Temperature": 31,
    "Wear": 2,
    "PowerOnHours": 11873,
    "ReadErrorsUncorrected": 0,
    "WriteErrorsUncorrected": 0,
}
POWERSHELL_TABLE = (
    "DeviceId Temperature ReadErrorsUncorrected Wear PowerOnHours\n"
    "-------- ----------- --------------------- ---- ------------\n"
    "0                 31                     0    2        11873\n"
    "1                 35                     0    0         4210\n"
)


def _refused(data: bytes | str, *fragments: str) -> ParseError:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ParseError) as info:
        read_report_strict(raw, "bad")
    for fragment in fragments:
        assert fragment in info.value.reason
    return info.value


def _doc(value: Any) -> bytes:
    return json.dumps(value).encode()


# --- the good paths of the hand-made documents ----------------------------------------------------------
def test_nvme_smart_log_reads_the_health_log() -> None:
    (report,) = read_report_strict(_doc(NVME_SMART_LOG), "smart-log.json")
    nvme = report.record.nvme
    assert report.format == "nvme-cli-smart-log"
    assert (nvme.percentage_used, nvme.available_spare, nvme.num_err_log_entries) == (15, 100, 17)
    assert report.record.temperature_c == 28 and report.record.power_on_hours == 38313


def test_nvme_cli_2_critical_warning_object_and_string_counters() -> None:
    doc = dict(NVME_SMART_LOG, critical_warning={"value": 4}, data_units_written="1474968593")
    (report,) = read_report_strict(_doc(doc), "x")
    assert report.record.nvme.critical_warning == 4
    assert report.record.nvme.data_units_written == 1474968593


def test_nvme_error_log_gives_the_lifetime_entry_count() -> None:
    (report,) = read_report_strict(_doc(NVME_ERROR_LOG), "error-log.json")
    assert report.format == "nvme-cli-error-log"
    assert report.record.nvme.num_err_log_entries == 17


def test_redfish_drive_collection_and_empty_bays() -> None:
    failing = dict(REDFISH_DRIVE, SerialNumber="S47NNA0M000002", FailurePredicted=True)
    absent = {"@odata.type": "#Drive.v1_9_0.Drive", "Id": "Disk.Bay.2", "Status": {"State": "Absent"}}
    reports = read_report_strict(_doc({"Members": [REDFISH_DRIVE, failing, absent]}), "drives.json")
    assert [r.record.smart_passed for r in reports] == [True, False]
    assert reports[0].record.endurance_used_percent == 3
    assert reports[1].assessment.health.value == "failing"


def test_redfish_life_left_is_ignored_on_spinning_drives() -> None:
    hdd = dict(REDFISH_DRIVE, MediaType="HDD", PredictedMediaLifeLeftPercent=0, RotationSpeedRPM=7200)
    (report,) = read_report_strict(_doc(hdd), "x")
    assert report.record.endurance_used_percent is None and report.identity["device_type"] == "hdd"


def test_powershell_json_and_table() -> None:
    (one,) = read_report_strict(_doc(POWERSHELL_ITEM), "one.json")
    assert one.format == "powershell-reliability-json" and one.record.endurance_used_percent == 2
    two = read_report_strict(_doc([POWERSHELL_ITEM, dict(POWERSHELL_ITEM, DeviceId="1", SerialNumber="B")]), "x")
    assert len(two) == 2
    table = read_report_strict(POWERSHELL_TABLE.encode(), "table.txt")
    assert [r.record.power_on_hours for r in table] == [11873, 4210]
    assert table[0].record.scsi.read_uncorrected == 0 and table[0].record.temperature_c == 31
    utf16 = read_report_strict(b"\xff\xfe" + json.dumps(POWERSHELL_ITEM).encode("utf-16-le"), "ps.json")
    assert utf16[0].record == one.record  # what PowerShell's `>` writes on Windows


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (_doc(NVME_SMART_LOG), "nvme-cli-smart-log"),
        (_doc(NVME_ERROR_LOG), "nvme-cli-error-log"),
        (_doc(REDFISH_DRIVE), "redfish-drive"),
        (_doc([POWERSHELL_ITEM]), "powershell-reliability-json"),
        (POWERSHELL_TABLE.encode(), "powershell-reliability-table"),
        (STORCLI.encode(), "storcli-text"),
        (CDI.encode(), "crystaldiskinfo-text"),
        (NVME_TEXT.encode(), "nvme-cli-smart-log-text"),
    ],
)
def test_the_upload_sniffer_names_every_new_format(data: bytes, fmt: str) -> None:
    assert sniff_format(data) == fmt


# --- truncated ------------------------------------------------------------------------------------------
def test_truncated_crystaldiskinfo_names_the_line() -> None:
    cut = CDI[: CDI.index("   Health Status", CDI.index(" (02) WDC WD30EFRX-68AX9N0\n---"))]
    error = _refused(cut, "has no Health Status", "truncated")
    assert error.reason.startswith("line ")
    listed_only = CDI[: CDI.index(RULE + "\n (02)")]
    _refused(listed_only, "disk list names disk (02)", "truncated")


def test_truncated_storcli_names_the_drive() -> None:
    cut = STORCLI[: STORCLI.index("Drive /c0/e252/s3 State :")]
    _refused(cut, "drive /c0/e252/s3 has no State section")


@pytest.mark.parametrize("doc", [NVME_SMART_LOG, REDFISH_DRIVE, [POWERSHELL_ITEM]])
def test_truncated_json_is_refused(doc: Any) -> None:
    data = _doc(doc)
    for cut in range(1, len(data), 7):
        with pytest.raises(ParseError):
            read_report_strict(data[:cut], "cut")


# --- mixed-locale numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "ok"),
    [
        ("62382 時間", "62 382 時間", 62382),
        ("62382 時間", "62,382 時間", 62382),
        ("62382 時間", "62.382 時間", 62382),
        ("62382 時間", "6238,2 時間", None),
        ("62382 時間", "6238.2 時間", None),
        ("62382 時間", "62.382,5 時間", None),
        ("745 回", "7,45 回", None),
    ],
)
def test_crystaldiskinfo_counts_in_one_locale_or_refused(old: str, new: str, ok: int | None) -> None:
    text = CDI.replace(old, new, 1)
    if ok is not None:
        assert read_report_strict(text.encode(), "x")[0].record.power_on_hours == ok
    else:
        error = _refused(text, "is not a whole number")
        assert error.reason.startswith("line ")


def test_storcli_and_table_mixed_locale_counts_are_refused() -> None:
    _refused(STORCLI.replace("Media Error Count = 0", "Media Error Count = 1,5", 1), "Media Error Count")
    _refused(POWERSHELL_TABLE.replace("11873", "1187,3"), "line 3: PowerOnHours")


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        (dict(NVME_SMART_LOG, power_on_hours="38.313,5"), "power_on_hours"),
        (dict(NVME_SMART_LOG, media_errors=1.5), "media_errors"),
        (dict(REDFISH_DRIVE, CapacityBytes="960,197.1"), "Drive.CapacityBytes"),
        (dict(REDFISH_DRIVE, PredictedMediaLifeLeftPercent=170), "Drive.PredictedMediaLifeLeftPercent"),
        ([dict(POWERSHELL_ITEM, PowerOnHours="1 000,5")], "[0].PowerOnHours"),
        (dict(POWERSHELL_ITEM, Wear=True), "Wear"),
    ],
)
def test_json_numbers_that_are_not_counts_name_the_key(doc: Any, key: str) -> None:
    assert _refused(_doc(doc)).reason.startswith(key)


def test_the_count_reader() -> None:
    assert [_fleet.count(t, "k", "s") for t in ("1 000", "1,000", "1.000", "1'000", "1\u00a0000", "7 h")] == [
        1000,
        1000,
        1000,
        1000,
        1000,
        7,
    ]
    for bad in ("1,5", "1.5", "1.000,5", "1,000.5", "1,00", "abc", "", "12abc"):
        with pytest.raises(ParseError, match="k: "):
            _fleet.count(bad, "k", "s")


# --- a disk listed twice -------------------------------------------------------------------------------------
def test_a_disk_listed_twice_is_refused() -> None:
    second = CDI.index(RULE + "\n (02)")
    doubled = CDI[:second] + CDI[second:].replace(" (02) WDC WD30EFRX-68AX9N0\n---", " (01) WDC WD30EFRX-68AX9N0\n---")
    _refused(doubled, "disk number '01' is listed twice")
    same_serial = CDI.replace("***************", "WD-WCC4N0000001")
    _refused(same_serial, "'WD-WCC4N0000001' is listed twice")
    block = STORCLI[STORCLI.index("Drive /c0/e252/s1 :") : STORCLI.index("Drive /c0/e252/s2 :")]
    _refused(STORCLI + block, "drive /c0/e252/s1 is listed twice")
    _refused(_doc({"Members": [REDFISH_DRIVE, REDFISH_DRIVE]}), "Members[1].SerialNumber", "listed twice")
    _refused(_doc([POWERSHELL_ITEM, POWERSHELL_ITEM]), "[1].DeviceId", "listed twice")
    _refused(POWERSHELL_TABLE.replace("1                 35", "0                 35"), "DeviceId '0' is listed twice")
    errors = dict(NVME_ERROR_LOG, errors=[NVME_ERROR_LOG["errors"][0]] * 2)
    _refused(_doc(errors), "error_count 17 is listed twice")


# --- zero disks ---------------------------------------------------------------------------------------------
def test_exports_of_zero_disks_are_refused() -> None:
    header = CDI[: CDI.index(" (01) WDC WD30EFRX-68EUZN0 : ")]
    _refused(header, "lists no disk")
    _refused(STORCLI[: STORCLI.index("Drive /c0/e252/s0 :")] + "S.M.A.R.T alert flagged by drive = No\n", "no drive")
    _refused(_doc({"Members": []}), "no drive present")
    absent = {"@odata.type": "#Drive.v1_9_0.Drive", "Status": {"State": "Absent"}}
    _refused(_doc({"Members": [absent]}), "no drive present")
    _refused(POWERSHELL_TABLE.split("0                 31")[0], "lists no disk")


# --- JSON of the wrong shape ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"Members": "Disk.Bay.0"}, "Members"),
        ({"Members": [REDFISH_DRIVE, {"@odata.id": "/redfish/v1/Systems/1/Storage/1/Drives/1"}]}, "Members[1]"),
        ({"Members": [REDFISH_DRIVE, 3]}, "Members[1]"),
        (dict(REDFISH_DRIVE, Status=["OK"]), "Drive.Status"),
        (dict(REDFISH_DRIVE, FailurePredicted="no"), "Drive.FailurePredicted"),
        (dict(REDFISH_DRIVE, SerialNumber={"a": 1}), "Drive.SerialNumber"),
        (dict(NVME_ERROR_LOG, errors=[1, 2]), "errors[0]"),
        (dict(NVME_SMART_LOG, percent_used=[15]), "percent_used"),
        ([POWERSHELL_ITEM, {"DeviceId": "1", "Wear": {"v": 1}}], "[1].Wear"),
    ],
)
def test_json_of_the_wrong_shape_names_the_key(doc: Any, key: str) -> None:
    assert _refused(_doc(doc)).reason.startswith(key)


# --- hypothesis: never another exception ---------------------------------------------------------------------
def _only_parse_errors(data: bytes) -> None:
    error: ParseError | None = None
    try:
        reports = read_report_strict(data, "fuzz")
    except ParseError as exc:
        error = exc
    if error is not None:
        assert error.reason.strip()
        return
    assert reports
    for report in reports:
        json_line(report.to_dict())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
DOCUMENTS = [NVME_SMART_LOG, NVME_ERROR_LOG, REDFISH_DRIVE, POWERSHELL_ITEM]


@FUZZ
@given(st.sampled_from(DOCUMENTS), st.data())
def test_documents_with_values_replaced(doc: dict[str, Any], data: st.DataObject) -> None:
    edited = dict(doc)
    for key in data.draw(st.lists(st.sampled_from(sorted(doc)), min_size=1, max_size=4), label="keys"):
        edited[key] = data.draw(json_values, label=key)
    shape = data.draw(st.sampled_from(["one", "list", "members"]), label="shape")
    wrapped: Any = edited if shape == "one" else [edited] if shape == "list" else {"Members": [edited]}
    _only_parse_errors(json.dumps(wrapped).encode())


@FUZZ
@given(st.sampled_from([CDI, STORCLI, POWERSHELL_TABLE, NVME_TEXT, NVME_ERROR_TEXT, PS_LIST]), st.data())
def test_text_exports_with_lines_edited(text: str, data: st.DataObject) -> None:
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        action = data.draw(st.sampled_from(["drop", "replace", "duplicate", "digits"]), label="action")
        if action == "drop":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "digits":
            lines[index] = lines[index].translate(str.maketrans("0123", data.draw(st.sampled_from([",5.1", " ,.9"]))))
        else:
            lines[index] = data.draw(st.text("0123456789ABCDEF_:=-,. ()abcXYZ", max_size=60), label="text")
        if not lines:
            break
    _only_parse_errors("\n".join(lines).encode())


@FUZZ
@given(
    st.sampled_from([CDI, STORCLI, POWERSHELL_TABLE, NVME_TEXT, NVME_ERROR_TEXT, PS_LIST, json.dumps(REDFISH_DRIVE)]),
    st.integers(0, 100_000),
)
def test_any_truncation_is_a_parse_error_or_a_report(text: str, cut: int) -> None:
    _only_parse_errors(text.encode()[: cut % (len(text.encode()) + 1)])


STORCLI_JSON = json.loads(
    (CORPUS / "storcli" / "prometheus-community_storcli_-cALL-eALL-sALL_show_all.json").read_text(encoding="utf-8")
)


def test_storcli_json_bad_input_names_the_key() -> None:
    data = STORCLI_JSON["Controllers"][0]["Response Data"]
    doubled = {"Controllers": [STORCLI_JSON["Controllers"][0], STORCLI_JSON["Controllers"][0]]}
    _refused(_doc(doubled), "drive /c0/e252/s0 is listed twice")
    empty = {"Controllers": [{"Command Status": {"Status": "Success"}, "Response Data": {}}]}
    _refused(_doc(empty), "lists no drive")
    failed = {"Controllers": [{"Command Status": {"Status": "Failure", "Description": "No drive found!"}}]}
    _refused(_doc(failed), "Controllers[0].Command Status", "No drive found")
    cut = {k: v for k, v in data.items() if k != "Drive /c0/e252/s1 - Detailed Information"}
    _refused(_doc({"Controllers": [dict(STORCLI_JSON["Controllers"][0], **{"Response Data": cut})]}), "no State")
    state = data["Drive /c0/e252/s0 - Detailed Information"]["Drive /c0/e252/s0 State"]
    state["Media Error Count"] = "1,5"
    assert "Media Error Count" in _refused(_doc(STORCLI_JSON)).reason
    state["Media Error Count"] = 0
    data["Drive /c0/e252/s0"] = {"EID:Slt": "252:0"}
    assert _refused(_doc(STORCLI_JSON)).reason.startswith("Controllers[0].Response Data.Drive /c0/e252/s0:")


def test_nvme_smart_log_text_bad_input_names_the_line() -> None:
    _refused(NVME_TEXT.replace("201,526,305", "201.526,305"), "line 8: data_units_read")
    _refused(NVME_TEXT.replace("3%", "3,5%"), "line 6: percentage_used")
    _refused(NVME_TEXT + "media_errors : 0\n", "media_errors is listed twice")
    _refused(NVME_TEXT.replace("42 C (315 Kelvin)", "hot"), "line 3: temperature")
    _refused(NVME_TEXT[: NVME_TEXT.index("available_spare ")], "truncated")


@FUZZ
@given(st.data())
def test_storcli_json_with_values_replaced(data: st.DataObject) -> None:
    doc = json.loads(json.dumps(STORCLI_JSON))
    response = doc["Controllers"][0]["Response Data"]
    drive = data.draw(st.sampled_from(sorted(k for k in response if k.endswith("Detailed Information"))), label="drive")
    blocks = response[drive]
    block = blocks[data.draw(st.sampled_from(sorted(k for k in blocks if isinstance(blocks[k], dict))), label="block")]
    for key in data.draw(st.lists(st.sampled_from(sorted(block)), min_size=1, max_size=3), label="keys"):
        block[key] = data.draw(json_values, label=key)
    _only_parse_errors(json.dumps(doc).encode())


def test_nvme_error_log_text_bad_input_names_the_line() -> None:
    _refused(NVME_ERROR_TEXT.replace(": 199", ": 1,99"), "line 21: error_count")
    _refused(NVME_ERROR_TEXT.replace(": 199", ": 0xZZ"), "line 21: error_count")
    _refused(NVME_ERROR_TEXT.replace(": 199", ": 200"), "error_count 200 is listed twice")
    _refused(NVME_ERROR_TEXT.replace("entries:2", "entries:64"), "announces 64", "holds 2")
    _refused(NVME_ERROR_TEXT[: NVME_ERROR_TEXT.index("error_count")], "without an error_count line")


def test_powershell_list_bad_input_names_the_line() -> None:
    _refused(PS_LIST.replace(": 224", ": 22,4"), "line 10: LoadUnloadCycleCount")
    _refused(PS_LIST.replace("DeviceId                : 8\n", ""), "line 3", "without its DeviceId")
    _refused(PS_LIST + "Temperature : 30\n", "Temperature given twice")
    _refused(PS_LIST + "\n" + PS_LIST[PS_LIST.index("ObjectId") :], "DeviceId '8' is listed twice")
    _refused(PS_LIST.replace("Wear                    :", "Wear                    : 140"), "not a percentage")


def test_powershell_list_reads_a_wrapped_value_and_ignores_other_lists() -> None:
    other = "Name   : C:\\\nSize   : 100\n\n"
    wrapped = PS_LIST.replace(
        "ObjectId                : {e24dbc00",
        "ObjectId                : {1}\\\\HOST\\root/Microsoft/Windows/Storage/Providers_v2\\SPACES_Storag\n"
        "                          eReliabilityCounter.ObjectId={e24dbc00",
    )
    (report,) = read_report_strict((other + wrapped).encode(), "x")
    assert report.format == "powershell-reliability-list" and report.record.load_cycles == 224
