"""Parse nvme-cli output: ``nvme smart-log /dev/nvmeX -o json`` and ``nvme error-log /dev/nvmeX -o
json`` into ``DiskHealth``, and the default text of both: ``nvme smart-log`` (``Smart Log for NVME
device:…`` then ``key : value`` lines, counts with thousands separators, ``42 C (315 Kelvin)``;
pasted without its header line as often as with it) and ``nvme error-log`` (``Error Log Entries
for device:nvme0 entries:N`` then one ``Entry[ i]`` block of ``key : value`` lines per entry, or
the blocks alone).

smart-log (NVMe base spec log page 02h) as nvme-cli 1.x and 2.x print it: ``critical_warning``
(a number, or in 2.x with ``-H`` an object whose ``value`` is the number), ``temperature`` in
kelvin, ``avail_spare``, ``spare_thresh``, ``percent_used``, ``data_units_read/written``,
``power_cycles``, ``power_on_hours``, ``unsafe_shutdowns``, ``media_errors``,
``num_err_log_entries``. 128-bit counters may come as numbers or numeric strings.

error-log (log page 01h): ``{"errors": [{"error_count": …, "status_field": …}, …]}``. The log is a
ring of the most recent entries; its highest ``error_count`` is the controller's lifetime count
of error log entries, which the grading reads as ``num_err_log_entries``. Empty slots (count 0)
are skipped.

Neither output names the drive (the device node is on the command line only), so the identity is
an NVMe drive of unknown model. Refuses with ``ParseError`` naming the key: a value of the wrong
type, a fraction where a counter is due, an error log that is not a list of objects.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from diagnostics.errors import ParseError
from diagnostics.smart import _fleet
from diagnostics.smart.records import DiskHealth, DiskIdentity, NvmeHealth, plausible_hours

SMART_LOG_FORMAT = "nvme-cli-smart-log"
SMART_LOG_TEXT_FORMAT = "nvme-cli-smart-log-text"
ERROR_LOG_FORMAT = "nvme-cli-error-log"
ERROR_LOG_TEXT_FORMAT = "nvme-cli-error-log-text"

_KELVIN = 273
_SMART_LOG_KEYS = frozenset({"avail_spare", "percent_used", "spare_thresh"})


def is_smart_log(doc: Any) -> bool:
    return isinstance(doc, dict) and "critical_warning" in doc and not _SMART_LOG_KEYS.isdisjoint(doc)


def is_error_log(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("errors"), list) and len(doc) <= 2


def parse_smart_log(doc: Any, source: str) -> DiskHealth:
    if not isinstance(doc, dict):
        raise ParseError(source, f"nvme smart-log JSON must be an object, got {type(doc).__name__}")

    def num(key: str) -> int | None:
        return _fleet.json_count(doc.get(key), key, source)

    warning: Any = doc.get("critical_warning")
    if isinstance(warning, dict):
        warning = warning.get("value")
        critical_warning = _fleet.json_count(warning, "critical_warning.value", source)
    else:
        critical_warning = num("critical_warning")
    kelvin = num("temperature")
    temperature = kelvin - _KELVIN if kelvin is not None and kelvin > _KELVIN else None
    percent = num("percent_used")
    if percent is None:
        percent = num("percentage_used")
    nvme = NvmeHealth(
        critical_warning=critical_warning,
        temperature_c=temperature,
        available_spare=num("avail_spare"),
        available_spare_threshold=num("spare_thresh"),
        percentage_used=percent,
        data_units_read=num("data_units_read"),
        data_units_written=num("data_units_written"),
        power_cycles=num("power_cycles"),
        power_on_hours=num("power_on_hours"),
        unsafe_shutdowns=num("unsafe_shutdowns"),
        media_errors=num("media_errors"),
        num_err_log_entries=num("num_err_log_entries"),
    )
    if all(value is None for value in nvme):
        raise ParseError(source, "nvme smart-log JSON holds no health field (critical_warning, percent_used …)")
    return DiskHealth(
        source_format=SMART_LOG_FORMAT,
        identity=_identity(),
        smart_supported=True,
        smart_passed=None,
        power_on_hours=plausible_hours(nvme.power_on_hours),
        power_cycles=nvme.power_cycles,
        temperature_c=temperature,
        nvme=nvme,
    )


def parse_error_log(doc: Any, source: str) -> DiskHealth:
    if not isinstance(doc, dict):
        raise ParseError(source, f"nvme error-log JSON must be an object, got {type(doc).__name__}")
    errors = doc.get("errors")
    if not isinstance(errors, list):
        raise ParseError(source, "errors: expected the list of error log entries")
    counts = []
    for index, entry in enumerate(errors):
        entry = _fleet.json_object(entry, f"errors[{index}]", source)
        value = _fleet.json_count(entry.get("error_count"), f"errors[{index}].error_count", source)
        if value is None:
            raise ParseError(source, f"errors[{index}].error_count: missing")
        if value < 0:
            raise ParseError(source, f"errors[{index}].error_count: negative")
        if value:
            counts.append(value)
    if len(set(counts)) != len(counts):
        duplicate = next(c for c in counts if counts.count(c) > 1)
        raise ParseError(source, f"errors: entry with error_count {duplicate} is listed twice")
    nvme = NvmeHealth(num_err_log_entries=max(counts, default=0))
    return DiskHealth(source_format=ERROR_LOG_FORMAT, identity=_identity(), smart_supported=True, nvme=nvme)


_TEXT_HEADER = re.compile(r"^Smart Log for NVME device:\s*(\S+)", re.MULTILINE)
_TEXT_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_ .]*?)\s*:\s*(.*?)\s*$")
#: Text keys (nvme-cli 1.x and 2.x) → the JSON key they print.
_TEXT_KEYS = {
    "critical_warning": "critical_warning",
    "available_spare": "avail_spare",
    "available_spare_threshold": "spare_thresh",
    "percentage_used": "percent_used",
    "data_units_read": "data_units_read",
    "data_units_written": "data_units_written",
    "power_cycles": "power_cycles",
    "power_on_hours": "power_on_hours",
    "unsafe_shutdowns": "unsafe_shutdowns",
    "media_errors": "media_errors",
    "num_err_log_entries": "num_err_log_entries",
}
_TEMPERATURE = re.compile(r"^(-?\d+)\s*°?\s*C\b(?:\s*\((\d+)\s*Kelvin\))?")


#: The lines a smart-log text holds whether or not its header was pasted with it.
_HEADERLESS_KEYS = re.compile(
    r"^(critical_warning|available_spare|percentage_used|media_errors|num_err_log_entries)\s*:", re.MULTILINE
)


def looks_like_smart_log_text(text: str) -> bool:
    if _TEXT_HEADER.search(text, 0, 4000) is not None:
        return True
    keys = {m.group(1) for m in _HEADERLESS_KEYS.finditer(text, 0, 8000)}
    return "critical_warning" in keys and len(keys) >= 4


def parse_smart_log_text(text: str, source: str) -> DiskHealth:
    """The default text of ``nvme smart-log``; every line is named by its number in errors."""
    if not isinstance(text, str):
        raise ParseError(source, f"expected text, got {type(text).__name__}")
    doc: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = _TEXT_LINE.match(line)
        if m is None:
            continue
        key, value = m.group(1).strip().lower(), m.group(2)
        if key == "temperature":
            t = _TEMPERATURE.match(value)
            if t is None:
                raise ParseError(source, f"line {number}: temperature {value[:30]!r} is not 'N C'")
            doc["temperature"] = int(t.group(2)) if t.group(2) else int(t.group(1)) + _KELVIN
        elif key in _TEXT_KEYS:
            if key in seen:
                raise ParseError(source, f"line {number}: {key} is listed twice (first at line {seen[key]})")
            seen[key] = number
            value = value.rstrip("%").strip()
            if value.lower().startswith("0x"):
                try:
                    doc[_TEXT_KEYS[key]] = int(value, 16)
                except ValueError:
                    raise ParseError(source, f"line {number}: {key} {value[:30]!r} is not a number") from None
            else:
                doc[_TEXT_KEYS[key]] = _fleet.count(value, f"line {number}: {key}", source)
    if "critical_warning" not in doc or not _SMART_LOG_KEYS.intersection(doc):
        raise ParseError(source, "nvme smart-log text without critical_warning and percentage_used (truncated?)")
    return dataclasses.replace(parse_smart_log(doc, source), source_format=SMART_LOG_TEXT_FORMAT)


_ERROR_HEADER = re.compile(r"^Error Log Entries for device:\s*(\S+?)\s+entries:\s*(\d+)", re.MULTILINE)
_ERROR_KEY = re.compile(r"^[ \t]*(error_count|status_field|sqid)[ \t]*:(.*)$", re.MULTILINE)


def looks_like_error_log_text(text: str) -> bool:
    if _ERROR_HEADER.search(text, 0, 4000) is not None:
        return True
    keys = {m.group(1) for m in _ERROR_KEY.finditer(text, 0, 8000)}
    return keys == {"error_count", "status_field", "sqid"}


def parse_error_log_text(text: str, source: str) -> DiskHealth:
    """The default text of ``nvme error-log``: every entry's ``error_count`` line (decimal or
    ``0x`` hex), read like the JSON's ``errors[].error_count``; lines are named by number in errors.
    A header that announces more entries than the file holds is a cut paste."""
    if not isinstance(text, str):
        raise ParseError(source, f"expected text, got {type(text).__name__}")
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _ERROR_KEY.match(line)
        if m is None or m.group(1) != "error_count":
            continue
        value = m.group(2).strip()
        if value.lower().startswith("0x"):
            try:
                count = int(value, 16)
            except ValueError:
                raise ParseError(source, f"line {number}: error_count {value[:30]!r} is not a number") from None
        else:
            count = _fleet.count(value, f"line {number}: error_count", source)
        if count < 0:
            raise ParseError(source, f"line {number}: error_count is negative")
        entries.append({"error_count": count})
    if not entries:
        raise ParseError(source, "nvme error-log text without an error_count line (truncated?)")
    header = _ERROR_HEADER.search(text)
    if header is not None and len(entries) < int(header.group(2)):
        raise ParseError(
            source,
            f"the header announces {header.group(2)} error log entries but the file holds {len(entries)} (cut paste?)",
        )
    return dataclasses.replace(parse_error_log({"errors": entries}, source), source_format=ERROR_LOG_TEXT_FORMAT)


def _identity() -> DiskIdentity:
    return DiskIdentity(interface="nvme", device_type="nvme")
