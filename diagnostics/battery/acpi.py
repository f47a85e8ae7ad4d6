"""Parse the Linux ``acpi`` client: ``acpi -i``, ``acpi -bi``, ``acpi -V`` / ``--everything``.

Input: lines ``Battery N: <status>, <charge>%[, <time> …]`` and, with ``-i``,
``Battery N: design capacity D mAh, last full capacity F mAh = P%``. Adapter, thermal and cooling
lines are ignored. acpi derives its mAh from sysfs energy with the *present* voltage, so the two
capacities share a unit and their ratio is sound, but they are not converted to mWh.

Produces one record per ``Battery N`` (a ThinkPad with two packs gives two): name, state, charge
percent, design / full capacity (in the unit printed, mAh or mWh), and acpi's own percentage
(clamped at 100 by acpi) as ``reported_health_percent``. A battery with only a status line has no
capacity data.
"""

from __future__ import annotations

import re

from diagnostics.battery._common import clean, decimal, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT = "acpi"

_LINE = re.compile(r"^\s*Battery (\d+):\s*(.*?)\s*$")
_INFO = re.compile(
    r"design capacity\s+(\d+)\s*(mAh|mWh),\s*last full capacity\s+(\d+)\s*(mAh|mWh)(?:\s*=\s*(\d+)\s*%)?",
    re.IGNORECASE,
)
_STATUS = re.compile(r"^([A-Za-z][A-Za-z ]*?),\s*(\d+(?:[.,]\d+)?)%")


def looks_like(text: str) -> bool:
    return bool(re.search(r"^\s*Battery \d+: ", text, re.MULTILINE))


def parse(text: str, source: str) -> tuple[BatteryHealth, ...]:
    found: dict[str, dict[str, str | float | None]] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        number, rest = match.groups()
        entry = found.setdefault(number, {})
        info = _INFO.search(rest)
        if info:
            design, design_unit, full, full_unit, percent = info.groups()
            entry["design"], entry["design_unit"] = float(design), design_unit
            entry["full"], entry["full_unit"] = float(full), full_unit
            entry["percent"] = float(percent) if percent is not None else None
            continue
        status = _STATUS.match(rest)
        if status:
            entry.setdefault("state", status.group(1).strip().lower())
            entry.setdefault("charge", decimal(status.group(2)))
        elif rest and "state" not in entry:
            entry["state"] = rest.split(",")[0].strip().lower()
    if not found:
        raise ParseError(source, "no battery present (acpi lists no 'Battery N:' line)")
    return tuple(_record(number, entry) for number, entry in found.items())


def _record(number: str, entry: dict[str, str | float | None]) -> BatteryHealth:
    design = entry.get("design")
    full = entry.get("full")
    unit = entry.get("design_unit")
    same_unit = unit == entry.get("full_unit")
    percent = entry.get("percent")
    charge = entry.get("charge")
    state = entry.get("state")
    in_mwh = same_unit and isinstance(unit, str) and unit.lower() == "mwh"
    design_value = positive(design) if isinstance(design, float) and same_unit else None
    full_value = positive(full, zero=True) if isinstance(full, float) and same_unit else None
    return BatteryHealth(
        source_format=FORMAT,
        name=f"Battery {number}",
        state=clean(state) if isinstance(state, str) else None,
        charge_percent=charge if isinstance(charge, float) else None,
        design_capacity_mwh=design_value if in_mwh else None,
        full_charge_capacity_mwh=full_value if in_mwh else None,
        design_capacity_mah=None if in_mwh else design_value,
        full_charge_capacity_mah=None if in_mwh else full_value,
        reported_health_percent=percent if isinstance(percent, float) and design_value else None,
        notes=() if in_mwh or design_value is None else ("acpi mAh derive from the present voltage",),
    )
