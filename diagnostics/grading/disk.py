"""Grade one disk from its normalised SMART record (``DiskHealth``).

``assess_disk`` is a pure, deterministic function: the same record always yields the same
``Assessment`` under a given ``POLICY_VERSION``. Every rule emits a ``Finding`` with a stable code,
and the health follows from the findings' severities:

* ``critical`` — data at risk → health ``failing``, grade ``F`` (the device-level combination decides
  whether a replaceable failing disk makes the device ``D``).
* ``warning`` — usable, shorter life ahead → health ``worn``, grade ``C`` (``D`` when very worn).
* ``info`` — worth knowing, never lowers the grade (temperature, host-side error-log entries…).

No finding above ``info`` → ``healthy``: ``A`` when nearly new (few hours, little wear, full data),
otherwise ``B``. A record that says nothing about health is ``unknown`` and graded ``C`` at best
with a finding saying so.

Traps avoided on purpose (DESIGN §2.3): smartctl's PASSED alone never makes a drive healthy;
temperature attributes are never a failure; raw values that are vendor-packed bit fields (Seagate
1/7/195, SandForce ECC counters) and attributes whose names smartctl only guessed are not read as
counts; NVMe error-log entry counts and SAS corrected-ECC counters are not errors.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.models import Assessment, Explanation, Finding, Grade, Health, RemainingLife, Severity
from diagnostics.smart.records import AtaAttribute, DiskHealth, SelfTestEntry

# --- sources -------------------------------------------------------------------------------------
SRC_SMARTCTL = (
    "smartmontools smartctl(8): an attribute fails when its normalised value is at or below the "
    "vendor threshold (WHEN_FAILED FAILING_NOW); the overall verdict is the drive's own SMART RETURN STATUS"
)
SRC_BACKBLAZE_2016 = (
    "Backblaze, 'What SMART Stats Tell Us About Hard Drives' (2016-10-06): raw SMART 5/187/188/197/198 > 0 "
    "is the signal Backblaze acts on; 76.7% of failed drives showed one, 4.2% of working ones"
)
SRC_BACKBLAZE_2014 = (
    "Backblaze, 'Hard Drive SMART Stats' (2014-11-12): annual failure rate by raw value of SMART 5, 187, "
    "197, 198 climbs steeply from the first non-zero bucket"
)
SRC_GOOGLE_2007 = (
    "Pinheiro, Weber, Barroso, 'Failure Trends in a Large Disk Drive Population', USENIX FAST '07: after "
    "the first reallocation / offline-uncorrectable / pending sector, drives are 14x / 39x / 16x more "
    "likely to fail within 60 days"
)
SRC_SELFTEST = (
    "smartmontools FAQ and badblockhowto: a self-test that ends 'Completed: read failure' found an "
    "unreadable LBA; only a later extended test that completes without error shows it was remapped"
)
SRC_NVME = "NVM Express Base Specification 2.0, SMART / Health Information log page (02h)"
SRC_SCSI = "T10 SPC-5 error counter log pages (02h/03h/05h), SBC-4 grown defect list and Pending Defects log page"
SRC_BACKBLAZE_AGE = (
    "Backblaze, 'How Long Do Disk Drives Last?' (2013, revisited 2021): failure rates are low for "
    "3-4 years, then rise; Backblaze drive stats by age"
)
SRC_LOAD_CYCLES = (
    "vendor data sheets: load/unload cycles rated 300,000 for laptop and desktop drives (WD Blue/Black, "
    "Seagate Barracuda, Toshiba MQ/DT) and 600,000 for NAS/enterprise drives (WD Red Pro, Seagate "
    "IronWolf/Exos, HGST Ultrastar)"
)
SRC_SSD_WEAR = (
    "vendor SMART definitions: Samsung 177 Wear_Leveling_Count, Intel 233 Media_Wearout_Indicator, "
    "Crucial/Micron 202 Percent_Lifetime_Remain, SandForce/Kingston 231 SSD_Life_Left: normalised value = "
    "% of rated endurance left; ATA ACS-4 device statistics 'Percentage Used Endurance Indicator'"
)
SRC_TEMPERATURE = (
    "drive data sheets (HDD operating range 0-60 C; NVMe WCTEMP typically 70-85 C); a hot moment is not "
    "a defect: re-test when cool"
)
SRC_FLASH_FIELD = (
    "Schroeder, Lagisetty, Merchant, 'Flash Reliability in Production: The Expected and the Unexpected', "
    "USENIX FAST '16: 30-80% of SSDs develop bad blocks in the field; retired blocks are routine NAND "
    "management and the spare pool absorbs them, while uncorrectable errors are what predict trouble"
)
SRC_ATA_ERROR_LOG = (
    "smartctl(8) -l error: the ATA error log records commands the drive failed (e.g. UNC reads); the count "
    "is lifetime and may be old, so it is reported, and the counters above decide the health"
)
SRC_OLD_AGE = (
    "smartmontools smartctl(8) on attribute TYPE: a Pre-fail attribute at its threshold means imminent "
    "failure; an Old_age attribute at its threshold means the end of the product's design life"
)
SRC_CRUCIAL_PENDING = (
    "smartmontools drivedb (Crucial/Micron MX500 and BX: 197 Current_Pending_ECC_Cnt) and widely reported "
    "MX500 firmware behaviour: the count toggles 0/1 during background NAND refresh without data loss"
)
SRC_POLICY = "Relife grading policy (DESIGN §2.3)"
SRC_MEGARAID = (
    "Broadcom StorCLI reference manual (MegaRAID 12Gb/s SAS RAID controllers): drive states Onln, UGood, "
    "UBad (unconfigured bad), Offln, Failed; 'Media Error Count' counts medium errors the drive returned "
    "to the controller; Cisco CIMC and Dell iDRAC Redfish OEM 'MediaErrorCount' relay the same counter"
)
#: Controller drive states (storcli) in which the controller has taken the drive out of use for a fault.
CONTROLLER_FAILED_STATES = frozenset({"UBad", "Failed", "Offln", "UBUnsp"})
SRC_TBW = (
    "JEDEC JESD218 (SSD requirements and endurance test method): the rated TBW is the host data a drive is "
    "specified to take while keeping its data for the retention period; the maker's datasheet gives it per model"
)
SRC_WEAR_FLOOR = (
    "vendor SMART definitions (SRC_SSD_WEAR): the normalised 'life left' value counts down to 1 (some drives 0) "
    "and stays there once the rated endurance is used: at the floor it cannot say how far past its rating the "
    "flash is"
)

# --- thresholds ----------------------------------------------------------------------------------
#: Up to this many reallocated sectors (SMART 5) on a drive with no pending/uncorrectable sectors is
#: an old, settled defect: worn. Beyond it the Backblaze 2014 buckets show the AFR climbing steeply
#: with the count (SRC_BACKBLAZE_2014) and Google saw 14x the 60-day failure risk (SRC_GOOGLE_2007).
REALLOCATED_SECTORS_WORN_MAX = 10
#: SMART 187 counts reads the drive could not correct and reported to the host (data was lost at the
#: time). A few is worn; more is failing (SRC_BACKBLAZE_2014, SRC_BACKBLAZE_2016).
REPORTED_UNCORRECTABLE_WORN_MAX = 3
#: A single pending block on Crucial/Micron SSDs (197 Current_Pending_ECC_Cnt) is the firmware quirk
#: of SRC_CRUCIAL_PENDING when nothing else is wrong: worn (re-test), not failing.
CRUCIAL_PENDING_QUIRK_COUNT = 1
#: SSD retired/reallocated blocks (SMART 5 on an SSD): up to this many is routine NAND management
#: (SRC_FLASH_FIELD), reported only; up to the second bound worn; beyond it failing.
SSD_RETIRED_BLOCKS_INFO_MAX = 10
SSD_RETIRED_BLOCKS_WORN_MAX = 100
#: SAS grown defect list: the analogue of SMART 5 (SRC_SCSI); same reasoning and bound.
SCSI_GROWN_DEFECTS_WORN_MAX = 10
#: 365.25 days x 24 h: the one year length every hours <-> years conversion uses (SRC_POLICY).
HOURS_PER_YEAR = 8766
#: ~5 years of continuous use (5 x HOURS_PER_YEAR): past it, Backblaze's failure rates
#: by age rise (SRC_BACKBLAZE_AGE).
WORN_POWER_ON_HOURS = 43_830
#: ~8 years continuous (8 x HOURS_PER_YEAR): well into the rising part of the curve: grade D.
VERY_WORN_POWER_ON_HOURS = 70_128
#: Service life used for the HDD remaining-life estimate: 6 years of continuous use (6 x HOURS_PER_YEAR,
#: SRC_BACKBLAZE_AGE).
HDD_SERVICE_LIFE_HOURS = 52_596
#: Load/unload cycle ratings (SRC_LOAD_CYCLES): 300,000 for laptop (2.5"/1.8") and desktop drives alike
#: (WD Blue/Black, Seagate Barracuda, Toshiba MQ/DT), 600,000 for the NAS/enterprise families named in
#: LOAD_CYCLES_NAS_MODEL_MARKERS (WD Red Pro, Seagate IronWolf/Exos, HGST Ultrastar).
LOAD_CYCLES_RATED_LAPTOP = 300_000
LOAD_CYCLES_RATED_DESKTOP = 300_000
LOAD_CYCLES_RATED_NAS = 600_000
LOAD_CYCLES_NAS_MODEL_MARKERS = ("red pro", "ironwolf", "exos", "ultrastar")
#: SMART 197 (pending) and 198 (offline uncorrectable): no allowance, the first sector is the signal
#: (16x / 39x the 60-day failure risk, SRC_GOOGLE_2007; SRC_BACKBLAZE_2016).
PENDING_SECTORS_WORN_MAX = 0
OFFLINE_UNCORRECTABLE_WORN_MAX = 0
#: SSD endurance: worn from 80 % of rated writes used (20 % left); very worn from 95 %; NVMe
#: Percentage Used > 100 means past the vendor's endurance estimate (SRC_NVME): failing.
SSD_WORN_USED_PERCENT = 80
SSD_VERY_WORN_USED_PERCENT = 95
SSD_FAILING_USED_PERCENT_ABOVE = 100
#: A "life left" attribute at or below this normalised value sits at its floor (SRC_WEAR_FLOOR): the whole
#: rated endurance is used and the indicator cannot count further, like NVMe Percentage Used past 100:
#: failing (``ssd.wear_at_floor``).
SSD_WEAR_FLOOR_VALUE = 1
#: Host writes beyond the model's rated TBW (ENDURANCE_RATINGS): past the endurance the maker warrants
#: (SRC_TBW), worn. The rating is a warranty figure under a worst-case workload (JESD219), so the drive's
#: own wear indicator may read lower: beyond this multiple of the rating the drive is very worn (D).
TBW_VERY_WORN_MULTIPLE = 2.0
#: "Like new" (grade A): at most ~a year of office use (8 h x 250 days) and ≤ 5 % SSD wear (SRC_POLICY).
NEARLY_NEW_MAX_HOURS = 2_000
NEARLY_NEW_MAX_WEAR_PERCENT = 5
#: Temperatures worth a note (SRC_TEMPERATURE): never a failure.
HOT_HDD_C = 60
HOT_SSD_C = 70
#: Years are estimated at the drive's past duty cycle; beyond this, endurance is not what limits it.
MAX_ESTIMATED_YEARS = 10.0
#: Below ~3 months of continuous use the duty cycle so far says too little to extrapolate years.
MIN_HOURS_TO_EXTRAPOLATE = 2_000

#: NVMe Critical Warning bits (SRC_NVME). Bit 1 (temperature) alone is not a failure.
NVME_WARNING_BITS = {
    0x01: "available spare below threshold",
    0x04: "NVM subsystem reliability degraded (media or internal errors)",
    0x08: "media placed in read-only mode",
    0x10: "volatile memory backup device failed",
    0x20: "persistent memory region read-only or unreliable",
}
#: NVMe Critical Warning bit 1: a temperature threshold was crossed (SRC_NVME): information only.
NVME_TEMPERATURE_BIT = 0x02

#: ATA attribute names whose normalised value is the share of rated endurance left (SRC_SSD_WEAR).
SSD_WEAR_NAME_MARKERS = (
    "Wear_Leveling_Count",
    "Media_Wearout_Indicator",
    "SSD_Life_Left",
    "Percent_Lifetime_Remain",
    "Remaining_Lifetime_Perc",
    "Percent_Life_Remaining",
    "Perc_Rated_Life_Remain",
    "Lifetime_Left",
    "Wearout_Indicator",
)


def assess_disk(disk: DiskHealth) -> Assessment:
    """Health, grade, findings and remaining life of one disk (see the module docstring)."""
    return _assess(disk, ssd_wear_used_percent(disk))


def grade_disk(disk: DiskHealth) -> tuple[Assessment, dict[str, Any], dict[str, Any]]:
    """``assess_disk``, ``disk_identity`` and ``disk_measurements`` of one disk at once, sharing
    the SSD wear reading the assessment and the measurements both need."""
    wear = ssd_wear_used_percent(disk)
    return _assess(disk, wear), disk_identity(disk), _measurements(disk, wear)


def _assess(disk: DiskHealth, wear: tuple[int, str] | None) -> Assessment:
    if disk.identity.device_type == "hdd":
        wear = None  # the policy reads no SSD wear on a spinning drive
    very_worn: list[str] = []  # what makes a worn drive D rather than C
    endurance = _endurance_reading(disk)
    findings = [
        *_overall(disk),
        *_ata_attributes(disk, very_worn),
        *_self_tests(disk),
        *_nvme(disk),
        *_scsi(disk),
        *_controller(disk),
        *_age(disk, very_worn),
        *_load_cycles(disk, very_worn),
        *_ssd_wear(wear, very_worn),
        *_writes_beyond_rating(endurance, very_worn),
        *_temperature(disk),
    ]
    health = _health(disk, findings)
    limited = _limited_data(disk)
    if limited is not None:
        findings.append(limited)
    return Assessment(
        health=health,
        grade=_grade(disk, health, very_worn, limited is not None, findings, wear),
        findings=tuple(findings),
        remaining_life=_remaining_life(disk, health, wear, endurance),
        policy=POLICY_VERSION,
    )


def _health(disk: DiskHealth, findings: list[Finding]) -> Health:
    """The worst severity decides (module docstring); unknown when the data says nothing (an NVMe
    error log alone counts failed commands, it says nothing of the drive's media or wear)."""
    if not disk.has_health_data or _error_log_only(disk):
        return Health.UNKNOWN
    severities = {finding.severity for finding in findings}
    if Severity.CRITICAL in severities:
        return Health.FAILING
    if Severity.WARNING in severities:
        return Health.WORN
    return Health.HEALTHY


def _finding(
    code: str,
    severity: Severity,
    message: str,
    source: str,
    attribute: str,
    value: Any,
    threshold: Any = None,
    **extra: Any,
) -> Finding:
    evidence: dict[str, Any] = {"attribute": attribute, "value": value}
    if threshold is not None:
        evidence["threshold"] = threshold
    if extra:
        evidence.update({k: v for k, v in extra.items() if v is not None})
    return Finding(code=code, severity=severity, message=message, evidence=evidence, source=source)


# --- rules ---------------------------------------------------------------------------------------
def _overall(disk: DiskHealth) -> list[Finding]:
    if disk.smart_passed is False:
        return [
            _finding(
                "smart.overall_failed",
                Severity.CRITICAL,
                "The drive's own SMART verdict is FAILED: replace it.",
                SRC_SMARTCTL,
                "smart_status",
                "FAILED",
                "PASSED",
            )
        ]
    return []


def _is_temperature(attr: AtaAttribute) -> bool:
    return attr.id in _TEMPERATURE_IDS or "emp" in attr.name


#: Temperature attributes (smartmontools drivedb: 190 Airflow_Temperature_Cel, 194 Temperature_Celsius).
_TEMPERATURE_IDS = frozenset({190, 194})


def _ata_attributes(disk: DiskHealth, very_worn: list[str]) -> list[Finding]:
    out: list[Finding] = []
    for attr in disk.attributes:
        if not attr.when_failed:
            thresh = attr.thresh
            if not thresh:
                continue  # no vendor threshold and no smartctl verdict: nothing to fail (SRC_SMARTCTL)
            # Most rows, read without the properties: neither failing now (``value`` above the
            # threshold) nor failed in the past (``worst`` above it); see ``AtaAttribute``.
            value, worst = attr.value, attr.worst
            if (value is None or value > thresh) and (not worst or worst > thresh):
                continue
        if not (attr.failing_now or attr.failed_in_past) or _is_temperature(attr):
            continue  # a temperature at its threshold is a hot moment, not a defect (SRC_TEMPERATURE)
        if attr.failing_now and attr.prefailure:
            out.append(
                _finding(
                    "ata.attribute_failing_now",
                    Severity.CRITICAL,
                    f"Pre-failure attribute {attr.id} {attr.name} is at or below its vendor threshold now.",
                    SRC_SMARTCTL,
                    f"{attr.id} {attr.name}",
                    attr.value,
                    attr.thresh,
                )
            )
        elif attr.failing_now:
            very_worn.append(f"attribute {attr.id}")
            out.append(
                _finding(
                    "ata.attribute_end_of_life",
                    Severity.WARNING,
                    f"Old-age attribute {attr.id} {attr.name} reached its vendor threshold: the end of its "
                    "design life, not an imminent failure.",
                    SRC_OLD_AGE,
                    f"{attr.id} {attr.name}",
                    attr.value,
                    attr.thresh,
                )
            )
        elif attr.failed_in_past and attr.prefailure:
            out.append(
                _finding(
                    "ata.attribute_failed_in_past",
                    Severity.WARNING,
                    f"Pre-failure attribute {attr.id} {attr.name} fell to its threshold in the past.",
                    SRC_SMARTCTL,
                    f"{attr.id} {attr.name}",
                    attr.worst,
                    attr.thresh,
                )
            )
    out += _pending(disk)
    out += _count_rule(
        disk.offline_uncorrectable,
        disk.attribute(198),
        "ata.offline_uncorrectable",
        OFFLINE_UNCORRECTABLE_WORN_MAX,
        "sectors could not be read during the offline scan",
        SRC_GOOGLE_2007,
    )
    out += _count_rule(
        disk.reported_uncorrectable,
        disk.attribute(187),
        "ata.reported_uncorrectable",
        REPORTED_UNCORRECTABLE_WORN_MAX,
        "uncorrectable errors were reported to the host",
        SRC_BACKBLAZE_2014,
    )
    if disk.identity.device_type == "ssd":
        out += _ssd_retired_blocks(disk)
    else:
        out += _count_rule(
            disk.reallocated_sectors,
            disk.attribute(5),
            "ata.reallocated_sectors",
            REALLOCATED_SECTORS_WORN_MAX,
            "sectors have been remapped to spares",
            SRC_BACKBLAZE_2014,
        )
    if disk.ata_error_count:
        out.append(
            _finding(
                "ata.error_log_entries",
                Severity.INFO,
                f"The drive's error log holds {disk.ata_error_count} failed commands over its life.",
                SRC_ATA_ERROR_LOG,
                "ata_error_count",
                disk.ata_error_count,
            )
        )
    crc = disk.attribute(199)
    if crc is not None and crc.raw_count and "crc" in crc.name.lower():
        out.append(
            _finding(
                "ata.crc_errors",
                Severity.INFO,
                "Interface CRC errors: a cable or connector problem, not the disk's media.",
                SRC_SMARTCTL,
                f"{crc.id} {crc.name}",
                crc.raw_count,
            )
        )
    return out


def _pending(disk: DiskHealth) -> list[Finding]:
    attr = disk.attribute(197)
    count = disk.pending_sectors
    if (
        attr is not None
        and count == CRUCIAL_PENDING_QUIRK_COUNT
        and attr.name == "Current_Pending_ECC_Cnt"
        and not disk.offline_uncorrectable
        and not disk.reported_uncorrectable
    ):
        return [
            _finding(
                "ata.pending_sectors",
                Severity.WARNING,
                "1 pending ECC block on a Crucial/Micron SSD with no uncorrectable error: this firmware "
                "counts a block under background refresh; re-read SMART after a minute of idle.",
                SRC_CRUCIAL_PENDING,
                f"{attr.id} {attr.name}",
                count,
                PENDING_SECTORS_WORN_MAX,
            )
        ]
    return _count_rule(
        count,
        attr,
        "ata.pending_sectors",
        PENDING_SECTORS_WORN_MAX,
        "sectors are waiting to be remapped: they could not be read",
        SRC_GOOGLE_2007,
    )


def _ssd_retired_blocks(disk: DiskHealth) -> list[Finding]:
    count, attr = disk.reallocated_sectors, disk.attribute(5)
    if not count or attr is None:
        return []
    label = f"{attr.id} {attr.name}"
    if count <= SSD_RETIRED_BLOCKS_INFO_MAX:
        return [
            _finding(
                "ssd.retired_blocks",
                Severity.INFO,
                f"{count} retired flash blocks: routine wear management, the spare pool absorbs them.",
                SRC_FLASH_FIELD,
                label,
                count,
                SSD_RETIRED_BLOCKS_INFO_MAX,
            )
        ]
    critical = count > SSD_RETIRED_BLOCKS_WORN_MAX
    return [
        _finding(
            "ssd.retired_blocks",
            Severity.CRITICAL if critical else Severity.WARNING,
            f"{count} retired flash blocks" + (": the flash is failing." if critical else ": watch for growth."),
            SRC_FLASH_FIELD,
            label,
            count,
            SSD_RETIRED_BLOCKS_WORN_MAX if critical else SSD_RETIRED_BLOCKS_INFO_MAX,
        )
    ]


def _count_rule(
    count: int | None,
    attr: AtaAttribute | None,
    code: str,
    worn_max: int,
    what: str,
    source: str,
) -> list[Finding]:
    if not count or attr is None:
        return []
    label = f"{attr.id} {attr.name}"
    if count > worn_max:
        return [
            _finding(
                code,
                Severity.CRITICAL,
                f"{count} {what}: data at risk.",
                f"{source}; {SRC_BACKBLAZE_2016}",
                label,
                count,
                worn_max,
            )
        ]
    return [
        _finding(
            code,
            Severity.WARNING,
            f"{count} {what}: a few, within the worn allowance of {worn_max}; watch for growth.",
            f"{source}; {SRC_BACKBLAZE_2016}",
            label,
            count,
            worn_max,
        )
    ]


def _self_tests(disk: DiskHealth) -> list[Finding]:
    out: list[Finding] = []
    for index, entry in enumerate(disk.self_tests):
        if entry.passed is not False:
            continue
        later_clean_extended = any(later.passed is True and later.is_extended for later in disk.self_tests[:index])
        code = "selftest.read_failure" if entry.failure == "read failure" else "selftest.failed"
        if later_clean_extended:
            out.append(_selftest_finding(entry, "selftest.past_failure", Severity.INFO, cleared=True))
        else:
            out.append(_selftest_finding(entry, code, Severity.CRITICAL, cleared=False))
        break  # the most recent failure is the one that matters; older ones add nothing
    return out


def _selftest_finding(entry: SelfTestEntry, code: str, severity: Severity, *, cleared: bool) -> Finding:
    where = f" at LBA {entry.lba_of_first_error}" if entry.lba_of_first_error is not None else ""
    if cleared:
        message = (
            f"A {entry.test_type} self-test ended '{entry.status}'{where}, but a later extended test "
            "completed without error."
        )
    else:
        message = f"The {entry.test_type} self-test ended '{entry.status}'{where}: the surface has unreadable data."
    return _finding(
        code,
        severity,
        message,
        SRC_SELFTEST,
        "self_test",
        entry.status,
        None,
        lifetime_hours=entry.lifetime_hours,
        lba=entry.lba_of_first_error,
    )


def _nvme(disk: DiskHealth) -> list[Finding]:
    nvme = disk.nvme
    if nvme is None:
        return []
    out: list[Finding] = []
    warning = nvme.critical_warning or 0
    for bit, meaning in NVME_WARNING_BITS.items():
        if warning & bit:
            out.append(
                _finding(
                    "nvme.critical_warning",
                    Severity.CRITICAL,
                    f"NVMe critical warning: {meaning}.",
                    SRC_NVME,
                    "critical_warning",
                    f"0x{warning:02x}",
                    None,
                    bit=f"0x{bit:02x}",
                )
            )
    if warning & NVME_TEMPERATURE_BIT:
        out.append(
            _finding(
                "nvme.temperature_warning",
                Severity.INFO,
                "NVMe temperature warning bit set: the drive was hot when read; re-test when cool.",
                SRC_NVME,
                "critical_warning",
                f"0x{warning:02x}",
            )
        )
    spare, spare_min = nvme.available_spare, nvme.available_spare_threshold
    if spare is not None and spare_min is not None and spare_min > 0 and spare < spare_min:
        out.append(
            _finding(
                "nvme.spare_below_threshold",
                Severity.CRITICAL,
                f"Available spare {spare}% is below the drive's threshold {spare_min}%.",
                SRC_NVME,
                "available_spare",
                spare,
                spare_min,
            )
        )
    if nvme.media_errors:
        out.append(
            _finding(
                "nvme.media_errors",
                Severity.CRITICAL,
                f"{nvme.media_errors} media and data integrity errors: the drive returned data it could not correct.",
                SRC_NVME,
                "media_errors",
                nvme.media_errors,
                0,
            )
        )
    if nvme.num_err_log_entries:
        out.append(
            _finding(
                "nvme.error_log_entries",
                Severity.INFO,
                f"{nvme.num_err_log_entries} error-log entries: usually host probe commands the drive "
                "rejected, not media errors.",
                SRC_NVME,
                "num_err_log_entries",
                nvme.num_err_log_entries,
            )
        )
    return out


def _scsi(disk: DiskHealth) -> list[Finding]:
    scsi = disk.scsi
    if scsi is None:
        return []
    out: list[Finding] = []
    uncorrected = scsi.uncorrected_total
    if uncorrected:
        out.append(
            _finding(
                "scsi.uncorrected_errors",
                Severity.CRITICAL,
                f"{uncorrected} uncorrected read/write/verify errors in the error counter log.",
                SRC_SCSI,
                "total_uncorrected_errors",
                uncorrected,
                0,
                read=scsi.read_uncorrected,
                write=scsi.write_uncorrected,
                verify=scsi.verify_uncorrected,
            )
        )
    if scsi.pending_defects:
        out.append(
            _finding(
                "scsi.pending_defects",
                Severity.CRITICAL,
                f"{scsi.pending_defects} blocks wait in the pending defect list: they could not be read.",
                f"{SRC_SCSI}; {SRC_GOOGLE_2007}",
                "pending_defects",
                scsi.pending_defects,
                0,
            )
        )
    if scsi.grown_defects:
        critical = scsi.grown_defects > SCSI_GROWN_DEFECTS_WORN_MAX
        out.append(
            _finding(
                "scsi.grown_defects",
                Severity.CRITICAL if critical else Severity.WARNING,
                f"{scsi.grown_defects} blocks in the grown defect list"
                + (": data at risk." if critical else ": a few; watch for growth."),
                f"{SRC_SCSI}; {SRC_BACKBLAZE_2014}",
                "grown_defects",
                scsi.grown_defects,
                SCSI_GROWN_DEFECTS_WORN_MAX,
            )
        )
    if (
        scsi.start_stop_cycles
        and scsi.start_stop_cycles_rated
        and scsi.start_stop_cycles > scsi.start_stop_cycles_rated
    ):
        out.append(
            _finding(
                "scsi.start_stop_cycles",
                Severity.WARNING,
                "Start-stop cycles exceed the drive's specified lifetime count.",
                SRC_SCSI,
                "start_stop_cycles",
                scsi.start_stop_cycles,
                scsi.start_stop_cycles_rated,
            )
        )
    return out


def _controller(disk: DiskHealth) -> list[Finding]:
    """What a RAID controller says of the drive: its state and its media error count (storcli,
    Redfish OEM), read as the controller's word whatever the drive's protocol."""
    out: list[Finding] = []
    state = disk.controller_drive_state
    if state in CONTROLLER_FAILED_STATES:
        out.append(
            _finding(
                "controller.drive_state",
                Severity.CRITICAL,
                f"The RAID controller has taken the drive out of use (state {state}): replace it or find out why.",
                SRC_MEGARAID,
                "controller_drive_state",
                state,
                "Onln, UGood, JBOD",
            )
        )
    if disk.controller_media_errors:
        out.append(
            _finding(
                "controller.media_errors",
                Severity.CRITICAL,
                f"The RAID controller counted {disk.controller_media_errors} media errors on this drive: "
                "it returned data it could not read.",
                SRC_MEGARAID,
                "controller_media_errors",
                disk.controller_media_errors,
                0,
            )
        )
    return out


def _age(disk: DiskHealth, very_worn: list[str]) -> list[Finding]:
    hours = disk.power_on_hours
    if hours is None or hours <= WORN_POWER_ON_HOURS:
        return []
    if hours > VERY_WORN_POWER_ON_HOURS:
        very_worn.append("power_on_hours")
    return [
        _finding(
            "disk.power_on_hours",
            Severity.WARNING,
            f"{hours} power-on hours ({hours / HOURS_PER_YEAR:.1f} years of continuous use).",
            SRC_BACKBLAZE_AGE,
            "power_on_hours",
            hours,
            WORN_POWER_ON_HOURS,
        )
    ]


def _load_cycle_rating(disk: DiskHealth) -> int:
    if disk.scsi is not None and disk.scsi.load_unload_cycles_rated:
        return disk.scsi.load_unload_cycles_rated
    names = f"{disk.identity.model_family or ''} {disk.identity.model or ''}".lower()
    if any(marker in names for marker in LOAD_CYCLES_NAS_MODEL_MARKERS):
        return LOAD_CYCLES_RATED_NAS
    form = (disk.identity.form_factor or "").lower()
    rpm = disk.identity.rotation_rpm or 0
    if "2.5" in form or "1.8" in form or 0 < rpm <= 5400:
        return LOAD_CYCLES_RATED_LAPTOP
    return LOAD_CYCLES_RATED_DESKTOP


def _load_cycles(disk: DiskHealth, very_worn: list[str]) -> list[Finding]:
    cycles = disk.load_cycles
    if not cycles or disk.identity.device_type in {"ssd", "nvme"}:
        return []
    rating = _load_cycle_rating(disk)
    if cycles <= rating:
        return []
    if cycles > 2 * rating:
        very_worn.append("load_cycles")
    code = "scsi.load_cycles" if disk.attribute(193) is None else "ata.load_cycles"
    return [
        _finding(
            code,
            Severity.WARNING,
            f"{cycles} head load/unload cycles, beyond the {rating} this class of drive is rated for.",
            SRC_LOAD_CYCLES,
            "load_cycles",
            cycles,
            rating,
        )
    ]


class EnduranceRating(NamedTuple):
    """The rated endurance of one SSD model: ``model`` is matched, case-insensitively, as a part of the
    drive's reported model string."""

    model: str
    tbw: float  # terabytes (10^12 bytes) written
    source: str


#: Datasheet sources of ENDURANCE_RATINGS, one per product line (SRC_TBW).
_CRUCIAL_MX500 = (
    "Crucial MX500 product flyer, endurance table "
    "(https://content.crucial.com/content/dam/crucial/ssd-products/mx500/flyer/crucial-mx500-ssd-productflyer-en.pdf)"
)
#: (SRC_TBW)
_SAMSUNG_860_EVO = (
    "Samsung SSD 860 EVO data sheet, warranty: 150 TBW per 250 GB "
    "(https://semiconductor.samsung.com/consumer-storage/internal-ssd/860evo/)"
)
#: (SRC_TBW)
_INTEL_P3600 = (
    "Intel SSD DC P3600 Series Product Specification (order 330497): endurance 3 drive writes per day "
    "for 5 years (JESD219), up to 10.95 PBW at 2 TB; per capacity = 3 x capacity x 365 x 5"
)
#: (SRC_TBW)
_INTEL_P4500 = (
    "Lenovo Press product guide 'Intel P4500 Entry NVMe PCIe3 SSDs', technical specifications: "
    "1.38 PB (1.0 TB), 1.89 PB (2.0 TB), 4.84 PB (4.0 TB) total bytes written"
)
#: (SRC_TBW)
_WD_RED_SA500 = (
    "WD Red SA500 NAS SATA SSD data sheet (https://products.wdc.com/library/SpecSheet/ENG/02-01-WW-04-00048.pdf)"
)

#: Rated endurance of SSD models Relife meets, each row with its source (SRC_TBW). A model not listed
#: has no rating: its host writes are reported, never judged.
ENDURANCE_RATINGS: tuple[EnduranceRating, ...] = (
    EnduranceRating("CT250MX500SSD1", 100.0, _CRUCIAL_MX500),
    EnduranceRating("CT500MX500SSD1", 180.0, _CRUCIAL_MX500),
    EnduranceRating("CT1000MX500SSD1", 360.0, _CRUCIAL_MX500),
    EnduranceRating("CT2000MX500SSD1", 700.0, _CRUCIAL_MX500),
    EnduranceRating("CT4000MX500SSD1", 1000.0, _CRUCIAL_MX500),
    EnduranceRating("Samsung SSD 860 EVO 250GB", 150.0, _SAMSUNG_860_EVO),
    EnduranceRating("Samsung SSD 860 EVO 500GB", 300.0, _SAMSUNG_860_EVO),
    EnduranceRating("Samsung SSD 860 EVO 1TB", 600.0, _SAMSUNG_860_EVO),
    EnduranceRating("Samsung SSD 860 EVO 2TB", 1200.0, _SAMSUNG_860_EVO),
    EnduranceRating("SSDPEDMD400G4", 2190.0, _INTEL_P3600),
    EnduranceRating("SSDPEDMD800G4", 4380.0, _INTEL_P3600),
    EnduranceRating("SSDPEDMD016T4", 8760.0, _INTEL_P3600),
    EnduranceRating("SSDPEDMD020T4", 10950.0, _INTEL_P3600),
    EnduranceRating("SSDPE2KX010T7", 1380.0, _INTEL_P4500),
    EnduranceRating("SSDPE2KX020T7", 1890.0, _INTEL_P4500),
    EnduranceRating("SSDPE2KX040T7", 4840.0, _INTEL_P4500),
    EnduranceRating("WDS500G1R0A", 350.0, _WD_RED_SA500),
    EnduranceRating("WDS100T1R0A", 600.0, _WD_RED_SA500),
    EnduranceRating("WDS200T1R0A", 1300.0, _WD_RED_SA500),
    EnduranceRating("WDS400T1R0A", 2500.0, _WD_RED_SA500),
)
#: ENDURANCE_RATINGS keyed by the lower-case model part, for matching (SRC_TBW).
_RATINGS_LOWER = tuple((rating.model.lower(), rating) for rating in ENDURANCE_RATINGS)

#: ATA attributes counting host writes, by name, and the bytes one raw unit stands for (smartmontools
#: drivedb names): logical sectors of 512 bytes, Intel's 32 MiB units, Kingston's GiB.
HOST_WRITE_UNITS = {
    "Total_LBAs_Written": 512,
    "Host_Writes_32MiB": 32 * 2**20,
    "Lifetime_Writes_GiB": 2**30,
    "Host_Writes_GiB": 2**30,
}
#: NVMe Data Units Written count thousands of 512-byte units (SRC_NVME).
NVME_DATA_UNIT_BYTES = 512_000


def endurance_rating(disk: DiskHealth) -> EnduranceRating | None:
    """The rated endurance of this drive's model, from ``ENDURANCE_RATINGS``, or None."""
    if disk.identity.device_type not in {"ssd", "nvme"} or not disk.identity.model:
        return None
    model = disk.identity.model.lower()
    for key, rating in _RATINGS_LOWER:
        if key in model:
            return rating
    return None


def host_writes_tb(disk: DiskHealth) -> float | None:
    """Host data written over the drive's life, in TB (10^12 bytes), or None when not reported."""
    if disk.nvme is not None and disk.nvme.data_units_written is not None:
        return disk.nvme.data_units_written * NVME_DATA_UNIT_BYTES / 1e12
    for attr in disk.attributes:
        unit = HOST_WRITE_UNITS.get(attr.name)
        if unit is not None:  # a write counter fills the 48-bit raw field: not a packed value (PACKED_RAW_ABOVE)
            return attr.raw * unit / 1e12 if attr.raw is not None else None
    return None


def ssd_wear_used_percent(disk: DiskHealth) -> tuple[int, str] | None:
    """Share of rated SSD endurance used and where it comes from, or None. A reading relayed by
    another tool (a BMC's ``PredictedMediaLifeLeftPercent``, Windows' ``Wear``) carries its own
    basis, even for an NVMe drive: it is that tool's figure, not the drive's log page read directly."""
    if disk.endurance_basis is not None and disk.endurance_used_percent is not None:
        return disk.endurance_used_percent, disk.endurance_basis
    if disk.nvme is not None and disk.nvme.percentage_used is not None:
        return disk.nvme.percentage_used, "nvme.percentage_used"
    if disk.scsi is not None and disk.scsi.percentage_used_endurance is not None:
        return disk.scsi.percentage_used_endurance, "scsi.percentage_used_endurance"
    if disk.endurance_used_percent is not None:
        return disk.endurance_used_percent, disk.endurance_basis or "ata.device_statistics.endurance_used"
    left = ssd_life_left_attribute(disk)
    if left is not None:
        return 100 - left[0], f"ata.{left[1]}"
    return None


def ssd_life_left_attribute(disk: DiskHealth) -> tuple[int, str] | None:
    """The lowest 'life left' normalised value among the known wear attributes, with its name."""
    best: tuple[int, str] | None = None
    for attr in disk.attributes:
        name = attr.name
        if "Wear" not in name and "Life" not in name:  # every marker names one of them: most rows end here
            continue
        value = attr.value
        if value is None or value > 100:  # normalised percentages only
            continue
        if _WEAR_NAMES.search(name) and (best is None or value < best[0]):
            best = (value, f"{attr.id}_{name}")
    return best


#: SSD_WEAR_NAME_MARKERS as one pattern (SRC_SSD_WEAR).
_WEAR_NAMES = re.compile("|".join(re.escape(marker) for marker in SSD_WEAR_NAME_MARKERS))


def wear_at_floor(wear: tuple[int, str] | None) -> bool:
    """Whether the wear reading comes from a "life left" attribute sitting at its floor (SRC_WEAR_FLOOR)."""
    if wear is None:
        return False
    used, basis = wear
    return (
        basis.startswith("ata.")
        and basis != "ata.device_statistics.endurance_used"
        and (100 - used <= SSD_WEAR_FLOOR_VALUE)
    )


def _ssd_wear(wear: tuple[int, str] | None, very_worn: list[str]) -> list[Finding]:
    if wear is None:
        return []
    used, basis = wear
    if wear_at_floor(wear):
        return [
            _finding(
                "ssd.wear_at_floor",
                Severity.CRITICAL,
                f"The wear indicator sits at its floor ({100 - used}): the whole rated endurance is used and "
                "the drive cannot say how far past it the flash is.",
                SRC_WEAR_FLOOR,
                basis,
                100 - used,
                SSD_WEAR_FLOOR_VALUE,
            )
        ]
    code = "nvme.percentage_used" if basis == "nvme.percentage_used" else "ssd.wear"
    if used > SSD_FAILING_USED_PERCENT_ABOVE:
        return [
            _finding(
                code,
                Severity.CRITICAL,
                f"{used}% of rated endurance used: past the vendor's estimate of the drive's life.",
                SRC_NVME if code.startswith("nvme") else SRC_SSD_WEAR,
                basis,
                used,
                SSD_FAILING_USED_PERCENT_ABOVE,
            )
        ]
    if used >= SSD_WORN_USED_PERCENT:
        if used >= SSD_VERY_WORN_USED_PERCENT:
            very_worn.append("ssd_wear")
        return [
            _finding(
                code,
                Severity.WARNING,
                f"{used}% of rated endurance used.",
                SRC_NVME if code.startswith("nvme") else SRC_SSD_WEAR,
                basis,
                used,
                SSD_WORN_USED_PERCENT,
            )
        ]
    return []


class _Endurance(NamedTuple):
    written_tb: float
    rating: EnduranceRating


def _endurance_reading(disk: DiskHealth) -> _Endurance | None:
    """Host writes and the model's rating, when both are known (SSDs and NVMe only)."""
    rating = endurance_rating(disk)
    if rating is None:
        return None
    written = host_writes_tb(disk)
    return _Endurance(written, rating) if written is not None else None


def _writes_beyond_rating(endurance: _Endurance | None, very_worn: list[str]) -> list[Finding]:
    if endurance is None or endurance.written_tb <= endurance.rating.tbw:
        return []
    written, tbw = endurance.written_tb, endurance.rating.tbw
    if written > TBW_VERY_WORN_MULTIPLE * tbw:
        very_worn.append("host_writes")
    return [
        _finding(
            "ssd.writes_beyond_rating",
            Severity.WARNING,
            f"{written:,.0f} TB written by the host, beyond the {tbw:,.0f} TB this model is rated for "
            f"({written / tbw:.1f} x its rating): past the endurance its maker warrants.",
            f"{SRC_TBW}; {endurance.rating.source}",
            "host_writes_tb",
            round(written, 1),
            tbw,
            model=endurance.rating.model,
        )
    ]


def _temperature(disk: DiskHealth) -> list[Finding]:
    temp = disk.temperature_c
    if temp is None:
        return []
    limit = HOT_HDD_C if disk.identity.device_type in {"hdd", "unknown"} else HOT_SSD_C
    if temp < limit:
        return []
    return [
        _finding(
            "disk.temperature",
            Severity.INFO,
            f"{temp} °C when read: hot, not a defect; re-test when cool and check the cooling.",
            SRC_TEMPERATURE,
            "temperature_c",
            temp,
            limit,
        )
    ]


def _error_log_only(disk: DiskHealth) -> bool:
    """Only the NVMe error log's entry count is known (``nvme error-log`` read alone)."""
    nvme = disk.nvme
    return (
        nvme is not None
        and nvme.num_err_log_entries is not None
        and all(value is None for value in nvme[:-1])  # num_err_log_entries is the last field
        and disk.smart_passed is None
        and not disk.attributes
        and disk.scsi is None
        and not disk.self_tests
        and disk.endurance_used_percent is None
        and disk.controller_drive_state is None
        and disk.controller_media_errors is None
    )


def _limited_data(disk: DiskHealth) -> Finding | None:
    if _error_log_only(disk):
        return _finding(
            "disk.error_log_only",
            Severity.INFO,
            "Only the NVMe error log is known: it counts failed commands, not the drive's wear or media "
            "errors; grade the drive from its smart-log.",
            SRC_POLICY,
            "smart_data",
            "error log only",
        )
    if not disk.has_health_data:
        return _finding(
            "disk.no_health_data",
            Severity.WARNING,
            "The report holds no SMART health data: the grade rests on nothing measured.",
            SRC_POLICY,
            "smart_data",
            None,
        )
    if (
        not disk.attributes
        and disk.nvme is None
        and disk.scsi is None
        and not disk.self_tests
        and disk.controller_media_errors is None
    ):
        if disk.smart_passed is None and disk.endurance_used_percent is not None:
            return _finding(
                "disk.wear_only",
                Severity.INFO,
                "Only the SSD's wear is known (no health verdict, counters or logs): graded for its wear, "
                "cannot vouch for more than 'used'.",
                SRC_POLICY,
                "smart_data",
                "wear only",
            )
        return _finding(
            "disk.limited_data",
            Severity.INFO,
            "Only the overall verdict is known (no attributes or logs): cannot vouch for more than 'used'.",
            SRC_POLICY,
            "smart_data",
            "overall verdict only",
        )
    return None


# --- grade and remaining life ----------------------------------------------------------------------
#: Info findings that still allow grade A: they say nothing about the drive's own wear or defects.
A_COMPATIBLE_CODES = frozenset({"disk.temperature", "nvme.error_log_entries", "nvme.temperature_warning"})


def _grade(
    disk: DiskHealth,
    health: Health,
    very_worn: list[str],
    limited: bool,
    findings: list[Finding],
    wear: tuple[int, str] | None,
) -> Grade:
    if health is Health.FAILING:
        return Grade.F
    if health is Health.WORN:
        return Grade.D if very_worn else Grade.C
    if health is Health.UNKNOWN:
        return Grade.C
    if limited or disk.power_on_hours is None or disk.power_on_hours > NEARLY_NEW_MAX_HOURS:
        return Grade.B
    if wear is not None and wear[0] > NEARLY_NEW_MAX_WEAR_PERCENT:
        return Grade.B
    if any(f.code not in A_COMPATIBLE_CODES for f in findings):
        return Grade.B
    return Grade.A


#: The remaining life of every failing drive (records are immutable: one shared instance).
FAILING_LIFE = RemainingLife(basis="disk.failing", percent=0.0, years=0.0, detail="data at risk now: replace the drive")


def _remaining_life(
    disk: DiskHealth, health: Health, wear: tuple[int, str] | None, endurance: _Endurance | None = None
) -> RemainingLife | None:
    if health is Health.FAILING:
        return FAILING_LIFE
    hours = disk.power_on_hours
    if wear is not None:
        used, basis = wear
        return _life_from_rate(float(used), hours, basis, f"{used}% of rated endurance used")
    if endurance is not None:
        used_share = 100.0 * endurance.written_tb / endurance.rating.tbw
        return _life_from_rate(
            used_share,
            hours,
            basis="ssd.host_writes_vs_rated",
            detail=(
                f"{endurance.written_tb:,.1f} of the {endurance.rating.tbw:,.0f} TB rated for {endurance.rating.model}"
            ),
        )
    if disk.identity.device_type in {"hdd", "unknown"} and hours is not None and not disk.nvme:
        left_hours = max(0, HDD_SERVICE_LIFE_HOURS - hours)
        return RemainingLife(
            basis="hdd.age_vs_afr",
            percent=round(100.0 * left_hours / HDD_SERVICE_LIFE_HOURS, 1),
            years=round(left_hours / HOURS_PER_YEAR, 1),
            detail=(
                f"{hours} h of a {HDD_SERVICE_LIFE_HOURS} h (6-year continuous) service life; "
                "failure rates rise with age"
            ),
        )
    return None


def _life_from_rate(used: float, hours: int | None, basis: str, detail: str) -> RemainingLife:
    """Endurance left, and years at the drive's own rate of wear over its life (percentage used per
    power-on hour, MIN_HOURS_TO_EXTRAPOLATE at least), capped at MAX_ESTIMATED_YEARS."""
    left = float(min(100.0, max(0.0, 100.0 - used)))
    years: float | None = None
    if hours and hours >= MIN_HOURS_TO_EXTRAPOLATE and used > 0:
        per_hour = used / hours
        years = min(MAX_ESTIMATED_YEARS, left / per_hour / HOURS_PER_YEAR)
        detail += f" in {hours} power-on hours ({1000 * per_hour:.2f} % per 1000 h); years at that rate of wear"
    return RemainingLife(
        basis=basis, percent=round(left, 1), years=round(years, 1) if years is not None else None, detail=detail
    )


# --- identity / measurements for ComponentReport ---------------------------------------------------
def disk_identity(disk: DiskHealth) -> dict[str, Any]:
    ident = disk.identity
    return {
        "model": ident.model,
        "serial": ident.serial,
        "firmware": ident.firmware,
        "capacity_bytes": ident.capacity_bytes,
        "interface": ident.interface,
        "device_type": ident.device_type,
        "rotation_rpm": ident.rotation_rpm,
        "form_factor": ident.form_factor,
        "vendor": ident.vendor,
        "model_family": ident.model_family,
        "smartctl_version": disk.smartctl_version,
    }


def disk_measurements(disk: DiskHealth) -> dict[str, Any]:
    """JSON-serialisable measurements: the counts the policy reads plus the raw tables."""
    return _measurements(disk, ssd_wear_used_percent(disk))


def _measurements(disk: DiskHealth, wear: tuple[int, str] | None) -> dict[str, Any]:
    nvme = disk.nvme
    scsi = disk.scsi
    return {
        "smart_passed": disk.smart_passed,
        "power_on_hours": disk.power_on_hours,
        "power_cycles": disk.power_cycles,
        "temperature_c": disk.temperature_c,
        "reallocated_sectors": disk.reallocated_sectors,
        "pending_sectors": disk.pending_sectors,
        "offline_uncorrectable": disk.offline_uncorrectable,
        "reported_uncorrectable": disk.reported_uncorrectable,
        "load_cycles": disk.load_cycles,
        "ssd_wear_used_percent": wear[0] if wear else None,
        "ssd_wear_basis": wear[1] if wear else None,
        "nvme": nvme._asdict() if nvme is not None else None,
        "scsi": scsi._asdict() if scsi is not None else None,
        "controller": {
            "drive_state": disk.controller_drive_state,
            "media_errors": disk.controller_media_errors,
            "other_errors": disk.controller_other_errors,
        }
        if disk.controller_drive_state is not None or disk.controller_media_errors is not None
        else None,
        "self_tests": [
            {
                "type": t.test_type,
                "status": t.status,
                "passed": t.passed,
                "failure": t.failure,
                "lifetime_hours": t.lifetime_hours,
                "lba_of_first_error": t.lba_of_first_error,
            }
            for t in disk.self_tests
        ],
        # A dict display per row, from the row unpacked (which fails loudly if the record gains a
        # field): ``_asdict`` (``dict(zip(...))``) costs half as much again, and a report has dozens
        # of rows. test_disk_grading.py checks the keys against ``AtaAttribute._fields``.
        "attributes": [
            {
                "id": attr_id,
                "name": name,
                "value": value,
                "worst": worst,
                "thresh": thresh,
                "raw": raw,
                "raw_string": raw_string,
                "when_failed": when_failed,
                "prefailure": prefailure,
            }
            for attr_id, name, value, worst, thresh, raw, raw_string, when_failed, prefailure in disk.attributes
        ],
    }


def is_replaceable(disk: DiskHealth) -> bool:
    """Whether the drive can be swapped by a technician: 2.5"/3.5"/M.2/NVMe/SATA/SAS drives can;
    Apple's soldered NVMe storage (model 'APPLE SSD AP…', Apple silicon and T2 Macs) cannot.
    Unknown form factors count as replaceable."""
    identity = disk.identity
    return not (identity.device_type == "nvme" and (identity.model or "").upper().startswith("APPLE SSD AP"))


# --- plain-language explanations (issue 18, point 7) ---------------------------------------------
#: What each disk finding code means, for the people reading the grade (French, English).
EXPLANATIONS: dict[str, Explanation] = {
    "smart.overall_failed": Explanation(
        "Le disque lui-même se déclare en panne : ses données sont en danger, il faut le remplacer.",
        "The drive itself reports that it is failing: its data is at risk and it must be replaced.",
    ),
    "ata.attribute_failing_now": Explanation(
        "Un indicateur critique du disque a franchi le seuil fixé par le fabricant : panne probable à court terme.",
        "A critical indicator of the drive has crossed its maker's threshold: failure is likely soon.",
    ),
    "ata.attribute_end_of_life": Explanation(
        "Un indicateur d'usure a atteint la fin de la durée de vie prévue : le disque marche, mais il est usé.",
        "A wear indicator has reached the end of its design life: the drive works, but it is worn out.",
    ),
    "ata.attribute_failed_in_past": Explanation(
        "Un indicateur critique a franchi son seuil par le passé : à surveiller.",
        "A critical indicator crossed its threshold in the past: keep an eye on it.",
    ),
    "ata.pending_sectors": Explanation(
        "Des zones du disque n'ont pas pu être relues : des données peuvent déjà être perdues.",
        "Some areas of the drive could not be read back: some data may already be lost.",
    ),
    "ata.offline_uncorrectable": Explanation(
        "L'analyse interne du disque a trouvé des zones illisibles : ses données sont en danger.",
        "The drive's own surface scan found unreadable areas: its data is at risk.",
    ),
    "ata.reported_uncorrectable": Explanation(
        "Le disque a déjà rendu des lectures qu'il n'a pas pu corriger.",
        "The drive has already returned reads it could not correct.",
    ),
    "ata.reallocated_sectors": Explanation(
        "Le disque a remplacé des zones abîmées par des zones de réserve : peu, c'est de l'usure ; beaucoup, "
        "il se dégrade.",
        "The drive has swapped damaged areas for spare ones: a few is wear; many means it is degrading.",
    ),
    "ssd.retired_blocks": Explanation(
        "Le SSD a mis de côté des blocs usés : c'est normal en petit nombre, inquiétant en grand nombre.",
        "The SSD has retired worn blocks: normal in small numbers, worrying in large ones.",
    ),
    "ata.error_log_entries": Explanation(
        "Le journal du disque garde des erreurs passées, parfois anciennes : c'est noté, les compteurs décident.",
        "The drive's log keeps past errors, sometimes old ones: noted, the counters decide.",
    ),
    "ata.crc_errors": Explanation(
        "Erreurs de transmission : un câble ou un connecteur à vérifier, pas le disque lui-même.",
        "Transmission errors: check the cable or connector, not the drive itself.",
    ),
    "selftest.read_failure": Explanation(
        "L'autotest du disque s'est arrêté sur une zone illisible.",
        "The drive's self-test stopped on an unreadable area.",
    ),
    "selftest.failed": Explanation(
        "L'autotest du disque a échoué.",
        "The drive's self-test failed.",
    ),
    "selftest.past_failure": Explanation(
        "Un ancien autotest avait échoué, mais un test complet plus récent est passé sans erreur.",
        "An older self-test failed, but a later full test passed without error.",
    ),
    "nvme.critical_warning": Explanation(
        "Le SSD NVMe signale lui-même un problème grave (réserve épuisée, fiabilité dégradée ou lecture seule).",
        "The NVMe drive itself reports a serious problem (spare used up, reliability degraded or read-only).",
    ),
    "nvme.temperature_warning": Explanation(
        "Le SSD était trop chaud au moment de la lecture : vérifier le refroidissement et refaire le test.",
        "The SSD was too hot when read: check the cooling and test again.",
    ),
    "nvme.spare_below_threshold": Explanation(
        "La réserve du SSD pour remplacer ses cellules usées est presque vide.",
        "The SSD's spare space for replacing worn cells is nearly used up.",
    ),
    "nvme.media_errors": Explanation(
        "Le SSD a rendu des données qu'il n'a pas pu corriger : ses données sont en danger.",
        "The SSD returned data it could not correct: its data is at risk.",
    ),
    "nvme.error_log_entries": Explanation(
        "Le journal d'erreurs du SSD n'est pas vide, le plus souvent à cause de commandes refusées : sans gravité.",
        "The SSD's error log is not empty, most often from rejected commands: harmless.",
    ),
    "controller.drive_state": Explanation(
        "Le contrôleur RAID a retiré le disque du service (état défaillant, hors ligne ou rejeté) : "
        "il faut le remplacer ou comprendre pourquoi avant de le réutiliser.",
        "The RAID controller has taken the drive out of use (failed, offline or rejected): replace it or find "
        "out why before reusing it.",
    ),
    "controller.media_errors": Explanation(
        "Le contrôleur RAID a compté des erreurs de lecture que le disque n'a pas pu corriger : ses données "
        "sont en danger.",
        "The RAID controller counted read errors the drive could not correct: its data is at risk.",
    ),
    "disk.wear_only": Explanation(
        "Seule l'usure du SSD est connue (pas de verdict de santé ni de compteurs) : la note repose sur "
        "cette usure, impossible de garantir mieux que « d'occasion ».",
        "Only the SSD's wear is known (no health verdict or counters): the grade rests on that wear; it "
        "cannot be vouched for beyond 'used'.",
    ),
    "scsi.uncorrected_errors": Explanation(
        "Le disque a connu des erreurs de lecture ou d'écriture qu'il n'a pas pu corriger.",
        "The drive had read or write errors it could not correct.",
    ),
    "scsi.pending_defects": Explanation(
        "Des zones du disque attendent d'être remplacées car elles n'ont pas pu être lues.",
        "Some areas of the drive are waiting to be replaced because they could not be read.",
    ),
    "scsi.grown_defects": Explanation(
        "Le disque a remplacé des zones abîmées depuis sa sortie d'usine : peu, c'est de l'usure ; beaucoup, "
        "il se dégrade.",
        "The drive has replaced damaged areas since it left the factory: a few is wear; many means it is degrading.",
    ),
    "scsi.start_stop_cycles": Explanation(
        "Le disque a démarré et arrêté plus de fois que prévu par le fabricant.",
        "The drive has started and stopped more often than its maker rates it for.",
    ),
    "disk.power_on_hours": Explanation(
        "Le disque a beaucoup tourné : passé cinq ans de marche, les pannes deviennent plus fréquentes.",
        "The drive has run for a long time: past five years of use, failures become more frequent.",
    ),
    "ata.load_cycles": Explanation(
        "Les têtes du disque se sont garées plus de fois que prévu par le fabricant : mécanique usée.",
        "The drive's heads have parked more often than its maker rates: worn mechanics.",
    ),
    "scsi.load_cycles": Explanation(
        "Les têtes du disque se sont garées plus de fois que prévu par le fabricant : mécanique usée.",
        "The drive's heads have parked more often than its maker rates: worn mechanics.",
    ),
    "nvme.percentage_used": Explanation(
        "Part de l'endurance prévue du SSD déjà consommée par les écritures.",
        "Share of the SSD's rated endurance already used up by writes.",
    ),
    "ssd.wear": Explanation(
        "Part de l'endurance prévue du SSD déjà consommée par les écritures.",
        "Share of the SSD's rated endurance already used up by writes.",
    ),
    "ssd.wear_at_floor": Explanation(
        "L'indicateur d'usure du SSD est tombé au minimum : toute l'endurance prévue est consommée et on ne "
        "sait pas de combien elle est dépassée.",
        "The SSD's wear indicator is at its minimum: all its rated endurance is used and no one can tell by "
        "how much it is exceeded.",
    ),
    "ssd.writes_beyond_rating": Explanation(
        "On a écrit sur ce SSD plus de données que son fabricant ne le garantit pour ce modèle.",
        "More data has been written to this SSD than its maker guarantees for this model.",
    ),
    "disk.temperature": Explanation(
        "Le disque était chaud au moment de la lecture : ce n'est pas un défaut, vérifier le refroidissement.",
        "The drive was hot when read: not a defect, check the cooling.",
    ),
    "disk.no_health_data": Explanation(
        "Le rapport ne contient aucune donnée de santé du disque : rien ne permet de le juger.",
        "The report holds no health data for the drive: nothing to judge it by.",
    ),
    "disk.error_log_only": Explanation(
        "Seul le journal d'erreurs NVMe est connu : il compte les commandes refusées, pas l'usure ni les "
        "erreurs de support du disque. Joignez la sortie de « nvme smart-log » pour le noter.",
        "Only the NVMe error log is known: it counts refused commands, not the drive's wear or media "
        "errors. Add the output of 'nvme smart-log' to grade it.",
    ),
    "disk.limited_data": Explanation(
        "Seul le verdict global du disque est connu : impossible de garantir mieux que « d'occasion ».",
        "Only the drive's overall verdict is known: it cannot be vouched for beyond 'used'.",
    ),
}
