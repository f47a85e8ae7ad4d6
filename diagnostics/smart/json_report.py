"""Parse smartctl JSON output (``smartctl -x -j`` / ``-a -j``, smartmontools ≥ 7.0) into ``DiskHealth``.

Accepts ``bytes``, ``str`` or an already decoded mapping, for ATA/SATA HDDs and SSDs, NVMe, SCSI/SAS,
SAT/USB bridges and drives behind MegaRAID (``-d megaraid,N`` / ``-d sat+megaraid,N``).

Produces: identity (model, serial, firmware, capacity, interface, device type, rotation, form factor,
vendor, family), ``smart_status.passed``, power-on hours, power cycles, current temperature, the ATA
attribute table, the NVMe health log, the SCSI error counters / grown defects / cycle counters, the
ATA, NVMe and SCSI self-test logs (most recent first) and the ATA device statistics endurance value.

Refuses with ``ParseError`` (never another exception): invalid JSON, a top level that is not an
object, ``smartctl --scan`` output, smartctl error-only output (device could not be opened) and
info-only output (``-i``) that holds no health data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import Any, cast

import msgspec
import orjson

from diagnostics.errors import ParseError
from diagnostics.models import fast_record
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


def parse_smartctl_json(doc: bytes | str | Mapping[str, Any], source: str) -> DiskHealth:
    """Parse one smartctl JSON document; ``source`` names it in errors."""
    return parse_smartctl_loaded(_load(doc, source), source)


def parse_smartctl_loaded(data: Mapping[str, Any], source: str) -> DiskHealth:
    """``parse_smartctl_json`` of a decoded document."""
    try:
        return _parse(data, source)
    except ParseError:
        raise
    except _STRUCTURE_ERRORS as exc:
        raise _unexpected_structure(source, exc) from exc


def parse_smartctl_report(report: DecodedReport, source: str) -> DiskHealth:
    """``parse_smartctl_json`` of a document ``load_fast`` decoded."""
    try:
        return _parse_report(report, source)
    except ParseError:
        raise
    except _STRUCTURE_ERRORS as exc:
        raise _unexpected_structure(source, exc) from exc


_STRUCTURE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError)


def _unexpected_structure(source: str, exc: Exception) -> ParseError:
    return ParseError(source, f"unexpected smartctl JSON structure ({type(exc).__name__}: {exc})")


def _load(doc: bytes | str | Mapping[str, Any], source: str) -> Mapping[str, Any]:
    if type(doc) is dict:
        return doc
    if isinstance(doc, Mapping):
        return dict(doc)
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


_EMPTY: Mapping[str, Any] = {}
_new = object.__new__
_set_dict = object.__setattr__


def _map(value: Any) -> Mapping[str, Any]:
    # Decoded JSON holds plain dicts: a type check is much cheaper than an ABC isinstance.
    return value if type(value) is dict else _EMPTY


def _int(value: Any) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 1e30 else None
    if isinstance(value, str):
        return parse_int(value)
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _first_str(data: Mapping[str, Any], *keys: str) -> str | None:
    """``_str`` of the first of ``keys`` that gives one (``_str(a) or _str(b) …`` in one call)."""
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if type(value) is str:  # what smartctl writes: _str's first case, without the call
            value = value.strip()
            if value:
                return value
            continue
        text = _str(value)
        if text:
            return text
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _parse(data: Mapping[str, Any], source: str) -> DiskHealth:
    smartctl = _map(data.get("smartctl"))
    if "devices" in data and not any(k in data for k in ("device", "model_name", "smart_status")):
        raise ParseError(source, _SCAN_OUTPUT)
    # Sections are read only when present: a report has a few of them (ATA, NVMe or SCSI).
    attributes = _attributes(data) if "ata_smart_attributes" in data else ()
    health = _disk_health(
        smartctl=smartctl,
        identity=_identity(data, attributes),
        support=data.get("smart_support"),
        passed=_map(data.get("smart_status")).get("passed"),
        hours=_map(data.get("power_on_time")).get("hours"),
        cycles=data.get("power_cycle_count"),
        temperature=_map(data.get("temperature")).get("current"),
        attributes=attributes,
        nvme=_nvme(data.get("nvme_smart_health_information_log")),
        scsi=None if data.keys().isdisjoint(_SCSI_KEYS) else _scsi(data),
        self_tests=_self_tests(data),
        endurance=_device_statistics_endurance(data.get("ata_device_statistics")),
        error_count=_ata_error_count(data.get("ata_smart_error_log")),
    )
    if not health.has_health_data:
        raise ParseError(source, _no_health_reason(data, smartctl))
    return health


_SCAN_OUTPUT = "smartctl --scan output lists devices, holds no health data"


def _disk_health(
    *,
    smartctl: Mapping[str, Any],
    identity: DiskIdentity,
    support: Any,
    passed: Any,
    hours: Any,
    cycles: Any,
    temperature: Any,
    attributes: tuple[AtaAttribute, ...],
    nvme: NvmeHealth | None,
    scsi: ScsiHealth | None,
    self_tests: tuple[SelfTestEntry, ...],
    endurance: int | None,
    error_count: int | None,
) -> DiskHealth:
    """The record from the sections read and the raw top-level values, by either path (the decoded
    mapping or ``_Report``)."""
    smart_passed = passed if isinstance(passed, bool) else None
    if smart_passed is None:
        exit_status = _int(smartctl.get("exit_status"))
        if exit_status is not None and exit_status & _EXIT_DISK_FAILING:
            smart_passed = False
    # DiskHealth.has_health_data of this record, from the values at hand: stored with the fields
    # (where the cached property would store it) instead of a descriptor call after building.
    has_health_data = bool(smart_passed is not None or attributes or nvme is not None or scsi is not None or self_tests)
    return fast_record(
        DiskHealth,
        {
            "source_format": SOURCE_FORMAT,
            "identity": identity,
            "smartctl_version": _version(smartctl),
            "smart_supported": _smart_supported(support),
            "smart_passed": smart_passed,
            "power_on_hours": plausible_hours(hours if type(hours) is int else _int(hours)),
            "power_cycles": cycles if type(cycles) is int else _int(cycles),
            "temperature_c": temperature if type(temperature) is int else _int(temperature),
            "attributes": attributes,
            "nvme": nvme,
            "scsi": scsi,
            "self_tests": self_tests,
            "endurance_used_percent": endurance,
            "ata_error_count": error_count,
            "has_health_data": has_health_data,
        },
    )


def _no_health_reason(data: Mapping[str, Any], smartctl: Mapping[str, Any]) -> str:
    errors = [
        _str(m.get("string"))
        for m in _list(smartctl.get("messages"))
        if (type(m) is dict) and m.get("severity") == "error"
    ]
    errors = [e for e in errors if e]
    if errors and not any(k in data for k in ("model_name", "serial_number", "device")):
        return f"smartctl reported an error and no device data: {errors[0]}"
    support = data.get("smart_support")
    if (type(support) is dict) and support.get("available") is False:
        return "device lacks SMART capability: no health data"
    if errors:
        return f"no health data (smartctl: {errors[0]})"
    argv = [a for a in _list(smartctl.get("argv")) if isinstance(a, str)]
    info_only = any(a in {"-i", "--info"} or (a.startswith("-j") and "i" in a) for a in argv)
    device = _map(data.get("device"))
    if not info_only and (_str(device.get("type")) or "").lower() == "scsi":
        return (
            "SCSI device returned no health data (a RAID volume or a device without SMART): "
            "query the physical disks behind the controller, e.g. smartctl -d megaraid,N -x -j"
        )
    return "info-only output (smartctl -i): identity but no health data; run smartctl -x -j"


def _version(smartctl: Mapping[str, Any]) -> str | None:
    version = _list(smartctl.get("version"))
    if len(version) == 2 and type(version[0]) is int and type(version[1]) is int:
        return f"{version[0]}.{version[1]}"  # [7, 3] as smartctl writes it
    parts = [str(v) for v in version if isinstance(v, int)]
    return ".".join(parts) or None


def _smart_supported(support: Any) -> bool | None:
    if isinstance(support, bool):
        return support
    if (type(support) is dict) and isinstance(support.get("available"), bool):
        return bool(support["available"])
    return None


def _identity(data: Mapping[str, Any], attributes: tuple[AtaAttribute, ...]) -> DiskIdentity:
    device = _map(data.get("device"))
    capacity = _map(data.get("user_capacity")).get("bytes")
    capacity = capacity if type(capacity) is int else _int(capacity)
    if capacity is None:
        capacity = _int(data.get("nvme_total_capacity"))
    return _disk_identity(
        dev_type=_lower_word(device.get("type")),
        protocol=_lower_word(device.get("protocol")),
        has_nvme_log="nvme_smart_health_information_log" in data,
        model=_first_str(data, "model_name", "scsi_model_name"),
        vendor=_first_str(data, "scsi_vendor", "vendor"),
        product=_first_str(data, "scsi_product", "product"),
        serial=_first_str(data, "serial_number"),
        firmware=_first_str(data, "firmware_version", "scsi_revision", "revision"),
        capacity=capacity,
        rotation=data.get("rotation_rate"),
        form_factor=_first_str(_map(data.get("form_factor")), "name"),
        family=_first_str(data, "model_family"),
        attributes=attributes,
    )


def _disk_identity(
    *,
    dev_type: str,
    protocol: str,
    has_nvme_log: bool,
    model: str | None,
    vendor: str | None,
    product: str | None,
    serial: str | None,
    firmware: str | None,
    capacity: int | None,
    rotation: Any,
    form_factor: str | None,
    family: str | None,
    attributes: tuple[AtaAttribute, ...],
) -> DiskIdentity:
    """The identity from the values read, by either path (the decoded mapping or ``_Report``)."""
    is_nvme = protocol == "nvme" or has_nvme_log or dev_type == "nvme"
    interface = _interface(dev_type, protocol, is_nvme)
    if model is None and product:
        model = f"{vendor} {product}" if vendor else product
    rotation = rotation if type(rotation) is int else _int(rotation)
    return fast_record(
        DiskIdentity,
        {
            "model": model,
            "serial": serial,
            "firmware": firmware,
            "capacity_bytes": capacity,
            "interface": interface,
            "device_type": classify_device_type(interface, rotation, model, is_nvme, attributes),
            "rotation_rpm": rotation,
            "form_factor": form_factor,
            "vendor": vendor,
            "model_family": family,
        },
    )


def _lower_word(value: Any) -> str:
    """``(_str(value) or "").lower()``: the device type and protocol, compared lower-case."""
    if type(value) is str:
        return value.strip().lower()
    return (_str(value) or "").lower()


def _interface(dev_type: str, protocol: str, is_nvme: bool) -> str | None:
    if "megaraid" in dev_type:
        return "megaraid"
    if dev_type.startswith(("usb", "snt", "jmb")) or dev_type in {"sntasmedia", "sntjmicron", "sntrealtek"}:
        return "usb"
    if dev_type.startswith("sat"):
        return "sat"
    if is_nvme:
        return "nvme"
    if dev_type in {"ata", "scsi", "nvme"}:
        return dev_type
    if protocol == "ata":
        return "ata"
    if protocol == "scsi":
        return "scsi"
    return dev_type or None


def _attributes(data: Mapping[str, Any]) -> tuple[AtaAttribute, ...]:
    """The ATA attribute table, one record per row, in one pass.

    The hot loop of JSON parsing (a SATA report has 20-30 rows). A row as smartctl writes it (int
    id/value/worst/thresh, a non-empty name, ``raw`` and ``flags`` objects, an empty ``when_failed``)
    is read with plain subscripts and type checks and its record built in one step; any other row
    goes through ``_attribute_row``, the tolerant reading, which gives the same record for such a
    row (tests/diagnostics/test_parsers_never_crash.py compares both).
    """
    table = _map(data.get("ata_smart_attributes")).get("table")
    if type(table) is not list:
        return ()
    out: list[AtaAttribute] = []
    append = out.append
    for row in table:
        if type(row) is not dict:
            continue
        try:
            attr_id, name, value, worst, thresh = row["id"], row["name"], row["value"], row["worst"], row["thresh"]
            raw, flags, when = row["raw"], row["flags"], row["when_failed"]
            raw_string, prefailure = raw["string"], flags["prefailure"]
        except (KeyError, TypeError):  # a field missing, or raw/flags not an object
            attr_id = None
        if (
            type(attr_id) is int
            and type(value) is int
            and type(worst) is int
            and type(thresh) is int
            and type(name) is str
            and name
            and type(raw) is dict
            and type(flags) is dict
            and type(raw_string) is str
            and not when
        ):
            leading = _SMALL_INTS.get(raw_string)
            if leading is None:
                leading = _leading_digits(raw_string)
                if leading is None:
                    leading = _int(raw.get("value"))
            attr = _new(AtaAttribute)  # fast_record inlined: this runs once per row
            _set_dict(
                attr,
                "__dict__",
                {
                    "id": attr_id,
                    "name": name,
                    "value": value,
                    "worst": worst,
                    "thresh": thresh,
                    "raw": leading,
                    "raw_string": raw_string,
                    "when_failed": "",
                    "prefailure": bool(prefailure),
                },
            )
            append(attr)
            continue
        tolerant = _attribute_row(row)
        if tolerant is not None:
            append(tolerant)
    return tuple(out)


def _attribute_row(row: dict[str, Any]) -> AtaAttribute | None:
    """One attribute row read tolerantly: any field may be missing or of another JSON type."""
    attr_id = _int(row.get("id"))
    if attr_id is None:
        return None
    name = row.get("name")
    if type(name) is not str or not name:
        name = _str(name) or "Unknown_Attribute"
    raw = row.get("raw")
    if type(raw) is not dict:
        raw = _EMPTY
    raw_string = raw.get("string")
    if type(raw_string) is not str:
        raw_string = _str(raw_string) or ""
    leading = _leading_digits(raw_string)
    when = row.get("when_failed")
    flags = row.get("flags")
    return fast_record(
        AtaAttribute,
        {
            "id": attr_id,
            "name": name,
            "value": _int(row.get("value")),
            "worst": _int(row.get("worst")),
            "thresh": _int(row.get("thresh")),
            "raw": leading if leading is not None else _int(raw.get("value")),
            "raw_string": raw_string,
            "when_failed": "" if not when else _when_failed(when),
            "prefailure": type(flags) is dict and bool(flags.get("prefailure")),
        },
    )


def _when_failed(value: Any) -> str:
    text = _str(value) or ""
    lowered = text.lower()
    if lowered in {"now", "failing_now"}:
        return "FAILING_NOW"
    if lowered in {"past", "in_the_past"}:
        return "In_the_past"
    return "" if lowered in {"", "-"} else text


_DIGITS = re.compile(r"\s*(\d{1,24})")
#: 48-bit raw fields have at most 15 decimal digits; longer runs are not counts (and Python refuses
#: to convert more than 4300 digits anyway).
_MAX_DIGITS = 24


#: Raw strings of small counts (most raw values are '0' or a few digits) and their value: one dict
#: lookup instead of a digit test and an int conversion per row.
_SMALL_INTS: dict[str, int] = {str(n): n for n in range(1000)}


def _leading_digits(text: str) -> int | None:
    if text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    m = _DIGITS.match(text)
    return int(m.group(1)) if m else None


def _nvme(log: Any) -> NvmeHealth | None:
    if type(log) is not dict:
        return None
    values = {}
    for field, key in _NVME_FIELDS:
        value = log.get(key)
        values[field] = value if type(value) is int else _int(value)
    return fast_record(NvmeHealth, values)


#: NvmeHealth fields (in declaration order) and the smartctl JSON keys of the health log they come from.
_NVME_FIELDS = (
    ("critical_warning", "critical_warning"),
    ("temperature_c", "temperature"),
    ("available_spare", "available_spare"),
    ("available_spare_threshold", "available_spare_threshold"),
    ("percentage_used", "percentage_used"),
    ("data_units_read", "data_units_read"),
    ("data_units_written", "data_units_written"),
    ("power_cycles", "power_cycles"),
    ("power_on_hours", "power_on_hours"),
    ("unsafe_shutdowns", "unsafe_shutdowns"),
    ("media_errors", "media_errors"),
    ("num_err_log_entries", "num_err_log_entries"),
)


#: Top-level keys ``_scsi`` reads: a report with none of them has no SCSI section.
_SCSI_KEYS = (
    "scsi_error_counter_log",
    "scsi_start_stop_cycle_counter",
    "scsi_grown_defect_list",
    "scsi_percentage_used_endurance_indicator",
    "scsi_pending_defects",
)


def _scsi(data: Mapping[str, Any]) -> ScsiHealth | None:
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


#: smartctl -j writes the SCSI self-test log as top-level keys scsi_self_test_0 … _19 (SPC-5: 20 entries).
_SCSI_SELF_TEST_KEYS = tuple(f"scsi_self_test_{index}" for index in range(20))


def _self_tests(data: Mapping[str, Any]) -> tuple[SelfTestEntry, ...]:
    logged = _logged_self_tests(
        data.get("ata_smart_self_test_log"),
        data.get("nvme_self_test_log"),
        _map(data.get("ata_smart_data")).get("self_test"),
    )
    if logged is not None:
        return logged
    if data.keys().isdisjoint(_SCSI_SELF_TEST_KEYS):
        return ()
    return _scsi_tests([data.get(key) for key in _SCSI_SELF_TEST_KEYS])


def _logged_self_tests(ata_log: Any, nvme_log: Any, smart_data_self_test: Any) -> tuple[SelfTestEntry, ...] | None:
    """The ATA or NVMe self-test log, else the SMART data's last self-test when it failed; None when
    none of them says anything (the SCSI log, top-level keys, is read next)."""
    if type(ata_log) is dict:
        for key in ("extended", "standard"):
            table = _list(_map(ata_log.get(key)).get("table"))
            if table:
                return _entries(_ata_test, table)
    # Type checks before the calls: most reports lack one log or both (these run on every report).
    nvme_table = _list(nvme_log.get("table")) if type(nvme_log) is dict else None
    if nvme_table:
        return _entries(_nvme_test, nvme_table)
    last = _last_self_test(smart_data_self_test) if type(smart_data_self_test) is dict else None
    if last is not None:
        return (last,)
    return None


def _scsi_tests(rows: Iterable[Any]) -> tuple[SelfTestEntry, ...]:
    """The SCSI self-test log, from the values of ``_SCSI_SELF_TEST_KEYS`` (None where absent)."""
    scsi = []
    for row in rows:
        if type(row) is dict:
            entry = _scsi_test(row)
            if entry is not None:
                scsi.append(entry)
    return tuple(scsi)


def _entries(read: Callable[[Any], SelfTestEntry | None], table: list[Any]) -> tuple[SelfTestEntry, ...]:
    out = []
    for row in table:
        entry = read(row)
        if entry is not None:
            out.append(entry)
    return tuple(out)


def _ata_test(row: Any) -> SelfTestEntry | None:
    # A log holds up to 21 rows (ATA SMART self-test log): plain-type fast paths as in _attributes.
    if type(row) is not dict:
        return None
    status = row.get("status")
    if type(status) is not dict:
        status = _EMPTY
    code = status.get("value")
    if type(code) is not int:
        code = _int(code)
    nibble = (code >> 4) if code is not None else None
    text = status.get("string")
    text = text.strip() if type(text) is str else _str(text) or ""
    kind = row.get("type")
    test_type = kind.get("string") if type(kind) is dict else None
    test_type = (test_type.strip() if type(test_type) is str else _str(test_type)) or "unknown"
    hours, lba, remaining = row.get("lifetime_hours"), row.get("lba"), status.get("remaining_percent")
    failure = _ATA_SELFTEST_FAILURES.get(nibble) if nibble is not None else None
    if nibble is None and "fail" in text.lower():
        failure = text
    passed: bool | None
    if failure:
        passed = False
    elif nibble == 0 or (nibble is None and status.get("passed") is True):
        passed = True
    else:
        passed = None
    return fast_record(
        SelfTestEntry,
        {
            "test_type": test_type,
            "status": text,
            "passed": passed,
            "failure": failure,
            "lifetime_hours": hours if type(hours) is int else _int(hours),
            "lba_of_first_error": None if lba is None else _int(lba),
            "remaining_percent": None if remaining is None else _int(remaining),
        },
    )


def _nvme_test(row: Any) -> SelfTestEntry | None:
    if type(row) is not dict:
        return None
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


def _scsi_test(row: Mapping[str, Any]) -> SelfTestEntry | None:
    result = _map(row.get("result"))
    code = _int(result.get("value"))
    failure = _SCSI_SELFTEST_FAILURES.get(code) if code is not None else None
    sense = _map(row.get("sense_key"))
    if failure and _int(sense.get("value")) == 3:  # SPC: sense key 3 = MEDIUM ERROR
        failure = "read failure"
    return SelfTestEntry(
        test_type=_str(_map(row.get("code")).get("string")) or "unknown",
        status=_str(result.get("string")) or "",
        passed=False if failure else (True if code == 0 else None),
        failure=failure,
        lifetime_hours=_int(_map(row.get("power_on_time")).get("hours")),
        lba_of_first_error=_int(row.get("lba_first_failure")),
    )


def _device_statistics_endurance(statistics: Any) -> int | None:
    for page in _list(_map(statistics).get("pages")):
        for entry in _list(_map(page).get("table")):
            entry = _map(entry)
            name = (_str(entry.get("name")) or "").lower()
            if "percentage used endurance" in name and _map(entry.get("flags")).get("valid", True):
                return _int(entry.get("value"))
    return None


def _ata_error_count(log: Any) -> int | None:
    if type(log) is not dict:
        return None
    for key in ("extended", "summary"):
        count = _int(_map(log.get(key)).get("count"))
        if count is not None:
            return count
    return None


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


# --- Fast decoding of the usual smartctl JSON shape (msgspec) -------------------------------------
#
# ``orjson.loads`` builds a Python object for every value of the document, yet the parser reads a
# small part of it: most of a SATA report is the attribute table, whose rows carry a ``flags`` object
# of eight fields of which one is read, and sections never read (log directory, SCT tables, error log
# entries, PHY counters…). msgspec decodes into ``Struct`` types declaring only the fields read and
# skips the rest without building objects. The types are strict (no coercion, as ``_attributes``'s
# fast path requires): a document of any other shape fails validation and the caller takes the
# orjson path, so both paths give the same record (tests/diagnostics/test_json_fast_path.py).
# ``parse_smartctl_report`` reads the decoded Struct's fields directly (no dict is rebuilt for
# ``_parse``) and hands them to the section readers and builders the orjson path uses.


class _AttrFlags(msgspec.Struct, gc=False):
    prefailure: bool


class _AttrRaw(msgspec.Struct, gc=False, kw_only=True):
    # In smartctl's order: msgspec matches a key fastest when it is the field declared next.
    value: Any = None
    string: str


class _AttrRow(msgspec.Struct, gc=False):
    id: int
    name: str
    value: int
    worst: int
    thresh: int
    when_failed: str
    flags: _AttrFlags
    raw: _AttrRaw


class _AttrSection(msgspec.Struct, gc=False):
    table: list[_AttrRow]


class _ErrorLogPart(msgspec.Struct, gc=False):
    count: Any = msgspec.UNSET


class _ErrorLog(msgspec.Struct, gc=False):
    extended: _ErrorLogPart | msgspec.UnsetType = msgspec.UNSET
    summary: _ErrorLogPart | msgspec.UnsetType = msgspec.UNSET


class _AtaSmartData(msgspec.Struct, gc=False):
    self_test: Any = None


# The objects below are read field by field: a Struct skips their other fields, and one that is not
# an object fails validation (the orjson path then reads it). Their fields are ``Any`` and read by
# the same tolerant code as the orjson path's, with None standing for a missing field as ``.get``
# gives it.


class _Device(msgspec.Struct, gc=False):
    # UNSET when missing: diagnostics.detect tells smartctl JSON by the presence of these keys.
    type: Any = msgspec.UNSET
    protocol: Any = msgspec.UNSET


class _UserCapacity(msgspec.Struct, gc=False):
    bytes: Any = None


class _FormFactor(msgspec.Struct, gc=False):
    name: Any = None


class _SmartStatus(msgspec.Struct, gc=False):
    passed: Any = None


class _PowerOnTime(msgspec.Struct, gc=False):
    hours: Any = None


class _Temperature(msgspec.Struct, gc=False):
    current: Any = None


class DecodedReport(msgspec.Struct, gc=False):
    """The top-level keys the parser reads (UNSET when missing), and ``json_format_version`` and
    ``kind``, which ``diagnostics.detect`` reads; ``_Report`` adds the SCSI self-test log's keys."""

    smartctl: Any = msgspec.UNSET
    json_format_version: Any = msgspec.UNSET
    kind: Any = msgspec.UNSET
    devices: Any = msgspec.UNSET
    device: _Device | msgspec.UnsetType = msgspec.UNSET
    model_name: Any = msgspec.UNSET
    scsi_model_name: Any = msgspec.UNSET
    scsi_vendor: Any = msgspec.UNSET
    vendor: Any = msgspec.UNSET
    scsi_product: Any = msgspec.UNSET
    product: Any = msgspec.UNSET
    serial_number: Any = msgspec.UNSET
    firmware_version: Any = msgspec.UNSET
    scsi_revision: Any = msgspec.UNSET
    revision: Any = msgspec.UNSET
    user_capacity: _UserCapacity | msgspec.UnsetType = msgspec.UNSET
    nvme_total_capacity: Any = msgspec.UNSET
    rotation_rate: Any = msgspec.UNSET
    form_factor: _FormFactor | msgspec.UnsetType = msgspec.UNSET
    model_family: Any = msgspec.UNSET
    smart_support: Any = msgspec.UNSET
    smart_status: _SmartStatus | msgspec.UnsetType = msgspec.UNSET
    power_on_time: _PowerOnTime | msgspec.UnsetType = msgspec.UNSET
    power_cycle_count: Any = msgspec.UNSET
    temperature: _Temperature | msgspec.UnsetType = msgspec.UNSET
    ata_smart_attributes: _AttrSection | msgspec.UnsetType = msgspec.UNSET
    ata_smart_error_log: _ErrorLog | msgspec.UnsetType = msgspec.UNSET
    ata_smart_data: _AtaSmartData | msgspec.UnsetType = msgspec.UNSET
    ata_smart_self_test_log: Any = msgspec.UNSET
    ata_device_statistics: Any = msgspec.UNSET
    nvme_smart_health_information_log: Any = msgspec.UNSET
    nvme_self_test_log: Any = msgspec.UNSET
    scsi_error_counter_log: Any = msgspec.UNSET
    scsi_start_stop_cycle_counter: Any = msgspec.UNSET
    scsi_grown_defect_list: Any = msgspec.UNSET
    scsi_percentage_used_endurance_indicator: Any = msgspec.UNSET
    scsi_pending_defects: Any = msgspec.UNSET
    scsi_nonmedium_error: Any = msgspec.UNSET


_Report = cast(
    "type[DecodedReport]",
    msgspec.defstruct(
        "_Report",
        [(key, Any, msgspec.UNSET) for key in _SCSI_SELF_TEST_KEYS],
        bases=(DecodedReport,),
        gc=False,
    ),
)
_decode_report = msgspec.json.Decoder(_Report).decode
_UNSET = msgspec.UNSET


def load_fast(data: bytes) -> DecodedReport | None:
    """The top-level keys the parser reads, decoded into a ``_Report`` for ``parse_smartctl_report``,
    or None when ``data`` is not the usual shape: the caller then uses ``orjson.loads``.

    Non-ASCII documents take the orjson path: msgspec does not check the UTF-8 of the strings it
    skips, and a document orjson refuses as UTF-8 is read as latin-1 text. One difference remains,
    on numbers no smartctl writes: orjson refuses a whole document holding a float literal out of
    range (``1e400``) and reads integers beyond 64 bits as floats, where msgspec skips the former
    when the field is not read and keeps the latter as exact ints. Checking for them costs as much
    as the decoding saves (a regex or ``bytes.translate`` pass over the document), so such
    hand-made documents are graded here where orjson's path refuses them or rounds the number.
    """
    if not data.isascii():
        return None
    try:
        return _decode_report(data)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


def _parse_report(report: DecodedReport, source: str) -> DiskHealth:
    """``_parse`` of a ``_Report``: the same reading, from the decoded fields rather than a dict
    (building one and reading it back cost about a third of the parse)."""
    smartctl = _map(report.smartctl)
    if (
        report.devices is not _UNSET
        and report.device is _UNSET
        and report.model_name is _UNSET
        and report.smart_status is _UNSET
    ):
        raise ParseError(source, _SCAN_OUTPUT)
    section = report.ata_smart_attributes
    attributes = () if section is _UNSET else _attribute_structs(section.table)
    status, power_on, temperature = report.smart_status, report.power_on_time, report.temperature
    health = _disk_health(
        smartctl=smartctl,
        identity=_report_identity(report, attributes),
        support=report.smart_support,
        passed=None if status is _UNSET else status.passed,
        hours=None if power_on is _UNSET else power_on.hours,
        cycles=report.power_cycle_count,
        temperature=None if temperature is _UNSET else temperature.current,
        attributes=attributes,
        nvme=_nvme(report.nvme_smart_health_information_log),
        scsi=_report_scsi(report),
        self_tests=_report_self_tests(report),
        endurance=_device_statistics_endurance(report.ata_device_statistics),
        error_count=_report_error_count(report.ata_smart_error_log),
    )
    if not health.has_health_data:
        raise ParseError(source, _no_health_reason(_report_identity_keys(report), smartctl))
    return health


def _text(value: Any) -> str | None:
    """``_first_str`` of one value (None, UNSET or a blank string give None)."""
    if type(value) is str:
        return value.strip() or None
    if value is _UNSET:  # the usual other case (scsi_vendor in an ATA report…): no _str call
        return None
    return _str(value)


def _report_identity(report: DecodedReport, attributes: tuple[AtaAttribute, ...]) -> DiskIdentity:
    device, capacity, form_factor = report.device, report.user_capacity, report.form_factor
    size = None if capacity is _UNSET else capacity.bytes
    size = size if type(size) is int else _int(size)
    if size is None:
        size = _int(report.nvme_total_capacity)
    return _disk_identity(
        dev_type="" if device is _UNSET else _lower_word(device.type),
        protocol="" if device is _UNSET else _lower_word(device.protocol),
        has_nvme_log=report.nvme_smart_health_information_log is not _UNSET,
        model=_text(report.model_name) or _text(report.scsi_model_name),
        vendor=_text(report.scsi_vendor) or _text(report.vendor),
        product=_text(report.scsi_product) or _text(report.product),
        serial=_text(report.serial_number),
        firmware=_text(report.firmware_version) or _text(report.scsi_revision) or _text(report.revision),
        capacity=size,
        rotation=report.rotation_rate,
        form_factor=None if form_factor is _UNSET else _text(form_factor.name),
        family=_text(report.model_family),
        attributes=attributes,
    )


_scsi_sections = attrgetter(*_SCSI_KEYS)
_NO_SCSI_SECTION = (_UNSET,) * len(_SCSI_KEYS)


def _report_scsi(report: DecodedReport) -> ScsiHealth | None:
    sections = _scsi_sections(report)
    # A tuple of the same UNSET object compares equal by identity, element by element: the cheap
    # test for the usual case, a report without SCSI sections.
    if sections == _NO_SCSI_SECTION:
        return None
    data = {key: value for key, value in zip(_SCSI_KEYS, sections, strict=True) if value is not _UNSET}
    if report.scsi_nonmedium_error is not _UNSET:
        data["scsi_nonmedium_error"] = report.scsi_nonmedium_error
    return _scsi(data)


_scsi_self_test_rows = attrgetter(*_SCSI_SELF_TEST_KEYS)
_NO_SCSI_SELF_TEST = (_UNSET,) * len(_SCSI_SELF_TEST_KEYS)


def _report_self_tests(report: DecodedReport) -> tuple[SelfTestEntry, ...]:
    smart_data = report.ata_smart_data
    logged = _logged_self_tests(
        report.ata_smart_self_test_log,
        report.nvme_self_test_log,
        None if smart_data is _UNSET else smart_data.self_test,
    )
    if logged is not None:
        return logged
    rows = _scsi_self_test_rows(report)
    return () if rows == _NO_SCSI_SELF_TEST else _scsi_tests(rows)


def _report_error_count(log: _ErrorLog | msgspec.UnsetType) -> int | None:
    """``_ata_error_count`` of the decoded error log."""
    if log is _UNSET:
        return None
    for part in (log.extended, log.summary):
        if part is not _UNSET:
            count = _int(part.count)
            if count is not None:
                return count
    return None


def _report_identity_keys(report: DecodedReport) -> dict[str, Any]:
    """The keys ``_no_health_reason`` reads, as the decoded mapping holds them (refusals only)."""
    data = {
        key: value
        for key in ("model_name", "serial_number", "smart_support")
        if (value := getattr(report, key)) is not _UNSET
    }
    if report.device is not _UNSET:
        data["device"] = {"type": report.device.type}
    return data


def _attribute_structs(table: list[_AttrRow]) -> tuple[AtaAttribute, ...]:
    """``_attributes`` for rows decoded by msgspec (the types already checked)."""
    out: list[AtaAttribute] = []
    append = out.append
    small_int = _SMALL_INTS.get
    for row in table:
        raw = row.raw
        name, raw_string = row.name, raw.string
        if not name or row.when_failed:
            tolerant = _attribute_row(
                {
                    "id": row.id,
                    "name": name,
                    "value": row.value,
                    "worst": row.worst,
                    "thresh": row.thresh,
                    "raw": {"string": raw_string, "value": raw.value},
                    "flags": {"prefailure": row.flags.prefailure},
                    "when_failed": row.when_failed,
                }
            )
            if tolerant is not None:
                append(tolerant)
            continue
        leading = small_int(raw_string)
        if leading is None:
            leading = _leading_digits(raw_string)
            if leading is None:
                leading = _int(raw.value)
        attr = _new(AtaAttribute)
        _set_dict(
            attr,
            "__dict__",
            {
                "id": row.id,
                "name": name,
                "value": row.value,
                "worst": row.worst,
                "thresh": row.thresh,
                "raw": leading,
                "raw_string": raw_string,
                "when_failed": "",
                "prefailure": row.flags.prefailure,
            },
        )
        append(attr)
    return tuple(out)
