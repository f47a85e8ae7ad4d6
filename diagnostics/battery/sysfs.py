"""Parse Linux power-supply sysfs dumps: ``/sys/class/power_supply/BAT*/uevent`` and the files
of that folder as printed by ``grep . /sys/class/power_supply/BAT0/*`` (``path:value``),
``head /sys/class/power_supply/BAT0/*`` (``==> path <==`` then the value) or a loop echoing each
path before ``cat`` (path line, then value line).

Input: any of those, for one or several supplies (several ``uevent`` files concatenated, or paths
naming ``BAT0``, ``BAT1`` …). Supplies whose TYPE is not ``Battery`` (Mains, USB) and device-scoped
batteries (``SCOPE=Device``: mice, keyboards) are skipped.

Units are the kernel ABI's (Documentation/ABI/testing/sysfs-class-power): µWh for ``energy_*``,
µAh for ``charge_*``, µV for ``voltage_*``. Produces: name, manufacturer, model_name, serial_number,
technology, design / full capacity (energy in mWh; charge in mAh, converted to mWh with
``voltage_min_design`` when present), cycle_count (0 → None: most firmware reports 0 when it does
not count), status, capacity (state of charge), HEALTH (``Good``, ``Dead``, ``Unspecified failure``
…) as ``condition`` and ``permanent_failure``, present, manufacture date (``manufacture_year`` …).
"""

from __future__ import annotations

import re

from diagnostics.battery._common import chemistry, clean, cycles, decimal, integer, mah_to_mwh, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT = "linux-sysfs"

_UEVENT = re.compile(r"^(?:\S*uevent:)?POWER_SUPPLY_([A-Z0-9_]+)=(.*)$")  # also `grep -r` prefixes
_GREP = re.compile(r"^(?:(\S*?)/)?([a-z][a-z0-9_]*):(.*)$")
_HEAD = re.compile(r"^==> (\S+) <==$")
_PATH_ONLY = re.compile(r"^(/sys/\S+/power_supply/[^/\s]+|/sys/class/power_supply/[^/\s]+)/([a-z][a-z0-9_]*)$")
_ATTRIBUTES = frozenset(
    {
        "name", "type", "status", "present", "technology", "cycle_count", "voltage_min_design",
        "voltage_max_design", "voltage_now", "current_now", "power_now", "energy_full_design",
        "energy_full", "energy_now", "charge_full_design", "charge_full", "charge_now", "capacity",
        "capacity_level", "model_name", "manufacturer", "serial_number", "health", "scope",
        "manufacture_year", "manufacture_month", "manufacture_day", "alarm", "online",
    }
)  # fmt: skip
# POWER_SUPPLY_HEALTH values that mean the pack itself has failed (include/linux/power_supply.h).
_PERMANENT_FAILURE_HEALTH = frozenset({"dead", "unspecified failure"})


def looks_like(text: str) -> bool:
    if "POWER_SUPPLY_" in text:
        return True
    hits = 0
    for line in text.splitlines()[:400]:
        key = _key_of(line.strip())
        if key in {"energy_full_design", "charge_full_design", "cycle_count", "energy_full", "charge_full"}:
            hits += 1
    return hits >= 2


def _key_of(line: str) -> str | None:
    head = _HEAD.match(line)
    if head:
        return head.group(1).rsplit("/", 1)[-1]
    only = _PATH_ONLY.match(line)
    if only:
        return only.group(2)
    grep = _GREP.match(line)
    if grep and grep.group(2) in _ATTRIBUTES:
        return grep.group(2)
    return None


def parse(text: str, source: str) -> tuple[BatteryHealth, ...]:
    supplies = _read_uevents(text) if "POWER_SUPPLY_" in text else _read_files(text)
    batteries = []
    others = []
    for name, attrs in supplies:
        kind = (attrs.get("type") or "").lower()
        if kind and kind != "battery":
            others.append(attrs.get("type") or kind)
            continue
        if (attrs.get("scope") or "").lower() == "device":
            others.append(f"{name} (device battery)")
            continue
        if not kind and not any(k.startswith(("energy_", "charge_", "cycle")) for k in attrs):
            others.append(name or "supply")
            continue
        batteries.append(_record(name, attrs))
    if not batteries:
        what = ", ".join(others) if others else "no power supply"
        raise ParseError(source, f"no battery present (sysfs lists only: {what})")
    return tuple(batteries)


def _read_uevents(text: str) -> list[tuple[str | None, dict[str, str]]]:
    supplies: list[tuple[str | None, dict[str, str]]] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        match = _UEVENT.match(line.strip())
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2)
        if current is None or (key == "name" and "name" in current) or key in current:
            current = {}
            supplies.append((None, current))
        current[key] = value
    return [(attrs.get("name"), attrs) for _, attrs in supplies]


def _read_files(text: str) -> list[tuple[str | None, dict[str, str]]]:
    by_dir: dict[str, dict[str, str]] = {}
    pending: tuple[str, str] | None = None  # (dir, attribute) waiting for its value line
    for raw in text.splitlines():
        line = raw.strip()
        head = _HEAD.match(line) or _PATH_ONLY.match(line)
        if head:
            path = head.group(0) if head.re is _PATH_ONLY else head.group(1)
            folder, _, attr = path.rpartition("/")
            pending = (folder.rsplit("/", 1)[-1] or "BAT", attr) if attr in _ATTRIBUTES else None
            continue
        if pending is not None:
            if line and not line.startswith("cat:"):
                by_dir.setdefault(pending[0], {}).setdefault(pending[1], line)
            pending = None
            continue
        grep = _GREP.match(line)
        if grep and grep.group(2) in _ATTRIBUTES:
            folder = (grep.group(1) or "").rsplit("/", 1)[-1] or "BAT"
            by_dir.setdefault(folder, {}).setdefault(grep.group(2), grep.group(3).strip())
    return [(folder if folder != "BAT" else None, attrs) for folder, attrs in by_dir.items()]


def _micro(attrs: dict[str, str], key: str, *, zero: bool = False) -> float | None:
    value = decimal(attrs.get(key))
    return positive(round(value / 1000.0, 1), zero=zero) if value is not None else None


def _record(name: str | None, attrs: dict[str, str]) -> BatteryHealth:
    notes = []
    voltage = _micro(attrs, "voltage_min_design")
    design_mwh = _micro(attrs, "energy_full_design")
    full_mwh = _micro(attrs, "energy_full", zero=True)
    design_mah = _micro(attrs, "charge_full_design")
    full_mah = _micro(attrs, "charge_full", zero=True)
    if design_mwh is None and design_mah is not None:
        design_mwh = mah_to_mwh(design_mah, voltage)
        full_mwh = mah_to_mwh(full_mah, voltage)
        if design_mwh is not None:
            notes.append("charge (µAh) converted to energy with voltage_min_design")
    raw_cycles = attrs.get("cycle_count")
    cycle_count = cycles(raw_cycles)
    if raw_cycles is not None and cycle_count is None:
        notes.append(f"cycle_count {raw_cycles.strip()!r}: not reported by the firmware")
    health = clean(attrs.get("health"))
    permanent: bool | None = None
    if health is not None:
        permanent = health.lower() in _PERMANENT_FAILURE_HEALTH
    present = attrs.get("present")
    year, month, day = (integer(attrs.get(k)) for k in ("manufacture_year", "manufacture_month", "manufacture_day"))
    date = None
    if year and month and day and 1990 < year < 2100 and 1 <= month <= 12 and 1 <= day <= 31:
        date = f"{year:04d}-{month:02d}-{day:02d}"
    return BatteryHealth(
        source_format=FORMAT,
        present=present is None or present.strip() != "0",
        name=clean(name),
        manufacturer=clean(attrs.get("manufacturer")),
        model=clean(attrs.get("model_name")),
        serial=clean(attrs.get("serial_number")),
        chemistry=chemistry(attrs.get("technology")),
        chemistry_raw=clean(attrs.get("technology")),
        design_capacity_mwh=design_mwh,
        full_charge_capacity_mwh=full_mwh,
        design_capacity_mah=design_mah,
        full_charge_capacity_mah=full_mah,
        design_voltage_mv=voltage,
        cycle_count=cycle_count,
        cycle_count_raw=raw_cycles.strip() if raw_cycles is not None else None,
        state=(clean(attrs.get("status")) or "").lower() or None,
        charge_percent=decimal(attrs.get("capacity")),
        condition=health,
        permanent_failure=permanent,
        manufacture_date=date,
        notes=tuple(notes),
    )
