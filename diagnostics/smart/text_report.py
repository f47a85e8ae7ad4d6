"""Parse saved smartctl text output (smartmontools 5.0 … 7.x) into ``DiskHealth``.

Accepts the text of ``smartctl -a``, ``-x``, ``-A``, ``-H`` (and their ``-d ata|sat|scsi|nvme|
megaraid,N|sntasmedia…`` variants) for ATA/SATA, NVMe and SCSI/SAS devices: the information section,
the overall health line (ATA/NVMe ``PASSED``/``FAILED!``, SCSI ``SMART Health Status``), the ATA
attribute table in all its layouts (modern with ``UPDATED``/``WHEN_FAILED``; pre-5.33 without
``UPDATED``; ``-f brief`` with ``FLAGS``/``FAIL``; ``---`` normalised values), ATA and SCSI self-test
logs, the ATA device statistics endurance line (``-x``), the NVMe SMART/Health log and the SCSI error
counter log, grown defect list and cycle counters. Numbers may carry locale separators.

Produces the same ``DiskHealth`` as ``diagnostics.smart.json_report``, with ``source_format``
``"smartctl-text"``.

Refuses with ``ParseError`` (never another exception): empty input, text that is not smartctl
output, ``smartctl --scan``/``--scan-open`` listings, ``-d test`` type probes, ``--version``
banners, pySMART replay links (a file holding only a path to another capture), SCSI log pages
(``-l background``/``-l sasphy``), info-only output and devices without SMART (RAID volumes).

It is hand-written (no pySMART) and works section by section: literal ``str.find`` locates each
table or key line, one multi-line regex reads the attribute table and the ATA self-test log, and
only the identity/health region is split into lines. Every pattern is linear in its input (no
nested lazy groups), and rows longer than any smartctl prints are ignored.
"""

from __future__ import annotations

import functools
import re

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

SOURCE_FORMAT = "smartctl-text"

_SIGNATURES = re.compile(
    r"smartctl (?:version )?(?:\d|pre-)|=== START OF (?:INFORMATION|READ SMART|SMART DATA)"
    r"|SMART overall-health self-assessment|ID# ATTRIBUTE_NAME|SMART/Health Information"
    r"|SMART Health Status:|Device of type '|^\S+ -d \S+ # ",
    re.MULTILINE,
)
_VERSION = re.compile(r"^smartctl (?:version )?(pre-)?(\d+\.\d+)", re.MULTILINE)
# Self-test rows are split on runs of 2+ spaces rather than matched with nested lazy groups, so a
# hostile line costs linear time (the columns are separated by at least two spaces in every version).
_ROW_NUMBER = re.compile(r"^#\s*(\d+)\s+")
_COLUMNS = re.compile(r"\s{2,}")
_NVME_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+")
#: Table rows longer than this are not smartctl's (its widest row is ~120 characters).
_MAX_ROW = 400
_SCAN_LINE = re.compile(r"^\S+(?: \S+)*? -d \S+ # ")
_PROBE_LINE = re.compile(r"Device of type '[^']*' \[[^\]]*\] (?:detected|opened)|Device open changed type")
_FAILED_WORDS = ("fail", "error")
_WHEN_FAILED = {"-": "", "FAILING_NOW": "FAILING_NOW", "NOW": "FAILING_NOW", "In_the_past": "In_the_past"}
_WHEN_FAILED["Past"] = "In_the_past"


def looks_like_smartctl_text(text: str) -> bool:
    """True when ``text`` carries a smartctl banner, section header or table header."""
    # Bounded finds rather than slices: a slice copies up to 20 kB on every call.
    if text.find("=== START OF ", 0, 4000) >= 0 or text.startswith("smartctl "):
        return True
    return bool(_SIGNATURES.search(text, 0, 20000))


def parse_smartctl_text(text: str, source: str) -> DiskHealth:
    """Parse one saved smartctl text report; ``source`` names it in errors."""
    if not isinstance(text, str):
        raise ParseError(source, f"expected text, got {type(text).__name__}")
    try:
        return _parse(text, source)
    except ParseError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ParseError(source, f"unexpected smartctl text layout ({type(exc).__name__}: {exc})") from exc


def _refuse_early(text: str, source: str) -> None:
    stripped = text.strip()
    if not stripped:
        raise ParseError(source, "empty input")
    if "\n" not in stripped and re.fullmatch(r"(\.\./|\./|_)\S*", stripped):
        raise ParseError(
            source,
            f"holds only a pySMART replay link to another capture ({stripped[:80]}), no smartctl output",
        )
    if text.find("=== START OF ", 0, 8000) < 0:
        # Listings and probes are short and have no section header: look at their lines.
        lines = [line for line in stripped.splitlines() if line.strip()]
        body = [ln for ln in lines if not ln.startswith(("smartctl ", "Copyright", "Home page"))]
        if body and all(len(ln) <= _MAX_ROW * 4 and _SCAN_LINE.match(ln) for ln in body):
            raise ParseError(source, "smartctl --scan output lists devices, holds no health data")
        if body and all(_PROBE_LINE.search(ln) for ln in body):
            raise ParseError(source, "smartctl -d test output only probes the device type, holds no health data")
    if not looks_like_smartctl_text(text):
        raise ParseError(source, "not smartctl output (no smartctl banner, section or table found)")


#: The "Key: value" lines the record is built from (information section, health verdict, NVMe
#: SMART/Health log, SCSI counters); any other line is skipped without further work.
_WANTED_KEYS = frozenset(
    {
        "device model", "model number", "model", "product", "vendor", "serial number", "firmware version",
        "revision", "user capacity", "total nvm capacity", "namespace 1 size/capacity", "rotation rate",
        "form factor", "model family", "transport protocol", "ata version is", "sata version is",
        "smart support is", "smart overall-health self-assessment test result", "smart health status",
        "critical warning", "temperature", "available spare", "available spare threshold", "percentage used",
        "data units read", "data units written", "power cycles", "power on hours", "unsafe shutdowns",
        "media and data integrity errors", "error information log entries", "elements in grown defect list",
        "percentage used endurance indicator", "non-medium error count", "accumulated start-stop cycles",
        "specified cycle count over device lifetime", "accumulated load-unload cycles",
        "specified load-unload count over device lifetime", "current drive temperature",
        "accumulated power on time, hours", "pending defect count",
    }
)  # fmt: skip
#: Without an ATA attribute table (NVMe, SCSI) the key lines sit in the first few kilobytes.
_KEY_REGION = 16_000
#: One attribute-table row. The quantifiers are possessive (``++``, ``?+``): each run ends where the
#: next column's class begins, and a shorter run or a skipped optional column only leaves a longer
#: raw field, which cannot rescue a failed match (the raw field is bounded), so giving up
#: backtracking changes no match while sparing the engine its bookkeeping (~15% of the time).
#: tests/diagnostics/test_text_patterns.py checks that against the plain-quantifier pattern.
_ATTR_ROWS = re.compile(
    r"^[ \t]*+(\d{1,3}+)[ \t]++(\S++)[ \t]++(0x[0-9a-fA-F]{4}|[A-Z+-]{5,8})[ \t]++"
    r"(\d{1,3}+|---)[ \t]++(\d{1,3}+|---)[ \t]++(\d{1,3}+|---)"
    r"(?:[ \t]++(?:Pre-fail|Old_age))?+(?:[ \t]++(?:Always|Offline))?+"
    r"(?:[ \t]++(-|FAILING_NOW|In_the_past|NOW|Past)(?=[ \t]+\S))?+"
    r"[ \t]*+((\d{0,24}+)[^\n]{0,300}+)$",  # 48-bit raw fields have at most 15 digits
    re.MULTILINE,
)
_COUNTER_ROWS = re.compile(r"^(read|write|verify):[ \t]+([^\n]*)$", re.MULTILINE)
_ERROR_COUNT = re.compile(r"[ \t]*(\d+)")


def _block(text: str, start: int) -> str:
    """From ``start`` to the next blank line: one smartctl table."""
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


def _line_at(text: str, index: int) -> str:
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start:] if end < 0 else text[start:end]


def _key_values(region: str) -> dict[str, str]:
    info: dict[str, str] = {}
    for line in region.split("\n"):
        if not line[:1].isalpha():  # continuation lines of capability text start with tabs
            continue
        key, sep, value = line.partition(":")
        if sep:
            key = key.strip().lower()
            if key in _WANTED_KEYS and key not in info:
                info[key] = value.strip()
    return info


def _parse(text: str, source: str) -> DiskHealth:
    _refuse_early(text, source)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    version_match = _VERSION.search(text, 0, 2000)
    version = version_match.group(2) if version_match else None

    header = text.find("ID# ATTRIBUTE")
    if header >= 0:
        # ATA: identity and verdict come before the capability text ('General SMART Values').
        general = text.find("\nGeneral SMART Values", 0, header)
        info = _key_values(text[: general if general >= 0 else header])
    else:
        info = _key_values(text[:_KEY_REGION])
    attributes: tuple[AtaAttribute, ...] = ()
    after = 0
    if header >= 0:
        table = _block(text, header)
        attributes = _attributes(table)
        after = header + len(table)

    self_tests: tuple[SelfTestEntry, ...] = ()
    found = text.find("Test_Description", after)
    if found >= 0:
        head_line = _line_at(text, found)
        nvme_layout = "Power_on_Hours" in head_line or "Failing_LBA" in head_line
        rows_text = _block(text, text.find("\n", found) + 1)
        if nvme_layout:
            self_tests = tuple(e for e in map(_nvme_selftest, rows_text.split("\n")) if e)
        else:
            self_tests = _ata_selftests(rows_text)
    elif header < 0:
        found = text.find("\nNum  Test ")
        if found >= 0:
            rows = _block(text, text.find("\n", found + 1) + 1).split("\n")
            self_tests = tuple(e for e in map(_scsi_selftest, rows) if e is not None)

    if not self_tests and header >= 0:
        self_tests = _last_self_test(text, header)

    scsi_counters: dict[str, list[str]] = {}
    if header < 0:
        # Both spellings end in "ounter log": one scan when there is neither (NVMe).
        found = max(text.find("rror counter log"), text.find("rror Counter log")) if "ounter log" in text else -1
        if found >= 0:
            for row in _COUNTER_ROWS.finditer(_block(text, found)):
                scsi_counters[row.group(1)] = row.group(2).split()
        for marker, key in (
            ("Accumulated power on time", "accumulated power on time"),
            ("number of hours powered up =", "number of hours powered up"),
            ("Current temperature =", "current drive temperature"),
        ):
            found = text.find(marker)
            if found >= 0 and key not in info:
                info[key] = _line_at(text, found)[found - text.rfind("\n", 0, found) - 1 + len(marker) :]

    endurance: int | None = None
    found = text.find("Percentage Used Endurance Indicator", after) if header >= 0 else -1
    if found >= 0:
        parts = _line_at(text, found).split()
        if len(parts) >= 4 and parts[0].startswith("0x"):
            endurance = parse_int(parts[3])
    error_count: int | None = None
    if header >= 0:
        found = text.find("Error Count:", after)  # 'ATA Error Count:' / 'Device Error Count:'
        m = _ERROR_COUNT.match(text, found + 12) if found >= 0 else None
        if m:
            error_count = int(m.group(1))
        elif text.find("No Errors Logged", after) >= 0:
            error_count = 0
    return _build(text, source, version, info, attributes, self_tests, scsi_counters, endurance, error_count)


def _attributes(table: str) -> tuple[AtaAttribute, ...]:
    """The rows of one attribute table (``_ATTR_ROWS``: ``findall`` gives each row's columns)."""
    return tuple(
        AtaAttribute(
            id=int(attr_id),
            name=name,
            value=_column(value),
            worst=_column(worst),
            thresh=_column(thresh),
            raw=int(leading) if leading else None,
            raw_string=raw_string.rstrip(),
            when_failed=_WHEN_FAILED[when] if when else "",
            # The flag column: hex (bit 0 = pre-failure) or, with -f brief, letters ('P' = pre-failure).
            prefailure=bool(int(flag, 16) & 1) if flag[1] == "x" else flag[0] == "P",
        )
        for attr_id, name, flag, value, worst, thresh, when, raw_string, leading in _ATTR_ROWS.findall(table)
    )


def _column(text: str) -> int | None:
    """A VALUE/WORST/THRESH column: one to three digits, or ``---`` where the drive gives none."""
    return None if text == "---" else int(text)


@functools.lru_cache(maxsize=256)
def _classify_status(status: str) -> tuple[bool | None, str | None]:
    lowered = status.lower()
    if "progress" in lowered or "abort" in lowered or "interrupt" in lowered:
        return None, None
    if "without error" in lowered:
        return True, None
    if any(word in lowered for word in _FAILED_WORDS):
        if "read" in lowered:
            return False, "read failure"
        detail = status.split(":", 1)[-1].strip() if ":" in status else status.strip()
        return False, detail.lower() or "failure"
    if lowered.startswith("completed"):
        return True, None
    return None, None


def _split_description(head: str) -> tuple[str, str] | None:
    head = head.strip()
    gap = head.find("  ")
    if gap > 0:
        return head[:gap], head[gap:].strip()
    words = head.split()
    if len(words) < 3:
        return None
    return " ".join(words[:2]), " ".join(words[2:])


#: One ATA self-test row. Description and status are runs of single-spaced words, so the split at
#: the first double space is unique and the match stays linear in the row length.
#: The row number and the description are possessive (see ``_ATTR_ROWS``): the description can
#: only end at the first run of two blanks, so backtracking into it never finds another match.
_ATA_TEST_ROWS = re.compile(
    r"^#[ \t]*+\d++[ \t]++(\S++(?: \S++)*+)[ \t]{2,}+(\S+(?: \S+)*?)[ \t]+(\d{1,3})%[ \t]+(\d+|-)[ \t]*(\S*)",
    re.MULTILINE,
)


def _ata_selftests(rows_text: str) -> tuple[SelfTestEntry, ...]:
    """The rows of an ATA self-test log (``_ATA_TEST_ROWS``)."""
    entries: list[SelfTestEntry] = []
    for test_type, status, remaining, hours, lba in _ATA_TEST_ROWS.findall(rows_text):
        passed, failure = _classify_status(status)
        entries.append(
            SelfTestEntry(
                test_type=test_type,
                status=status,
                passed=passed,
                failure=failure,
                lifetime_hours=int(hours) if hours != "-" else None,
                lba_of_first_error=_lba(lba) if lba and lba != "-" else None,
                remaining_percent=int(remaining),
            )
        )
    return tuple(entries)


def _scsi_selftest(line: str) -> SelfTestEntry | None:
    # '# 1  Background short  Completed                   -     349                 - [-   -    -]'
    line = line.strip()
    number = _ROW_NUMBER.match(line)
    if number is None or len(line) > _MAX_ROW:
        return None
    body, _, sense = line[number.end() :].partition("[")
    tokens = body.split()
    if len(tokens) < 5:
        return None
    lba, hours = tokens[-1], tokens[-2]
    head = body.rstrip()
    for token in (lba, hours, tokens[-3]):
        head = head[: head.rfind(token)].rstrip()
    split = _split_description(head)
    if split is None:
        return None
    test_type, status = split
    passed, failure = _classify_status(status)
    sense_key = sense.split()[0] if sense.split() else ""
    if failure and sense_key in {"0x3", "0x03", "3"}:  # SPC: sense key 3 = MEDIUM ERROR
        failure = "read failure"
    return SelfTestEntry(
        test_type=test_type.strip(),
        status=status.strip(),
        passed=passed,
        failure=failure,
        lifetime_hours=parse_int(hours),
        lba_of_first_error=_lba(lba),
    )


def _nvme_selftest(line: str) -> SelfTestEntry | None:
    # ' 0   Extended          Completed without error                8754            -     -   -   -    -'
    row = _NVME_ROW.match(line)
    if row is None or len(line) > _MAX_ROW:
        return None
    parts = _COLUMNS.split(line[row.end() :].strip())
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    status = parts[0]
    passed, failure = _classify_status(status)
    return SelfTestEntry(
        test_type=row.group(2),
        status=status,
        passed=passed,
        failure=failure,
        lifetime_hours=int(parts[1]),
        lba_of_first_error=_lba(parts[2]) if len(parts) > 2 else None,
    )


def _lba(text: str) -> int | None:
    text = text.strip()
    if not text or text == "-":
        return None
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _build(
    text: str,
    source: str,
    version: str | None,
    info: dict[str, str],
    attributes: tuple[AtaAttribute, ...],
    self_tests: tuple[SelfTestEntry, ...],
    scsi_counters: dict[str, list[str]],
    endurance: int | None,
    error_count: int | None,
) -> DiskHealth:
    nvme = _nvme(info)
    scsi = _scsi(info, scsi_counters)
    identity = _identity(text, info, attributes, is_nvme=nvme is not None or "model number" in info)
    smart_passed = _smart_passed(info)
    health = DiskHealth(
        source_format=SOURCE_FORMAT,
        identity=identity,
        smartctl_version=version,
        smart_supported=_smart_supported(info),
        smart_passed=smart_passed,
        power_on_hours=plausible_hours(_power_on_hours(info, attributes, nvme, self_tests)),
        power_cycles=_power_cycles(info, attributes, nvme),
        temperature_c=_temperature(info, attributes, nvme),
        attributes=attributes,
        nvme=nvme,
        scsi=scsi,
        self_tests=self_tests,
        endurance_used_percent=endurance,
        ata_error_count=error_count,
    )
    if not health.has_health_data:
        raise ParseError(source, _no_health_reason(text, info, health))
    return health


def _no_health_reason(text: str, info: dict[str, str], health: DiskHealth) -> str:
    if health.smart_supported is False or "lacks SMART capability" in text:
        return "device lacks SMART capability (e.g. a RAID virtual disk): no health data"
    if re.search(r"^(Background scan results log|Protocol Specific port log page)", text, re.MULTILINE) or (
        "Device does not support Background scan" in text
    ):
        return "a SCSI log page only (smartctl -l background/sasphy), holds no health data"
    if re.search(r"smartmontools release|is free software|SMARTMONTOOLS_", text) and not health.identity.model:
        return "smartctl --version output, holds no device data"
    if health.identity.model or health.identity.serial:
        return "info-only output (smartctl -i): identity but no health data; run smartctl -x"
    return "smartctl output without health data (no health verdict, attributes or logs)"


def _smart_supported(info: dict[str, str]) -> bool | None:
    value = info.get("smart support is")
    if value is None:
        return None
    return value.lower().startswith("available")


def _smart_passed(info: dict[str, str]) -> bool | None:
    verdict = info.get("smart overall-health self-assessment test result")
    if verdict is not None:
        word = verdict.strip().upper()
        if word.startswith("PASSED"):
            return True
        if word.startswith("FAILED"):
            return False
        return None
    scsi = info.get("smart health status")
    if scsi is not None:
        return scsi.strip().upper().startswith("OK")
    return None


def _identity(text: str, info: dict[str, str], attributes: tuple[AtaAttribute, ...], *, is_nvme: bool) -> DiskIdentity:
    # ``_key_values`` stores stripped values, so "the first key with a non-blank value" is a chain
    # of ``or``s ending in None (a blank value is "").
    get = info.get
    vendor = get("vendor") or None
    product = get("product") or None
    model = get("device model") or get("model number") or get("model") or None
    if model is None and product:
        model = f"{vendor} {product}" if vendor and not product.startswith(vendor) else product
    capacity_text = get("user capacity") or get("total nvm capacity") or get("namespace 1 size/capacity")
    rotation_text = get("rotation rate")
    rotation: int | None = None
    if rotation_text:
        rotation = 0 if "solid state" in rotation_text.lower() else parse_int(rotation_text)
    interface = _interface(text, info, is_nvme)
    return DiskIdentity(
        model=model,
        serial=get("serial number") or None,
        firmware=get("firmware version") or get("revision") or None,
        capacity_bytes=parse_int(capacity_text) if capacity_text else None,
        interface=interface,
        device_type=classify_device_type(interface, rotation, model, is_nvme, attributes),
        rotation_rpm=rotation,
        form_factor=get("form factor") or None,
        vendor=vendor,
        model_family=get("model family") or None,
    )


def _interface(text: str, info: dict[str, str], is_nvme: bool) -> str | None:
    head = text[:600]
    if "megaraid" in head.lower():
        return "megaraid"
    # Few reports echo smartctl's command line: one search for "-d " spares four for its types.
    options = "-d " in head
    if (options and ("-d usb" in head or "-d snt" in head or "-d jmb" in head)) or "[USB" in head:
        return "usb"
    if (options and "-d sat" in head) or "[SAT]" in head:
        return "sat"
    if is_nvme:
        return "nvme"
    if "transport protocol" in info or "product" in info:
        return "scsi"
    if "device model" in info or "ata version is" in info or "sata version is" in info:
        return "ata"
    return None


def _nvme(info: dict[str, str]) -> NvmeHealth | None:
    if "percentage used" not in info and "available spare" not in info:
        return None
    get = info.get
    warning = info.get("critical warning")
    critical: int | None = None
    if warning:
        token = warning.split()[0]
        try:
            critical = int(token, 16) if token.lower().startswith("0x") else int(token)
        except ValueError:
            critical = None
    return NvmeHealth(
        critical_warning=critical,
        temperature_c=parse_int(get("temperature")),
        available_spare=parse_int(get("available spare")),
        available_spare_threshold=parse_int(get("available spare threshold")),
        percentage_used=parse_int(get("percentage used")),
        data_units_read=parse_int(get("data units read")),
        data_units_written=parse_int(get("data units written")),
        power_cycles=parse_int(get("power cycles")),
        power_on_hours=parse_int(get("power on hours")),
        unsafe_shutdowns=parse_int(get("unsafe shutdowns")),
        media_errors=parse_int(get("media and data integrity errors")),
        num_err_log_entries=parse_int(get("error information log entries")),
    )


def _scsi(info: dict[str, str], counters: dict[str, list[str]]) -> ScsiHealth | None:
    grown = parse_int(info.get("elements in grown defect list"))
    endurance = parse_int(info.get("percentage used endurance indicator"))
    pending = parse_int(info.get("pending defect count"))
    if not counters and grown is None and endurance is None and pending is None:
        return None

    def counter(kind: str, index: int) -> int | None:
        fields = counters.get(kind)
        if not fields or len(fields) < 7:
            return None
        return parse_int(fields[index])

    return ScsiHealth(
        grown_defects=grown,
        read_uncorrected=counter("read", 6),
        write_uncorrected=counter("write", 6),
        verify_uncorrected=counter("verify", 6),
        read_corrected=counter("read", 3),
        write_corrected=counter("write", 3),
        verify_corrected=counter("verify", 3),
        non_medium_errors=parse_int(info.get("non-medium error count")),
        start_stop_cycles=parse_int(info.get("accumulated start-stop cycles")),
        start_stop_cycles_rated=parse_int(info.get("specified cycle count over device lifetime")),
        load_unload_cycles=parse_int(info.get("accumulated load-unload cycles")),
        load_unload_cycles_rated=parse_int(info.get("specified load-unload count over device lifetime")),
        percentage_used_endurance=endurance,
        pending_defects=pending,
    )


def _power_on_hours(
    info: dict[str, str],
    attributes: tuple[AtaAttribute, ...],
    nvme: NvmeHealth | None,
    self_tests: tuple[SelfTestEntry, ...],
) -> int | None:
    if nvme is not None and nvme.power_on_hours is not None:
        return nvme.power_on_hours
    for attr in attributes:
        if attr.id == 9 and attr.raw is not None:
            name = attr.name.lower()
            if "h+" in attr.raw_string or "hours" in name:
                return attr.raw
            if "half_minutes" in name:
                return attr.raw // 120
            if "minutes" in name:
                return attr.raw // 60
            if "seconds" in name:
                return attr.raw // 3600
            return attr.raw
    accumulated = info.get("accumulated power on time") or info.get("accumulated power on time, hours")
    if accumulated:
        return parse_int(accumulated)
    powered = info.get("number of hours powered up")
    if powered:
        return parse_int(powered)
    if not attributes and self_tests and self_tests[0].lifetime_hours:
        # SCSI -a without the power-on-time log: the latest self-test's timestamp is a lower bound.
        return self_tests[0].lifetime_hours
    return None


def _power_cycles(info: dict[str, str], attributes: tuple[AtaAttribute, ...], nvme: NvmeHealth | None) -> int | None:
    if nvme is not None and nvme.power_cycles is not None:
        return nvme.power_cycles
    for attr in attributes:
        if attr.id == 12 and attr.raw_count is not None:
            return attr.raw_count
    return parse_int(info.get("accumulated start-stop cycles"))


def _temperature(info: dict[str, str], attributes: tuple[AtaAttribute, ...], nvme: NvmeHealth | None) -> int | None:
    if nvme is not None and nvme.temperature_c is not None:
        return nvme.temperature_c
    for attr_id in (194, 190):
        for attr in attributes:
            if attr.id == attr_id and "temp" in attr.name.lower() and attr.raw is not None:
                return attr.raw if attr.raw < 200 else None
    current = info.get("current drive temperature")
    if current:
        value = parse_int(current)
        return value if value else None
    return None


#: ATA self-test execution status, high nibble (ATA ACS-3 SMART READ DATA byte 363): failures only.
_EXECUTION_FAILURES = {
    3: "fatal error",
    4: "unknown failure",
    5: "electrical failure",
    6: "servo failure",
    7: "read failure",
    8: "handling damage",
}
_EXECUTION_STATUS = re.compile(r"\(\s*(\d{1,3})\)")


def _last_self_test(text: str, end: int) -> tuple[SelfTestEntry, ...]:
    """Without a self-test log, 'Self-test execution status' still tells a failed previous test."""
    found = text.find("Self-test execution status:", 0, end)
    m = _EXECUTION_STATUS.search(text, found, found + 60) if found >= 0 else None
    failure = _EXECUTION_FAILURES.get(int(m.group(1)) >> 4) if m else None
    if failure is None:
        return ()
    return (SelfTestEntry("previous self-test", f"Completed: {failure}", False, failure),)
