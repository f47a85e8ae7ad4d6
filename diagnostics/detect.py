"""Read any saved diagnostics file: detect its format, parse it, grade it.

Input: the raw bytes of one file, exactly as a tool wrote it, and a ``source`` naming it (a path,
``<stdin>``, an upload's file name). Accepted, detected in this order:

* **JSON** (first non-blank character ``{``): ``smartctl -j`` output (``smartctl`` or
  ``json_format_version`` key) → one disk; a technician's checklist (``"kind": "relife-checklist"``,
  see ``diagnostics.manual``) → one manual report; any JSON battery format the battery parsers know
  (e.g. ``system_profiler -json``).
  Windows and server sources, one report per disk in the file: PowerShell
  ``Get-PhysicalDisk | Get-StorageReliabilityCounter | ConvertTo-Json`` (an object or a list),
  nvme-cli ``smart-log -o json`` and ``error-log -o json``, ``storcli … show all J``, Redfish
  ``Drive`` resources (one, a ``$expand``-ed collection or a list).
* **smartctl text** (``-a``, ``-x``, ``-A``, smartmontools 5.x to 7.x) → one disk.
* **Windows and server text exports** → one report per disk: CrystalDiskInfo ``DiskInfo.txt``,
  the PowerShell reliability counters' default table and their ``Format-List`` (alone or in a
  console transcript), Broadcom ``storcli /cX/eall/sall show all``, nvme-cli's default
  ``smart-log`` and ``error-log`` text.
* **battery reports** (sysfs, upower, acpi, tlp-stat, acpiconf, dmidecode, Windows battery report
  HTML/XML, macOS system_profiler/ioreg) → one report per battery in the file.
* **the machine's identity**: ``dmidecode`` text with a System, Processor or Memory Device
  structure, macOS ``system_profiler SPHardwareDataType``, ``lshw -json`` → one ``machine`` report (make, model,
  serial, CPU, RAM; never graded, see ``diagnostics.machine``), after the batteries of a full dump.

Output: a tuple of ``ComponentReport`` (never empty). Anything else raises ``ParseError(source,
reason)`` naming the file and why: never another exception, never a made-up grade.

Bytes are decoded here, once: UTF-8 (with or without BOM), UTF-16 with a BOM (what PowerShell's
``>`` writes on Windows) or without one when the NUL pattern says so, and latin-1 as the fallback
that never fails (old smartctl 5.x outputs carry raw vendor bytes in model strings).
"""

from __future__ import annotations

import codecs
import functools
import re
from typing import Any

import orjson

from diagnostics import machine
from diagnostics.errors import ParseError
from diagnostics.grading.disk import grade_disk, is_replaceable
from diagnostics.manual import CHECKLIST_KIND, grade_checklist
from diagnostics.models import ComponentKind, ComponentReport
from diagnostics.smart.json_report import parse_smartctl_json
from diagnostics.smart.records import DiskHealth

#: ``ComponentReport.format`` values produced here (battery formats come from the battery parsers).
SMARTCTL_JSON = "smartctl-json"
SMARTCTL_TEXT = "smartctl-text"
CRYSTALDISKINFO = "crystaldiskinfo-text"
POWERSHELL_JSON = "powershell-reliability-json"
POWERSHELL_TABLE = "powershell-reliability-table"
POWERSHELL_LIST = "powershell-reliability-list"
NVME_SMART_LOG = "nvme-cli-smart-log"
NVME_ERROR_LOG = "nvme-cli-error-log"
NVME_SMART_LOG_TEXT = "nvme-cli-smart-log-text"
NVME_ERROR_LOG_TEXT = "nvme-cli-error-log-text"
STORCLI = "storcli-text"
STORCLI_JSON = "storcli-json"
REDFISH = "redfish-drive"
CHECKLIST = CHECKLIST_KIND

#: Inputs larger than this are refused before any parsing: the biggest real ``smartctl -x -j`` of a
#: SAS drive with full logs is a few hundred kB, a Windows battery report HTML ~1-2 MB.
MAX_INPUT_BYTES = 32 * 1024 * 1024

_UTF16_SNIFF = 64
_JSON_SPACE = b" \t\r\n"  # RFC 8259 whitespace
# A git symlink checked out as a plain file holds just the target path (the pySMART corpus has some).
_LINK_TEXT = re.compile(r"[\w.@,+()\[\]-]*/?[\w.@,+()\[\]/-]+")
_MAX_LINK_CHARS = 1024  # bytes looked at to recognise BOM-less UTF-16


def decode_text(data: bytes) -> str:
    """Decode a saved report to text without ever failing (see the module docstring for the order)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    elif _looks_like_bomless_utf16(data):
        return data.decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_like_bomless_utf16(data: bytes) -> bool:
    """ASCII text written as UTF-16-LE has a NUL in every odd byte."""
    head = data[:_UTF16_SNIFF]
    if len(head) < 4:  # two characters at least
        return False
    odd = head[1::2]
    even = head[0::2]
    return odd.count(0) == len(odd) and even.count(0) == 0


def sniff_format(data: bytes) -> str | None:
    """The format ``read_report`` would use for ``data``, or None when it recognises none.

    Cheap (no full parse) and never raises: the upload command uses it to warn before sending.
    """
    try:
        text = decode_text(data[:MAX_INPUT_BYTES])
        stripped = text.lstrip()
        if stripped.startswith(("{", "[")):
            try:
                doc = orjson.loads(stripped)
            except orjson.JSONDecodeError:
                return None
            fmt = _json_format(doc)
            if fmt is not None:
                return fmt
        if _smart_text_module().looks_like_smartctl_text(text):
            return SMARTCTL_TEXT
        text_format = _fleet_text_format(text)
        if text_format is not None:
            return text_format
        battery: str | None = _battery_module().detect_battery_format(text)
        return battery or machine.detect_machine_format(text)
    except Exception:  # a sniffer answers "don't know", it never fails
        return None


def read_report(data: bytes, source: str) -> tuple[ComponentReport, ...]:
    """Parse and grade one saved file. Raises ``ParseError`` and nothing else.

    A bug in a parser or in the grading (any other exception) is reported as a ``ParseError``
    that says so, so the CLI and the upload endpoint name the file instead of crashing; tests call
    ``read_report_strict`` to see such bugs as the exceptions they are.
    """
    try:
        return read_report_strict(data, source)
    except ParseError:
        raise
    except Exception as exc:  # the contract: only ParseError leaves read_report
        raise ParseError(source, f"internal error while reading it ({type(exc).__name__}: {exc})") from exc


def read_report_strict(data: bytes, source: str) -> tuple[ComponentReport, ...]:
    """``read_report`` without the safety net: unexpected exceptions propagate (for tests)."""
    if type(data) is not bytes and not isinstance(data, bytearray | memoryview):
        raise ParseError(source, f"expected the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(source, f"file too large ({len(data)} bytes; limit {MAX_INPUT_BYTES})")
    first = data[:1]
    if (first and first in b"{[") or (first in _JSON_SPACE and data.lstrip(_JSON_SPACE)[:1] in (b"{", b"[")):
        # smartctl -j writes UTF-8 JSON: decode it from the bytes, without a text copy. What orjson
        # refuses here (UTF-16, latin-1, a BOM) is decoded to text and read by _read_json below.
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            reports = _json_reports(doc, source)
            if reports is not None:
                return reports

    text = decode_text(data).rstrip("\x00")
    if not text or text.isspace():  # what `not text.strip()` says, without copying the text
        raise ParseError(source, "empty file")
    if "\x00" in text:
        raise ParseError(source, "binary data (NUL bytes), not a text or JSON report")

    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _read_json(text, stripped, source)

    if stripped.startswith("["):
        try:
            listed: Any = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            listed = None
        reports = _json_reports(listed, source) if isinstance(listed, list) else None
        if reports is not None:
            return reports

    if _smart_text_module().looks_like_smartctl_text(text):
        return (_disk_report(_smart_text_module().parse_smartctl_text(text, source), SMARTCTL_TEXT),)

    text_format = _fleet_text_format(text)
    if text_format is not None:
        return _fleet_text_reports(text, source, text_format)

    battery_format = _battery_module().detect_battery_format(text)
    machine_format = machine.detect_machine_format(text)
    if battery_format is not None:
        batteries = _battery_reports(text, source, battery_format)
        if machine_format is None:
            return batteries
        # A full dmidecode or system_profiler dump: its batteries, and the machine they sit in.
        return (*batteries, machine.machine_report(text, source, machine_format))
    if machine_format is not None:
        return (machine.machine_report(text, source, machine_format),)

    one_line = stripped.rstrip()
    if len(one_line) < _MAX_LINK_CHARS and _LINK_TEXT.fullmatch(one_line):
        raise ParseError(
            source,
            f"holds only the path {one_line!r} (a symbolic link saved as text?): grade the file it names",
        )
    raise ParseError(
        source,
        "unrecognised format: not smartctl output (JSON or text), CrystalDiskInfo, PowerShell "
        "reliability counters, nvme-cli, storcli, Redfish Drive JSON, a battery report "
        "(sysfs, upower, acpi, tlp-stat, acpiconf, dmidecode, Windows, macOS), dmidecode, system_profiler "
        "or lshw -json machine identity, or a relife checklist",
    )


def _read_json(text: str, stripped: str, source: str) -> tuple[ComponentReport, ...]:
    try:
        doc: Any = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        # Maybe a battery format that merely starts with a brace; otherwise say what is wrong.
        battery_format = _battery_module().detect_battery_format(text)
        if battery_format is not None:
            return _battery_reports(text, source, battery_format)
        raise ParseError(source, f"invalid or truncated JSON ({exc})") from None

    reports = _json_reports(doc, source)
    if reports is not None:
        return reports
    battery_format = _battery_module().detect_battery_format(text)
    if battery_format is not None:
        return _battery_reports(text, source, battery_format)
    raise ParseError(
        source,
        "JSON document is neither smartctl -j output (no smartctl, device or SMART keys), "
        'a known battery report, nor a relife checklist ("kind": "relife-checklist")',
    )


#: Top-level keys only smartctl's JSON has (smartmontools JSON schema, ``smartctl -j``); excerpts
#: saved by other tools (e.g. scrutiny's fixtures) drop the ``smartctl`` header but keep these.
_SMARTCTL_KEYS = frozenset(
    {
        "smartctl",
        "json_format_version",
        "smart_status",
        "ata_smart_attributes",
        "ata_smart_data",
        "nvme_smart_health_information_log",
        "scsi_error_counter_log",
        "scsi_grown_defect_list",
        "user_capacity",
        "model_family",
    }
)


def _json_format(doc: Any) -> str | None:
    """CHECKLIST, SMARTCTL_JSON or a Windows/server disk format for a decoded JSON document, or
    None (a battery format in JSON, or anything else)."""
    if machine.is_lshw_json(doc):
        return machine.LSHW_JSON
    if isinstance(doc, list):
        return _fleet_json_format(doc)
    if not isinstance(doc, dict):
        return None
    if doc.get("kind") == CHECKLIST:
        return CHECKLIST
    if not _SMARTCTL_KEYS.isdisjoint(doc):
        return SMARTCTL_JSON
    device = doc.get("device")
    if isinstance(device, dict) and ("protocol" in device or "type" in device):
        return SMARTCTL_JSON
    return _fleet_json_format(doc)


def _fleet_json_format(doc: Any) -> str | None:
    """The Windows or server JSON disk format of ``doc`` (an object or a list), or None."""
    from diagnostics.smart import nvme_cli, powershell, redfish, storcli

    if isinstance(doc, dict):
        if storcli.is_storcli_json(doc):
            return STORCLI_JSON
        if nvme_cli.is_smart_log(doc):
            return NVME_SMART_LOG
        if nvme_cli.is_error_log(doc):
            return NVME_ERROR_LOG
    if redfish.is_drive_document(doc):
        return REDFISH
    if powershell.is_reliability_json(doc):
        return POWERSHELL_JSON
    return None


def _json_reports(doc: Any, source: str) -> tuple[ComponentReport, ...] | None:
    """The reports of a checklist or a smartctl report, or None when ``doc`` is neither."""
    fmt = _json_format(doc)
    if fmt == CHECKLIST:
        return (grade_checklist(doc, source),)
    if fmt == SMARTCTL_JSON:
        return (_disk_report(parse_smartctl_json(doc, source), SMARTCTL_JSON),)
    if fmt == machine.LSHW_JSON:
        return (machine.lshw_report(doc, source),)
    if fmt is None:
        return None
    from diagnostics.smart import nvme_cli, powershell, redfish, storcli

    if fmt == STORCLI_JSON:
        disks: tuple[DiskHealth, ...] = storcli.parse_storcli_json(doc, source)
    elif fmt == NVME_SMART_LOG:
        disks = (nvme_cli.parse_smart_log(doc, source),)
    elif fmt == NVME_ERROR_LOG:
        disks = (nvme_cli.parse_error_log(doc, source),)
    elif fmt == REDFISH:
        disks = redfish.parse_redfish_drives(doc, source)
    else:
        disks = powershell.parse_reliability_json(doc, source)
    return tuple(_disk_report(disk, fmt) for disk in disks)


def _fleet_text_format(text: str) -> str | None:
    """CRYSTALDISKINFO, POWERSHELL_TABLE, POWERSHELL_LIST, STORCLI, NVME_SMART_LOG_TEXT or
    NVME_ERROR_LOG_TEXT when ``text`` looks like one, else None."""
    from diagnostics.smart import crystaldiskinfo, nvme_cli, powershell, storcli

    if nvme_cli.looks_like_smart_log_text(text):
        return NVME_SMART_LOG_TEXT
    if crystaldiskinfo.looks_like_crystaldiskinfo(text):
        return CRYSTALDISKINFO
    if storcli.looks_like_storcli(text):
        return STORCLI
    if powershell.looks_like_reliability_table(text):
        return POWERSHELL_TABLE
    if powershell.looks_like_reliability_list(text):
        return POWERSHELL_LIST
    if nvme_cli.looks_like_error_log_text(text):
        return NVME_ERROR_LOG_TEXT
    return None


def _fleet_text_reports(text: str, source: str, fmt: str) -> tuple[ComponentReport, ...]:
    from diagnostics.smart import crystaldiskinfo, nvme_cli, powershell, storcli

    if fmt == NVME_SMART_LOG_TEXT:
        disks: tuple[DiskHealth, ...] = (nvme_cli.parse_smart_log_text(text, source),)
    elif fmt == CRYSTALDISKINFO:
        disks = crystaldiskinfo.parse_crystaldiskinfo(text, source)
    elif fmt == STORCLI:
        disks = storcli.parse_storcli(text, source)
    elif fmt == POWERSHELL_LIST:
        disks = powershell.parse_reliability_list(text, source)
    elif fmt == NVME_ERROR_LOG_TEXT:
        disks = (nvme_cli.parse_error_log_text(text, source),)
    else:
        disks = powershell.parse_reliability_table(text, source)
    return tuple(_disk_report(disk, fmt) for disk in disks)


def _disk_report(disk: DiskHealth, fmt: str) -> ComponentReport:
    assessment, identity, measurements = grade_disk(disk)
    return ComponentReport(
        component=ComponentKind.DISK,
        format=fmt,
        identity=identity,
        measurements=measurements,
        assessment=assessment,
        replaceable=is_replaceable(disk),
        record=disk,
    )


def _battery_reports(text: str, source: str, battery_format: str) -> tuple[ComponentReport, ...]:
    from diagnostics.grading import battery as grading  # keep `import diagnostics` light

    batteries = _battery_module().parse_batteries(text, source)
    if not batteries:
        raise ParseError(source, f"{battery_format} report lists no battery")
    return tuple(
        ComponentReport(
            component=ComponentKind.BATTERY,
            format=getattr(b, "source_format", None) or battery_format,
            identity=grading.battery_identity(b),
            measurements=grading.battery_measurements(b),
            assessment=grading.assess_battery(b),
            # A battery is a part swap on laptops (screwed or clipped) and on phones (a standard repair).
            replaceable=True,
            record=b,
        )
        for b in batteries
    )


@functools.cache  # an import statement costs a call into importlib on every run; this runs twice a report
def _smart_text_module() -> Any:
    # Imported on first use: the text parser may load pySMART, which rewrites os.environ["LANG"]
    # at import; `import diagnostics` must stay free of that side effect.
    from diagnostics.smart import text_report

    return text_report


def _battery_module() -> Any:
    from diagnostics.battery import parsers

    return parsers
