"""Live battery read: the only battery module that touches sysfs or runs a command.

Linux first: every ``/sys/class/power_supply/*`` entry whose ``type`` is ``Battery`` and whose
``scope`` is not ``Device`` (that would be a wireless mouse or keyboard, kernel ABI
``sysfs-class-power``) gives its ``uevent`` file unchanged, the input the battery parsers read.
Where there is none (an older kernel without ``uevent``), the readable attribute files are written
in the same ``POWER_SUPPLY_<NAME>=value`` form. When sysfs shows no battery, ``upower -i`` is asked
for each ``battery_*`` object (``upower -e``).

The sysfs root and the command runner are parameters, so tests use a folder and a fake runner.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SYSFS_POWER_SUPPLY = Path("/sys/class/power_supply")
COMMAND_TIMEOUT = 20.0

Runner = Callable[[list[str]], bytes | None]


@dataclass(frozen=True)
class RawBatteryReport:
    name: str  # BAT0, or the upower object path
    source: str  # where it was read: /sys/class/power_supply/BAT0/uevent, `upower -i …`
    content: bytes  # unchanged
    kind: str  # "sysfs" | "upower"

    @property
    def filename(self) -> str:
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.name.rsplit("/", 1)[-1])
        return f"battery-{stem or 'battery'}.{'uevent' if self.kind == 'sysfs' else 'upower'}.txt"


def run_command(cmd: list[str]) -> bytes | None:
    """stdout of ``cmd`` or None when it is missing or fails (a missing tool is not an error)."""
    exe = shutil.which(cmd[0])
    if exe is None:
        return None
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argument lists built in this module
            [exe, *cmd[1:]], capture_output=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def read_sysfs(root: Path = SYSFS_POWER_SUPPLY) -> list[RawBatteryReport]:
    if not root.is_dir():
        return []
    found: list[RawBatteryReport] = []
    for entry in sorted(root.iterdir()):
        if _read(entry / "type") != "Battery" or _read(entry / "scope") == "Device":
            continue
        uevent = entry / "uevent"
        try:
            content = uevent.read_bytes()
        except OSError:
            content = b""
        if content.strip():
            found.append(RawBatteryReport(entry.name, str(uevent), content, "sysfs"))
            continue
        lines = [f"POWER_SUPPLY_NAME={entry.name}"]
        for attr in sorted(p for p in entry.iterdir() if p.is_file() and p.name not in ("uevent",)):
            value = _read(attr)
            if value is not None and "\n" not in value:
                lines.append(f"POWER_SUPPLY_{attr.name.upper()}={value}")
        found.append(RawBatteryReport(entry.name, str(entry), ("\n".join(lines) + "\n").encode(), "sysfs"))
    return found


def read_upower(run: Runner = run_command) -> list[RawBatteryReport]:
    listing = run(["upower", "-e"])
    if not listing:
        return []
    found: list[RawBatteryReport] = []
    for line in listing.decode("utf-8", errors="replace").splitlines():
        path = line.strip()
        if "battery_" not in path.rsplit("/", 1)[-1]:
            continue
        content = run(["upower", "-i", path])
        if content and content.strip():
            found.append(RawBatteryReport(path, f"upower -i {path}", content, "upower"))
    return found


def probe_batteries(root: Path = SYSFS_POWER_SUPPLY, run: Runner = run_command) -> list[RawBatteryReport]:
    """This machine's batteries, from sysfs, else from upower; an empty list on a desktop."""
    return read_sysfs(root) or read_upower(run)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
