"""Parse smartctl JSON output (``smartctl -x -j`` / ``-a -j``, smartmontools ≥ 7.0) into ``DiskHealth``.

Accepts ``bytes``, ``str`` or an already decoded mapping, for ATA/SATA HDDs and SSDs, NVMe, SCSI/SAS,
SAT/USB bridges and drives behind MegaRAID (``-d megaraid,N`` / ``-d sat+megaraid,N``).

Produces: identity (model, serial, firmware, capacity, interface, device type, rotation, form factor,
vendor, family), ``smart_status.passed``, power-on hours, power cycles, current temperature, the ATA
attribute table, the NVMe health log, the SCSI error counters / grown defects / cycle counters, the
ATA, NVMe and SCSI self-test logs (most recent first) and the ATA device statistics endurance value.

Every field is read tolerantly: a key may be missing or hold another JSON type than smartctl writes
(older 7.x builds, excerpts saved by other tools, hand-edited files), and then reads as unknown
(``None``) rather than failing the whole report. One odd field never costs the grade of a drive
whose other data is sound.

Refuses with ``ParseError`` (never another exception): invalid JSON, a top level that is not an
object, ``smartctl --scan`` output, smartctl error-only output (device could not be opened) and
info-only output (``-i``) that holds no health data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from diagnostics.errors import ParseError
from diagnostics.smart.records import (
    AtaAttribute,
    DiskHealth,
    DiskIdentity,
    NvmeHealth,
    ScsiHealth,
    SelfTestEntry,
    classify_device_type,
    parse_int,
    plausible_hours,
)

SOURCE_FORMAT = "smartctl-json"

#: smartctl(8) EXIT STATUS bit 3: "SMART status check returned DISK FAILING" (used when the JSON
#: lacks ``smart_status``, e.g. output of older 7.x builds run without -H).
_EXIT_DISK_FAILING = 1 << 3

# ATA self-test status high nibble (ATA ACS-3 §7.44 "SMART EXECUTE OFFLINE IMMEDIATE", the status
# byte smartctl decodes in ataprint.cpp): 3..8 are failures, 7 a read failure.
_ATA_SELFTEST_FAILURES: dict[int, str] = {
    3: "fatal error",
    4: "unknown failure",
    5: "electrical failure",
    6: "servo failure",
    7: "read failure",
    8: "handling damage",
}
# NVMe base spec 2.0 Figure 208 "Self-test Result Data Structure", result nibble 5..7 are failures.
_NVME_SELFTEST_FAILURES = {5: "fatal error", 6: "unknown segment failure", 7: "segment failure"}
# SPC-5 self-test results log parameter, SELF-TEST RESULTS 3..7 are failures.
_SCSI_SELFTEST_FAILURES = {
    3: "unknown error",
    4: "failed segment",
    5: "failed first segment",
    6: "failed second segment",
    7: "failed segment",
}

#: Top-level keys of the SCSI sections: a report with none of them has no SCSI data.
_SCSI_KEYS = (
    "scsi_error_counter_log",
    "scsi_start_stop_cycle_counter",
    "scsi_grown_defect_list",
    "scsi_percentage_used_endurance_indicator",
    "scsi_pending_defects",
)
#: smartctl -j writes the SCSI self-test log as top-level keys scsi_self_test_0 … _19 (SPC-5: 20 entries).
_SCSI_SELF_TEST_KEYS = tuple(f"scsi_self_test_{index}" for index in range(20))

_SCAN_OUTPUT = "smartctl --scan output lists devices, holds no health data"


def parse_smartctl_json(doc: bytes | str | Mapping[str, Any], source: str) -> DiskHealth:
    """Parse one smartctl JSON document; ``source`` names it in errors."""
    data = _load(doc, source)
    try:
        return _parse(data, source)
    except ParseError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ParseError(source, f"unexpected smartctl JSON structure ({type(exc).__name__}: {exc})") from exc


def _load(doc: bytes | str | Mapping[str, Any], source: str) -> Mapping[str, Any]:
    if isinstance(doc, Mapping):
        return doc
    if isinstance(doc, bytes | bytearray):
        try:
            doc = bytes(doc).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(source, "not UTF-8 text, so not smartctl JSON") from exc
    if not isinstance(doc, str):
        raise ParseError(source, f"expected JSON text or a mapping, got {type(doc).__name__}")
    try:
        data = orjson.loads(doc)
    except (orjson.JSONDecodeError, RecursionError) as exc:
        raise ParseError(source, f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ParseError(source, "JSON top level is not an object, so not a smartctl report")
    return data


# --- tolerant readers of one JSON value -------------------------------------------------------------
_EMPTY: Mapping[str, Any] = {}


def _map(value: Any) -> Mapping[str, Any]:
    """An object, or an empty one for anything else (so ``.get`` reads None)."""
    return value if type(value) is dict else _EMPTY


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    """An integer from a JSON number, a boolean or a numeric string ('1,234' as some builds print it)."""
    if type(value) is int:  # what smartctl writes, so tested first
        return value
    if value is None:  # a key smartctl did not write: the next most frequent case
        return None
    if isinstance(value, int):  # bool: True reads as 1
        return int(value)
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 1e30 else None
    if isinstance(value, str):
        return parse_int(value)
    return None


def _str(value: Any) -> str | None:
    """A non-blank string, stripped; numbers read as their text (a serial written as a number)."""
    if isinstance(value, str):
        return value.strip() or None
    if value is None:  # a key smartctl did not write (most of the alternatives _first_str tries)
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _first_str(data: Mapping[str, Any], *keys: str) -> str | None:
    """``_str`` of the first of ``keys`` that gives one."""
    for key in keys:
        text = _str(data.get(key))
        if text:
            return text
    return None


# --- the report --------------------------------------------------------------------------------------
def _parse(data: Mapping[str, Any], source: str) -> DiskHealth:
    smartctl = _map(data.get("smartctl"))
    if "devices" in data and not any(k in data for k in ("device", "model_name", "smart_status")):
        raise ParseError(source, _SCAN_OUTPUT)
    attributes = _attributes(data.get("ata_smart_attributes"))
    disk = DiskHealth(
        source_format=SOURCE_FORMAT,
        identity=_identity(data, attributes),
        smartctl_version=_version(smartctl),
        smart_supported=_smart_supported(data.get("smart_support")),
        smart_passed=_smart_passed(data.get("smart_status"), smartctl),
        power_on_hours=plausible_hours(_int(_map(data.get("power_on_time")).get("hours"))),
        power_cycles=_int(data.get("power_cycle_count")),
        temperature_c=_int(_map(data.get("temperature")).get("current")),
        attributes=attributes,
        nvme=_nvme(data.get("nvme_smart_health_information_log")),
        scsi=_scsi(data),
        self_tests=_self_tests(data),
        endurance_used_percent=_device_statistics_endurance(data.get("ata_device_statistics")),
        ata_error_count=_ata_error_count(data.get("ata_smart_error_log")),
    )
    if not disk.has_health_data:
        raise ParseError(source, _no_health_reason(data, smartctl))
    return disk


def _smart_passed(status: Any, smartctl: Mapping[str, Any]) -> bool | None:
    passed = _map(status).get("passed")
    if isinstance(passed, bool):
        return passed
    exit_status = _int(smartctl.get("exit_status"))
    if exit_status is not None and exit_status & _EXIT_DISK_FAILING:
        return False
    return None


def _no_health_reason(data: Mapping[str, Any], smartctl: Mapping[str, Any]) -> str:
    errors = [
        _str(m.get("string"))
        for m in _list(smartctl.get("messages"))
        if isinstance(m, dict) and m.get("severity") == "error"
    ]
    errors = [e for e in errors if e]
    if errors and not any(k in data for k in ("model_name", "serial_number", "device")):
        return f"smartctl reported an error and no device data: {errors[0]}"
    support = data.get("smart_support")
    if isinstance(support, dict) and support.get("available") is False:
        return "device lacks SMART capability: no health data"
    if errors:
        return f"no health data (smartctl: {errors[0]})"
    argv = [a for a in _list(smartctl.get("argv")) if isinstance(a, str)]
    info_only = any(a in {"-i", "--info"} or (a.startswith("-j") and "i" in a) for a in argv)
    device_type = (_str(_map(data.get("device")).get("type")) or "").lower()
    if not info_only and device_type == "scsi":
        return (
            "SCSI device returned no health data (a RAID volume or a device without SMART): "
            "query the physical disks behind the controller, e.g. smartctl -d megaraid,N -x -j"
        )
    return "info-only output (smartctl -i): identity but no health data; run smartctl -x -j"


def _version(smartctl: Mapping[str, Any]) -> str | None:
    parts = [str(v) for v in _list(smartctl.get("version")) if isinstance(v, int)]  # [7, 3] → "7.3"
    return ".".join(parts) or None


def _smart_supported(support: Any) -> bool | None:
    if isinstance(support, bool):
        return support
    available = _map(support).get("available")
    return available if isinstance(available, bool) else None


def _identity(data: Mapping[str, Any], attributes: tuple[AtaAttribute, ...]) -> DiskIdentity:
    device = _map(data.get("device"))
    dev_type = (_str(device.get("type")) or "").lower()
    protocol = (_str(device.get("protocol")) or "").lower()
    is_nvme = protocol == "nvme" or "nvme_smart_health_information_log" in data or dev_type == "nvme"
    interface = _interface(dev_type, protocol, is_nvme)
    model = _first_str(data, "model_name", "scsi_model_name")
    vendor = _first_str(data, "scsi_vendor", "vendor")
    product = _first_str(data, "scsi_product", "product")
    if model is None and product:
        model = f"{vendor} {product}" if vendor else product
    capacity = _int(_map(data.get("user_capacity")).get("bytes"))
    if capacity is None:
        capacity = _int(data.get("nvme_total_capacity"))
    rotation = _int(data.get("rotation_rate"))
    return DiskIdentity(
        model=model,
        serial=_str(data.get("serial_number")),
        firmware=_first_str(data, "firmware_version", "scsi_revision", "revision"),
        capacity_bytes=capacity,
        interface=interface,
        device_type=classify_device_type(interface, rotation, model, is_nvme, attributes),
        rotation_rpm=rotation,
        form_factor=_str(_map(data.get("form_factor")).get("name")),
        vendor=vendor,
        model_family=_str(data.get("model_family")),
    )


def _interface(dev_type: str, protocol: str, is_nvme: bool) -> str | None:
    if "megaraid" in dev_type:
        return "megaraid"
    if dev_type.startswith(("usb", "snt", "jmb")):
        return "usb"
    if dev_type.startswith("sat"):
        return "sat"
    if is_nvme:
        return "nvme"
    if dev_type in {"ata", "scsi"}:
        return dev_type
    if protocol in {"ata", "scsi"}:
        return protocol
    return dev_type or None


# --- ATA ---------------------------------------------------------------------------------------------
#: 48-bit raw fields have at most 15 decimal digits; longer runs are not counts (and Python refuses
#: to convert more than 4300 digits anyway).
_MAX_RAW_DIGITS = 24
_LEADING_DIGITS = re.compile(r"\s*(\d{1,24})")


def _attributes(section: Any) -> tuple[AtaAttribute, ...]:
    """The ATA attribute table (``ata_smart_attributes.table``), one record per readable row."""
    return tuple([attr for row in _list(_map(section).get("table")) if (attr := _attribute(row)) is not None])


def _attribute(row: Any) -> AtaAttribute | None:
    """One attribute row; any field may be missing or of another JSON type. A row without an id is
    skipped: the grading policy finds attributes by id.

    The most frequent record of a report (a dozen to thirty rows), so each key is read once and the
    number fields take ``_int`` only when they are not the plain integers smartctl writes."""
    if type(row) is not dict:
        return None
    get = row.get
    attr_id = get("id")
    if type(attr_id) is not int:
        attr_id = _int(attr_id)
        if attr_id is None:
            return None
    name = get("name")
    if type(name) is not str or not name:
        name = _str(name) or "Unknown_Attribute"
    value = get("value")
    if type(value) is not int:
        value = _int(value)
    worst = get("worst")
    if type(worst) is not int:
        worst = _int(worst)
    thresh = get("thresh")
    if type(thresh) is not int:
        thresh = _int(thresh)
    raw_field = _map(get("raw"))
    raw_string = raw_field.get("string")
    if type(raw_string) is not str:
        raw_string = _str(raw_string) or ""
    # The leading number of the raw string is what smartctl decoded ('35 (Min/Max 20/45)' → 35);
    # the raw 48-bit value only when the string has none. Most raw strings are a plain count.
    if raw_string.isdecimal() and len(raw_string) <= _MAX_RAW_DIGITS:
        raw: int | None = int(raw_string)
    else:
        leading = _LEADING_DIGITS.match(raw_string)
        raw = int(leading.group(1)) if leading else _int(raw_field.get("value"))
    when_failed = get("when_failed")
    when_failed = _when_failed(when_failed) if when_failed else ""
    flags = get("flags")
    prefailure = type(flags) is dict and bool(flags.get("prefailure"))
    # Positional, in field order (the local names are the field names): keyword arguments cost
    # a third of the row's construction.
    return AtaAttribute(attr_id, name, value, worst, thresh, raw, raw_string, when_failed, prefailure)


def _when_failed(value: Any) -> str:
    text = _str(value) or ""
    lowered = text.lower()
    if lowered in {"now", "failing_now"}:
        return "FAILING_NOW"
    if lowered in {"past", "in_the_past"}:
        return "In_the_past"
    return "" if lowered in {"", "-"} else text


def _device_statistics_endurance(statistics: Any) -> int | None:
    """ATA device statistics (``-x``), page 7 'Percentage Used Endurance Indicator' (ACS-4)."""
    for page in _list(_map(statistics).get("pages")):
        for entry in _list(_map(page).get("table")):
            entry = _map(entry)
            name = (_str(entry.get("name")) or "").lower()
            if "percentage used endurance" in name and _map(entry.get("flags")).get("valid", True):
                return _int(entry.get("value"))
    return None


def _ata_error_count(log: Any) -> int | None:
    """Errors the drive recorded over its life: the extended comprehensive log (``-x``), else the summary."""
    log = _map(log)
    for key in ("extended", "summary"):
        count = _int(_map(log.get(key)).get("count"))
        if count is not None:
            return count
    return None


# --- NVMe --------------------------------------------------------------------------------------------
def _nvme(log: Any) -> NvmeHealth | None:
    """The NVMe SMART / Health Information log (log page 02h)."""
    if not isinstance(log, dict):
        return None
    return NvmeHealth(
        critical_warning=_int(log.get("critical_warning")),
        temperature_c=_int(log.get("temperature")),
        available_spare=_int(log.get("available_spare")),
        available_spare_threshold=_int(log.get("available_spare_threshold")),
        percentage_used=_int(log.get("percentage_used")),
        data_units_read=_int(log.get("data_units_read")),
        data_units_written=_int(log.get("data_units_written")),
        power_cycles=_int(log.get("power_cycles")),
        power_on_hours=_int(log.get("power_on_hours")),
        unsafe_shutdowns=_int(log.get("unsafe_shutdowns")),
        media_errors=_int(log.get("media_errors")),
        num_err_log_entries=_int(log.get("num_err_log_entries")),
    )


# --- SCSI --------------------------------------------------------------------------------------------
def _scsi(data: Mapping[str, Any]) -> ScsiHealth | None:
    if data.keys().isdisjoint(_SCSI_KEYS):
        return None
    counters = _map(data.get("scsi_error_counter_log"))
    cycles = _map(data.get("scsi_start_stop_cycle_counter"))
    grown = _int(data.get("scsi_grown_defect_list"))
    endurance = _int(_map(data.get("scsi_percentage_used_endurance_indicator")).get("value"))
    if endurance is None:
        endurance = _int(data.get("scsi_percentage_used_endurance_indicator"))
    pending = _int(_map(data.get("scsi_pending_defects")).get("count"))
    if not counters and not cycles and grown is None and endurance is None and pending is None:
        return None

    def uncorrected(kind: str) -> int | None:
        return _int(_map(counters.get(kind)).get("total_uncorrected_errors"))

    def corrected(kind: str) -> int | None:
        return _int(_map(counters.get(kind)).get("total_errors_corrected"))

    return ScsiHealth(
        grown_defects=grown,
        read_uncorrected=uncorrected("read"),
        write_uncorrected=uncorrected("write"),
        verify_uncorrected=uncorrected("verify"),
        read_corrected=corrected("read"),
        write_corrected=corrected("write"),
        verify_corrected=corrected("verify"),
        non_medium_errors=_int(_map(data.get("scsi_nonmedium_error")).get("count")),
        start_stop_cycles=_int(cycles.get("accumulated_start_stop_cycles")),
        start_stop_cycles_rated=_int(cycles.get("specified_cycle_count_over_device_lifetime")),
        load_unload_cycles=_int(cycles.get("accumulated_load_unload_cycles")),
        load_unload_cycles_rated=_int(cycles.get("specified_load_unload_count_over_device_lifetime")),
        percentage_used_endurance=endurance,
        pending_defects=pending,
    )


# --- self-tests --------------------------------------------------------------------------------------
def _self_tests(data: Mapping[str, Any]) -> tuple[SelfTestEntry, ...]:
    """The ATA log (extended, else standard), else the NVMe log, else the SMART data's last
    self-test when it failed, else the SCSI log; most recent first, as smartctl lists them."""
    ata_log = _map(data.get("ata_smart_self_test_log"))
    for key in ("extended", "standard"):
        table = _list(_map(ata_log.get(key)).get("table"))
        if table:
            return _entries(_ata_test, table)
    nvme_table = _list(_map(data.get("nvme_self_test_log")).get("table"))
    if nvme_table:
        return _entries(_nvme_test, nvme_table)
    last = _last_self_test(_map(data.get("ata_smart_data")).get("self_test"))
    if last is not None:
        return (last,)
    if data.keys().isdisjoint(_SCSI_SELF_TEST_KEYS):
        return ()
    return _entries(_scsi_test, [data.get(key) for key in _SCSI_SELF_TEST_KEYS])


def _entries(read: Callable[[Mapping[str, Any]], SelfTestEntry], rows: list[Any]) -> tuple[SelfTestEntry, ...]:
    return tuple([read(row) for row in rows if isinstance(row, dict)])


def _ata_test(row: Mapping[str, Any]) -> SelfTestEntry:
    status = _map(row.get("status"))
    code = _int(status.get("value"))
    text = _str(status.get("string")) or ""
    failure = _ATA_SELFTEST_FAILURES.get(code >> 4) if code is not None else None
    if code is None and "fail" in text.lower():
        failure = text
    passed: bool | None = None
    if failure:
        passed = False
    elif (code is not None and code >> 4 == 0) or (code is None and status.get("passed") is True):
        passed = True
    return SelfTestEntry(
        test_type=_str(_map(row.get("type")).get("string")) or "unknown",
        status=text,
        passed=passed,
        failure=failure,
        lifetime_hours=_int(row.get("lifetime_hours")),
        lba_of_first_error=_int(row.get("lba")),
        remaining_percent=_int(status.get("remaining_percent")),
    )


def _nvme_test(row: Mapping[str, Any]) -> SelfTestEntry:
    result = _map(row.get("self_test_result"))
    code = _int(result.get("value"))
    failure = _NVME_SELFTEST_FAILURES.get(code) if code is not None else None
    return SelfTestEntry(
        test_type=_str(_map(row.get("self_test_code")).get("string")) or "unknown",
        status=_str(result.get("string")) or "",
        passed=False if failure else (True if code == 0 else None),
        failure=failure,
        lifetime_hours=_int(row.get("power_on_hours")),
        lba_of_first_error=_int(row.get("lba")),
    )


def _scsi_test(row: Mapping[str, Any]) -> SelfTestEntry:
    result = _map(row.get("result"))
    code = _int(result.get("value"))
    failure = _SCSI_SELFTEST_FAILURES.get(code) if code is not None else None
    if failure and _int(_map(row.get("sense_key")).get("value")) == 3:  # SPC: sense key 3 = MEDIUM ERROR
        failure = "read failure"
    return SelfTestEntry(
        test_type=_str(_map(row.get("code")).get("string")) or "unknown",
        status=_str(result.get("string")) or "",
        passed=False if failure else (True if code == 0 else None),
        failure=failure,
        lifetime_hours=_int(_map(row.get("power_on_time")).get("hours")),
        lba_of_first_error=_int(row.get("lba_first_failure")),
    )


def _last_self_test(self_test: Any) -> SelfTestEntry | None:
    """Without a self-test log, the SMART data's 'previous self-test' status (``ata_smart_data``'s
    ``self_test``) still tells a failure."""
    status = _map(_map(self_test).get("status"))
    code = _int(status.get("value"))
    failure = _ATA_SELFTEST_FAILURES.get(code >> 4) if code is not None and code >= 0 else None
    if failure is None:
        return None
    return SelfTestEntry(
        test_type="previous self-test",
        status=_str(status.get("string")) or failure,
        passed=False,
        failure=failure,
    )
