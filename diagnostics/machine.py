"""What the machine says it is: make, model, serial, CPU and installed RAM, read from ``dmidecode``
text (``dmidecode -t system -t processor -t memory``, or a full dump) and from macOS
``system_profiler SPHardwareDataType`` text (or a full ``system_profiler`` dump holding its
"Hardware Overview"), and from ``lshw -json`` (the top-level ``"class": "system"`` node, or a list
holding it, as lshw B.02.19+ prints).

It is identity, not health: the component it becomes (``ComponentKind.MACHINE``) carries no
finding and never sets a grade (``grading.device`` skips it). The marketplace compares it with the
device's registered specs and serial (``marketplace.devices.reconcile``).

Vendors leave placeholders in SMBIOS strings ("To Be Filled By O.E.M.", "System Serial Number",
"Default string" …): they are read as unknown (None), never as a serial or a model. RAM is the sum of
the populated SMBIOS type 17 "Memory Device" sizes (type 6 "Memory Module" on old boards that have
no type 17), in GB (1 GB = 1024 MB, as SMBIOS counts).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from diagnostics.errors import ParseError
from diagnostics.models import Assessment, ComponentKind, ComponentReport, Grade, Health

DMIDECODE = "dmidecode-machine"
SYSTEM_PROFILER = "system_profiler-hardware"
LSHW_JSON = "lshw-json"
POLICY = "identity only: no grade (diagnostics.machine)"

_HANDLE = re.compile(r"^Handle 0x[0-9A-Fa-f]+, DMI type (\d+),", re.MULTILINE)
_MACHINE_TYPES = frozenset({"1", "4", "17"})
_FIELD = re.compile(r"^[ \t]+([^:\n]+?):[ \t]*(.*?)[ \t]*$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(kB|KB|MB|GB|TB)\b")
_UNIT_GB = {"kB": 1 / 1024**2, "KB": 1 / 1024**2, "MB": 1 / 1024, "GB": 1.0, "TB": 1024.0}
#: SMBIOS strings vendors leave unset (compared lower-case, spaces squeezed).
PLACEHOLDERS = frozenset(
    {
        "",
        "to be filled by o.e.m.",
        "to be filled by oem",
        "system serial number",
        "system manufacturer",
        "system product name",
        "system version",
        "default string",
        "not specified",
        "not applicable",
        "none",
        "unknown",
        "n/a",
        "0",
        "0123456789",
        "123456789",
        "oem",
        "o.e.m.",
        "invalid",
        "----",
    }
)


class MachineInfo(NamedTuple):
    """One machine's identity as its firmware reports it (None where unknown or a placeholder)."""

    make: str | None
    model: str | None
    serial: str | None
    cpu: str | None
    ram_gb: float | None


def _value(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = " ".join(raw.split())
    return None if text.lower() in PLACEHOLDERS else text


def detect_machine_format(text: str) -> str | None:
    """DMIDECODE or SYSTEM_PROFILER when ``text`` holds a machine's identity, else None."""
    if any(m.group(1) in _MACHINE_TYPES for m in _HANDLE.finditer(text)):
        return DMIDECODE
    if re.search(r"^\s*Hardware Overview:\s*$", text, re.MULTILINE):
        return SYSTEM_PROFILER
    return None


def _dmi_blocks(text: str) -> list[tuple[str, int, dict[str, tuple[int, str]]]]:
    """(DMI type, line number of the handle, {field: (line number, value)}) of each structure."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[tuple[str, int, dict[str, tuple[int, str]]]] = []
    fields: dict[str, tuple[int, str]] | None = None
    indent: int | None = None
    for number, line in enumerate(lines, start=1):
        handle = _HANDLE.match(line)
        if handle:
            fields, indent = {}, None
            blocks.append((handle.group(1), number, fields))
            continue
        if fields is None or not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" \t"))
        if depth == 0:
            continue  # the structure's title ("System Information"), or text after the table
        if indent is None:
            indent = depth
        if depth > indent:
            continue  # a list item under a field (Flags, Characteristics …)
        found = _FIELD.match(line)
        if found:
            fields.setdefault(found.group(1).strip(), (number, found.group(2)))
    return blocks


def _size_gb(raw: str, source: str, line: int) -> float:
    """A memory size ("8 GB", "1024 MB", "No Module Installed") in GB; 0 for an empty slot."""
    text = raw.strip()
    if not text or text.lower().startswith(("no module", "not installed", "unknown", "none")):
        return 0.0
    found = _SIZE.match(text)
    if not found:
        raise ParseError(source, f"line {line}: memory size {text!r} is not a size (e.g. '8 GB', '1024 MB')")
    return float(found.group(1)) * _UNIT_GB[found.group(2)]


def parse_dmidecode(text: str, source: str) -> MachineInfo:
    blocks = _dmi_blocks(text)
    if not any(kind in _MACHINE_TYPES for kind, _, _ in blocks):
        raise ParseError(source, "no dmidecode System (type 1), Processor (type 4) or Memory Device (type 17)")
    make = model = serial = cpu = None
    for kind, _line, fields in blocks:
        if kind == "1" and make is None and model is None and serial is None:
            make = _value(fields.get("Manufacturer", (0, ""))[1])
            model = _value(fields.get("Product Name", (0, ""))[1])
            serial = _value(fields.get("Serial Number", (0, ""))[1])
        elif kind == "4" and cpu is None:
            cpu = _value(fields.get("Version", (0, ""))[1])
    memory = [(line, fields) for kind, line, fields in blocks if kind == "17"]
    size_key = "Size"
    if not memory:
        memory = [(line, fields) for kind, line, fields in blocks if kind == "6"]
        size_key = "Installed Size"
    ram_gb: float | None = None
    if memory:
        total = 0.0
        for line, fields in memory:
            if size_key not in fields:
                raise ParseError(source, f"line {line}: memory device without a '{size_key}' field")
            number, raw = fields[size_key]
            total += _size_gb(raw, source, number)
        ram_gb = round(total, 2) if total > 0 else None
    return MachineInfo(make, model, serial, cpu, ram_gb)


def parse_system_profiler(text: str, source: str) -> MachineInfo:
    """The "Hardware Overview" of ``system_profiler SPHardwareDataType`` (or of a full dump)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == "Hardware Overview:"), None)
    if start is None:
        raise ParseError(source, "no 'Hardware Overview:' section (system_profiler SPHardwareDataType)")
    fields: dict[str, tuple[int, str]] = {}
    header = len(lines[start]) - len(lines[start].lstrip())
    indent: int | None = None
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth <= header or (indent is not None and depth < indent):
            break  # the next section
        if indent is None:
            indent = depth
        key, sep, value = line.strip().partition(":")
        if sep and depth == indent:
            fields.setdefault(key.strip(), (number, value.strip()))
    if not fields:
        raise ParseError(source, f"line {start + 1}: 'Hardware Overview:' holds no field")
    cpu = _value(fields.get("Chip", (0, ""))[1]) or _value(fields.get("Processor Name", (0, ""))[1])
    ram_gb = None
    if "Memory" in fields:
        number, raw = fields["Memory"]
        ram_gb = _size_gb(raw, source, number) or None
    return MachineInfo(
        make="Apple",
        model=_value(fields.get("Model Name", (0, ""))[1]),
        serial=_value(fields.get("Serial Number (system)", (0, ""))[1]),
        cpu=cpu,
        ram_gb=ram_gb,
    )


def is_lshw_json(doc: Any) -> bool:
    """True for ``lshw -json`` output: an object whose ``class`` is "system", or a list of them."""
    if isinstance(doc, list):
        return bool(doc) and all(isinstance(node, dict) and node.get("class") == "system" for node in doc)
    return isinstance(doc, dict) and doc.get("class") == "system"


def _lshw_children(node: dict[str, Any], path: str, source: str) -> list[dict[str, Any]]:
    children = node.get("children", [])
    if not isinstance(children, list) or not all(isinstance(child, dict) for child in children):
        raise ParseError(source, f"{path}: key 'children' is not a list of objects")
    return children


def _lshw_bytes(node: dict[str, Any], path: str, source: str) -> int | None:
    if "size" not in node:
        return None
    size = node["size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ParseError(source, f"{path}: key 'size' is {size!r}, not a number of bytes")
    units = node.get("units", "bytes")
    if units != "bytes":
        raise ParseError(source, f"{path}: key 'units' is {units!r}, not 'bytes'")
    return size


def _lshw_text(node: dict[str, Any], key: str, path: str, source: str) -> str | None:
    raw = node.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ParseError(source, f"{path}: key {key!r} is {raw!r}, not a string")
    return _value(raw)


def parse_lshw_json(doc: Any, source: str) -> MachineInfo:
    """The top-level system node (vendor, product, serial), the first processor's product and the
    "System Memory" nodes' size (their banks' sizes summed when lshw gives no total), in GB."""
    root = doc[0] if isinstance(doc, list) and doc else doc
    if not isinstance(root, dict) or root.get("class") != "system":
        raise ParseError(source, "lshw -json: the top level has no object with key 'class' = 'system'")
    cpu: str | None = None
    ram_bytes = 0
    stack: list[tuple[dict[str, Any], str]] = [(root, "/")]
    while stack:
        node, path = stack.pop()
        children = _lshw_children(node, path, source)
        node_id = node.get("id")
        if not isinstance(node_id, str):
            node_id = "?"
        if node.get("class") == "processor" and cpu is None:
            cpu = _lshw_text(node, "product", path, source) or _lshw_text(node, "version", path, source)
        elif node.get("class") == "memory" and (node_id == "memory" or node_id.startswith("memory:")):
            total = _lshw_bytes(node, path, source)
            if total is None:
                banks = (_lshw_bytes(bank, f"{path}/{bank.get('id', '?')}", source) for bank in children)
                total = sum(size or 0 for size in banks)
            ram_bytes += total
            continue  # its banks are counted in its size
        # Depth first, in document order: the first processor is the first one lshw lists.
        stack.extend((child, f"{path.rstrip('/')}/{child.get('id', '?')}") for child in reversed(children))
    return MachineInfo(
        make=_lshw_text(root, "vendor", "/", source),
        model=_lshw_text(root, "product", "/", source),
        serial=_lshw_text(root, "serial", "/", source),
        cpu=cpu,
        ram_gb=round(ram_bytes / 1024**3, 2) if ram_bytes else None,
    )


def lshw_report(doc: Any, source: str) -> ComponentReport:
    return _report(parse_lshw_json(doc, source), LSHW_JSON)


def machine_report(text: str, source: str, fmt: str) -> ComponentReport:
    info = parse_dmidecode(text, source) if fmt == DMIDECODE else parse_system_profiler(text, source)
    return _report(info, fmt)


def _report(info: MachineInfo, fmt: str) -> ComponentReport:
    identity: dict[str, Any] = {"make": info.make, "model": info.model, "serial": info.serial}
    measurements: dict[str, Any] = {"cpu": info.cpu, "ram_gb": info.ram_gb}
    return ComponentReport(
        component=ComponentKind.MACHINE,
        format=fmt,
        identity=identity,
        measurements=measurements,
        # Identity only: unknown health, the grade of a component we know nothing about (ignored
        # by assess_device, which skips machine components altogether).
        assessment=Assessment(Health.UNKNOWN, Grade.C, (), None, POLICY),
        replaceable=False,
        record=info,
    )


#: What ``relife-bench scan --save`` asks dmidecode for: the machine, its processors, its memory.
DMIDECODE_ARGS = ("-t", "system", "-t", "processor", "-t", "memory")
DMIDECODE_FILENAME = "dmidecode.txt"


def probe_dmidecode(*, root: bool, timeout: float = 30.0) -> tuple[bytes | None, str]:
    """Run ``dmidecode -t system -t processor -t memory``: (its output, "") when it ran and printed
    a machine's identity, else (None, why not). Never raises: the scan goes on without it."""
    import shutil
    import subprocess

    path = shutil.which("dmidecode")
    if path is None:
        return None, "dmidecode not installed"
    if not root:
        return None, "dmidecode needs root (run the scan with sudo)"
    try:
        done = subprocess.run([path, *DMIDECODE_ARGS], capture_output=True, timeout=timeout, check=False)  # noqa: S603 (a fixed argument list)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"dmidecode did not run ({exc})"
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        return None, f"dmidecode exited {done.returncode}" + (f": {why[0]}" if why else "")
    if detect_machine_format(done.stdout.decode("utf-8", "replace")) != DMIDECODE:
        return None, "dmidecode printed no system, processor or memory structure"
    return done.stdout, ""
