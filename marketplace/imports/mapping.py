"""From raw cells to device fields: kinds, units and per-field checks (pure functions).

Every rule here is listed in ``marketplace/imports/README.md``. A cell that cannot be understood
gives a ``RowError`` naming the field; nothing is guessed silently.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marketplace.imports.formats import ImportFormat, SourceRow, neutralise

KINDS = ("laptop", "desktop", "server", "screen", "phone", "tablet", "other")
COSMETIC_GRADES = ("premium", "excellent", "good", "fair")

#: Column lengths of ``devices`` (see ``marketplace/devices/models.py``).
MAX_LENGTHS = {"make": 120, "model": 200, "serial": 120, "asset_tag": 64, "location": 200, "cpu": 200}
MAX_NOTES = 5000
INCH_UNITS = ("", "in", "inch", "inches", "pouce", "pouces")

#: Type / category names (normalised: lower case, no accents, singular) → device kind. GLPI's
#: computer types come from the inventory agent's SMBIOS chassis type (SMBIOS 3.x table 17: "Notebook",
#: "Laptop", "Portable", "Sub Notebook", "Desktop", "Tower", "Mini Tower", "All in One", "Rack Mount
#: Chassis", …) or are typed by hand in the user's language; Snipe-IT categories are free text
#: ("Laptops", "Desktops", "Displays", "Mobile Phones", "Tablets" in its demo data).
KIND_NAMES: dict[str, str] = {
    # laptops
    "laptop": "laptop",
    "notebook": "laptop",
    "sub notebook": "laptop",
    "portable": "laptop",
    "ordinateur portable": "laptop",
    "pc portable": "laptop",
    "ultrabook": "laptop",
    "netbook": "laptop",
    "chromebook": "laptop",
    "convertible": "laptop",
    "detachable": "laptop",
    "macbook": "laptop",
    # desktops
    "desktop": "desktop",
    "tower": "desktop",
    "tour": "desktop",
    "mini tower": "desktop",
    "low profile desktop": "desktop",
    "space-saving": "desktop",
    "space saving": "desktop",
    "lunch box": "desktop",
    "pizza box": "desktop",
    "all in one": "desktop",
    "all-in-one": "desktop",
    "mini pc": "desktop",
    "sff": "desktop",
    "small form factor": "desktop",
    "workstation": "desktop",
    "station de travail": "desktop",
    "ordinateur fixe": "desktop",
    "pc fixe": "desktop",
    "unite centrale": "desktop",
    "ordinateur de bureau": "desktop",
    "thin client": "desktop",
    "client leger": "desktop",
    "computer": "desktop",
    "ordinateur": "desktop",
    # servers
    "server": "server",
    "serveur": "server",
    "main server chassis": "server",
    "rack mount chassis": "server",
    "blade": "server",
    "lame": "server",
    # screens
    "monitor": "screen",
    "moniteur": "screen",
    "screen": "screen",
    "ecran": "screen",
    "display": "screen",
    # phones
    "phone": "phone",
    "mobile phone": "phone",
    "smartphone": "phone",
    "telephone": "phone",
    "telephone portable": "phone",
    "mobile": "phone",
    "hand held": "phone",
    # tablets
    "tablet": "tablet",
    "tablette": "tablet",
    "ipad": "tablet",
    # other
    "other": "other",
    "autre": "other",
}
#: Words looked for when the whole name is not in ``KIND_NAMES`` ("Laptops - staff", "Écrans 24").
KIND_WORDS = (
    ("laptop", "laptop"),
    ("notebook", "laptop"),
    ("portable", "laptop"),
    ("desktop", "desktop"),
    ("tower", "desktop"),
    ("workstation", "desktop"),
    ("server", "server"),
    ("serveur", "server"),
    ("monitor", "screen"),
    ("ecran", "screen"),
    ("display", "screen"),
    ("screen", "screen"),
    ("smartphone", "phone"),
    ("phone", "phone"),
    ("telephone", "phone"),
    ("tablet", "tablet"),
    ("tablette", "tablet"),
)

#: Numbers in cells: ASCII digits (``\d`` also matches ``٨`` or ``８``, which ``float()`` reads), at
#: most 12 before the decimal mark, so a 400-digit cell is "not a size" rather than an infinite
#: float that overflows on the way to an integer.
_NUMBER = r"([0-9]{1,12}(?:[.,][0-9]{1,6})?)"
_NUMBER_UNIT = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Zéèêô]*)\s*$")
_YEAR = re.compile(r"(?<![0-9])(1[89][0-9][0-9]|20[0-9][0-9])(?![0-9])")
_MULTI = re.compile(r"<br\s*/?>|\n|\$#\$|\$\$##\$\$", re.IGNORECASE)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass(slots=True)
class DeviceInput:
    """A valid row: what the import will write."""

    line: int
    kind: str | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    asset_tag: str | None = None
    cosmetic_grade: str | None = None
    location: str | None = None
    notes: str | None = None
    #: Shared by the rows of a file with the same spec cells (see ``Converter``): read-only.
    specs: dict[str, Any] = field(default_factory=dict)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


@functools.lru_cache(maxsize=4096)
def kind_of(text: str) -> str | None:
    key = _plain(text)
    if key in KIND_NAMES:
        return KIND_NAMES[key]
    if key.endswith("s") and key[:-1] in KIND_NAMES:
        return KIND_NAMES[key[:-1]]
    for word, kind in KIND_WORDS:
        if word in key:
            return kind
    return None


def first_value(text: str) -> str:
    """GLPI joins several values of one cell (two processors) with <br> or new lines."""
    for part in _MULTI.split(text):
        if part.strip():
            return part.strip()
    return ""


def _number(text: str) -> tuple[float, str] | None:
    match = _NUMBER_UNIT.match(text)
    if match is None:
        return None
    return float(match.group(1).replace(",", ".")), _plain(match.group(2))


def _whole(value: float) -> int | float:
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


#: Memory: GB, GiB, Go, Gio (French) → x1; MB, MiB, Mo, Mio → /1024; TB… → x1024. RAM is sold in
#: binary sizes, so "8 GB" and "8 GiB" are the same 8 GB module.
RAM_UNITS = {
    "": None,
    "g": 1.0,
    "gb": 1.0,
    "gib": 1.0,
    "go": 1.0,
    "gio": 1.0,
    "m": 1 / 1024,
    "mb": 1 / 1024,
    "mib": 1 / 1024,
    "mo": 1 / 1024,
    "mio": 1 / 1024,
    "t": 1024.0,
    "tb": 1024.0,
    "tib": 1024.0,
    "to": 1024.0,
    "tio": 1024.0,
}
#: Storage is sold in decimal GB; GLPI and operating systems report binary sizes (GiB/Gio, MiB/Mio).
STORAGE_UNITS = {
    "": None,
    "g": 1.0,
    "gb": 1.0,
    "go": 1.0,
    "gib": 1.073741824,
    "gio": 1.073741824,
    "t": 1000.0,
    "tb": 1000.0,
    "to": 1000.0,
    "tib": 1099.511627776,
    "tio": 1099.511627776,
    "m": 0.001,
    "mb": 0.001,
    "mo": 0.001,
    "mib": 0.001048576,
    "mio": 0.001048576,
}


@functools.lru_cache(maxsize=4096)
def ram_gb(text: str, *, bare_unit_mib: bool) -> int | float | None:
    """``8 GB``, ``8192 MB``, ``8 Go``, ``8 Gio``, ``0,5 Go`` → GB. A bare number is GB in the native
    format; in GLPI (whose memory column is in MiB) a bare number ≥ 128 is MiB."""
    parsed = _number(first_value(text))
    if parsed is None:
        return None
    value, unit = parsed
    if unit not in RAM_UNITS:
        return None
    factor = RAM_UNITS[unit]
    if factor is None:
        factor = 1 / 1024 if bare_unit_mib and value >= 128 else 1.0
    return _whole(value * factor)


_STORAGE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z]*)(?:\s+(ssd|hdd|nvme|mixed))?\s*$", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def storage_gb(text: str, *, bare_unit_mib: bool) -> int | None:
    """``256``, ``512 GB``, ``1 TB``, ``500 Go``, ``476.9 GiB``, ``512GB SSD`` → decimal GB."""
    match = _STORAGE.match(first_value(text))
    if match is None:
        return None
    value, unit = float(match.group(1).replace(",", ".")), match.group(2).lower()
    if unit not in STORAGE_UNITS:
        return None
    factor = STORAGE_UNITS[unit]
    if factor is None:
        factor = 0.001048576 if bare_unit_mib and value >= 4096 else 1.0
    return round(value * factor)


@functools.lru_cache(maxsize=4096)
def screen_inches(text: str) -> int | float | None:
    """``14``, ``15.6``, ``24"``, ``27 in``, ``13,3 pouces`` → inches (1 to 120)."""
    parsed = _number(text.replace('"', "").replace("''", ""))
    if parsed is None or parsed[1] not in INCH_UNITS or not 1 <= parsed[0] <= 120:
        return None
    return _whole(parsed[0])


@functools.lru_cache(maxsize=4096)
def year_of(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def _echo(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "…"
    return neutralise(shown)


#: Text cells and their longest accepted value, in the order their errors are reported.
TEXT_LIMITS = (
    *((name, MAX_LENGTHS[name]) for name in ("make", "model", "serial", "asset_tag", "location")),
    ("notes", MAX_NOTES),
)
_MAX_MAKE, _MAX_MODEL, _MAX_SERIAL, _MAX_TAG, _MAX_LOCATION = (limit for _name, limit in TEXT_LIMITS[:5])
_GRADES = {grade: grade for grade in COSMETIC_GRADES}
#: The cells a row is converted from, in the order ``Converter`` reads them. GLPI and Snipe-IT
#: files name the memory and storage columns ``ram`` and ``storage`` (see ``formats``).
CELLS = (
    "make",
    "model",
    "serial",
    "asset_tag",
    "location",
    "notes",
    "kind",
    "cosmetic_grade",
    "cpu",
    "ram_gb",
    "storage_gb",
    "storage_type",
    "screen_in",
    "year",
)
_OTHER_NAMES = {"ram_gb": "ram", "storage_gb": "storage"}

#: The spec cells of a row, as read: cpu, memory, storage, storage type, screen, year.
_SpecCells = tuple[str | None, str | None, str | None, str | None, str | None, str | None]
#: Specs converted from those cells, and the (field, message) of each cell refused.
_SpecsOutcome = tuple[dict[str, Any], tuple[tuple[str, str], ...]]


class Converter:
    """``convert`` for the rows of one file, remembering what is a pure function of a few cells.

    A fleet repeats the same few kinds, grades and hardware configurations, so the specs of a row
    (cpu, memory, storage, screen, year: a pure function of those six cells) are converted once per
    distinct set of cells and the dict is shared between the rows that have it: treat
    ``DeviceInput.specs`` as read-only. Everything else is checked on every row.

    Given the file's ``columns``, it also converts the raw records of ``ParsedFile.records``
    (``record``), picking its cells by index instead of building each row's dict of cells."""

    def __init__(self, fmt: ImportFormat, *, current_year: int, columns: Mapping[int, str] | None = None) -> None:
        self.fmt = fmt
        self.current_year = current_year
        self.bare_mib = fmt is ImportFormat.GLPI
        self._specs: dict[_SpecCells, _SpecsOutcome] = {}
        self._columns = dict(columns or {})
        self._pick: Callable[[list[str]], tuple[str, ...]] | None = None
        self._pad = False
        if columns:
            index = {name: i for i, name in columns.items()}
            if not any(name in index and other in index for name, other in _OTHER_NAMES.items()):
                # A cell the file lacks is read from an empty cell appended to each record (the
                # last one: a record may have more cells than the header has known columns).
                picks = [index.get(name, index.get(_OTHER_NAMES.get(name, name), -1)) for name in CELLS]
                self._pad = -1 in picks
                self._pick = operator.itemgetter(*picks)

    def __call__(self, row: SourceRow) -> DeviceInput | list[RowError]:
        """Check and convert one row. Empty cells stay ``None``: on update they leave the field as is."""
        cells = row.cells
        if "__error__" in cells:
            return [RowError(row.line, "row", cells["__error__"])]
        get = cells.get
        values = [get(name) for name in CELLS]
        for position, name in ((9, "ram_gb"), (10, "storage_gb")):
            if values[position] is None:
                values[position] = get(_OTHER_NAMES[name])
        return self._convert(row.line, values)

    def record(self, line: int, record: list[str] | str) -> DeviceInput | list[RowError]:
        """``self(row)`` for the ``SourceRow`` of one of ``ParsedFile.records`` (this converter
        made with the file's columns)."""
        if isinstance(record, str):
            return [RowError(line, "row", record)]
        if self._pick is None:
            cells = {name: value for i, name in self._columns.items() if (value := record[i].strip())}
            return self(SourceRow(line, cells))
        if self._pad:
            record.append("")
        return self._convert(line, list(map(str.strip, self._pick(record))))

    def _convert(self, line: int, values: list[str] | list[str | None]) -> DeviceInput | list[RowError]:
        """The cells in ``CELLS`` order, stripped; an empty cell is ``""`` or ``None``."""
        (
            make,
            model,
            serial,
            asset_tag,
            location,
            notes,
            raw_kind,
            raw_grade,
            cpu,
            raw_ram,
            raw_storage,
            storage_type,
            screen,
            raw_year,
        ) = values
        errors: list[RowError] = []
        if (
            (make and len(make) > _MAX_MAKE)
            or (model and len(model) > _MAX_MODEL)
            or (serial and len(serial) > _MAX_SERIAL)
            or (asset_tag and len(asset_tag) > _MAX_TAG)
            or (location and len(location) > _MAX_LOCATION)
            or (notes and len(notes) > MAX_NOTES)
        ):
            errors = [
                RowError(line, name, f"Longer than {limit} characters.")
                for (name, limit), value in zip(TEXT_LIMITS, values, strict=False)
                if value and len(value) > limit
            ]

        kind = None
        if raw_kind:
            kind = kind_of(raw_kind)
            if kind is None:
                message = f"Unknown device kind {_echo(raw_kind)!r}; expected one of {', '.join(KINDS)}."
                errors.append(RowError(line, "kind", message))
        grade = None
        if raw_grade:
            grade = _GRADES.get(raw_grade) or _GRADES.get(raw_grade.lower())
            if grade is None:
                message = f"Unknown cosmetic grade {_echo(raw_grade)!r}; expected one of {', '.join(COSMETIC_GRADES)}."
                errors.append(RowError(line, "cosmetic_grade", message))

        key = (cpu, raw_ram, raw_storage, storage_type, screen, raw_year)
        outcome = self._specs.get(key)
        if outcome is None:
            outcome = self._specs[key] = self._convert_specs(*(cell or None for cell in key))
        specs, refused = outcome
        if refused:
            errors.extend(RowError(line, name, message) for name, message in refused)

        if errors:
            return errors
        if not serial and not asset_tag:
            return [RowError(line, "serial", "A serial number or an asset tag is needed to match the device.")]
        return DeviceInput(
            line,
            kind,
            make or None,
            model or None,
            serial or None,
            asset_tag or None,
            grade,
            location or None,
            notes or None,
            specs,
        )

    def _convert_specs(
        self,
        cpu: str | None,
        raw_ram: str | None,
        raw_storage: str | None,
        storage_type: str | None,
        screen: str | None,
        raw_year: str | None,
    ) -> _SpecsOutcome:
        specs: dict[str, Any] = {}
        refused: list[tuple[str, str]] = []
        if cpu is not None:
            value = first_value(cpu)
            if len(value) > MAX_LENGTHS["cpu"]:
                refused.append(("cpu", f"Longer than {MAX_LENGTHS['cpu']} characters."))
            elif value:
                specs["cpu"] = value
        if raw_ram is not None:
            ram = ram_gb(raw_ram, bare_unit_mib=self.bare_mib)
            if ram is None or ram <= 0 or ram > 65536:
                refused.append(("ram_gb", f"Not a memory size: {_echo(raw_ram)!r} (e.g. 8, 8 GB, 8192 MB, 8 Go)."))
            else:
                specs["ram_gb"] = ram
        if raw_storage is not None:
            storage = storage_gb(raw_storage, bare_unit_mib=self.bare_mib)
            if storage is None or storage < 0 or storage > 10_000_000:
                message = f"Not a storage size: {_echo(raw_storage)!r} (e.g. 256, 512 GB, 1 TB)."
                refused.append(("storage_gb", message))
            elif storage > 0:
                specs["storage_gb"] = storage
                technology = _STORAGE.match(first_value(raw_storage))
                if technology and technology.group(3) and storage_type is None:
                    specs["storage_type"] = technology.group(3).lower()
        if storage_type is not None:
            # Checked against the devices domain's list by ``validate_specs``.
            specs["storage_type"] = storage_type.lower()
        if screen is not None:
            inches = screen_inches(screen)
            if inches is None:
                refused.append(("screen_in", f"Not a screen diagonal in inches: {_echo(screen)!r}."))
            else:
                specs["screen_in"] = inches
        if raw_year is not None:
            year = year_of(raw_year)
            if year is None or year > self.current_year + 1:
                refused.append(("year", f"Not a year: {_echo(raw_year)!r}."))
            else:
                specs["year"] = year
        return specs, tuple(refused)


def convert(row: SourceRow, fmt: ImportFormat, *, current_year: int) -> DeviceInput | list[RowError]:
    """Check and convert one row (a ``Converter`` for one row; an import keeps one for the file)."""
    return Converter(fmt, current_year=current_year)(row)


def required_for_create(item: DeviceInput) -> list[RowError]:
    """A new device needs its kind, make, model and serial (an update may leave them empty)."""
    if item.serial is not None and item.kind is not None and item.make is not None and item.model is not None:
        return []
    missing = [name for name in ("serial", "kind", "make", "model") if getattr(item, name) is None]
    return [RowError(item.line, name, "Required to register a new device.") for name in missing]


def echo_mapping(cells: Mapping[str, str]) -> dict[str, str]:
    return {k: neutralise(v) for k, v in cells.items()}
