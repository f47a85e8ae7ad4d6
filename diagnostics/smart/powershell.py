"""Parse Windows PowerShell ``Get-PhysicalDisk | Get-StorageReliabilityCounter`` output into one
``DiskHealth`` per disk, as JSON (``| ConvertTo-Json``) or as the default table.

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

Mapping (Microsoft's MSFT_StorageReliabilityCounter documentation): ``Wear`` is the percentage
of the rated endurance used → ``endurance_used_percent`` (``NvmeHealth.percentage_used`` on an
NVMe bus); the read/write error counters → ``ScsiHealth`` uncorrected/corrected counts (the same
counters the SCSI error counter log carries); ``HealthStatus`` Unhealthy → ``smart_passed`` False
(Windows' storage stack says Unhealthy on a SMART failure prediction), Healthy → True.

Refuses with ``ParseError`` naming the key or line: JSON of another shape (not an object or a
list of objects with ``DeviceId``), a disk listed twice, no disk, counters that are not whole
numbers, a table row longer than the header says, a disk with no counter at all.
"""

from __future__ import annotations

import re
from typing import Any

from diagnostics.errors import ParseError
from diagnostics.smart import _fleet
from diagnostics.smart.records import (
    DiskHealth,
    DiskIdentity,
    NvmeHealth,
    ScsiHealth,
    classify_device_type,
    plausible_hours,
)

JSON_FORMAT = "powershell-reliability-json"
TABLE_FORMAT = "powershell-reliability-table"

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
    is_nvme = bus == "nvme"
    read_unc, write_unc = num("ReadErrorsUncorrected"), num("WriteErrorsUncorrected")
    read_cor, write_cor = num("ReadErrorsCorrected"), num("WriteErrorsCorrected")
    start_stop, load_unload = num("StartStopCycleCount"), num("LoadUnloadCycleCount")
    counters = (read_unc, write_unc, read_cor, write_cor, start_stop, load_unload)
    scsi = None
    if any(v is not None for v in counters):
        scsi = ScsiHealth(
            read_uncorrected=read_unc,
            write_uncorrected=write_unc,
            read_corrected=read_cor,
            write_corrected=write_cor,
            start_stop_cycles=start_stop,
            load_unload_cycles=load_unload,
        )
    temperature = num("Temperature")
    if temperature == 0:
        temperature = None  # Windows writes 0 when the drive does not report it
    nvme = NvmeHealth(percentage_used=wear, temperature_c=temperature) if is_nvme and wear is not None else None
    health = text("HealthStatus")
    passed = _HEALTH.get(health.lower()) if health else None
    rotation = 0 if media == "SSD" else None
    interface = {"nvme": "nvme", "sata": "ata", "ata": "ata", "sas": "scsi", "usb": "usb", "raid": "megaraid"}.get(bus)
    disk = DiskHealth(
        source_format=fmt,
        identity=DiskIdentity(
            model=model,
            serial=text("SerialNumber"),
            firmware=text("FirmwareVersion"),
            capacity_bytes=num("Size"),
            interface=interface,
            device_type="hdd" if media == "HDD" else classify_device_type(interface, rotation, model, is_nvme),
            rotation_rpm=rotation,
        ),
        smart_passed=passed,
        power_on_hours=plausible_hours(num("PowerOnHours")),
        temperature_c=temperature,
        nvme=nvme,
        scsi=scsi,
        endurance_used_percent=wear,
    )
    if not disk.has_health_data:
        raise ParseError(
            source,
            f"{where}: disk {values['DeviceId'][0]} has no error counter, wear on an NVMe bus or health status "
            "(run PowerShell as administrator: the counters are blank otherwise)",
        )
    return disk, where
