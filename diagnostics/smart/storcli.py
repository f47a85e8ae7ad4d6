"""Parse Broadcom/LSI ``storcli /cX/eall/sall show all`` output (text, or JSON with the ``J``
suffix) into one ``DiskHealth`` per physical drive behind the MegaRAID controller.

Each drive has a block ``Drive /c0/e252/s0 :`` with its table row (EID:Slt DID State DG Size Intf
Med … Model), then ``Drive /c0/e252/s0 State :`` (``Media Error Count``, ``Other Error Count``,
``Drive Temperature``, ``Predictive Failure Count``, ``S.M.A.R.T alert flagged by drive``) and
``Drive /c0/e252/s0 Device attributes :`` (``SN``, ``Model Number``, ``Firmware Revision``,
``Raw size``).

Mapping onto the records the grading reads (the controller's counters, not the drive's SMART log):

* ``S.M.A.R.T alert flagged by drive = Yes``, a ``Predictive Failure Count`` above 0, or a drive
  state the controller gives a failed drive (``UBad``, ``Failed``, ``Offln``) → ``smart_passed``
  False; ``= No`` with none of those → True;
* ``Media Error Count`` → ``ScsiHealth.read_uncorrected`` (medium errors the drive returned to
  the controller, its SCSI error counters' uncorrected count);
* ``Other Error Count`` → ``ScsiHealth.non_medium_errors`` (link, timeout, command errors).

For the drive's own attribute table, use ``smartctl -d megaraid,N`` (N = the DID column), which
the smartctl parsers already read. Refuses with ``ParseError`` naming the line: no drive block,
a drive listed twice, a drive block without its State section (truncated), counts that are not
whole numbers.
"""

from __future__ import annotations

import re
from typing import Any

from diagnostics.errors import ParseError
from diagnostics.smart import _fleet
from diagnostics.smart.records import DiskHealth, DiskIdentity, ScsiHealth, classify_device_type

SOURCE_FORMAT = "storcli-text"
JSON_FORMAT = "storcli-json"

_DRIVE = re.compile(r"^Drive (/c\d+/e\d+/s\d+|/c\d+/s\d+) :\s*$")
_SUBSECTION = re.compile(r"^Drive (/c\d+/(?:e\d+/)?s\d+) (State|Device attributes|Policies/Settings) :\s*$")
_KV = re.compile(r"^\s*([^=]+?)\s*=\s*(.*?)\s*$")
_ROW = re.compile(r"^\s*(\d+|\s*):(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+([\d.,]+ [KMGT]?B)\s+(\S+)\s+(\S+)\s+.*$")
_FAILED_STATES = frozenset({"UBad", "Failed", "Offln", "UBUnsp"})
_SIZE = re.compile(r"\[0x([0-9a-fA-F]+) Sectors\]")


def looks_like_storcli(text: str) -> bool:
    head = text[:200_000]
    return "S.M.A.R.T alert flagged by drive" in head or (
        "Media Error Count" in head and re.search(r"^Drive /c\d+/", head, re.MULTILINE) is not None
    )


def parse_storcli(text: str, source: str) -> tuple[DiskHealth, ...]:
    if not isinstance(text, str):
        raise ParseError(source, f"expected text, got {type(text).__name__}")
    drives: dict[str, dict[str, tuple[str, str]]] = {}
    first_line: dict[str, int] = {}
    current: str | None = None
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        m = _DRIVE.match(line)
        if m:
            name = m.group(1)
            if name in drives:
                raise ParseError(
                    source, f"line {number}: drive {name} is listed twice (first at line {first_line[name]})"
                )
            drives[name] = {}
            first_line[name] = number
            current, section = name, "table"
            continue
        m = _SUBSECTION.match(line)
        if m:
            current = m.group(1)
            if current not in drives:
                drives[current] = {}
                first_line[current] = number
            section = m.group(2)
            drives[current][f"@{section}"] = ("", f"line {number}")
            continue
        if current is None:
            continue
        fields = drives[current]
        if section == "table":
            row = _ROW.match(line)
            if row and "@row" not in fields:
                fields["@row"] = (line, f"line {number}")
                fields["@state"] = (row.group(4), f"line {number}")
                fields["@did"] = (row.group(3), f"line {number}")
                fields["@intf"] = (row.group(7), f"line {number}")
                fields["@med"] = (row.group(8), f"line {number}")
            continue
        kv = _KV.match(line)
        if kv and section in {"State", "Device attributes"}:
            fields.setdefault(kv.group(1), (kv.group(2), f"line {number}"))
    if not drives:
        raise ParseError(source, "storcli output lists no drive (no 'Drive /cX/eY/sZ' block)")
    disks = [_drive(name, fields, f"line {first_line[name]}", source) for name, fields in drives.items()]
    _fleet.check_unique(((d.identity.serial, f"drive {n}") for d, n in zip(disks, drives, strict=True)), source)
    return tuple(disks)


def is_storcli_json(doc: Any) -> bool:
    """``storcli /cX/eall/sall show all J``: {"Controllers": [{"Command Status": …, "Response Data": …}]}."""
    if not isinstance(doc, dict) or set(doc) != {"Controllers"}:
        return False
    controllers = doc["Controllers"]
    return isinstance(controllers, list) and any(isinstance(c, dict) and "Command Status" in c for c in controllers)


def parse_storcli_json(doc: Any, source: str) -> tuple[DiskHealth, ...]:
    """The same drives from storcli's JSON output (the ``J`` suffix), keys as in the text."""
    controllers = doc.get("Controllers") if isinstance(doc, dict) else None
    if not isinstance(controllers, list):
        raise ParseError(source, "Controllers: expected the list of controllers")
    disks: list[tuple[DiskHealth, str]] = []
    seen: dict[str, str] = {}
    for c_index, controller in enumerate(controllers):
        where_c = f"Controllers[{c_index}]"
        controller = _fleet.json_object(controller, where_c, source)
        status = controller.get("Command Status")
        if isinstance(status, dict) and status.get("Status") not in (None, "Success"):
            reason = status.get("Description") or status.get("Detailed Status") or status.get("Status")
            raise ParseError(source, f"{where_c}.Command Status: storcli failed ({str(reason)[:80]})")
        data = _fleet.json_object(controller.get("Response Data", {}), f"{where_c}.Response Data", source)
        for key, rows in data.items():
            m = re.fullmatch(r"Drive (/c\d+/(?:e\d+/)?s\d+)", key)
            if m is None:
                continue
            name = m.group(1)
            where = f"{where_c}.Response Data.{key}"
            if name in seen:
                raise ParseError(source, f"{where}: drive {name} is listed twice (first at {seen[name]})")
            seen[name] = where
            fields = _json_fields(name, rows, data.get(f"{key} - Detailed Information"), where, source)
            disks.append((_drive(name, fields, where, source, JSON_FORMAT), where))
    if not disks:
        raise ParseError(source, "storcli JSON lists no drive (no 'Drive /cX/eY/sZ' key in any Response Data)")
    _fleet.check_unique(((d.identity.serial, w) for d, w in disks), source)
    return tuple(d for d, _ in disks)


def _json_fields(name: str, rows: Any, detail: Any, where: str, source: str) -> dict[str, tuple[str, str]]:
    fields: dict[str, tuple[str, str]] = {}
    if not isinstance(rows, list) or not rows:
        raise ParseError(source, f"{where}: expected the drive's table row (a list of one object)")
    row = _fleet.json_object(rows[0], f"{where}[0]", source)
    for column, key in (("State", "@state"), ("DID", "@did"), ("Intf", "@intf"), ("Med", "@med")):
        text = _fleet.json_text(row.get(column), f"{where}[0].{column}", source)
        if text is not None:
            fields[key] = (text, f"{where}[0].{column}")
    if detail is None:
        return fields
    detail_where = f"{where} - Detailed Information"
    detail = _fleet.json_object(detail, detail_where, source)
    for section in ("State", "Device attributes"):
        block = detail.get(f"Drive {name} {section}")
        if block is None:
            continue
        block_where = f"{detail_where}.Drive {name} {section}"
        block = _fleet.json_object(block, block_where, source)
        fields[f"@{section}"] = ("", block_where)
        for key, value in block.items():
            text = _fleet.json_text(value, f"{block_where}.{key}", source) if not isinstance(value, list) else None
            if text is not None:
                fields[key] = (text, f"{block_where}")
    return fields


def _drive(
    name: str, fields: dict[str, tuple[str, str]], where: str, source: str, fmt: str = SOURCE_FORMAT
) -> DiskHealth:
    if "@State" not in fields:
        raise ParseError(source, f"{where}: drive {name} has no State section (truncated output?)")

    def count(key: str) -> int | None:
        value = fields.get(key)
        if value is None:
            return None
        return _fleet.optional_count(value[0], f"{value[1]}: {key}", source)

    def text(key: str) -> str | None:
        value = fields.get(key)
        return value[0].strip() or None if value is not None else None

    media = count("Media Error Count")
    other = count("Other Error Count")
    predictive = count("Predictive Failure Count")
    alert_field = fields.get("S.M.A.R.T alert flagged by drive")
    alert: bool | None = None
    if alert_field is not None:
        word = alert_field[0].strip().lower()
        if word not in {"yes", "no"}:
            raise ParseError(source, f"{alert_field[1]}: S.M.A.R.T alert flagged by drive is {alert_field[0]!r}")
        alert = word == "yes"
    state = text("@state")
    if alert is None and predictive is None and media is None:
        raise ParseError(source, f"{where}: drive {name} State section holds no counter (truncated output?)")
    failed = bool(alert) or bool(predictive) or state in _FAILED_STATES
    passed: bool | None = False if failed else (True if alert is False else None)
    temperature = fields.get("Drive Temperature")
    temp = None
    if temperature is not None and temperature[0][:1].isdigit():
        temp = _fleet.count(temperature[0].split("C")[0], f"{temperature[1]}: Drive Temperature", source)
    interface = (text("@intf") or "").lower() or None
    medium = (text("@med") or "").upper()
    model = text("Model Number")
    size = _SIZE.search(text("Raw size") or "")
    rotation = 0 if medium == "SSD" else None
    return DiskHealth(
        source_format=fmt,
        identity=DiskIdentity(
            model=model,
            serial=text("SN"),
            firmware=text("Firmware Revision"),
            capacity_bytes=int(size.group(1), 16) * 512 if size else None,
            interface="megaraid",
            device_type=classify_device_type(interface, rotation, model, False) if medium != "HDD" else "hdd",
            rotation_rpm=rotation,
            vendor=text("Manufacturer Id"),
        ),
        smart_passed=passed,
        temperature_c=temp,
        scsi=ScsiHealth(read_uncorrected=media, non_medium_errors=other),
    )
