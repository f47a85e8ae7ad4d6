"""Battery report detection and parsing: the entry point the CLI and the marketplace use.

``detect_battery_format(text)`` names the format of a saved report (or ``None``);
``parse_batteries(data, source)`` returns one ``BatteryHealth`` per battery present, or raises
``ParseError(source, reason)``, and nothing else, whatever the input.

Inputs with no health data at all are refused with the reason, never graded: a machine with no
battery (desktop, VM, ``upower -d`` listing only line power), ``upower --enumerate`` (paths only),
and ``dmidecode -t 22`` (SMBIOS stores the design capacity but no full-charge capacity, so it
cannot tell a new pack from a dead one; pair it with upower or sysfs). A file where some batteries
have health data and others only a status line (``acpi -V`` on a two-bay laptop) yields them all;
the grading marks the latter ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable

from diagnostics.battery import acpi, acpiconf, dmidecode, macos, sysfs, tlp, upower, windows_report
from diagnostics.battery._common import decode
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

Parser = Callable[[str, str], tuple[BatteryHealth, ...]]

# Most specific first: a Windows report or an ioreg dump can contain words other detectors match.
_FORMATS: tuple[tuple[str, Callable[[str], bool], Parser], ...] = (
    (windows_report.FORMAT_XML, windows_report.looks_like_xml, windows_report.parse_xml),
    (windows_report.FORMAT_HTML, windows_report.looks_like_html, windows_report.parse_html),
    (macos.FORMAT_PROFILER_JSON, macos.looks_like_profiler_json, macos.parse_profiler_json),
    (macos.FORMAT_IOREG, macos.looks_like_ioreg, macos.parse_ioreg),
    (macos.FORMAT_PROFILER, macos.looks_like_profiler, macos.parse_profiler),
    (tlp.FORMAT, tlp.looks_like, tlp.parse),
    (dmidecode.FORMAT, dmidecode.looks_like, dmidecode.parse),
    (acpiconf.FORMAT, acpiconf.looks_like, acpiconf.parse),
    (acpi.FORMAT, acpi.looks_like, acpi.parse),
    (upower.FORMAT, upower.looks_like, upower.parse),
    (sysfs.FORMAT, sysfs.looks_like, sysfs.parse),
)

FORMATS: tuple[str, ...] = tuple(name for name, _, _ in _FORMATS)


def detect_battery_format(text: str) -> str | None:
    """The format name of a battery report (one of ``FORMATS``), or None if it is none of them."""
    if not isinstance(text, str):
        return None
    for name, looks_like, _ in _FORMATS:
        if looks_like(text):
            return name
    return None


def parse_batteries(data: bytes | str, source: str) -> tuple[BatteryHealth, ...]:
    """Every battery present in a saved report, or ``ParseError`` naming ``source`` and why."""
    text = decode(data, source)
    if not text.strip():
        raise ParseError(source, "empty file")
    for name, looks_like, parse in _FORMATS:
        if looks_like(text):
            try:
                batteries = parse(text, source)
            except ParseError:
                raise
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
                # A parser bug must not surface as a traceback on a user's file.
                raise ParseError(source, f"unreadable {name} report ({type(exc).__name__}: {exc})") from exc
            return _checked(name, batteries, source)
    raise ParseError(source, "not a battery report this tool reads (see DESIGN §2.1 for the formats)")


def _checked(name: str, batteries: tuple[BatteryHealth, ...], source: str) -> tuple[BatteryHealth, ...]:
    present = tuple(b for b in batteries if b.present)
    if not present:
        raise ParseError(source, f"no battery present ({name}: every battery slot is empty)")
    if not any(b.has_health_data for b in present):
        if name == dmidecode.FORMAT:
            raise ParseError(
                source,
                "dmidecode -t 22 gives the design capacity only, no full-charge capacity: "
                "no battery health can be measured (save upower -i or the sysfs uevent instead)",
            )
        raise ParseError(source, f"no battery health data ({name} gives neither capacities nor a condition)")
    return present
