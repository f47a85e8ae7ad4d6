"""Parse CrystalDiskInfo's text export (``DiskInfo.txt``: File > Save (text), or ``DiskInfo64.exe
/Copy``) into one ``DiskHealth`` per disk.

The export has a header (version banner, OS, date, controller map, a numbered disk list) then one
section per disk::

    ----------------------------------------------------------------------------
     (01) WDC WD30EFRX-68EUZN0
    ----------------------------------------------------------------------------
               Model : WDC WD30EFRX-68EUZN0
       Serial Number : WD-WMC4N0000000
      Power On Hours : 62382 hours
       Health Status : Good
    -- S.M.A.R.T. --------------------------------------------------------------
    ID Cur Wor Thr RawValues(6) Attribute Name
    05 200 200 140 000000000000 Reallocated Sectors Count

The key names are English in every UI language CrystalDiskInfo has; the values follow the UI
language ('62382 時間', 'Bon', 'heures'). French key names are accepted too, for exports edited or
produced by translated forks. ATA attribute ids and raw values are hexadecimal, normalised values
decimal padded with '_' ('_51'); an NVMe disk has a ``RawValues(7)`` table whose ids 01-0F are the
fields of the NVMe SMART / Health log in order. The hex dumps (IDENTIFY_DEVICE, SMART_READ_DATA …)
are skipped.

Health Status maps to ``smart_passed``: Good → True, Bad → False (CrystalDiskInfo says Bad when an
attribute is at or below its threshold, smartctl's FAILED), Caution and Unknown → None (Caution
flags counts such as reallocated sectors, which the grading reads from the attributes itself);
the words of other UI languages not in ``_HEALTH`` read as None.

Refuses with ``ParseError`` naming the line: no disk section, a disk listed twice, a disk section
without a health status or whose S.M.A.R.T. table is cut (truncated file), a disk list naming
more disks than the file holds, numbers that are not whole counts in one locale.
"""

from __future__ import annotations

import re

from diagnostics.errors import ParseError
from diagnostics.smart import _fleet
from diagnostics.smart.records import (
    AtaAttribute,
    DiskHealth,
    DiskIdentity,
    NvmeHealth,
    classify_device_type,
    plausible_hours,
)

SOURCE_FORMAT = "crystaldiskinfo-text"

_BANNER = re.compile(r"^CrystalDiskInfo \d+\.\d+", re.MULTILINE)
_DISK_HEADER = re.compile(r"^ \((\d{2,3})\) (\S.*?)\s*$")
_LIST_ROW = re.compile(r"^ \((\d{2,3})\) .+ : ")
_RULE = re.compile(r"^-{20,}\s*$")
_SECTION = re.compile(r"^-- (.+?) -+\s*$")
_KEY_VALUE = re.compile(r"^\s*([^:]{1,40}?)\s+:\s?(.*)$")
# Raw values are 6 bytes ('RawValues(6)') or, for some SSDs, 7 ('Raw Values (7)'): 12 or 14 hex digits.
_ATA_ROW = re.compile(
    r"^([0-9A-F]{2})\s+([_\d]{3}|---)\s+([_\d]{3}|---)\s+([_\d]{3}|---)\s+([0-9A-F]{12}(?:[0-9A-F]{2})?)\s*(.*)$"
)
_NVME_ROW = re.compile(r"^([0-9A-F]{2})\s+([0-9A-F]{12}(?:[0-9A-F]{2})?)\s*(.*)$")

#: Key names as CrystalDiskInfo writes them (English in every UI language), with French aliases.
_KEYS = {
    "model": "model",
    "modèle": "model",
    "firmware": "firmware",
    "micrologiciel": "firmware",
    "serial number": "serial",
    "numéro de série": "serial",
    "# of sectors": "sectors",
    "nombre de secteurs": "sectors",
    "rotation rate": "rotation",
    "vitesse de rotation": "rotation",
    "interface": "interface",
    "power on hours": "hours",
    "heures de fonctionnement": "hours",
    "durée de fonctionnement": "hours",
    "power on count": "cycles",
    "nombre de démarrages": "cycles",
    "nombre d'allumages": "cycles",
    "temperature": "temperature",
    "température": "temperature",
    "health status": "health",
    "état de santé": "health",
    "etat de santé": "health",
    "état": "health",
}

#: Health Status words → smart_passed: English, French, and the UI languages of the corpus exports
#: (Japanese, Russian). A word not listed reads as unknown (None), not as an error: CrystalDiskInfo has
#: some thirty UI languages and the grading reads the attributes anyway.
_HEALTH = {
    "хорошо": True,
    "тревога": None,
    "внимание": None,
    "плохо": False,
    "неизвестно": None,
    "good": True,
    "bon": True,
    "正常": True,
    "caution": None,
    "prudence": None,
    "attention": None,
    "注意": None,
    "bad": False,
    "mauvais": False,
    "異常": False,
    "unknown": None,
    "inconnu": None,
    "不明": None,
}

#: smartctl's names (smartmontools drivedb default presets) for the ATA ids the grading reads by
#: name, so a Japanese or French export grades like an English one.
_ATA_NAMES = {
    0x01: "Raw_Read_Error_Rate",
    0x03: "Spin_Up_Time",
    0x04: "Start_Stop_Count",
    0x05: "Reallocated_Sector_Ct",
    0x07: "Seek_Error_Rate",
    0x09: "Power_On_Hours",
    0x0A: "Spin_Retry_Count",
    0x0C: "Power_Cycle_Count",
    0xBB: "Reported_Uncorrect",
    0xC1: "Load_Cycle_Count",
    0xC2: "Temperature_Celsius",
    0xC4: "Reallocated_Event_Count",
    0xC5: "Current_Pending_Sector",
    0xC6: "Offline_Uncorrectable",
    0xC7: "UDMA_CRC_Error_Count",
}
_PREFAILURE_IDS = frozenset({0x01, 0x03, 0x05, 0x07, 0x0A})

#: NVMe SMART / Health log fields in CrystalDiskInfo's id order (NVMe base spec, log page 02h).
_NVME_FIELDS = (
    "critical_warning",
    "temperature_k",
    "available_spare",
    "available_spare_threshold",
    "percentage_used",
    "data_units_read",
    "data_units_written",
    "host_reads",
    "host_writes",
    "busy_time",
    "power_cycles",
    "power_on_hours",
    "unsafe_shutdowns",
    "media_errors",
    "num_err_log_entries",
)
_KELVIN = 273


def looks_like_crystaldiskinfo(text: str) -> bool:
    return bool(_BANNER.search(text, 0, 2000)) or (
        text.find("-- S.M.A.R.T. ---", 0, 20000) >= 0 and text.find("Health Status", 0, 20000) >= 0
    )


def parse_crystaldiskinfo(text: str, source: str) -> tuple[DiskHealth, ...]:
    """Every disk of one CrystalDiskInfo text export; ``source`` names it in errors."""
    if not isinstance(text, str):
        raise ParseError(source, f"expected text, got {type(text).__name__}")
    lines = text.splitlines()
    listed = [(int(m.group(1)), n) for n, line in enumerate(lines, 1) if (m := _LIST_ROW.match(line))]
    starts: list[int] = []
    numbers: list[str] = []
    for index, line in enumerate(lines):
        m = _DISK_HEADER.match(line)
        if (
            m
            and index > 0
            and _RULE.match(lines[index - 1])
            and index + 1 < len(lines)
            and _RULE.match(lines[index + 1])
        ):
            starts.append(index)
            numbers.append(m.group(1))
    if not starts:
        raise ParseError(source, "CrystalDiskInfo export lists no disk (no ' (01) model' section)")
    _fleet.check_unique(
        ((n, f"line {i + 1}") for n, i in zip(numbers, starts, strict=True)), source, "disk number", serials=False
    )
    disks = []
    for position, start in enumerate(starts):
        end = starts[position + 1] - 1 if position + 1 < len(starts) else len(lines)
        disks.append(_disk(lines, start, end, source))
    missing = sorted({number for number, _ in listed} - {int(n) for n in numbers})
    if missing:
        first_listed = next(n for number, n in listed if number == missing[0])
        raise ParseError(
            source,
            f"line {first_listed}: the disk list names disk ({missing[0]:02d}) but the file has no section for it "
            "(truncated export?)",
        )
    _fleet.check_unique(((d.identity.serial, f"disk {d.identity.model}") for d in disks), source)
    return tuple(disks)


def _disk(lines: list[str], start: int, end: int, source: str) -> DiskHealth:
    values: dict[str, tuple[str, int]] = {}
    section = ""
    attributes: list[AtaAttribute] = []
    nvme: dict[str, int] = {}
    table_header_line = 0
    for index in range(start + 2, end):
        line = lines[index]
        number = index + 1
        m = _SECTION.match(line)
        if m:
            section = m.group(1).strip()
            continue
        if not line.strip():
            continue
        if section == "":
            kv = _KEY_VALUE.match(line)
            if kv:
                key = _KEYS.get(kv.group(1).strip().lower())
                if key is not None:
                    if key in values:
                        raise ParseError(source, f"line {number}: {kv.group(1).strip()} given twice for one disk")
                    values[key] = (kv.group(2).strip(), number)
        elif section == "S.M.A.R.T.":
            if line.startswith("ID "):
                table_header_line = number
                continue
            row = _ATA_ROW.match(line)
            if row:
                attributes.append(_ata_attribute(row, number, source))
                continue
            nvme_row = _NVME_ROW.match(line)
            if nvme_row:
                field_id = int(nvme_row.group(1), 16)
                if 1 <= field_id <= len(_NVME_FIELDS):
                    nvme[_NVME_FIELDS[field_id - 1]] = int(nvme_row.group(2), 16)
                continue
            raise ParseError(source, f"line {number}: unreadable S.M.A.R.T. row {line.strip()[:60]!r}")
    header = lines[start].strip()
    if "health" not in values:
        raise ParseError(source, f"line {start + 1}: disk {header} has no Health Status (truncated export?)")
    if table_header_line and not attributes and not nvme:
        raise ParseError(source, f"line {table_header_line}: S.M.A.R.T. table of {header} has no rows (truncated?)")
    return _record(values, tuple(attributes), nvme, source)


def _ata_attribute(row: re.Match[str], line: int, source: str) -> AtaAttribute:
    attr_id = int(row.group(1), 16)
    cur, wor, thr = (None if g == "---" else int(g.replace("_", "") or "0") for g in row.group(2, 3, 4))
    raw_hex = row.group(5)
    raw = int(raw_hex, 16)
    label = row.group(6).strip()
    name = _ATA_NAMES.get(attr_id)
    if name is None:
        name = label.replace(" ", "_") if label.isascii() and label else "Unknown_Attribute"
    return AtaAttribute(attr_id, name, cur, wor, thr, raw, str(raw), "", attr_id in _PREFAILURE_IDS)


def _record(
    values: dict[str, tuple[str, int]], attributes: tuple[AtaAttribute, ...], nvme_fields: dict[str, int], source: str
) -> DiskHealth:
    def text(key: str) -> str | None:
        value = values.get(key)
        if value is None:
            return None
        stripped = value[0].strip()
        return None if not stripped or set(stripped) <= {"-", "*"} else stripped

    def number(key: str) -> int | None:
        value = values.get(key)
        if value is None:
            return None
        raw = value[0].split("(")[0]
        return _fleet.optional_count(_leading_number(raw), f"line {value[1]}: {key}", source)

    health_text, health_line = values["health"]
    health_word = health_text.split("(")[0].strip().lower()
    if not health_word:
        raise ParseError(source, f"line {health_line}: empty Health Status")
    model = text("model")
    interface_text = (text("interface") or "").lower()
    is_nvme = bool(nvme_fields) or "nvm express" in interface_text or "nvme" in interface_text
    rotation = _rotation(text("rotation"), values.get("rotation"), source)
    sectors = number("sectors")
    nvme = None
    temperature = number("temperature")
    if nvme_fields:
        kelvin = nvme_fields.get("temperature_k")
        nvme = NvmeHealth(
            critical_warning=nvme_fields.get("critical_warning"),
            temperature_c=kelvin - _KELVIN if kelvin else None,
            available_spare=nvme_fields.get("available_spare"),
            available_spare_threshold=nvme_fields.get("available_spare_threshold"),
            percentage_used=nvme_fields.get("percentage_used"),
            data_units_read=nvme_fields.get("data_units_read"),
            data_units_written=nvme_fields.get("data_units_written"),
            power_cycles=nvme_fields.get("power_cycles"),
            power_on_hours=nvme_fields.get("power_on_hours"),
            unsafe_shutdowns=nvme_fields.get("unsafe_shutdowns"),
            media_errors=nvme_fields.get("media_errors"),
            num_err_log_entries=nvme_fields.get("num_err_log_entries"),
        )
    interface = (
        "nvme" if is_nvme else ("usb" if "usb" in interface_text else ("ata" if "ata" in interface_text else None))
    )
    return DiskHealth(
        source_format=SOURCE_FORMAT,
        identity=DiskIdentity(
            model=model,
            serial=text("serial"),
            firmware=text("firmware"),
            capacity_bytes=sectors * 512 if sectors else None,
            interface=interface,
            device_type=classify_device_type(interface, rotation, model, is_nvme, attributes),
            rotation_rpm=rotation,
        ),
        smart_supported=True if attributes or nvme_fields else None,
        smart_passed=_HEALTH.get(health_word),
        power_on_hours=plausible_hours(number("hours")),
        power_cycles=number("cycles"),
        temperature_c=temperature,
        attributes=attributes,
        nvme=nvme,
    )


_LEADING = re.compile(r"^\s*[-+]?\d[\d,.' \u00a0\u202f]*")


def _leading_number(text: str) -> str:
    """The number part of a value ('62382 時間' → '62382', '60 001 heures' → '60 001', '40 C (104 F)' →
    '40 '), with what follows it kept when it is glued digits/separators, so '1,5' stays '1,5'."""
    m = _LEADING.match(text)
    return m.group(0).strip() if m else text


def _rotation(text: str | None, where: tuple[str, int] | None, source: str) -> int | None:
    """'5400 RPM' → 5400; '---- (SSD)' → 0; 'Unknown'/'不明' → None."""
    if text is None:
        return 0 if where and "SSD" in where[0] else None
    if "SSD" in text.upper():
        return 0
    if not text[:1].isdigit():
        return None
    return _fleet.count(_leading_number(text), f"line {where[1] if where else '?'}: Rotation Rate", source)
