"""Live SMART scan through pySMART: the only module of ``diagnostics`` that runs smartctl.

Everything goes through one seam, a pySMART ``Smartctl`` object (``generic_call(params)``), so that
tests replay saved outputs instead of touching disks: ``replay_smartctl(folder)`` answers each call
from the file named like pySMART's own test data ("_" + the smartctl arguments joined by "_", with
"/" and ":" turned into "_"; see the test corpus's smart/MANIFEST.tsv).

* ``discover`` lists the disks: ``smartctl --scan-open -j`` (smartmontools ≥ 7), or the text form
  pySMART's ``DeviceList`` reads (``/dev/sda -d sat # /dev/sda [SAT], ATA device``). Devices that
  smartctl could not open are returned as ``SkippedDevice`` with its reason.
* ``read_disk`` keeps smartctl's output **unchanged**: ``smartctl -x -j`` (the preferred, stored
  format, DESIGN §2.1), falling back to ``--all`` text for smartctl < 7 or when JSON is not there.
* ``run_selftest`` starts a short or long self-test with pySMART's ``Device.run_selftest`` and polls
  it, reporting progress and the time left (from the device's own estimate, "Please wait N
  minutes", or its recommended polling time).

pySMART is imported on first use, never at import time: its ``smartctl`` module sets
``os.environ["LANG"] = "C"`` when imported, which we undo (smartctl itself is run with ``LANG=C``
through our own ``Smartctl`` subclass so its output is not localised).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson

from diagnostics.errors import ProbeError

SELFTEST_KINDS = ("short", "long")

#: Fallback durations when the drive states none: ATA's recommended polling times are typically
#: 1-2 min (short) and 1-10 h (long) (smartmontools smartctl(8), "-t short/long").
DEFAULT_SELFTEST_SECONDS = {"short": 120.0, "long": 4 * 3600.0}

_sleep = time.sleep  # module attribute, so a test can make polling instant

_SCAN_LINE = re.compile(r"^(?P<name>\S+)\s+-d\s+(?P<type>\S+)(?:\s+#\s*(?P<info>.*))?$")


@dataclass(frozen=True)
class DiskCandidate:
    name: str  # what smartctl opens: /dev/sda, /dev/bus/0, IOService:/…
    interface: str | None  # smartctl -d type: sat, nvme, scsi, sat+megaraid,60 …
    info: str = ""


@dataclass(frozen=True)
class SkippedDevice:
    name: str
    reason: str


@dataclass(frozen=True)
class RawDiskReport:
    disk: DiskCandidate
    args: tuple[str, ...]  # the smartctl arguments that produced ``content``
    content: bytes  # smartctl's stdout, unchanged
    format: str  # "smartctl-json" | "smartctl-text"
    exit_status: int

    @property
    def filename(self) -> str:
        """A file name for ``--save`` that says which disk and which format."""
        stem = re.sub(r"[^A-Za-z0-9.,+@-]+", "_", self.disk.name).strip("_") or "disk"
        return f"smartctl-{stem}.{'json' if self.format == 'smartctl-json' else 'txt'}"


@dataclass(frozen=True)
class SelfTestOutcome:
    disk: DiskCandidate
    kind: str
    status: str  # "passed" | "failed" | "aborted" | "not_supported" | "busy" | "error" | "timeout"
    message: str
    estimate_seconds: float | None


# --- the seam ---------------------------------------------------------------------------------


def _import_pysmart() -> Any:
    """pySMART (``Smartctl``, ``Device``, ``DeviceList``), imported without keeping its
    import-time change of ``os.environ["LANG"]``."""
    saved = os.environ.get("LANG")
    try:
        import pySMART
        from pySMART.smartctl import Smartctl
    finally:
        if saved is None:
            os.environ.pop("LANG", None)
        else:
            os.environ["LANG"] = saved
    return SimpleNamespace(Smartctl=Smartctl, Device=pySMART.Device, DeviceList=pySMART.DeviceList)


def smartctl_path() -> str | None:
    return shutil.which("smartctl")


def default_smartctl(path: str | None = None) -> Any:
    """pySMART's ``Smartctl`` running the real binary, with raw output kept and ``LANG=C``."""
    pysmart = _import_pysmart()
    resolved = path or smartctl_path()
    if resolved is None:
        raise ProbeError("smartctl not found: install smartmontools (Debian/Ubuntu: apt install smartmontools)")

    class RawSmartctl(pysmart.Smartctl):  # type: ignore[misc, name-defined]
        """Keeps the undecoded stdout of every call, so saved reports are byte-for-byte smartctl's."""

        def call_raw(self, params: list[str]) -> tuple[bytes, int]:
            cmd = [self.smartctl_path, *params]
            env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
            try:
                proc = subprocess.run(cmd, capture_output=True, env=env, check=False)  # noqa: S603
            except OSError as exc:
                raise ProbeError(f"could not run {self.smartctl_path}: {exc}") from exc
            return proc.stdout, proc.returncode

        def _exec(self, cmd: list[str]) -> tuple[list[str], int]:
            env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
            proc = subprocess.run(cmd, capture_output=True, env=env, check=False)  # noqa: S603
            return proc.stdout.decode("utf-8", errors="replace").splitlines(), proc.returncode

    return RawSmartctl(smartctl_path=resolved, options=[])


def replay_file_name(params: list[str]) -> str:
    """pySMART's test-data naming: "_" + args joined by "_", "/" → "_" (and ":" on macOS paths)."""
    return "_" + "_".join(params).replace("/", "_").replace(":", "_")


def replay_smartctl(folder: Path) -> Any:
    """A pySMART ``Smartctl`` whose calls are answered from saved files in ``folder``.

    A missing file answers like a device smartctl cannot open (no output, exit status 2). A file
    holding only a relative path to another file (a git symlink checked out as text) is followed.
    """
    pysmart = _import_pysmart()
    root = Path(folder)

    class ReplaySmartctl(pysmart.Smartctl):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__(smartctl_path="smartctl-replay", options=[])
            self.calls: list[list[str]] = []

        def call_raw(self, params: list[str]) -> tuple[bytes, int]:
            self.calls.append(list(params))
            path = root / replay_file_name(params)
            if not path.is_file():
                return b"", 2
            content = path.read_bytes()
            target = content.strip()
            if 0 < len(target) < 512 and not any(c in target for c in b" \t\n"):
                linked = (path.parent / target.decode("utf-8", "replace")).resolve()
                if linked.is_file():
                    content = linked.read_bytes()
            return content, 0

        def generic_call(self, params: list[str], pass_options: bool = False) -> tuple[list[str], int]:
            content, rc = self.call_raw(list(params))
            return content.decode("utf-8", errors="replace").splitlines(), rc

    return ReplaySmartctl()


def _call_raw(smartctl: Any, params: list[str]) -> tuple[bytes, int]:
    call_raw = getattr(smartctl, "call_raw", None)
    if callable(call_raw):
        content, rc = call_raw(params)
        return bytes(content), int(rc)
    lines, rc = smartctl.generic_call(params)  # any other pySMART Smartctl: lines only
    return ("\n".join(lines) + "\n").encode(), int(rc)


# --- checks -------------------------------------------------------------------------------------


def is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or geteuid() == 0  # no euid (Windows): smartctl itself will say


def check_can_probe(*, root: bool | None = None, path: str | None = None) -> str:
    """The smartctl path, or ``ProbeError`` saying plainly what is missing."""
    resolved = path or smartctl_path()
    if resolved is None:
        raise ProbeError("smartctl not found: install smartmontools (Debian/Ubuntu: apt install smartmontools)")
    if not (is_root() if root is None else root):
        raise ProbeError(
            "reading SMART data needs root: run `sudo relife-bench scan` (without root smartctl cannot open the disks)"
        )
    return resolved


# --- discovery and reading ----------------------------------------------------------------------


def discover(smartctl: Any) -> tuple[list[DiskCandidate], list[SkippedDevice]]:
    """The disks smartctl can open, and those it lists but cannot open (with the reason)."""
    content, _rc = _call_raw(smartctl, ["--scan-open", "-j"])
    found: list[DiskCandidate] = []
    skipped: list[SkippedDevice] = []
    doc = _json_or_none(content)
    if isinstance(doc, dict) and "smartctl" in doc:
        for dev in doc.get("devices") or []:
            if not isinstance(dev, dict) or not isinstance(dev.get("name"), str):
                continue
            if dev.get("open_error"):
                skipped.append(SkippedDevice(dev["name"], str(dev["open_error"])))
                continue
            found.append(DiskCandidate(dev["name"], _str_or_none(dev.get("type")), str(dev.get("info_name") or "")))
        return found, skipped

    # smartctl < 7 or a replayed pySMART listing: the text form DeviceList reads.
    content, _rc = _call_raw(smartctl, ["--scan-open"])
    for line in content.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):  # "# /dev/sdb -d scsi # /dev/sdb, SCSI device open failed: …"
            body = line.lstrip("# ")
            name = body.split()[0] if body else "?"
            reason = body.split("open failed:", 1)[1].strip() if "open failed:" in body else body
            skipped.append(SkippedDevice(name, reason))
            continue
        match = _SCAN_LINE.match(line)
        if match is None:
            continue
        info = match.group("info") or ""
        if "open failed" in info:
            skipped.append(SkippedDevice(match.group("name"), info.split("open failed:", 1)[-1].strip()))
            continue
        found.append(DiskCandidate(match.group("name"), match.group("type"), info))
    return found, skipped


def read_disk(smartctl: Any, disk: DiskCandidate) -> RawDiskReport:
    """``smartctl -x -j`` for one disk, or ``--all`` text when JSON is unavailable."""
    dev = ["-d", disk.interface] if disk.interface else []
    json_args = [*dev, "-x", "-j", disk.name]
    content, rc = _call_raw(smartctl, json_args)
    doc = _json_or_none(content)
    if isinstance(doc, dict) and "smartctl" in doc and not _json_says_unreadable(doc, rc):
        return RawDiskReport(disk, tuple(json_args), content, "smartctl-json", rc)

    text_args = [*dev, "--all", disk.name]
    text, text_rc = _call_raw(smartctl, text_args)
    if text.strip() and not (text_rc & 0b11 and b"=== START OF" not in text):
        return RawDiskReport(disk, tuple(text_args), text, "smartctl-text", text_rc)
    reason = _json_messages(doc) if isinstance(doc, dict) else ""
    raise ProbeError(
        f"{disk.name}: smartctl could not read it"
        + (f" ({reason})" if reason else f" (exit status {rc if content else text_rc})")
    )


def _json_says_unreadable(doc: dict[str, Any], rc: int) -> bool:
    """smartctl exit bits 0-1: command line not parsed / device open failed (smartctl(8))."""
    return bool(rc & 0b11) and not any(k in doc for k in ("model_name", "device", "serial_number"))


def _json_messages(doc: dict[str, Any]) -> str:
    smartctl = doc.get("smartctl")
    messages = smartctl.get("messages") if isinstance(smartctl, dict) else None
    if not isinstance(messages, list):
        return ""
    return "; ".join(str(m.get("string")) for m in messages if isinstance(m, dict) and m.get("string"))


# --- self-tests ---------------------------------------------------------------------------------


def run_selftest(
    smartctl: Any,
    disk: DiskCandidate,
    kind: str,
    *,
    on_progress: Callable[[float, float | None], None] | None = None,
    poll_seconds: float | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    timeout: float | None = None,
) -> SelfTestOutcome:
    """Run a ``short`` or ``long`` self-test and wait for it, calling ``on_progress(percent, seconds_left)``.

    The drive keeps working during the test (offline mode). Returns how it ended; never raises
    for a drive that refuses or fails the test (that is data, not an error).
    """
    if kind not in SELFTEST_KINDS:
        raise ProbeError(f"unknown self-test {kind!r}: use one of {', '.join(SELFTEST_KINDS)}")
    pysmart = _import_pysmart()
    try:
        device = pysmart.Device(disk.name, interface=disk.interface, smartctl=smartctl)
    except Exception as exc:  # pySMART raises bare exceptions on odd devices
        return SelfTestOutcome(disk, kind, "error", f"pySMART could not open it: {exc}", None)

    estimate = _estimate_seconds(device, kind)
    try:
        code, message, eta = device.run_selftest(kind, ETA_type="seconds")
    except Exception as exc:
        return SelfTestOutcome(disk, kind, "error", f"could not start the test: {exc}", estimate)
    if code == 1:
        return SelfTestOutcome(disk, kind, "busy", str(message), estimate)
    if code == 2:  # pySMART's documented return codes
        return SelfTestOutcome(disk, kind, "not_supported", str(message), estimate)
    if code != 0:
        return SelfTestOutcome(disk, kind, "error", str(message), estimate)
    if isinstance(eta, int | float) and eta > 0:
        estimate = float(eta)

    poll = poll_seconds if poll_seconds is not None else min(60.0, max(5.0, (estimate or 120.0) / 50))
    limit = timeout if timeout is not None else 3 * (estimate or DEFAULT_SELFTEST_SECONDS[kind]) + 900
    wait = sleep or _sleep
    started = clock()
    if on_progress is not None:
        on_progress(0.0, estimate)
    while True:
        wait(poll)
        elapsed = clock() - started
        try:
            status, result, progress = device.get_selftest_result()
        except Exception as exc:
            return SelfTestOutcome(disk, kind, "error", f"lost the test's status: {exc}", estimate)
        if status != 1:
            break
        if elapsed > limit:
            return SelfTestOutcome(disk, kind, "timeout", f"still running after {elapsed:.0f} s", estimate)
        if on_progress is not None:
            percent = float(progress) if isinstance(progress, int | float) else None
            if percent is None and estimate:
                percent = min(99.0, 100.0 * elapsed / estimate)
            left = max(0.0, estimate - elapsed) if estimate else None
            if percent is not None and estimate and percent > 0:
                left = max(0.0, elapsed * (100.0 - percent) / percent)
            on_progress(percent if percent is not None else 0.0, left)

    if status == 2 and device.tests:  # no *new* entry: same hour as the previous test
        result = device.tests[0]
    if on_progress is not None:
        on_progress(100.0, 0.0)
    text = str(getattr(result, "status", result))
    lowered = text.lower()
    if status == 3 or "abort" in lowered:
        return SelfTestOutcome(disk, kind, "aborted", text, estimate)
    if "without error" in lowered or (lowered.startswith("completed") and "fail" not in lowered):
        return SelfTestOutcome(disk, kind, "passed", text, estimate)
    return SelfTestOutcome(disk, kind, "failed", text, estimate)


def _estimate_seconds(device: Any, kind: str) -> float | None:
    """The drive's recommended polling time (minutes, from its capabilities), else a typical figure."""
    minutes = getattr(device, "test_polling_time", {}).get(kind)
    if isinstance(minutes, int | float) and minutes > 0:
        return float(minutes) * 60.0
    return DEFAULT_SELFTEST_SECONDS.get(kind)


def _json_or_none(content: bytes) -> Any:
    head = content.lstrip()[:1]
    if head != b"{":
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
