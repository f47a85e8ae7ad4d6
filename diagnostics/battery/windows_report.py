"""Parse the Windows battery report: ``powercfg /batteryreport`` (HTML) and ``/batteryreport /xml``.

HTML input: the page Windows writes (``battery-report.html``). Its "Installed batteries" section is
the first table after the first ``<h2>``: a header row ``BATTERY 1``, ``BATTERY 2`` … then one row
per field (NAME, MANUFACTURER, SERIAL NUMBER, CHEMISTRY, DESIGN CAPACITY, FULL CHARGE CAPACITY,
CYCLE COUNT), one column per battery. Labels are matched in English and, for localised reports,
by their fixed position. Capacities are whole mWh written with the locale's grouping
(``83,995 mWh``, ``52.500 mWh``). A report with ``No batteries are currently installed`` is refused.
The first table gives the machine (SYSTEM PRODUCT NAME).

XML input: ``<BatteryReport xmlns="http://schemas.microsoft.com/battery/2012">`` with
``Batteries/Battery`` (Id, Manufacturer, SerialNumber, ManufactureDate, Chemistry, DesignCapacity,
FullChargeCapacity, CycleCount) and ``SystemInformation`` (SystemManufacturer, SystemProductName).

Produces per battery: model (NAME / Id), manufacturer, serial, chemistry, design and full-charge
capacity (mWh), cycle count ("-" or 0 → None: Windows shows what the ACPI _BIX gives, and 0 is
what firmware without a counter reports), host_model.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from diagnostics.battery._common import chemistry, clean, cycles, grouped_int, positive
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError

FORMAT_HTML = "windows-batteryreport-html"
FORMAT_XML = "windows-batteryreport-xml"

_NS = "{http://schemas.microsoft.com/battery/2012}"
_FIELDS = (
    "NAME",
    "MANUFACTURER",
    "SERIAL NUMBER",
    "CHEMISTRY",
    "DESIGN CAPACITY",
    "FULL CHARGE CAPACITY",
    "CYCLE COUNT",
)


def looks_like_xml(text: str) -> bool:
    return "<BatteryReport" in text[:2000] and "schemas.microsoft.com/battery" in text[:2000]


def looks_like_html(text: str) -> bool:
    head = text[:3000]
    return "schemas.microsoft.com/battery" in head and "<html" in head.lower()


class _Tables(HTMLParser):
    """Collects the text of every table cell, grouped by table, plus the section headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, object]] = []  # ("h2", text) | ("table", rows) | ("nobatts", text)
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._h2: list[str] | None = None
        self._nobatts: list[str] | None = None
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag == "h2":
            self._h2 = []
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in {"td", "th"} and self._rows is not None:
            self._cell = []
        elif tag == "span" and ("class", "nobatts") in attrs:
            self._nobatts = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip = max(0, self._skip - 1)
        elif tag == "h2" and self._h2 is not None:
            self.items.append(("h2", " ".join("".join(self._h2).split())))
            self._h2 = None
        elif tag == "table" and self._rows is not None:
            self.items.append(("table", [row for row in self._rows if any(row)]))
            self._rows = None
        elif tag in {"td", "th"} and self._cell is not None and self._rows is not None:
            if not self._rows:
                self._rows.append([])
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._nobatts is not None:
            self.items.append(("nobatts", " ".join("".join(self._nobatts).split())))
            self._nobatts = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        for buffer in (self._cell, self._h2, self._nobatts):
            if buffer is not None:
                buffer.append(data)


def parse_html(text: str, source: str) -> tuple[BatteryHealth, ...]:
    collector = _Tables()
    # Only the machine table and the "Installed batteries" section matter: skip the <head> (its
    # script holds the usage graphs' data) and everything after the second <h2>, which makes a
    # 150 kB report ~20x faster to read.
    lower = text.lower()
    start = max(lower.find("<body"), 0)
    first_heading = lower.find("<h2", start)
    second_h2 = lower.find("<h2", first_heading + 3) if first_heading != -1 else -1
    try:
        collector.feed(text[start : second_h2 if second_h2 != -1 else len(text)])
        collector.close()
    except (AssertionError, ValueError) as exc:  # html.parser raises these on broken markup
        raise ParseError(source, f"unreadable HTML: {exc}") from None
    items = collector.items
    first_h2 = next((i for i, (kind, _) in enumerate(items) if kind == "h2"), None)
    if first_h2 is None:
        raise ParseError(source, "battery report without its 'Installed batteries' section")
    host = _host_model(items[:first_h2])
    section: list[tuple[str, object]] = []
    for kind, value in items[first_h2 + 1 :]:
        if kind == "h2":
            break
        section.append((kind, value))
    if any(kind == "nobatts" for kind, _ in section):
        raise ParseError(source, f"no battery present (report on {host or 'this machine'}: no batteries installed)")
    table = next((value for kind, value in section if kind == "table"), None)
    if not isinstance(table, list) or len(table) < 2:
        raise ParseError(source, "battery report without an 'Installed batteries' table")
    return _batteries_from_table(table, host, source)


def _host_model(items: list[tuple[str, object]]) -> str | None:
    for kind, value in items:
        if kind != "table" or not isinstance(value, list):
            continue
        for row in value:
            if len(row) >= 2 and row[0].upper() == "SYSTEM PRODUCT NAME":
                return clean(row[1])
        # Localised report: the product name is the second row of the first table.
        if len(value) >= 2 and len(value[1]) >= 2:
            return clean(value[1][1])
    return None


def _batteries_from_table(table: list[list[str]], host: str | None, source: str) -> tuple[BatteryHealth, ...]:
    header, rows = table[0], [row for row in table[1:] if len(row) >= 2]
    columns = max(1, len(header) - 1)
    by_label = {row[0].upper(): row[1:] for row in rows}
    if not any(label in by_label for label in _FIELDS):
        if len(rows) < len(_FIELDS):
            raise ParseError(source, "battery report table has neither known labels nor the 7 usual rows")
        by_label = {label: row[1:] for label, row in zip(_FIELDS, rows, strict=False)}
    batteries = []
    for column in range(columns):

        def cell(label: str, col: int = column) -> str | None:
            values = by_label.get(label)
            return values[col] if values is not None and col < len(values) else None

        design = grouped_int(cell("DESIGN CAPACITY"))
        full = grouped_int(cell("FULL CHARGE CAPACITY"))
        raw_cycles = cell("CYCLE COUNT")
        if design is None and full is None and cell("NAME") is None:
            continue
        batteries.append(
            BatteryHealth(
                source_format=FORMAT_HTML,
                name=f"Battery {column + 1}",
                model=_name(cell("NAME")),
                manufacturer=clean(cell("MANUFACTURER")),
                serial=clean(cell("SERIAL NUMBER")),
                chemistry=chemistry(cell("CHEMISTRY")),
                chemistry_raw=clean(cell("CHEMISTRY")),
                design_capacity_mwh=positive(float(design)) if design is not None else None,
                full_charge_capacity_mwh=positive(float(full), zero=True) if full is not None else None,
                cycle_count=cycles(raw_cycles),
                cycle_count_raw=raw_cycles,
                host_model=host,
                notes=_cycle_note(raw_cycles),
            )
        )
    if not batteries:
        raise ParseError(source, "battery report lists no battery data")
    return tuple(batteries)


def _name(raw: str | None) -> str | None:
    """Battery names some firmware report as byte lists (``0x35,0x33,0x32,0x4E,0x00``) as text."""
    value = clean(raw)
    if value and re.fullmatch(r"0x[0-9A-Fa-f]{2}(,0x[0-9A-Fa-f]{2})+", value):
        chars = bytes(int(part, 16) for part in value.split(",")).decode("latin-1")
        text = "".join(ch for ch in chars if ch.isprintable()).strip()
        return clean(text) or value
    return value


def _cycle_note(raw: str | None) -> tuple[str, ...]:
    if raw is not None and cycles(raw) is None:
        return (f"cycle count {raw!r}: not reported by the firmware",)
    return ()


def parse_xml(text: str, source: str) -> tuple[BatteryHealth, ...]:
    # Refuse DTDs outright: the report never has one, and this closes entity-expansion attacks
    # (billion laughs) on a server that parses uploaded files with the stdlib parser.
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise ParseError(source, "XML with a DTD is not a battery report")
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
    try:
        root = ET.fromstring(body)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise ParseError(source, f"invalid XML: {exc}") from None
    if root.tag != f"{_NS}BatteryReport":
        raise ParseError(source, f"XML root is {root.tag!r}, not a Windows BatteryReport")
    system = root.find(f"{_NS}SystemInformation")
    host = None
    if system is not None:
        host = clean(
            " ".join(
                filter(
                    None,
                    (
                        system.findtext(f"{_NS}SystemManufacturer"),
                        system.findtext(f"{_NS}SystemProductName"),
                    ),
                )
            )
        )
    batteries = []
    for index, node in enumerate(root.iterfind(f"{_NS}Batteries/{_NS}Battery"), start=1):

        def text_of(tag: str, element: ET.Element = node) -> str | None:
            return element.findtext(f"{_NS}{tag}")

        design = grouped_int(text_of("DesignCapacity"))
        full = grouped_int(text_of("FullChargeCapacity"))
        raw_cycles = text_of("CycleCount")
        batteries.append(
            BatteryHealth(
                source_format=FORMAT_XML,
                name=f"Battery {index}",
                model=clean(text_of("Id")),
                manufacturer=clean(text_of("Manufacturer")),
                serial=clean(text_of("SerialNumber")),
                chemistry=chemistry(text_of("Chemistry")),
                chemistry_raw=clean(text_of("Chemistry")),
                design_capacity_mwh=positive(float(design)) if design is not None else None,
                full_charge_capacity_mwh=positive(float(full), zero=True) if full is not None else None,
                cycle_count=cycles(raw_cycles),
                cycle_count_raw=raw_cycles,
                manufacture_date=clean(text_of("ManufactureDate")),
                host_model=host,
                notes=_cycle_note(raw_cycles),
            )
        )
    if not batteries:
        raise ParseError(source, f"no battery present (report on {host or 'this machine'}: no batteries installed)")
    return tuple(batteries)
