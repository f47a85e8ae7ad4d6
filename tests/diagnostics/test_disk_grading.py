"""The disk grading policy, rule by rule, at its boundary values.

Records are built directly (``DiskHealth``) or from real corpus JSON documents with one value changed,
so each test shows the one fact that moves the verdict.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from diagnostics.grading import disk as policy
from diagnostics.grading.disk import assess_disk, disk_identity, disk_measurements, is_replaceable
from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.models import Assessment, Grade, Health, Severity
from diagnostics.smart.json_report import parse_smartctl_json
from diagnostics.smart.records import (
    AtaAttribute,
    DiskHealth,
    DiskIdentity,
    NvmeHealth,
    ScsiHealth,
    SelfTestEntry,
)
from tests.diagnostics.regen_smart_expected import SMART_CORPUS

HDD = DiskIdentity(model="TEST HDD", serial="S1", interface="sat", device_type="hdd", rotation_rpm=7200)
SSD = DiskIdentity(model="TEST SSD", serial="S2", interface="sat", device_type="ssd", rotation_rpm=0)
NVME = DiskIdentity(model="TEST NVME", serial="S3", interface="nvme", device_type="nvme")
SAS = DiskIdentity(model="TEST SAS", serial="S4", interface="scsi", device_type="hdd", rotation_rpm=10000)


def attr(
    attr_id: int,
    name: str,
    raw: int | str = 0,
    *,
    value: int = 100,
    worst: int | None = None,
    thresh: int = 0,
    when_failed: str = "",
    prefailure: bool = False,
) -> AtaAttribute:
    raw_string = str(raw)
    leading = raw_string.split()[0] if raw_string.split() else ""
    return AtaAttribute(
        id=attr_id,
        name=name,
        value=value,
        worst=value if worst is None else worst,
        thresh=thresh,
        raw=int(leading) if leading.isdigit() else None,
        raw_string=raw_string,
        when_failed=when_failed,
        prefailure=prefailure,
    )


def healthy_hdd_attributes(**overrides: AtaAttribute) -> tuple[AtaAttribute, ...]:
    base = {
        "a1": attr(1, "Raw_Read_Error_Rate", 0, value=200, thresh=51, prefailure=True),
        "a5": attr(5, "Reallocated_Sector_Ct", 0, value=200, thresh=140, prefailure=True),
        "a9": attr(9, "Power_On_Hours", 12000),
        "a194": attr(194, "Temperature_Celsius", "35 (Min/Max 20/45)"),
        "a197": attr(197, "Current_Pending_Sector", 0),
        "a198": attr(198, "Offline_Uncorrectable", 0),
    }
    base.update(overrides)
    return tuple(base.values())


def hdd(hours: int | None = 12000, passed: bool | None = True, **overrides: Any) -> DiskHealth:
    fields: dict[str, Any] = {
        "source_format": "smartctl-json",
        "identity": HDD,
        "smart_passed": passed,
        "power_on_hours": hours,
        "temperature_c": 35,
        "attributes": healthy_hdd_attributes(),
    }
    fields.update(overrides)
    return DiskHealth(**fields)


def nvme(**health: Any) -> DiskHealth:
    values: dict[str, Any] = {
        "critical_warning": 0,
        "temperature_c": 40,
        "available_spare": 100,
        "available_spare_threshold": 10,
        "percentage_used": 3,
        "power_on_hours": 5000,
        "media_errors": 0,
        "num_err_log_entries": 0,
    }
    values.update(health)
    record = NvmeHealth(**values)
    return DiskHealth(
        source_format="smartctl-json",
        identity=NVME,
        smart_passed=True,
        power_on_hours=record.power_on_hours,
        temperature_c=record.temperature_c,
        nvme=record,
    )


def sas(**counters: Any) -> DiskHealth:
    values: dict[str, Any] = {
        "grown_defects": 0,
        "read_uncorrected": 0,
        "write_uncorrected": 0,
        "verify_uncorrected": 0,
        "read_corrected": 300_357_663,
    }
    values.update(counters)
    return DiskHealth(
        source_format="smartctl-json",
        identity=SAS,
        smart_passed=True,
        power_on_hours=20000,
        scsi=ScsiHealth(**values),
    )


def codes(assessment: Assessment, severity: Severity | None = None) -> set[str]:
    return {f.code for f in assessment.findings if severity is None or f.severity is severity}


def corpus_json(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SMART_CORPUS / relative).read_text(encoding="utf-8"))
    return loaded


def set_raw(doc: dict[str, Any], attr_id: int, raw: int) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    for row in changed["ata_smart_attributes"]["table"]:
        if row["id"] == attr_id:
            row["raw"] = {"value": raw, "string": str(raw)}
    return changed


# --- a healthy baseline -----------------------------------------------------------------------------
def test_a_clean_used_drive_is_healthy_b() -> None:
    result = assess_disk(hdd())
    assert (result.health, result.grade) == (Health.HEALTHY, Grade.B)
    assert result.policy == POLICY_VERSION
    assert result.remaining_life is not None
    assert result.remaining_life.basis == "hdd.age_vs_afr"


@pytest.mark.parametrize(
    ("hours", "grade"),
    [(policy.NEARLY_NEW_MAX_HOURS, Grade.A), (policy.NEARLY_NEW_MAX_HOURS + 1, Grade.B), (None, Grade.B)],
)
def test_grade_a_needs_few_hours(hours: int | None, grade: Grade) -> None:
    assert assess_disk(hdd(hours=hours)).grade is grade


def test_overall_failed_is_failing_f() -> None:
    result = assess_disk(hdd(passed=False))
    assert (result.health, result.grade) == (Health.FAILING, Grade.F)
    assert "smart.overall_failed" in codes(result, Severity.CRITICAL)
    assert result.remaining_life is not None
    assert result.remaining_life.percent == 0.0


# --- PASSED but failing -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attribute", "code"),
    [
        (attr(197, "Current_Pending_Sector", 1), "ata.pending_sectors"),
        (attr(198, "Offline_Uncorrectable", 1), "ata.offline_uncorrectable"),
    ],
)
def test_passed_with_a_single_unreadable_sector_is_failing(attribute: AtaAttribute, code: str) -> None:
    result = assess_disk(hdd(attributes=healthy_hdd_attributes(**{f"a{attribute.id}": attribute})))
    assert result.health is Health.FAILING
    assert result.grade is Grade.F
    assert code in codes(result, Severity.CRITICAL)


def test_passed_json_report_with_pending_sectors_is_failing() -> None:
    doc = corpus_json("smartctl_exporter/ST3500418AS_11.json")
    assert doc["smart_status"]["passed"] is True
    result = assess_disk(parse_smartctl_json(set_raw(doc, 197, 2), "doc"))
    assert result.health is Health.FAILING
    assert "ata.pending_sectors" in codes(result)


def test_passed_nvme_json_with_media_errors_is_failing() -> None:
    doc = copy.deepcopy(corpus_json("smartctl_exporter/nvme-null-CT250P2SSD8-nvme0.json"))
    assert doc["smart_status"]["passed"] is True
    doc["nvme_smart_health_information_log"]["media_errors"] = 1
    result = assess_disk(parse_smartctl_json(doc, "doc"))
    assert result.health is Health.FAILING
    assert "nvme.media_errors" in codes(result, Severity.CRITICAL)


@pytest.mark.parametrize(
    ("count", "health"),
    [
        (0, Health.HEALTHY),
        (policy.REPORTED_UNCORRECTABLE_WORN_MAX, Health.WORN),
        (policy.REPORTED_UNCORRECTABLE_WORN_MAX + 1, Health.FAILING),
    ],
)
def test_reported_uncorrectable_boundaries(count: int, health: Health) -> None:
    attributes = healthy_hdd_attributes(a187=attr(187, "Reported_Uncorrect", count))
    assert assess_disk(hdd(attributes=attributes)).health is health


@pytest.mark.parametrize(
    ("count", "health", "grade"),
    [
        (0, Health.HEALTHY, Grade.B),
        (1, Health.WORN, Grade.C),
        (policy.REALLOCATED_SECTORS_WORN_MAX, Health.WORN, Grade.C),
        (policy.REALLOCATED_SECTORS_WORN_MAX + 1, Health.FAILING, Grade.F),
    ],
)
def test_hdd_reallocated_sector_boundaries(count: int, health: Health, grade: Grade) -> None:
    attributes = healthy_hdd_attributes(
        a5=attr(5, "Reallocated_Sector_Ct", count, value=200, thresh=140, prefailure=True)
    )
    result = assess_disk(hdd(attributes=attributes))
    assert (result.health, result.grade) == (health, grade)


@pytest.mark.parametrize(
    ("count", "health"),
    [
        (policy.SSD_RETIRED_BLOCKS_INFO_MAX, Health.HEALTHY),
        (policy.SSD_RETIRED_BLOCKS_INFO_MAX + 1, Health.WORN),
        (policy.SSD_RETIRED_BLOCKS_WORN_MAX + 1, Health.FAILING),
    ],
)
def test_ssd_retired_block_boundaries(count: int, health: Health) -> None:
    disk = DiskHealth(
        source_format="smartctl-json",
        identity=SSD,
        smart_passed=True,
        power_on_hours=9000,
        attributes=(attr(5, "Reallocated_Sector_Ct", count, thresh=10), attr(177, "Wear_Leveling_Count", 50, value=97)),
    )
    result = assess_disk(disk)
    assert result.health is health
    assert "ssd.retired_blocks" in codes(result)


def test_attribute_failing_now_is_failing() -> None:
    failing = attr(3, "Spin_Up_Time", 9000, value=20, worst=20, thresh=21, when_failed="FAILING_NOW", prefailure=True)
    result = assess_disk(hdd(attributes=healthy_hdd_attributes(a3=failing)))
    assert "ata.attribute_failing_now" in codes(result, Severity.CRITICAL)


def test_old_age_attribute_at_threshold_is_end_of_life_not_failure() -> None:
    tired = attr(193, "Load_Cycle_Count", 650_000, value=50, thresh=50, when_failed="FAILING_NOW")
    result = assess_disk(hdd(attributes=healthy_hdd_attributes(a193=tired)))
    assert (result.health, result.grade) == (Health.WORN, Grade.D)
    assert "ata.attribute_end_of_life" in codes(result, Severity.WARNING)


def test_crucial_single_pending_ecc_block_is_a_retest_not_a_failure() -> None:
    def crucial(pending: int, uncorrectable: int = 0) -> DiskHealth:
        return DiskHealth(
            "smartctl-json",
            SSD,
            smart_passed=True,
            power_on_hours=9000,
            attributes=(
                attr(197, "Current_Pending_ECC_Cnt", pending),
                attr(187, "Reported_Uncorrect", uncorrectable),
                attr(202, "Percent_Lifetime_Remain", 3, value=97, thresh=1),
            ),
        )

    assert assess_disk(crucial(1)).health is Health.WORN
    assert assess_disk(crucial(2)).health is Health.FAILING
    assert assess_disk(crucial(1, uncorrectable=5)).health is Health.FAILING


def test_old_tables_without_when_failed_use_value_at_or_below_threshold() -> None:
    at_threshold = attr(10, "Spin_Retry_Count", 0, value=51, thresh=51, prefailure=True)
    above = attr(10, "Spin_Retry_Count", 0, value=52, thresh=51, prefailure=True)
    assert assess_disk(hdd(attributes=healthy_hdd_attributes(a10=at_threshold))).health is Health.FAILING
    assert assess_disk(hdd(attributes=healthy_hdd_attributes(a10=above))).health is Health.HEALTHY


def test_worst_value_at_threshold_is_a_past_failure_unless_the_drive_keeps_no_worst() -> None:
    past = attr(10, "Spin_Retry_Count", 0, value=100, worst=50, thresh=51, prefailure=True)
    no_worst = attr(10, "Spin_Retry_Count", 0, value=100, worst=0, thresh=51, prefailure=True)
    assert "ata.attribute_failed_in_past" in codes(assess_disk(hdd(attributes=healthy_hdd_attributes(a10=past))))
    assert assess_disk(hdd(attributes=healthy_hdd_attributes(a10=no_worst))).health is Health.HEALTHY


# --- vendor-packed raw values, guessed names, hot moments: not failing ---------------------------------
def test_seagate_packed_raw_counters_are_not_errors() -> None:
    attributes = healthy_hdd_attributes(
        a1=attr(1, "Raw_Read_Error_Rate", 183_738_832, value=117, worst=99, thresh=6, prefailure=True),
        a7=attr(7, "Seek_Error_Rate", 281_479_338_498_413, value=88, worst=60, thresh=30, prefailure=True),
        a195=attr(195, "Hardware_ECC_Recovered", 183_738_832, value=117, worst=99),
        a5=attr(5, "Reallocated_Sector_Ct", 281_474_976_710_656, value=100, thresh=36, prefailure=True),
    )
    result = assess_disk(hdd(attributes=attributes))
    assert result.health is Health.HEALTHY
    assert not codes(result, Severity.CRITICAL) and not codes(result, Severity.WARNING)


def test_sandforce_ecc_counters_are_not_errors() -> None:
    disk = DiskHealth(
        source_format="smartctl-text",
        identity=SSD,
        smart_passed=True,
        power_on_hours=9000,
        attributes=(
            attr(1, "Raw_Read_Error_Rate", "0/5123456", value=120, thresh=50, prefailure=True),
            attr(13, "Soft_Read_Error_Rate", "0/5123456", value=120, thresh=50),
            attr(195, "ECC_Uncorr_Error_Count", "0/5123456", value=120, thresh=0),
            attr(231, "SSD_Life_Left", 0, value=96, thresh=10),
        ),
    )
    assert assess_disk(disk).health is Health.HEALTHY


def test_attributes_smartctl_only_guesses_are_not_read_as_counts() -> None:
    attributes = healthy_hdd_attributes(
        a197=attr(197, "Unknown_Attribute", 42), a198=attr(198, "Unknown_HDD_Attribute", 7)
    )
    assert assess_disk(hdd(attributes=attributes)).health is Health.HEALTHY


@pytest.mark.parametrize("attr_id", [190, 194])
def test_temperature_failing_now_is_only_information(attr_id: int) -> None:
    hot = attr(attr_id, "Temperature_Celsius", 81, value=19, worst=14, thresh=45, when_failed="FAILING_NOW")
    result = assess_disk(hdd(temperature_c=81, attributes=healthy_hdd_attributes(**{f"a{attr_id}": hot})))
    assert result.health is Health.HEALTHY
    assert codes(result) == {"disk.temperature"}
    assert codes(result, Severity.INFO) == {"disk.temperature"}


def test_temperature_below_the_limit_says_nothing() -> None:
    assert "disk.temperature" not in codes(assess_disk(hdd(temperature_c=policy.HOT_HDD_C - 1)))
    assert "disk.temperature" in codes(assess_disk(hdd(temperature_c=policy.HOT_HDD_C)))


# --- self-tests ----------------------------------------------------------------------------------------
READ_FAILURE = SelfTestEntry("Extended offline", "Completed: read failure", False, "read failure", 2692, 173893, 90)
SHORT_PASS = SelfTestEntry("Short offline", "Completed without error", True, None, 2700)
LONG_PASS = SelfTestEntry("Extended offline", "Completed without error", True, None, 2710)


def test_latest_self_test_read_failure_is_failing_with_the_lba() -> None:
    result = assess_disk(hdd(self_tests=(READ_FAILURE,)))
    assert result.health is Health.FAILING
    finding = next(f for f in result.findings if f.code == "selftest.read_failure")
    assert finding.evidence["lba"] == 173893


def test_a_later_short_pass_does_not_clear_a_read_failure() -> None:
    assert assess_disk(hdd(self_tests=(SHORT_PASS, READ_FAILURE))).health is Health.FAILING


def test_a_later_extended_pass_clears_a_read_failure_to_information() -> None:
    result = assess_disk(hdd(self_tests=(LONG_PASS, SHORT_PASS, READ_FAILURE)))
    assert result.health is Health.HEALTHY
    assert codes(result) == {"selftest.past_failure"}
    assert result.grade is Grade.B  # a past failure rules out "like new"


def test_aborted_self_tests_are_not_failures() -> None:
    aborted = SelfTestEntry("Extended offline", "Aborted by host", None, None, 100)
    assert assess_disk(hdd(self_tests=(aborted,))).health is Health.HEALTHY


# --- NVMe ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("warning", "health"),
    [
        (0x00, Health.HEALTHY),
        (0x02, Health.HEALTHY),
        (0x01, Health.FAILING),
        (0x04, Health.FAILING),
        (0x08, Health.FAILING),
    ],
)
def test_nvme_critical_warning_bits(warning: int, health: Health) -> None:
    assert assess_disk(nvme(critical_warning=warning)).health is health


def test_nvme_temperature_bit_alone_is_information() -> None:
    result = assess_disk(nvme(critical_warning=0x02))
    assert codes(result) == {"nvme.temperature_warning"}


@pytest.mark.parametrize(("spare", "health"), [(10, Health.HEALTHY), (9, Health.FAILING)])
def test_nvme_spare_below_threshold(spare: int, health: Health) -> None:
    result = assess_disk(nvme(available_spare=spare, available_spare_threshold=10))
    assert result.health is health


@pytest.mark.parametrize(
    ("used", "health", "grade"),
    [
        (policy.SSD_WORN_USED_PERCENT - 1, Health.HEALTHY, Grade.B),
        (policy.SSD_WORN_USED_PERCENT, Health.WORN, Grade.C),
        (policy.SSD_VERY_WORN_USED_PERCENT, Health.WORN, Grade.D),
        (100, Health.WORN, Grade.D),
        (101, Health.FAILING, Grade.F),
    ],
)
def test_nvme_percentage_used_boundaries(used: int, health: Health, grade: Grade) -> None:
    result = assess_disk(nvme(percentage_used=used))
    assert (result.health, result.grade) == (health, grade)


@pytest.mark.parametrize(("errors", "health"), [(0, Health.HEALTHY), (1, Health.FAILING)])
def test_nvme_any_media_error_is_failing(errors: int, health: Health) -> None:
    assert assess_disk(nvme(media_errors=errors)).health is health


def test_nvme_error_log_entries_are_not_errors() -> None:
    result = assess_disk(nvme(num_err_log_entries=4_000, power_on_hours=500))
    assert result.health is Health.HEALTHY
    assert result.grade is Grade.A
    assert codes(result, Severity.INFO) == {"nvme.error_log_entries"}


def test_nvme_remaining_life_follows_percentage_used() -> None:
    life = assess_disk(nvme(percentage_used=20, power_on_hours=10_000)).remaining_life
    assert life is not None
    assert (life.basis, life.percent) == ("nvme.percentage_used", 80.0)
    assert life.years == pytest.approx(min(policy.MAX_ESTIMATED_YEARS, 10_000 / 20 * 80 / 8766), abs=0.1)


# --- SCSI / SAS ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("uncorrected", "health"), [(0, Health.HEALTHY), (1, Health.FAILING)])
def test_scsi_uncorrected_errors(uncorrected: int, health: Health) -> None:
    assert assess_disk(sas(read_uncorrected=uncorrected)).health is health


@pytest.mark.parametrize(
    ("defects", "health"),
    [
        (0, Health.HEALTHY),
        (policy.SCSI_GROWN_DEFECTS_WORN_MAX, Health.WORN),
        (policy.SCSI_GROWN_DEFECTS_WORN_MAX + 1, Health.FAILING),
    ],
)
def test_scsi_grown_defect_boundaries(defects: int, health: Health) -> None:
    assert assess_disk(sas(grown_defects=defects)).health is health


@pytest.mark.parametrize(("pending", "health"), [(0, Health.HEALTHY), (1, Health.FAILING)])
def test_scsi_pending_defects(pending: int, health: Health) -> None:
    assert assess_disk(sas(pending_defects=pending)).health is health


def test_scsi_corrected_ecc_is_not_an_error() -> None:
    result = assess_disk(sas(read_corrected=10**12, write_corrected=10**9))
    assert result.health is Health.HEALTHY
    assert not result.findings


# --- age and mechanics ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hours", "health", "grade"),
    [
        (policy.WORN_POWER_ON_HOURS, Health.HEALTHY, Grade.B),
        (policy.WORN_POWER_ON_HOURS + 1, Health.WORN, Grade.C),
        (policy.VERY_WORN_POWER_ON_HOURS + 1, Health.WORN, Grade.D),
    ],
)
def test_power_on_hours_boundaries(hours: int, health: Health, grade: Grade) -> None:
    result = assess_disk(hdd(hours=hours))
    assert (result.health, result.grade) == (health, grade)


@pytest.mark.parametrize(
    ("model", "form_factor", "cycles", "health"),
    [
        ("X", "2.5 inches", policy.LOAD_CYCLES_RATED_LAPTOP, Health.HEALTHY),
        ("X", "2.5 inches", policy.LOAD_CYCLES_RATED_LAPTOP + 1, Health.WORN),
        # SRC_LOAD_CYCLES rates desktop drives (WD Blue/Black, Barracuda) like laptop ones: 300,000.
        ("X", "3.5 inches", 300_001, Health.WORN),
        ("ST4000VN008-2DR166 IronWolf", "3.5 inches", 300_001, Health.HEALTHY),
        ("WDC WD4003FFBX Red Pro", "3.5 inches", policy.LOAD_CYCLES_RATED_NAS + 1, Health.WORN),
    ],
)
def test_load_cycle_rating_by_drive_class(model: str, form_factor: str, cycles: int, health: Health) -> None:
    identity = DiskIdentity(model=model, device_type="hdd", rotation_rpm=7200, form_factor=form_factor)
    attributes = healthy_hdd_attributes(a193=attr(193, "Load_Cycle_Count", cycles))
    result = assess_disk(hdd(identity=identity, attributes=attributes))
    assert result.health is health


def test_ssd_wear_attribute_boundaries() -> None:
    def ssd(value: int) -> DiskHealth:
        wear = attr(233, "Media_Wearout_Indicator", 0, value=value, thresh=0)
        return DiskHealth("smartctl-json", SSD, smart_passed=True, power_on_hours=30_000, attributes=(wear,))

    assert assess_disk(ssd(100 - policy.SSD_WORN_USED_PERCENT + 1)).health is Health.HEALTHY
    worn = assess_disk(ssd(100 - policy.SSD_WORN_USED_PERCENT))
    assert worn.health is Health.WORN
    assert "ssd.wear" in codes(worn)
    assert worn.remaining_life is not None
    assert worn.remaining_life.basis == "ata.233_Media_Wearout_Indicator"


@pytest.mark.parametrize("marker", policy.SSD_WEAR_NAME_MARKERS)
def test_every_wear_marker_is_read(marker: str) -> None:
    # The scan skips names without 'Wear' or 'Life' before trying the markers' pattern.
    disk = DiskHealth(
        "smartctl-json",
        SSD,
        smart_passed=True,
        attributes=(attr(9, "Power_On_Hours", 10), attr(231, f"Vendor_{marker}", 0, value=40)),
    )
    assert policy.ssd_life_left_attribute(disk) == (40, f"231_Vendor_{marker}")


# --- unknown and limited data -------------------------------------------------------------------------------
def test_a_record_without_health_data_is_unknown_c() -> None:
    result = assess_disk(DiskHealth("smartctl-json", HDD, power_on_hours=100))
    assert (result.health, result.grade) == (Health.UNKNOWN, Grade.C)
    assert "disk.no_health_data" in codes(result)


def test_overall_verdict_alone_caps_the_grade_at_b() -> None:
    result = assess_disk(DiskHealth("smartctl-json", HDD, smart_passed=True, power_on_hours=10))
    assert (result.health, result.grade) == (Health.HEALTHY, Grade.B)
    assert "disk.limited_data" in codes(result)


# --- identity, measurements, replaceability ------------------------------------------------------------------
def test_identity_and_measurements_are_json_ready() -> None:
    disk = hdd(self_tests=(READ_FAILURE,))
    data = {"identity": disk_identity(disk), "measurements": disk_measurements(disk)}
    assert json.loads(json.dumps(data)) == data
    assert data["identity"]["model"] == "TEST HDD"
    assert data["measurements"]["pending_sectors"] == 0
    assert data["measurements"]["self_tests"][0]["lba_of_first_error"] == 173893


def test_measured_records_carry_every_field_of_their_record() -> None:
    """The measurements spell out the attribute rows field by field: a field added to the record
    must reach them."""
    measurements = disk_measurements(hdd())
    assert measurements["attributes"] == [a._asdict() for a in healthy_hdd_attributes()]
    assert [list(row) for row in measurements["attributes"]] == [list(AtaAttribute._fields)] * 6
    drive = nvme()
    assert drive.nvme is not None
    assert disk_measurements(drive)["nvme"] == drive.nvme._asdict()


@pytest.mark.parametrize(
    ("identity", "replaceable"),
    [
        (DiskIdentity(model="APPLE SSD AP0512Z", device_type="nvme", interface="nvme"), False),
        (DiskIdentity(model="APPLE SSD SM0256F", device_type="ssd", interface="ata"), True),
        (DiskIdentity(model="Samsung SSD 970 EVO Plus 500GB", device_type="nvme"), True),
        (DiskIdentity(), True),
    ],
)
def test_replaceable_drives(identity: DiskIdentity, replaceable: bool) -> None:
    assert is_replaceable(DiskHealth("smartctl-text", identity, smart_passed=True)) is replaceable


def test_every_threshold_constant_has_a_sourced_comment() -> None:
    source = policy.__file__
    with open(source, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    for index, line in enumerate(lines):
        name = line.split(" = ")[0]
        if " = " in line and name.isupper() and not name.startswith("SRC_") and not line.startswith(" "):
            context = "\n".join(lines[max(0, index - 4) : index])
            assert "#:" in context or "SRC_" in context, f"{name} lacks a comment citing its source"


def test_failed_previous_self_test_counts_without_a_log() -> None:
    doc = copy.deepcopy(corpus_json("scrutiny/smart-megaraid0.json"))
    doc.pop("ata_smart_self_test_log", None)
    doc["ata_smart_data"]["self_test"]["status"] = {
        "value": 121,
        "string": "completed: read failure",
        "passed": False,
    }
    result = assess_disk(parse_smartctl_json(doc, "doc"))
    assert result.health is Health.FAILING
    assert "selftest.read_failure" in codes(result)
