"""Parse ``tlp-stat -b`` (TLP's battery report; also the battery part of a full ``tlp-stat``).

Input: sections ``+++ [ThinkPad ]Battery Status: BAT0 …`` whose lines read
``/sys/class/power_supply/BAT0/<attribute> = <value> [<unit>]`` (natacpi, TLP ≥ 1.0) or
``/sys/devices/platform/smapi/BAT0/<attribute> = …`` (tp_smapi on older ThinkPads), followed by
TLP's own ``Charge = 97.7 [%]`` and ``Capacity = 99.0 [%]``. TLP already converted sysfs µWh/µAh
to mWh/mAh. ``cycle_count = (not supported)`` or ``0 (or not supported)`` means not reported.

Produces per battery: name (BATn), manufacturer, model (model_name / model), serial, chemistry,
design / full capacity (energy_full_design / energy_full or design_capacity / last_full_capacity in
mWh; charge_* in mAh), design voltage (when listed), cycle count, status, charge percent, TLP's
capacity percentage as ``reported_health_percent``, manufacture date (tp_smapi).
"""

from __future__ import annotations

import re

from diagnostics.battery._common import chemistry, clean, cycles, decimal, mah_to_mwh, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT = "tlp-stat"

_ATTR = re.compile(r"^(/sys/\S+?/(BAT\w+|CMB\w+|battery\w*))/([a-z][a-z0-9_]*)\s*=\s*(.*?)\s*$")
_SECTION = re.compile(r"^\+\+\+ .*?Battery Status:?\s*(\S+)?")
_SUMMARY = re.compile(r"^(Charge|Capacity)\s*=\s*([\d.,]+)\s*\[%\]")
_UNIT = re.compile(r"\[(\w+)\]\s*$")


def looks_like(text: str) -> bool:
    return bool(re.search(r"^\+\+\+ .*Battery", text, re.MULTILINE)) or bool(
        re.search(r"^/sys/\S+/BAT\w+/\w+\s+=\s", text, re.MULTILINE)
    )


def parse(text: str, source: str) -> tuple[BatteryHealth, ...]:
    batteries: dict[str, dict[str, str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        section = _SECTION.match(line)
        if section:
            current = section.group(1)
            continue
        if line.startswith("+++"):
            current = None
            continue
        attr = _ATTR.match(line)
        if attr:
            current = attr.group(2)
            batteries.setdefault(current, {}).setdefault(attr.group(3), attr.group(4))
            continue
        summary = _SUMMARY.match(line)
        if summary and current is not None:
            batteries.setdefault(current, {}).setdefault(f"tlp_{summary.group(1).lower()}", summary.group(2))
    batteries = {name: attrs for name, attrs in batteries.items() if any(not k.startswith("tlp_") for k in attrs)}
    if not batteries:
        if re.search(r"No battery data available|battery not present", text, re.IGNORECASE):
            raise ParseError(source, "no battery present (tlp-stat: no battery data available)")
        raise ParseError(source, "no battery present (tlp-stat lists no battery attributes)")
    return tuple(_record(name, attrs) for name, attrs in batteries.items())


def _value(attrs: dict[str, str], *keys: str, zero: bool = False) -> tuple[float | None, str | None]:
    for key in keys:
        raw = attrs.get(key)
        if raw is None:
            continue
        unit = _UNIT.search(raw)
        return positive(decimal(raw), zero=zero), unit.group(1).lower() if unit else None
    return None, None


def _record(name: str, attrs: dict[str, str]) -> BatteryHealth:
    voltage, _ = _value(attrs, "voltage_min_design", "design_voltage")
    design_mwh = full_mwh = design_mah = full_mah = None
    design, design_unit = _value(attrs, "energy_full_design", "design_capacity", "charge_full_design")
    full, full_unit = _value(attrs, "energy_full", "last_full_capacity", "charge_full", zero=True)
    if design_unit == "mwh" or (design_unit is None and "energy_full_design" in attrs):
        design_mwh = design
    else:
        design_mah, design_mwh = design, mah_to_mwh(design, voltage)
    if full_unit == "mwh" or (full_unit is None and "energy_full" in attrs):
        full_mwh = full
    else:
        full_mah, full_mwh = full, mah_to_mwh(full, voltage)
    raw_cycles = attrs.get("cycle_count")
    notes = []
    cycle_count = cycles(raw_cycles)
    if raw_cycles is not None and cycle_count is None:
        notes.append(f"cycle_count {raw_cycles!r}: not reported")
    capacity = decimal(attrs.get("tlp_capacity"))
    status = clean(attrs.get("status"))
    return BatteryHealth(
        source_format=FORMAT,
        name=name,
        manufacturer=clean(attrs.get("manufacturer")),
        model=clean(attrs.get("model_name") or attrs.get("model")),
        serial=clean(attrs.get("serial_number") or attrs.get("serial")),
        chemistry=chemistry(attrs.get("technology") or attrs.get("chemistry")),
        chemistry_raw=clean(attrs.get("technology") or attrs.get("chemistry")),
        design_capacity_mwh=design_mwh,
        full_charge_capacity_mwh=full_mwh,
        design_capacity_mah=design_mah,
        full_charge_capacity_mah=full_mah,
        design_voltage_mv=voltage,
        cycle_count=cycle_count,
        cycle_count_raw=raw_cycles,
        state=status.lower() if status else None,
        charge_percent=decimal(attrs.get("tlp_charge")),
        reported_health_percent=capacity if capacity else None,
        manufacture_date=clean(attrs.get("manufacture_date")),
        notes=tuple(notes),
    )
