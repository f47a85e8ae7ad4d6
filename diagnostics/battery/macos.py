"""Parse macOS battery reports: ``system_profiler SPPowerDataType`` (also the Power section of a
full ``system_profiler`` dump) and ``ioreg -r -c AppleSmartBattery`` (or ``-rn``, ``-l``).

system_profiler input: the indented ``Battery Information:`` section: Model Information (Serial
Number, Manufacturer, Device Name), Charge Information (Full Charge Capacity (mAh) on Intel Macs,
State of Charge (%)), Health Information (Cycle Count, Condition, and since macOS 10.15.5/11
Maximum Capacity ``100 %``), Battery Installed. It has **no design capacity**: health comes from
Apple's own Maximum Capacity or Condition. The machine's Model Name / Identifier becomes host_model.

ioreg input: ``"Key" = value`` lines of the AppleSmartBattery entry. Produces DesignCapacity and the
full-charge capacity (mAh: ``AppleRawMaxCapacity`` where present, else BatteryData's
``FullChargeCapacity``, else ``NominalChargeCapacity``, else ``MaxCapacity`` when it is not the
0-100 percentage Apple Silicon reports), CycleCount, DesignCycleCount9C (rated cycles),
PermanentFailureStatus (non-zero → permanent failure), serial, manufacturer, device name,
ManufactureDate (SBS packed date), BatteryInstalled.
"""

from __future__ import annotations

import re

from diagnostics.battery._common import clean, cycles, decimal, integer, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT_PROFILER = "macos-system-profiler"
FORMAT_IOREG = "macos-ioreg"

_IOREG_LINE = re.compile(r'^[\s|]*"([^"]+)"\s*=\s*(.*?)\s*$')
_PROFILER_LINE = re.compile(r"^(\s*)([^:]+?):\s*(.*?)\s*$")


def looks_like_ioreg(text: str) -> bool:
    return bool(re.search(r'"(DesignCapacity|AppleRawMaxCapacity|CycleCount|BatteryInstalled)"\s*=', text))


def looks_like_profiler(text: str) -> bool:
    return "Battery Information:" in text or (
        bool(re.search(r"^\s+Cycle Count: ", text, re.MULTILINE)) and "Condition:" in text
    )


# --- system_profiler ------------------------------------------------------------------------


def parse_profiler(text: str, source: str) -> tuple[BatteryHealth, ...]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Battery Information:"), None)
    if start is None:
        if re.search(r"^\s+Cycle Count: ", text, re.MULTILINE):
            start = -1  # a fragment: the Health Information lines only
        else:
            raise ParseError(source, "no battery present (system_profiler has no Battery Information)")
    base = len(lines[start]) - len(lines[start].lstrip()) if start >= 0 else -1
    fields: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= base:
            break
        match = _PROFILER_LINE.match(line)
        if match and match.group(3):
            fields.setdefault(match.group(2).strip().lower(), match.group(3))
    if not fields:
        raise ParseError(source, "system_profiler Battery Information section is empty")
    installed = fields.get("battery installed")
    if installed is not None and installed.lower() == "no":
        raise ParseError(source, "no battery present (system_profiler: Battery Installed: No)")
    host = _profiler_host(text)
    raw_cycles = fields.get("cycle count")
    maximum = fields.get("maximum capacity")
    condition = clean(fields.get("condition"))
    full_mah = positive(decimal(fields.get("full charge capacity (mah)")))
    charging = fields.get("charging")
    fully = fields.get("fully charged")
    state = None
    if fully is not None and fully.lower() == "yes":
        state = "fully-charged"
    elif charging is not None:
        state = "charging" if charging.lower() == "yes" else "discharging"
    notes = []
    if full_mah is not None and maximum is None:
        notes.append("system_profiler gives no design capacity: health from Apple's condition")
    charge = decimal(fields.get("state of charge (%)"))
    remaining = positive(decimal(fields.get("charge remaining (mah)")))
    if charge is None and remaining is not None and full_mah:
        charge = round(100.0 * remaining / full_mah, 1)
    return (
        BatteryHealth(
            source_format=FORMAT_PROFILER,
            name="InternalBattery-0",
            manufacturer=clean(fields.get("manufacturer")),
            model=clean(fields.get("device name")),
            serial=clean(fields.get("serial number")),
            full_charge_capacity_mah=full_mah,
            cycle_count=cycles(raw_cycles, zero_means_unknown=False),
            cycle_count_raw=raw_cycles,
            state=state,
            charge_percent=charge,
            reported_health_percent=positive(decimal(maximum)),
            condition=condition,
            permanent_failure=True if condition and condition.lower() == "service battery" else None,
            host_model=host,
            notes=tuple(notes),
        ),
    )


def _profiler_host(text: str) -> str | None:
    name = re.search(r"^\s+Model Name:\s*(.+?)\s*$", text, re.MULTILINE)
    ident = re.search(r"^\s+Model Identifier:\s*(.+?)\s*$", text, re.MULTILINE)
    parts = [m.group(1) for m in (name, ident) if m]
    return clean(" ".join(parts)) if parts else None


# --- ioreg ----------------------------------------------------------------------------------


def parse_ioreg(text: str, source: str) -> tuple[BatteryHealth, ...]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _IOREG_LINE.match(line)
        if match:
            fields.setdefault(match.group(1), match.group(2))
    if not fields:
        raise ParseError(source, "no AppleSmartBattery properties in the ioreg output")
    installed = fields.get("BatteryInstalled")
    if installed is not None and installed.strip().lower() == "no":
        raise ParseError(source, "no battery present (ioreg: BatteryInstalled = No)")
    battery_data = _dict_values(fields.get("BatteryData", ""))
    design = positive(decimal(fields.get("DesignCapacity") or battery_data.get("DesignCapacity")))
    full, basis = None, None
    for key, value in (
        ("AppleRawMaxCapacity", fields.get("AppleRawMaxCapacity")),
        ("BatteryData.FullChargeCapacity", battery_data.get("FullChargeCapacity")),
        ("NominalChargeCapacity", fields.get("NominalChargeCapacity")),
        ("MaxCapacity", fields.get("MaxCapacity")),
    ):
        number = positive(decimal(value))
        if number is None or (key == "MaxCapacity" and number <= 100):
            continue  # on Apple Silicon MaxCapacity is the 0-100 charge scale, not a capacity
        full, basis = number, key
        break
    raw_cycles = fields.get("CycleCount") or battery_data.get("CycleCount")
    failure = integer(fields.get("PermanentFailureStatus"))
    rated = integer(fields.get("DesignCycleCount9C"))
    charging = fields.get("IsCharging")
    fully = fields.get("FullyCharged")
    state = None
    if fully is not None and fully.strip().lower() == "yes":
        state = "fully-charged"
    elif charging is not None:
        state = "charging" if charging.strip().lower() == "yes" else "discharging"
    return (
        BatteryHealth(
            source_format=FORMAT_IOREG,
            name="AppleSmartBattery",
            manufacturer=clean(_unquote(fields.get("Manufacturer"))),
            model=clean(_unquote(fields.get("DeviceName"))),
            serial=clean(_unquote(fields.get("BatterySerialNumber") or fields.get("Serial"))),
            design_capacity_mah=design,
            full_charge_capacity_mah=full,
            design_voltage_mv=None,
            cycle_count=cycles(raw_cycles, zero_means_unknown=False),
            cycle_count_raw=raw_cycles,
            rated_cycles=rated if rated and 0 < rated < 0xFFFF else None,
            state=state,
            permanent_failure=None if failure is None else failure != 0,
            manufacture_date=_sbs_date(integer(fields.get("ManufactureDate"))),
            notes=(f"full-charge capacity from {basis}",) if basis else (),
        ),
    )


def _unquote(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().strip('"')


def _dict_values(text: str) -> dict[str, str]:
    """Flat ``"Key"=value`` pairs of an ioreg dictionary (nested values are left out)."""
    return {m.group(1): m.group(2) for m in re.finditer(r'"([A-Za-z0-9]+)"=([-\d]+)', text)}


def _sbs_date(packed: int | None) -> str | None:
    """Smart Battery Data spec ManufactureDate: day + month*32 + (year-1980)*512."""
    if packed is None or packed <= 0:
        return None
    day, month, year = packed & 31, (packed >> 5) & 15, 1980 + (packed >> 9)
    if not (1 <= day <= 31 and 1 <= month <= 12 and year < 2100):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
