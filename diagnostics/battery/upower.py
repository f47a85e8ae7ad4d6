"""Parse ``upower -i <battery path>`` and ``upower -d`` / ``upower --dump`` output (any locale).

Input: the text upower prints for one device (``-i``) or for every device (``-d``, blocks that
start with ``Device: /org/freedesktop/UPower/devices/…``). Keys are printed in English by every
upower version; numbers follow the locale (``39,264 Wh`` under fr_FR) and dates are localised, so
numbers are read with either decimal separator and dates are ignored. Only system batteries are
returned: the ``DisplayDevice`` aggregate, line power, and peripherals (mouse, keyboard, UPS …,
``power supply: no``) are skipped. ``upower -e`` / ``--enumerate`` prints device paths only and is
refused with that reason.

Produces per battery: name (native-path), manufacturer (vendor), model, serial, chemistry
(technology), design / full-charge capacity in mWh (energy-full-design / energy-full, Wh x 1000),
cycle count (charge-cycles; ``N/A`` or 0 → None), state, charge percent, upower's own capacity
percentage as ``reported_health_percent``, present.
"""

from __future__ import annotations

import re

from diagnostics.battery._common import chemistry, clean, cycles, decimal, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT = "upower"

_DEVICE = re.compile(r"^Device:\s*(\S+)", re.MULTILINE)
_ENUMERATE_LINE = re.compile(r"^/org/freedesktop/UPower/devices/\S+$")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 _-]*?):\s*(.*?)\s*$")
_KIND = re.compile(r"^\s+([a-z][a-z0-9-]*)\s*$")
_TRUE = {"yes", "true", "1", "oui", "ja", "si", "sí", "sim", "да", "tak"}


def looks_like(text: str) -> bool:
    return (
        "native-path:" in text
        or "org/freedesktop/UPower/devices/" in text
        or bool(re.search(r"^\s*energy-full-design:", text, re.MULTILINE))
    )


def parse(text: str, source: str) -> tuple[BatteryHealth, ...]:
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and all(_ENUMERATE_LINE.match(line.strip()) for line in lines):
        raise ParseError(
            source,
            "upower --enumerate lists device paths only, no battery data (save `upower -i <path>`)",
        )
    blocks = _split_devices(text)
    batteries = []
    skipped: list[str] = []
    for path, block in blocks:
        kind, fields = _read_block(block)
        if path is not None and path.rstrip("/").endswith("DisplayDevice"):
            continue
        if kind != "battery" or fields.get("power supply", "yes").lower() not in _TRUE:
            skipped.append(kind or "unknown device")
            continue
        batteries.append(_record(fields))
    if not batteries:
        what = ", ".join(sorted(set(skipped))) or "nothing"
        raise ParseError(source, f"no battery present (upower lists only: {what})")
    return tuple(batteries)


def _split_devices(text: str) -> list[tuple[str | None, str]]:
    starts = list(_DEVICE.finditer(text))
    if not starts:
        return [(None, text)]
    blocks = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[match.end() : end]
        daemon = re.search(r"^Daemon:", body, re.MULTILINE)
        if daemon:
            body = body[: daemon.start()]
        blocks.append((match.group(1), body))
    return blocks


def _read_block(block: str) -> tuple[str | None, dict[str, str]]:
    kind: str | None = None
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if line.strip().startswith("History") or line.strip().startswith("Statistics"):
            break
        kind_match = _KIND.match(line)
        if kind_match and ":" not in line:
            kind = kind if kind is not None else kind_match.group(1)
            continue
        match = _KEY_VALUE.match(line)
        if match:
            fields.setdefault(match.group(1).strip().lower(), match.group(2))
    return kind, fields


def _wh_to_mwh(text: str | None, *, zero: bool = False) -> float | None:
    value = decimal(text)
    if value is None:
        return None
    return positive(round(value * 1000.0, 1), zero=zero)


def _record(fields: dict[str, str]) -> BatteryHealth:
    notes = []
    raw_cycles = fields.get("charge-cycles")
    cycle_count = cycles(raw_cycles)
    if raw_cycles is not None and cycle_count is None:
        notes.append(f"charge-cycles {raw_cycles!r}: not reported")
    native = clean(fields.get("native-path"))
    if native and "/" in native:
        native = native.rstrip("/").rsplit("/", 1)[-1]
    present = fields.get("present")
    capacity = decimal(fields.get("capacity"))
    design = _wh_to_mwh(fields.get("energy-full-design"))
    if design is None:
        capacity = None  # upower derives "capacity" from the design energy: without it, it means nothing
    return BatteryHealth(
        source_format=FORMAT,
        present=present is None or present.lower() in _TRUE,
        name=native,
        manufacturer=clean(fields.get("vendor")),
        model=clean(fields.get("model")),
        serial=clean(fields.get("serial")),
        chemistry=chemistry(fields.get("technology")),
        chemistry_raw=clean(fields.get("technology")),
        design_capacity_mwh=design,
        full_charge_capacity_mwh=_wh_to_mwh(fields.get("energy-full"), zero=True),
        cycle_count=cycle_count,
        cycle_count_raw=raw_cycles,
        state=clean(fields.get("state")),
        charge_percent=decimal(fields.get("percentage")),
        reported_health_percent=capacity if capacity and capacity > 0 else None,
        notes=tuple(notes),
    )
