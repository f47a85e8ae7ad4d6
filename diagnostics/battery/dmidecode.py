"""Parse ``dmidecode -t 22`` (SMBIOS "Portable Battery" structures).

Input: dmidecode text with one ``Handle …, DMI type 22`` block per battery bay. SMBIOS stores what
the BIOS was told at build time: Name, Manufacturer, Manufacture Date (or SBDS Manufacture Date),
Serial Number (or SBDS Serial Number), Chemistry (or SBDS Chemistry), Design Capacity (mWh),
Design Voltage (mV). It has **no full-charge capacity and no cycle count**, so it cannot tell how
worn a battery is: ``parse`` returns the records (identity and design capacity) and
``diagnostics.battery.parsers.parse_batteries`` refuses the file with that reason, rather than
inventing a health.
"""

from __future__ import annotations

import re

from diagnostics.battery._common import chemistry, clean, decimal, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT = "dmidecode"

_HANDLE = re.compile(r"^Handle 0x[0-9A-Fa-f]+, DMI type (\d+)", re.MULTILINE)
_FIELD = re.compile(r"^\s+([A-Za-z][A-Za-z /-]*?):\s*(.*?)\s*$")


def looks_like(text: str) -> bool:
    return "DMI type 22" in text or bool(re.search(r"^Portable Battery\s*$", text, re.MULTILINE))


def parse(text: str, source: str) -> tuple[BatteryHealth, ...]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    starts = list(_HANDLE.finditer(text))
    blocks = [
        text[m.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        for i, m in enumerate(starts)
        if m.group(1) == "22"
    ]
    if not starts and "Portable Battery" in text:
        blocks = [text]
    batteries = []
    for block in blocks:
        fields: dict[str, str] = {}
        for line in block.splitlines():
            match = _FIELD.match(line)
            if match:
                fields.setdefault(match.group(1).lower(), match.group(2))
        design = fields.get("design capacity")
        voltage = fields.get("design voltage")
        chem = fields.get("sbds chemistry") or fields.get("chemistry")
        if chem and chem.lower() in {"other", "unknown"}:
            chem = fields.get("sbds chemistry") or chem
        batteries.append(
            BatteryHealth(
                source_format=FORMAT,
                name=clean(fields.get("location")),
                manufacturer=clean(fields.get("manufacturer")),
                model=clean(fields.get("name")),
                serial=clean(fields.get("sbds serial number") or fields.get("serial number")),
                chemistry=chemistry(chem),
                chemistry_raw=clean(chem),
                design_capacity_mwh=positive(decimal(design)) if design and "mwh" in design.lower() else None,
                design_voltage_mv=positive(decimal(voltage)) if voltage and "mv" in voltage.lower() else None,
                manufacture_date=clean(fields.get("sbds manufacture date") or fields.get("manufacture date")),
                notes=("SMBIOS type 22 has no full-charge capacity: health cannot be measured",),
            )
        )
    if not batteries:
        raise ParseError(source, "no battery present (no DMI type 22 structure)")
    return tuple(batteries)
