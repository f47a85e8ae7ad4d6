"""Small helpers shared by the battery parsers: numbers in any locale, unit conversion, clean-up.

Nothing here raises anything but ``ParseError``; helpers that cannot read a value return ``None``.
"""

from __future__ import annotations

import re

from diagnostics.errors import ParseError

# Values tools print when they do not know: they must become None, never a serial or a model.
_PLACEHOLDERS = frozenset(
    {"", "-", "--", "n/a", "na", "none", "unknown", "not specified", "serialnumber", "(null)", "null", "?"}
)

_DECIMAL = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_GROUPED = re.compile(r"\d[\d.,\u00a0\u202f' ]*")

# Chemistry codes seen in SBS (Smart Battery Data spec "DeviceChemistry"), ACPI _BIF, Windows and
# sysfs ("Li-ion", "Li-poly", "LION", "LiP", "LIon", "Li-I", "lithium-polymer" …).
_CHEMISTRY = {
    "lion": "Li-ion",
    "li-ion": "Li-ion",
    "liion": "Li-ion",
    "li-i": "Li-ion",
    "lithium-ion": "Li-ion",
    "lithium ion": "Li-ion",
    "lip": "Li-polymer",
    "lipo": "Li-polymer",
    "li-poly": "Li-polymer",
    "lipoly": "Li-polymer",
    "li-polymer": "Li-polymer",
    "lithium-polymer": "Li-polymer",
    "lithium polymer": "Li-polymer",
    "lithium-iron-phosphate": "LiFePO4",
    "life": "LiFePO4",
    "lifepo4": "LiFePO4",
    "nimh": "NiMH",
    "nickel-metal-hydride": "NiMH",
    "nicd": "NiCd",
    "nickel-cadmium": "NiCd",
    "pbac": "Lead-acid",
    "lead-acid": "Lead-acid",
}


def decode(data: bytes | str, source: str) -> str:
    """Text of an input file: UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if not isinstance(data, bytes | bytearray):
        raise ParseError(source, f"expected bytes or str, got {type(data).__name__}")
    raw = bytes(data)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError(source, f"invalid UTF-16 text: {exc.reason}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def clean(value: str | None) -> str | None:
    """Strip a text value; placeholders such as '-', 'N/A', 'Unknown' or all zeros become None."""
    if value is None:
        return None
    text = " ".join(value.replace("\x00", " ").split())
    if text.lower() in _PLACEHOLDERS or set(text) <= {"0"}:
        return None
    return text


def decimal(text: str | None) -> float | None:
    """First decimal number in ``text``; a comma is a decimal separator (French/German locales:
    ``39,264 Wh``). Only for values that never carry thousands separators (upower, sysfs)."""
    if not text:
        return None
    match = _DECIMAL.search(text)
    if match is None:
        return None
    try:
        return float(match.group(0).replace(",", "."))
    except ValueError:  # pragma: no cover - the regex only matches valid numbers
        return None


def grouped_int(text: str | None) -> int | None:
    """An integer written with thousands separators in any locale (``83,995``, ``52.500``,
    ``57 488``): Windows prints capacities as whole mWh, so every separator is grouping."""
    if not text:
        return None
    match = _GROUPED.search(text)
    if match is None:
        return None
    digits = re.sub(r"\D", "", match.group(0))
    if not digits or len(digits) > 12:
        return None
    return int(digits)


def integer(text: str | None) -> int | None:
    if not text:
        return None
    match = re.search(r"[-+]?\d+", text)
    if match is None or len(match.group(0)) > 12:
        return None
    return int(match.group(0))


def chemistry(raw: str | None) -> str | None:
    """Normalised chemistry name, or the raw code when it is not a known one."""
    value = clean(raw)
    if value is None:
        return None
    return _CHEMISTRY.get(value.lower(), value)


def cycles(raw: str | None, *, zero_means_unknown: bool = True) -> int | None:
    """A cycle count, or None when absent, unsupported, or 0 where 0 is what firmware reports when
    it does not count (ACPI _BIX CycleCount 0 / 0xFFFFFFFF, sysfs cycle_count 0 on most laptops)."""
    value = integer(raw)
    if value is None or value < 0 or value >= 0xFFFF_FFFF:
        return None
    if value == 0 and zero_means_unknown:
        return None
    return value


def mah_to_mwh(mah: float | None, voltage_mv: float | None) -> float | None:
    if mah is None or voltage_mv is None or voltage_mv <= 0:
        return None
    return round(mah * voltage_mv / 1000.0, 1)


def positive(value: float | None, *, zero: bool = False) -> float | None:
    """A capacity, voltage or percentage; None for the ACPI 'unknown' 0xFFFFFFFF, negatives, and 0
    unless ``zero``: a design capacity of 0 says nothing, but a *full-charge* capacity of 0 next to a
    real design capacity is a pack that no longer holds charge, and must not read as "no data"."""
    if value is None or value < 0 or value >= 0xFFFF_FFFF or (value == 0 and not zero):
        return None
    return value
