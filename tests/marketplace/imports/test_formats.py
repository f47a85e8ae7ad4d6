"""Reading the three layouts, encodings, delimiters and units (no database)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from marketplace.imports.formats import FileError, ImportFormat, decode, neutralise, read_rows, sniff_delimiter
from marketplace.imports.mapping import Converter, DeviceInput, RowError, convert, kind_of, ram_gb, storage_gb

SAMPLES = Path(__file__).parent / "samples"


def rows_of(data: bytes, fmt: ImportFormat) -> list[DeviceInput | list[RowError]]:
    parsed = read_rows(data, fmt)
    return [convert(row, fmt, current_year=2026) for row in parsed.rows]


def test_native_sample_rows_and_errors_by_line() -> None:
    results = rows_of((SAMPLES / "native.csv").read_bytes(), ImportFormat.NATIVE)
    good = [r for r in results if isinstance(r, DeviceInput)]
    bad = [e for r in results if isinstance(r, list) for e in r]
    assert [d.asset_tag for d in good] == ["LYO-0001", "LYO-0002", "LYO-0003", "LYO-0004", "LYO-0005", "LYO-0008"]
    assert good[0].specs == {
        "cpu": "Intel Core i5-8350U",
        "ram_gb": 16,
        "storage_gb": 256,
        "storage_type": "ssd",
        "screen_in": 14,
        "year": 2018,
    }
    assert good[2].specs["ram_gb"] == 8 and good[2].specs["storage_gb"] == 1000  # 8192 MB, 1 TB
    assert [(e.row, e.field) for e in bad] == [(7, "ram_gb"), (8, "kind"), (10, "kind")]


def test_formula_cells_are_neutralised_when_echoed() -> None:
    results = rows_of((SAMPLES / "native.csv").read_bytes(), ImportFormat.NATIVE)
    (error,) = results[-1]  # type: ignore[misc]
    assert "'=cmd|" in error.message and " =cmd" not in error.message
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(value).startswith("'")
    assert neutralise("ThinkPad") == "ThinkPad"


def test_glpi_english_export_with_bom_trailing_delimiter_and_multi_values() -> None:
    parsed = read_rows((SAMPLES / "glpi_en.csv").read_bytes(), ImportFormat.GLPI)
    assert (parsed.encoding, parsed.delimiter) == ("utf-8-sig", ";")
    results = [convert(row, ImportFormat.GLPI, current_year=2026) for row in parsed.rows]
    server = results[2]
    assert isinstance(server, DeviceInput)
    assert (server.kind, server.make, server.asset_tag) == ("server", "HPE", "INV-2018-0200")
    assert server.specs == {"cpu": "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz", "ram_gb": 64}
    laptop = results[1]
    assert isinstance(laptop, DeviceInput) and laptop.kind == "laptop" and laptop.specs["ram_gb"] == 16  # 16384 MiB
    assert results[3] == [RowError(5, "serial", "A serial number or an asset tag is needed to match the device.")]


def test_glpi_french_export_in_windows_1252_with_crlf() -> None:
    parsed = read_rows((SAMPLES / "glpi_fr_cp1252.csv").read_bytes(), ImportFormat.GLPI)
    assert parsed.encoding == "cp1252"
    results = [convert(row, ImportFormat.GLPI, current_year=2026) for row in parsed.rows]
    desktop, laptop, screen, bad = results
    assert isinstance(desktop, DeviceInput) and desktop.location == "Mairie > Secrétariat"
    assert (desktop.kind, desktop.specs["ram_gb"]) == ("desktop", 8)  # 8 Gio
    assert isinstance(laptop, DeviceInput) and (laptop.kind, laptop.specs["ram_gb"]) == ("laptop", 4)  # 4096 Mio
    assert isinstance(screen, DeviceInput) and screen.kind == "screen" and screen.location == "Mairie > Accueil"
    assert isinstance(bad, list) and {(e.row, e.field) for e in bad} == {(5, "kind"), (5, "ram_gb")}


def test_snipeit_export() -> None:
    results = rows_of((SAMPLES / "snipeit.csv").read_bytes(), ImportFormat.SNIPEIT)
    laptop, desktop, screen, tablet, bad = results
    assert isinstance(laptop, DeviceInput)
    assert (laptop.kind, laptop.make, laptop.model, laptop.serial, laptop.asset_tag) == (
        "laptop",
        "Lenovo",
        "ThinkPad T490",
        "PC0ABC12",
        "UL-000101",
    )
    assert laptop.specs == {
        "cpu": "Intel Core i5-8265U",
        "ram_gb": 16,
        "storage_gb": 512,
        "storage_type": "ssd",
        "year": 2019,
    }
    assert isinstance(desktop, DeviceInput) and desktop.location == "Campus Berges du Rhône"
    assert isinstance(screen, DeviceInput) and screen.kind == "screen"
    assert isinstance(tablet, DeviceInput) and tablet.kind == "tablet"
    assert isinstance(bad, list) and bad[0].field == "kind" and "Coffee Machines" in bad[0].message


def test_missing_required_column_is_a_file_error() -> None:
    with pytest.raises(FileError, match="lacks the column"):
        read_rows(b"serial,make\nX,Dell\n", ImportFormat.NATIVE)
    with pytest.raises(FileError, match="lacks the column"):
        read_rows((SAMPLES / "snipeit.csv").read_bytes(), ImportFormat.GLPI)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("é".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "é".encode(), "utf-8-sig"),
        ("é€".encode("cp1252"), "cp1252"),
        (b"\x81\xe9", "latin-1"),  # 0x81 is undefined in cp1252
    ],
)
def test_encoding_detection(data: bytes, encoding: str) -> None:
    assert decode(data)[1] == encoding


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("a,b,c", ","),
        ('"Name";"Serial number";', ";"),
        ("a\tb\tc", "\t"),
        ("a|b|c", "|"),
        ('"a;b",c,d', ","),  # a delimiter inside quotes does not count
        ("single", ","),
    ],
)
def test_delimiter_sniffing(line: str, delimiter: str) -> None:
    assert sniff_delimiter(line) == delimiter


def test_same_file_with_other_delimiter_and_encoding_reads_the_same() -> None:
    text = (SAMPLES / "native.csv").read_text(encoding="utf-8")
    semicolon = text.replace(",", ";").encode("cp1252", errors="replace")
    assert len(rows_of(semicolon, ImportFormat.NATIVE)) == len(rows_of(text.encode(), ImportFormat.NATIVE))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Laptop", "laptop"),
        ("Notebook", "laptop"),
        ("Portable", "laptop"),
        ("Ordinateur portable", "laptop"),
        ("Laptops", "laptop"),
        ("Desktop", "desktop"),
        ("Tower", "desktop"),
        ("Mini Tower", "desktop"),
        ("Tour", "desktop"),
        ("All in One", "desktop"),
        ("Rack Mount Chassis", "server"),
        ("Serveur", "server"),
        ("Monitor", "screen"),
        ("Écran", "screen"),
        ("Displays", "screen"),
        ("Mobile Phones", "phone"),
        ("Smartphone", "phone"),
        ("Tablette", "tablet"),
        ("Other", "other"),
        ("Toaster", None),
    ],
)
def test_kind_mapping(text: str, kind: str | None) -> None:
    assert kind_of(text) == kind


@pytest.mark.parametrize(
    ("text", "glpi", "gb"),
    [
        ("8", False, 8),
        ("8 GB", False, 8),
        ("8GB", False, 8),
        ("8192 MB", False, 8),
        ("8 Go", False, 8),
        ("8 Gio", True, 8),
        ("8192 MiB", True, 8),
        ("8192", True, 8),  # GLPI's memory column is in MiB
        ("16", True, 16),
        ("0,5 Go", False, 0.5),
        ("huit", False, None),
        ("8 parsecs", False, None),
    ],
)
def test_memory_units(text: str, glpi: bool, gb: float | None) -> None:
    assert ram_gb(text, bare_unit_mib=glpi) == gb


@pytest.mark.parametrize(
    ("text", "gb"),
    [("256", 256), ("512 GB", 512), ("1 TB", 1000), ("500 Go", 500), ("476.9 GiB", 512), ("1 To", 1000), ("x", None)],
)
def test_storage_units(text: str, gb: int | None) -> None:
    assert storage_gb(text, bare_unit_mib=False) == gb


def test_blank_lines_are_skipped_and_line_numbers_follow_the_file() -> None:
    data = (
        b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n\n"
        b'A1,S1,laptop,Dell,"Latitude\n5490",i5,8,256,2018\nA2,S2,laptop,Dell,X,i5,nope,256,2018\n'
    )
    results = rows_of(data, ImportFormat.NATIVE)
    assert isinstance(results[0], DeviceInput) and results[0].line == 3
    assert results[1] == [RowError(5, "ram_gb", "Not a memory size: 'nope' (e.g. 8, 8 GB, 8192 MB, 8 Go).")]


#: Records the fast path must read like the rows: a cell past the header's known columns, a short
#: record, blank and space-only lines, an over-long serial, an empty first cell, a stray quote.
EDGE_CASES = (
    b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year,state,grade\n"
    b"A1,S1,laptop,Dell,X,i5,8,256,2018,registered,B\n"
    b" A2 , S2 ,Laptops, HP ,Y,,16 GB,1 TB SSD,2019\n"
    b"\n  ,  , ,\n"
    b",,,,,,,,,only-unknown\n"
    b"A3," + b"S" * 121 + b",tablet,Apple,iPad,,,,2030\n"
    b',S4,phone,"Fair""phone",4,,,,\n'
    b'A5,S5,laptop,Dell,"X\n' + b"A6,S6,desktop,HP,Z,,8,256,2018\n"
)


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        ((SAMPLES / "native.csv").read_bytes(), ImportFormat.NATIVE),
        ((SAMPLES / "glpi_en.csv").read_bytes(), ImportFormat.GLPI),
        ((SAMPLES / "glpi_fr_cp1252.csv").read_bytes(), ImportFormat.GLPI),
        ((SAMPLES / "snipeit.csv").read_bytes(), ImportFormat.SNIPEIT),
        (EDGE_CASES, ImportFormat.NATIVE),
        (
            b"year;model;serial;asset_tag;kind;make;cpu;ram_gb;storage_gb;cosmetic_grade\n"
            b"2018;X;S1;;laptop;Dell;;8;;good\n2019;Y;S2;T2;desktop;HP;i5;;512;scratched\n",
            ImportFormat.NATIVE,
        ),
    ],
    ids=["native", "glpi_en", "glpi_fr", "snipeit", "edge_cases", "optional_columns_missing"],
)
def test_records_convert_like_rows(data: bytes, fmt: ImportFormat) -> None:
    """The importer converts ``ParsedFile.records`` by cell index; the outcome is the one of
    ``convert`` on the ``SourceRow`` of each record, line numbers and errors included."""
    expected = [(row.line, convert(row, fmt, current_year=2026)) for row in read_rows(data, fmt).rows]
    parsed = read_rows(data, fmt)
    converter = Converter(fmt, current_year=2026, columns=parsed.columns)
    assert [(line, converter.record(line, record)) for line, record in parsed.records] == expected
    assert len(expected) >= 2


def test_records_with_both_names_of_a_column_fall_back_to_the_cells() -> None:
    """Were a layout to map both ``ram_gb`` and ``ram``, the record path reads the cells like a row:
    ``ram_gb`` first, ``ram`` when it is empty."""
    columns = {0: "serial", 1: "ram_gb", 2: "ram"}
    converter = Converter(ImportFormat.NATIVE, current_year=2026, columns=columns)
    first = converter.record(2, ["S1", "", "16"])
    second = converter.record(3, ["S2", "8", "16"])
    assert isinstance(first, DeviceInput) and first.specs == {"ram_gb": 16}
    assert isinstance(second, DeviceInput) and second.specs == {"ram_gb": 8}
