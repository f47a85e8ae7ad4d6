"""Reading inventory CSV files: encoding, delimiter, and the column layouts we accept.

Pure functions (no Flask, no database). ``read_rows(data, fmt)`` decodes the bytes, sniffs the
delimiter, maps the header to our canonical field names and gives the records of the file lazily,
each with the line number a spreadsheet would show (the header is line 1): ``ParsedFile.records``
as read (the importer picks their cells by index), ``ParsedFile.rows`` as one ``SourceRow`` each.

Encodings, in order: UTF-8 with a BOM (GLPI writes one "for Excel"), UTF-8, then Windows-1252 (what
Excel on a French Windows saves as "CSV (séparateur: point-virgule)"), then Latin-1, which decodes
any byte. Delimiters: ``,`` ``;`` tab and ``|``, sniffed from the header line.

Layouts (the header decides; column order never matters; unknown columns are ignored):

``native`` (documented in ``marketplace/imports/README.md``):
    ``asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year`` and optionally
    ``cosmetic_grade,location,screen_in,storage_type,notes``.

``glpi``: the CSV export of GLPI's *Assets > Computers* search list ("Export" → CSV). GLPI writes
    one column per displayed search option, headed by the option's translated name in the
    exporting user's language, prefixed by its option group when it has one (e.g. "Components -
    Processor", GLPI ``ExportSearchOutput::displayData``); values are double-quoted, ``;`` by
    default (the user's ``csv_delimiter`` preference), with a trailing delimiter on every line up to
    GLPI 10.0 (``CSVSearchOutput::showItem``) and a UTF-8 BOM. Multi-valued cells (two processors)
    are joined with ``<br>`` or new lines. English and French headers are recognised.

``snipeit``: the CSV export of Snipe-IT's asset list (bootstrap-table export of the columns of
    ``AssetPresenter::dataTableLayout``: "Asset Tag", "Serial", "Model", "Manufacturer",
    "Category", "Location", "Status", "Notes", "Purchase Date" …) and of its *Custom Asset
    Report*, which uses the same titles. Hardware specs live in Snipe-IT custom fields, whose titles
    are the field names: "RAM", "CPU", "Storage" … are recognised (see ``SNIPEIT_HEADERS``).
"""

from __future__ import annotations

import codecs
import csv
import enum
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

DELIMITERS = (",", ";", "\t", "|")


class ImportFormat(enum.StrEnum):
    NATIVE = "native"
    GLPI = "glpi"
    SNIPEIT = "snipeit"


class FileError(Exception):
    """The file as a whole cannot be read (encoding, no header, a required column missing)."""

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SourceRow(NamedTuple):
    #: Line of the file where the row starts, as a spreadsheet numbers it (header = 1).
    line: int
    #: Canonical field name → raw cell text (stripped), only the non-empty cells of known columns.
    cells: Mapping[str, str]


# --- header layouts ------------------------------------------------------------------------

NATIVE_FIELDS = (
    "asset_tag",
    "serial",
    "kind",
    "make",
    "model",
    "cpu",
    "ram_gb",
    "storage_gb",
    "year",
    "cosmetic_grade",
    "location",
    "screen_in",
    "storage_type",
    "notes",
)
NATIVE_REQUIRED = ("asset_tag", "serial", "kind", "make", "model", "cpu", "ram_gb", "storage_gb", "year")

#: GLPI Computer search options (``Computer::rawSearchOptions`` and the component options of
#: ``Item_Devices``), by their English msgid and their fr_FR translation, normalised by
#: ``normalise_header`` (lower case, no accents).
GLPI_HEADERS: dict[str, str] = {
    "name": "name",
    "nom": "name",
    "serial number": "serial",
    "numero de serie": "serial",
    "inventory number": "asset_tag",
    "numero d'inventaire": "asset_tag",
    "manufacturer": "make",
    "fabricant": "make",
    "model": "model",
    "modele": "model",
    "type": "kind",
    "location": "location",
    "lieu": "location",
    "status": "status",
    "statut": "status",
    "comments": "notes",
    "commentaires": "notes",
    "processor": "cpu",
    "processeur": "cpu",
    "memory": "ram",
    "memoire": "ram",
    "memory (mib)": "ram",
    "memoire (mio)": "ram",
    "hard drive size": "storage",
    "capacite du disque dur": "storage",
    "hard drive": "storage",
    "disque dur": "storage",
    "date of purchase": "year",
    "date d'achat": "year",
    "purchase date": "year",
}
#: Option groups GLPI prefixes to a column name ("<group> - <name>"); only these are stripped, so
#: that e.g. "Operating system - Name" is not taken for the computer's name.
GLPI_GROUPS = frozenset(
    {
        "components",
        "component",
        "composants",
        "composant",
        "financial and administrative information",
        "informations financieres et administratives",
    }
)

#: Snipe-IT asset list titles (``resources/lang/en-US/admin/hardware/{form,table}.php`` and
#: ``general.php``) and common custom-field names for specs.
SNIPEIT_HEADERS: dict[str, str] = {
    "asset tag": "asset_tag",
    "serial": "serial",
    "serial number": "serial",
    "model": "model",
    "manufacturer": "make",
    "category": "kind",
    "location": "location",
    "status": "status",
    "notes": "notes",
    "asset name": "name",
    "purchase date": "year",
    "purchased": "year",
    "ram": "ram",
    "memory": "ram",
    "memory (gb)": "ram",
    "ram (gb)": "ram",
    "cpu": "cpu",
    "processor": "cpu",
    "storage": "storage",
    "storage (gb)": "storage",
    "hdd": "storage",
    "ssd": "storage",
    "disk": "storage",
    "disk size": "storage",
    "hard drive": "storage",
    "screen size": "screen_in",
    "year": "year",
}

REQUIRED_BY_FORMAT: dict[ImportFormat, tuple[str, ...]] = {
    ImportFormat.NATIVE: NATIVE_REQUIRED,
    ImportFormat.GLPI: ("serial", "model"),
    ImportFormat.SNIPEIT: ("serial", "model"),
}

_SPACES = re.compile(r"\s+")


def normalise_header(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\ufeff", "").strip().strip('"').strip()
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).lower()


def _map_glpi(header: str) -> str | None:
    key = normalise_header(header)
    if key in GLPI_HEADERS:
        return GLPI_HEADERS[key]
    group, sep, name = key.partition(" - ")
    if sep and group in GLPI_GROUPS:
        return GLPI_HEADERS.get(name)
    return None


def _map_snipeit(header: str) -> str | None:
    return SNIPEIT_HEADERS.get(normalise_header(header))


def _map_native(header: str) -> str | None:
    key = normalise_header(header).replace(" ", "_")
    return key if key in NATIVE_FIELDS else None


_MAPPERS = {ImportFormat.NATIVE: _map_native, ImportFormat.GLPI: _map_glpi, ImportFormat.SNIPEIT: _map_snipeit}


def map_header(fmt: ImportFormat, header: list[str]) -> dict[int, str]:
    """Column index → canonical field; the first column wins when two map to one field."""
    mapper = _MAPPERS[fmt]
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, title in enumerate(header):
        field = mapper(title)
        if field is not None and field not in taken:
            mapping[index] = field
            taken.add(field)
    missing = [f for f in REQUIRED_BY_FORMAT[fmt] if f not in taken]
    if missing:
        raise FileError(
            f"The {fmt.value} file lacks the column(s): {', '.join(missing)}. Columns found: "
            + ", ".join(neutralise(h) for h in header if h.strip())
            + ".",
            field="file",
        )
    return mapping


# --- decoding and sniffing -----------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not), else Windows-1252, else Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileError(f"The file starts with a UTF-8 mark but is not UTF-8 (byte {exc.start}).") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that splits the header line (outside quotes) into most columns."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def neutralise(value: str) -> str:
    """Make a cell safe to echo back into anything a spreadsheet may open (CSV/formula injection,
    OWASP): a leading ``= + - @`` or tab/CR is prefixed with an apostrophe."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


#: A record of the file: the line where it starts and its cells (at least as many as the header
#: has columns, not stripped), or the line and why the csv module could not read it.
Record = tuple[int, list[str] | str]


@dataclass(frozen=True)
class ParsedFile:
    encoding: str
    delimiter: str
    #: Column index → canonical field name.
    columns: dict[int, str]
    #: The non-blank records, read lazily (once: ``rows`` reads the same ones).
    records: Iterator[Record]

    @property
    def rows(self) -> Iterator[SourceRow]:
        """The records as ``SourceRow``: a readable one with its non-empty cells of known columns
        (stripped), an unreadable one with only an ``__error__`` cell (reported on its line)."""
        items = tuple(self.columns.items())
        for line, record in self.records:
            if isinstance(record, str):
                yield SourceRow(line, {"__error__": record})
            else:
                yield SourceRow(line, {field: value for index, field in items if (value := record[index].strip())})


def read_rows(data: bytes, fmt: ImportFormat) -> ParsedFile:
    text, encoding = decode(data)
    if "\x00" in text:
        raise FileError("The file holds NUL bytes: it is not a CSV text file.")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise FileError("The file is empty or its first line (the header) is blank.")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileError(f"No readable header line: {exc}.") from exc
    columns = map_header(fmt, header)
    return ParsedFile(encoding, delimiter, columns, _records(reader, max(columns) + 1))


def _records(reader: Any, width: int) -> Iterator[Record]:
    """The records that are not blank (every cell empty or spaces), padded to ``width`` cells; a
    record the csv module cannot read is given as its error message, and reading goes on after it."""
    line = 2  # the line where the next record starts (reader.line_num counts physical lines read)
    while True:
        try:
            for record in reader:
                start = line
                line = reader.line_num + 1
                if not ((record and record[0].strip()) or "".join(record).strip()):
                    continue
                if len(record) < width:
                    record += [""] * (width - len(record))
                yield start, record
            return
        except csv.Error as exc:
            yield line, f"Unreadable CSV line: {exc}."
            line = reader.line_num + 1
