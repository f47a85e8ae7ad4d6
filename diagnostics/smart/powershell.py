"""Parse Windows PowerShell ``Get-PhysicalDisk | Get-StorageReliabilityCounter`` output into one
``DiskHealth`` per disk, as JSON (``| ConvertTo-Json``), as the default table, or as a list
(``| Format-List`` / ``| Select-Object *``).

JSON: one object (one disk) or a list of objects, with the ``MSFT_StorageReliabilityCounter``
properties (``DeviceId``, ``Temperature``, ``Wear``, ``PowerOnHours``, ``ReadErrorsUncorrected``,
``WriteErrorsUncorrected``, ``ReadErrorsCorrected``, ``WriteErrorsCorrected``,
``StartStopCycleCount``, ``LoadUnloadCycleCount`` …) and, when the script merged them in, the
``Get-PhysicalDisk`` ones (``FriendlyName``, ``SerialNumber``, ``MediaType``, ``BusType``,
``HealthStatus``, ``Size``). ``ConvertTo-Json`` of the bare CIM objects also writes
``CimClass``/``CimInstanceProperties``; those are ignored.

Table: the header line, the dashes line, one row per disk; PowerShell's default view shows
``DeviceId Temperature ReadErrorsUncorrected Wear PowerOnHours`` and leaves unknown values blank.
Columns are cut at the dashes.

List: ``Key : value`` lines, one block per disk, blocks apart by a blank line; a value too long
for the console (``ObjectId``) wraps onto indented lines. The key names are English whatever the
Windows language. What people paste is often a console transcript: the prompts, and the tables of
``Get-PhysicalDisk`` or ``Get-Disk`` run before, around the list. A table with a ``DeviceId`` (or
``Get-Disk``'s ``Number``, the same number for a disk that is not pooled) lends its
``FriendlyName``, ``SerialNumber``, ``MediaType``, ``BusType`` and ``HealthStatus`` to the list
block of that ``DeviceId``; a table row without either joins the row with the same serial number.

Mapping (Microsoft's MSFT_StorageReliabilityCounter documentation): ``Wear`` is the percentage
of the rated endurance used → ``endurance_used_percent`` with basis
``windows.reliability_counter.wear`` (``NvmeHealth.percentage_used`` on an NVMe bus), only for a
drive known to be flash (``MediaType`` SSD, NVMe bus, or an SSD model name): Windows writes 0 for
drives that report no wear. A wear reading alone (the usual output without administrator rights)
is graded for what it says, as limited data. The error and cycle counters are read for what the
bus says they are (Windows fills them from the drive's own logs):

- SATA / ATA / ATAPI (and USB, almost always a SATA drive behind a bridge): uncorrected read and
  write errors are the errors the drive reported to the host as uncorrectable, ATA's attribute 187
  (ACS Device Statistics 'Number of Reported Uncorrectable Errors'); ``LoadUnloadCycleCount`` and
  ``StartStopCycleCount`` are attributes 193 and 4. They are kept as those ATA counts (no
  vendor threshold: they never fail an attribute, they are read as counts).
- NVMe: the uncorrected errors are the SMART / Health log's media and data integrity errors.
- SAS, SCSI, Fibre Channel, iSCSI, RAID, or a bus not named: the SCSI error counter log's
  uncorrected and corrected counts, and its start-stop / load-unload cycle counters.

``HealthStatus`` Unhealthy → ``smart_passed`` False (Windows' storage stack says Unhealthy on a
SMART failure prediction), Healthy → True.

Refuses with ``ParseError`` naming the key or line: JSON of another shape (not an object or a
list of objects with ``DeviceId``), a disk listed twice, no disk, counters that are not whole
numbers, a table row longer than the header says, a list block with counters and no
``DeviceId`` (an edited or cut paste), a key given twice in one block, a disk with no counter at all.
"""

from __future__ import annotations

import re
from typing import Any

from diagnostics.errors import ParseError
from diagnostics.smart import _fleet
from diagnostics.smart.records import (
    AtaAttribute,
    DiskHealth,
    DiskIdentity,
    NvmeHealth,
    ScsiHealth,
    classify_device_type,
    plausible_hours,
)

JSON_FORMAT = "powershell-reliability-json"
TABLE_FORMAT = "powershell-reliability-table"
LIST_FORMAT = "powershell-reliability-list"

_COUNTER_KEYS = frozenset(
    {
        "Temperature",
        "Wear",
        "PowerOnHours",
        "ReadErrorsUncorrected",
        "ReadErrorsTotal",
        "WriteErrorsUncorrected",
        "StartStopCycleCount",
        "LoadUnloadCycleCount",
    }
)
_TABLE_HEADER = re.compile(r"^\s*DeviceId\s+\w")
_DASHES = re.compile(r"^[\s-]*-{2,}[\s-]*$")
_HEALTH = {"healthy": True, "unhealthy": False, "warning": None, "unknown": None}
#: Get-PhysicalDisk ``BusType`` (MSFT_PhysicalDisk documentation) → the interface we record.
_INTERFACES = {
    "nvme": "nvme",
    "sata": "ata",
    "ata": "ata",
    "atapi": "ata",
    "usb": "usb",
    "sas": "scsi",
    "scsi": "scsi",
    "fibre channel": "scsi",
    "iscsi": "scsi",
    "raid": "megaraid",
}
#: Buses whose counters are a SATA drive's own (USB: a SATA drive behind a bridge, as a rule).
_ATA_BUSES = frozenset({"ata", "usb"})


def is_reliability_json(doc: Any) -> bool:
    items = doc if isinstance(doc, list) else [doc]
    return bool(items) and all(
        isinstance(item, dict) and "DeviceId" in item and not _COUNTER_KEYS.isdisjoint(item) for item in items
    )


def looks_like_reliability_table(text: str) -> bool:
    lines = text.lstrip("\ufeff\r\n").splitlines()[:3]
    return (
        len(lines) >= 2
        and _TABLE_HEADER.match(lines[0]) is not None
        and not _COUNTER_KEYS.isdisjoint(lines[0].split())
        and _DASHES.match(lines[1]) is not None
    )


def parse_reliability_json(doc: Any, source: str) -> tuple[DiskHealth, ...]:
    items = doc if isinstance(doc, list) else [doc]
    if not items:
        raise ParseError(source, "PowerShell JSON lists no disk (empty list)")
    disks = []
    for index, item in enumerate(items):
        where = f"[{index}]" if isinstance(doc, list) else "DeviceId"
        item = _fleet.json_object(item, where, source)
        if "DeviceId" not in item:
            raise ParseError(source, f"{where}: no DeviceId, not a Get-StorageReliabilityCounter object")
        prefix = f"[{index}]." if isinstance(doc, list) else ""
        values = {key: (value, f"{prefix}{key}") for key, value in item.items()}
        disks.append(_disk(values, JSON_FORMAT, f"{prefix}DeviceId", source, from_json=True))
    _check_unique_ids(disks, items, source)
    return tuple(d for d, _ in disks)


def parse_reliability_table(text: str, source: str) -> tuple[DiskHealth, ...]:
    lines = text.lstrip("\ufeff").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or start + 1 >= len(lines) or not _DASHES.match(lines[start + 1]):
        raise ParseError(source, "PowerShell table has no header and dashes lines")
    header, dashes = lines[start], lines[start + 1]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    names = [header[a:b].strip() or header[a : b + 20].split()[0] for a, b in spans]
    if "DeviceId" not in names:
        raise ParseError(source, f"line {start + 1}: PowerShell table without a DeviceId column")
    disks = []
    ids = []
    for offset, line in enumerate(lines[start + 2 :], start + 3):
        if not line.strip():
            continue
        if len(line.rstrip()) > max(len(dashes.rstrip()), spans[-1][1]) + 2 and len(spans) > 0:
            raise ParseError(source, f"line {offset}: row is wider than the table's columns (not this table?)")
        values: dict[str, tuple[Any, str]] = {}
        for column, (name, (a, _b)) in enumerate(zip(names, spans, strict=True)):
            end = spans[column + 1][0] if column + 1 < len(spans) else len(line)
            cell = line[a:end].strip() if column else line[:end].strip()
            values[name] = (cell or None, f"line {offset}: {name}")
        disks.append(_disk(values, TABLE_FORMAT, f"line {offset}: DeviceId", source, from_json=False))
        ids.append((values["DeviceId"][0], f"line {offset}"))
    if not disks:
        raise ParseError(source, f"line {start + 2}: PowerShell table lists no disk")
    _fleet.check_unique(ids, source, "DeviceId", serials=False)
    return tuple(d for d, _ in disks)


_LIST_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*:(?:\s(.*))?$")
_LIST_DEVICE_ID = re.compile(r"^DeviceId\s*: ?\S", re.MULTILINE)
_LIST_COUNTER = re.compile(
    r"^(Wear|PowerOnHours|ReadErrorsUncorrected|ReadErrorsTotal|LoadUnloadCycleCount|StartStopCycleCount)\s*:",
    re.MULTILINE,
)
#: What a Get-PhysicalDisk / Get-Disk table lends to the list block of its disk.
_LENT_COLUMNS = ("FriendlyName", "SerialNumber", "MediaType", "BusType", "HealthStatus")


def looks_like_reliability_list(text: str) -> bool:
    head = text[:200_000]
    counters = {m.group(1) for m in _LIST_COUNTER.finditer(head)}
    # three counters without a DeviceId: a cut paste, refused by the parser with its line
    return bool(counters) and (_LIST_DEVICE_ID.search(head) is not None or len(counters) >= 3)


def parse_reliability_list(text: str, source: str) -> tuple[DiskHealth, ...]:
    """``Format-List`` / ``Select-Object *`` output of the reliability counters, alone or in a
    console transcript with Get-PhysicalDisk / Get-Disk tables (see the module docstring)."""
    if not isinstance(text, str):
        raise ParseError(source, f"expected text, got {type(text).__name__}")
    lines = text.lstrip("\ufeff").splitlines()
    blocks: list[tuple[int, dict[str, tuple[Any, str]]]] = []
    current: dict[str, tuple[Any, str]] | None = None
    last_key: str | None = None
    for number, line in enumerate(lines, 1):
        m = _LIST_LINE.match(line)
        if m is not None:
            if current is None:
                current = {}
                blocks.append((number, current))
            key, value = m.group(1), (m.group(2) or "").strip()
            if key in current:
                raise ParseError(source, f"line {number}: {key} given twice in one block")
            current[key] = (value or None, f"line {number}: {key}")
            last_key = key
        elif current is not None and line[:1].isspace() and line.strip() and last_key is not None:
            value, at = current[last_key]
            current[last_key] = (f"{value or ''}{line.strip()}", at)  # a value the console wrapped
        else:
            current, last_key = None, None
    lent = _table_rows(lines, source)
    disks = []
    ids = []
    for first_line, block in blocks:
        if "DeviceId" not in block:
            if not _COUNTER_KEYS.isdisjoint(block):
                raise ParseError(
                    source, f"line {first_line}: a block of counters without its DeviceId (cut or edited paste?)"
                )
            continue  # another object's list in the same transcript
        device_id = block["DeviceId"][0]
        for column in _LENT_COLUMNS:
            if block.get(column, (None,))[0] is None and device_id in lent and column in lent[device_id]:
                block[column] = lent[device_id][column]
        disks.append(_disk(block, LIST_FORMAT, f"line {first_line}: DeviceId", source, from_json=False))
        ids.append((device_id, block["DeviceId"][1]))
    if not disks:
        raise ParseError(source, "PowerShell list holds no reliability counter block with a DeviceId")
    _fleet.check_unique(ids, source, "DeviceId", serials=False)
    _fleet.check_unique(((d.identity.serial, where) for d, where in disks), source)
    return tuple(d for d, _ in disks)


def _table_rows(lines: list[str], source: str) -> dict[str, dict[str, tuple[Any, str]]]:
    """The rows of every Get-PhysicalDisk / Get-Disk table in a transcript, by DeviceId (or Get-Disk's
    Number); a row with neither joins the row with the same SerialNumber."""
    by_id: dict[str, dict[str, tuple[Any, str]]] = {}
    unnamed: list[dict[str, tuple[Any, str]]] = []
    for index in range(1, len(lines)):
        dashes = lines[index]
        if not _DASHES.match(dashes) or not lines[index - 1].strip():
            continue
        header = lines[index - 1]
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
        names = [header[a:b].strip() for a, b in spans]
        if not set(_LENT_COLUMNS).intersection(names):
            continue
        for offset in range(index + 1, len(lines)):
            line = lines[offset]
            if not line.strip() or _DASHES.match(line):  # each row is read by one table only: linear
                break
            row: dict[str, tuple[Any, str]] = {}
            for column, (name, (a, _b)) in enumerate(zip(names, spans, strict=True)):
                end = spans[column + 1][0] if column + 1 < len(spans) else len(line)
                cell = line[a:end].strip()
                if cell and not cell.startswith("...") and not cell.endswith("..."):  # cut by the console
                    row[name] = (cell, f"line {offset + 1}: {name}")
            key = (row.get("DeviceId") or row.get("Number") or (None,))[0]
            if key is None:
                if "SerialNumber" in row:  # only a serial number joins it to a numbered row
                    unnamed.append(row)
            else:
                by_id.setdefault(key, {}).update(row)
    by_serial = {known["SerialNumber"][0]: known for known in by_id.values() if "SerialNumber" in known}
    for row in unnamed:
        known = by_serial.get(row["SerialNumber"][0])
        if known is not None:
            for name, value in row.items():
                known.setdefault(name, value)
    return by_id


def _check_unique_ids(disks: list[tuple[DiskHealth, str]], items: list[Any], source: str) -> None:
    ids = []
    for index, item in enumerate(items):
        device_id = item.get("DeviceId")
        ids.append((None if device_id is None else str(device_id), f"[{index}].DeviceId"))
    _fleet.check_unique(ids, source, "DeviceId", serials=False)
    _fleet.check_unique(((d.identity.serial, where) for d, where in disks), source)


def _disk(
    values: dict[str, tuple[Any, str]], fmt: str, where: str, source: str, *, from_json: bool
) -> tuple[DiskHealth, str]:
    def num(key: str) -> int | None:
        value, at = values.get(key, (None, key))
        if from_json:
            return _fleet.json_count(value, at, source)
        return _fleet.optional_count(value, at, source)

    def text(key: str) -> str | None:
        value, at = values.get(key, (None, key))
        return _fleet.json_text(value, at, source)

    if values.get("DeviceId", (None,))[0] is None:
        raise ParseError(source, f"{where}: no DeviceId")
    wear = num("Wear")
    if wear is not None and not 0 <= wear <= 100:
        raise ParseError(source, f"{values['Wear'][1]}: {wear} is not a percentage")
    bus = (text("BusType") or "").lower()
    media = (text("MediaType") or "").upper()
    model = text("FriendlyName") or text("Model")
    read_unc, write_unc = num("ReadErrorsUncorrected"), num("WriteErrorsUncorrected")
    read_cor, write_cor = num("ReadErrorsCorrected"), num("WriteErrorsCorrected")
    start_stop, load_unload = num("StartStopCycleCount"), num("LoadUnloadCycleCount")
    rotation = 0 if media == "SSD" else None
    interface = _INTERFACES.get(bus)
    is_nvme = interface == "nvme"
    device_type = "hdd" if media == "HDD" else classify_device_type(interface, rotation, model, is_nvme)
    temperature = num("Temperature")
    if temperature == 0:
        temperature = None  # Windows writes 0 when the drive does not report it
    uncorrected = None if read_unc is None and write_unc is None else (read_unc or 0) + (write_unc or 0)
    scsi = None
    attributes: tuple[AtaAttribute, ...] = ()
    media_errors = None
    if interface in _ATA_BUSES:
        attributes = tuple(
            AtaAttribute(attr_id, name, None, None, None, value, str(value), "", False)
            for attr_id, name, value in (
                (0x04, "Start_Stop_Count", start_stop),
                (0xBB, "Reported_Uncorrect", uncorrected),
                (0xC1, "Load_Cycle_Count", load_unload),
            )
            if value is not None
        )
    elif is_nvme or device_type == "nvme":
        media_errors = uncorrected
    elif any(v is not None for v in (read_unc, write_unc, read_cor, write_cor, start_stop, load_unload)):
        scsi = ScsiHealth(
            read_uncorrected=read_unc,
            write_uncorrected=write_unc,
            read_corrected=read_cor,
            write_corrected=write_cor,
            start_stop_cycles=start_stop,
            load_unload_cycles=load_unload,
        )
    nvme_wear = wear if is_nvme or device_type == "nvme" else None
    nvme = (
        NvmeHealth(percentage_used=nvme_wear, temperature_c=temperature, media_errors=media_errors)
        if nvme_wear is not None or media_errors is not None
        else None
    )
    # Windows writes Wear 0 for drives that report none (spinning drives, most USB bridges): it is a
    # reading only for a drive known to be flash.
    ssd_wear = wear if device_type in {"ssd", "nvme"} else None
    health = text("HealthStatus")
    passed = _HEALTH.get(health.lower()) if health else None
    disk = DiskHealth(
        source_format=fmt,
        identity=DiskIdentity(
            model=model,
            serial=text("SerialNumber"),
            firmware=text("FirmwareVersion"),
            capacity_bytes=num("Size"),
            interface=interface,
            device_type=device_type,
            rotation_rpm=rotation,
        ),
        smart_passed=passed,
        # 0 hours is what Windows writes for a drive that does not report them (Microsoft's own
        # Format-List example: 0 hours beside 224 load cycles), as it does for the temperature.
        power_on_hours=plausible_hours(num("PowerOnHours") or None),
        temperature_c=temperature,
        attributes=attributes,
        nvme=nvme,
        scsi=scsi,
        endurance_used_percent=ssd_wear,
        endurance_basis="windows.reliability_counter.wear" if ssd_wear is not None else None,
    )
    if not disk.has_health_data:
        raise ParseError(
            source,
            f"{where}: disk {values['DeviceId'][0]} has no error counter, no health status and no wear of a drive "
            "known to be an SSD (add MediaType and BusType to the output; run PowerShell as administrator: the "
            "counters are blank otherwise)",
        )
    return disk, where
