"""Parse FreeBSD ``acpiconf -i <n>`` (the ACPI _BIF/_BIX and _BST of one battery).

Input: ``Key: value`` lines (``Design capacity: 7236 mAh``, ``Last full capacity: 6880 mAh``,
``Design voltage: 7600 mV``, ``Model number``, ``Serial number``, ``Type`` (chemistry),
``OEM info`` (manufacturer), ``State``, ``Remaining capacity``, and on _BIX firmware
``Cycle Count``). ``unknown`` values are absent. A ``State: not present`` battery is refused.

Produces: model, serial, manufacturer, chemistry, design / full capacity (mWh as printed, or mAh
converted to mWh with the design voltage; the mAh values are kept), design voltage, cycle count
(0 → None), state, charge percent.
"""

from __future__ import annotations

import re

from diagnostics.battery._common import chemistry, clean, cycles, decimal, mah_to_mwh, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT = "freebsd-acpiconf"

_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z /()]*?)\s*:\s*(.*?)\s*$")


def looks_like(text: str) -> bool:
    return bool(re.search(r"^\s*Design capacity:", text, re.MULTILINE | re.IGNORECASE)) and bool(
        re.search(r"^\s*(Last full capacity|Design voltage|Model number):", text, re.MULTILINE | re.IGNORECASE)
    )


def _capacity(value: str | None, *, zero: bool = False) -> tuple[float | None, str | None]:
    if not value:
        return None, None
    match = re.search(r"(\d+)\s*(mAh|mWh)", value, re.IGNORECASE)
    if not match:
        return None, None
    return positive(float(match.group(1)), zero=zero), match.group(2).lower()


def parse(text: str, source: str) -> tuple[BatteryHealth, ...]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            fields.setdefault(match.group(1).lower(), match.group(2))
    if not fields:
        raise ParseError(source, "no 'Key: value' lines of acpiconf -i")
    state = clean(fields.get("state"))
    if state is not None and state.lower() == "not present":
        raise ParseError(source, "no battery present (acpiconf: State: not present)")
    design, design_unit = _capacity(fields.get("design capacity"))
    full, full_unit = _capacity(fields.get("last full capacity"), zero=True)
    voltage = positive(decimal(fields.get("design voltage")))
    design_mwh = full_mwh = design_mah = full_mah = None
    if design_unit == "mwh":
        design_mwh = design
    elif design_unit == "mah":
        design_mah, design_mwh = design, mah_to_mwh(design, voltage)
    if full_unit == "mwh":
        full_mwh = full
    elif full_unit == "mah":
        full_mah, full_mwh = full, mah_to_mwh(full, voltage)
    raw_cycles = fields.get("cycle count")
    remaining = fields.get("remaining capacity")
    return (
        BatteryHealth(
            source_format=FORMAT,
            model=clean(fields.get("model number")),
            serial=clean(fields.get("serial number")),
            manufacturer=clean(fields.get("oem info")),
            chemistry=chemistry(fields.get("type")),
            chemistry_raw=clean(fields.get("type")),
            design_capacity_mwh=design_mwh,
            full_charge_capacity_mwh=full_mwh,
            design_capacity_mah=design_mah,
            full_charge_capacity_mah=full_mah,
            design_voltage_mv=voltage,
            cycle_count=cycles(raw_cycles),
            cycle_count_raw=raw_cycles,
            state=state.lower() if state else None,
            charge_percent=decimal(remaining) if remaining and "%" in remaining else None,
        ),
    )
