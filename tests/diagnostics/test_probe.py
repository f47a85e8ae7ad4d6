"""Live probes, tested through their seams: pySMART's Smartctl replaying saved outputs, a folder
standing for /sys/class/power_supply, and once the real smartctl binary."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from diagnostics import read_report
from diagnostics.battery import probe as battery_probe
from diagnostics.cli import cli
from diagnostics.errors import ProbeError
from diagnostics.smart import probe
from tests.diagnostics.conftest import CORPUS

PYSMART = CORPUS / "smart" / "pysmart"
LISTINGS = sorted(p for p in (PYSMART / "listingtests").iterdir() if p.is_dir())


def test_replay_names_follow_pysmarts_test_data() -> None:
    assert probe.replay_file_name(["-d", "nvme", "--all", "/dev/nvme0"]) == "_-d_nvme_--all__dev_nvme0"
    assert probe.replay_file_name(["--scan-open"]) == "_--scan-open"
    assert probe.replay_file_name(["-d", "ata", "--all", "IOService:/A/B"]) == "_-d_ata_--all_IOService__A_B"


@pytest.mark.parametrize("folder", LISTINGS, ids=lambda p: p.name)
def test_every_listed_disk_is_discovered_read_unchanged_and_graded(folder: Path) -> None:
    smartctl = probe.replay_smartctl(folder)
    disks, skipped = probe.discover(smartctl)
    assert disks, "the listing names at least one disk"
    assert skipped == []
    for disk in disks:
        assert disk.interface
        raw = probe.read_disk(smartctl, disk)
        assert raw.format == "smartctl-text"  # the pySMART corpus holds --all text, no -x -j
        assert raw.args == ("-d", disk.interface, "--all", disk.name)
        (report,) = read_report(raw.content, disk.name)
        assert report.component.value == "disk"
        assert report.assessment.grade.value in "ABCDF"
    # JSON was asked for first, then text: the preferred format is tried before the fallback.
    assert ["-d", disks[0].interface, "-x", "-j", disks[0].name] in smartctl.calls


def test_scan_open_json_is_preferred_and_open_errors_are_reported(tmp_path: Path) -> None:
    doc = {
        "json_format_version": [1, 0],
        "smartctl": {"version": [7, 3], "exit_status": 0},
        "devices": [
            {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
            {
                "name": "/dev/sdb",
                "info_name": "/dev/sdb",
                "type": "scsi",
                "protocol": "SCSI",
                "open_error": "Permission denied",
            },
        ],
    }
    (tmp_path / "_--scan-open_-j").write_bytes(orjson.dumps(doc))
    disks, skipped = probe.discover(probe.replay_smartctl(tmp_path))
    assert disks == [probe.DiskCandidate("/dev/sda", "sat", "/dev/sda [SAT]")]
    assert skipped == [probe.SkippedDevice("/dev/sdb", "Permission denied")]


def test_json_output_is_kept_when_smartctl_gives_it(tmp_path: Path) -> None:
    source = next((CORPUS / "smart" / "smartctl_exporter").glob("*.json"))
    (tmp_path / "_-d_sat_-x_-j__dev_sda").write_bytes(source.read_bytes())
    raw = probe.read_disk(probe.replay_smartctl(tmp_path), probe.DiskCandidate("/dev/sda", "sat"))
    assert raw.format == "smartctl-json"
    assert raw.content == source.read_bytes()
    assert raw.filename == "smartctl-dev_sda.json"


def test_an_unreadable_disk_is_a_probe_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="/dev/sdz: smartctl could not read it"):
        probe.read_disk(probe.replay_smartctl(tmp_path), probe.DiskCandidate("/dev/sdz", "sat"))


def test_checks_say_plainly_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProbeError, match="needs root"):
        probe.check_can_probe(root=False, path="/usr/sbin/smartctl")
    monkeypatch.setattr(probe, "smartctl_path", lambda: None)
    with pytest.raises(ProbeError, match="install smartmontools"):
        probe.check_can_probe(root=True)


# --- self-test -----------------------------------------------------------------------------------

ATA = PYSMART / "singletests" / "sata_hdd_1_issue46"
ATA_ALL = (ATA / "_-d_ata_--all__dev_sdau").read_text()
RUNNING = ATA_ALL.replace(
    "Self-test execution status:      (   0)\tThe previous self-test routine completed\n"
    "\t\t\t\t\twithout error or no self-test has ever \n\t\t\t\t\tbeen run.",
    "Self-test execution status:      ( 249)\tSelf-test routine in progress...\n\t\t\t\t\t{left}% of test remaining.",
)
DONE_LOG = (
    "SMART Self-test log structure revision number 1\n"
    "Num  Test_Description    Status                  Remaining  LifeTime(hours)  LBA_of_first_error\n"
    "# 1  Short offline       {status}       {left}%     28000         {lba}\n"
)


def scripted_smartctl(
    status: str, left: str = "00", lba: str = "-", devices: tuple[str, ...] = ("/dev/sdau",), together: bool = False
) -> Any:
    """A replaying Smartctl whose ATA drives each run a short test: two polls in progress, then a log
    entry with ``status``. With ``together``, a drive's test only starts once every drive's has
    (a barrier): run one after the other, the tests would fail."""
    base = type(probe.replay_smartctl(ATA))
    barrier = threading.Barrier(len(devices), timeout=10) if together else None

    class Scripted(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.polls: dict[str, int] = {}

        def call_raw(self, params: list[str]) -> tuple[bytes, int]:
            if params == ["--scan-open"]:
                return "".join(f"{d} -d ata # {d}, ATA device\n" for d in devices).encode(), 0
            device = params[-1]
            if "-t" in params:
                if barrier is not None:
                    barrier.wait()
                self.polls[device] = 0
                eta = time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(time.time() + 120))
                return (f"Testing has begun.\nPlease wait 2 minutes.\nTest will complete after {eta}\n").encode(), 0
            if "--all" in params and device in self.polls:
                self.polls[device] += 1
                if self.polls[device] <= 2:
                    return RUNNING.format(left=90 if self.polls[device] == 1 else 40).encode(), 0
                log = DONE_LOG.format(status=status, left=left, lba=lba)
                text = ATA_ALL.replace(
                    "SMART Self-test log structure revision number 1\n"
                    "No self-tests have been logged.  [To run self-tests, use: smartctl -t]\n",
                    log,
                )
                return text.encode(), 0
            if "--all" in params:
                return ATA_ALL.encode(), 0
            return super().call_raw(params)

    return Scripted()


@pytest.mark.parametrize(
    ("status", "left", "lba", "expected"),
    [("Completed without error", "00", "-", "passed"), ("Completed: read failure", "90", "1234567", "failed")],
)
def test_selftest_reports_progress_time_left_and_outcome(status: str, left: str, lba: str, expected: str) -> None:
    smartctl = scripted_smartctl(status, left, lba)
    progress: list[tuple[float, float | None]] = []
    sleeps: list[float] = []
    outcome = probe.run_selftest(
        smartctl,
        probe.DiskCandidate("/dev/sdau", "ata"),
        "short",
        on_progress=lambda p, left: progress.append((p, left)),
        sleep=sleeps.append,
    )
    assert outcome.status == expected, outcome
    assert outcome.estimate_seconds and 60 <= outcome.estimate_seconds <= 180  # "2 minutes"
    percents = [p for p, _ in progress]
    assert percents[0] == 0.0 and percents[-1] == 100.0
    assert 10.0 in percents and 60.0 in percents  # 90 % then 40 % of the test remaining
    assert all(left is not None for _, left in progress)
    assert len(sleeps) == 3


def test_selftest_the_drive_cannot_run_is_reported_not_raised() -> None:
    outcome = probe.run_selftest(
        probe.replay_smartctl(ATA), probe.DiskCandidate("/dev/sdau", "ata"), "long", sleep=lambda _s: None
    )
    assert outcome.status in {"error", "not_supported"}  # the replay has no "-t long" answer
    with pytest.raises(ProbeError, match="unknown self-test"):
        probe.run_selftest(probe.replay_smartctl(ATA), probe.DiskCandidate("/dev/sdau", "ata"), "conveyance")


# --- battery -------------------------------------------------------------------------------------


def test_sysfs_batteries_are_read_unchanged_and_peripherals_skipped(tmp_path: Path) -> None:
    for name, kind, scope in (("BAT0", "Battery", None), ("AC", "Mains", None), ("hid-1", "Battery", "Device")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "type").write_text(kind + "\n")
        if scope:
            (tmp_path / name / "scope").write_text(scope + "\n")
        (tmp_path / name / "uevent").write_bytes(f"POWER_SUPPLY_NAME={name}\n".encode())
    (found,) = battery_probe.read_sysfs(tmp_path)
    assert found.name == "BAT0"
    assert found.content == b"POWER_SUPPLY_NAME=BAT0\n"
    assert found.filename == "battery-BAT0.uevent.txt"


def test_sysfs_without_uevent_is_written_in_uevent_form(tmp_path: Path) -> None:
    bat = tmp_path / "BAT1"
    bat.mkdir()
    for attr, value in {"type": "Battery", "energy_full_design": "50000000", "energy_full": "40000000"}.items():
        (bat / attr).write_text(value + "\n")
    (found,) = battery_probe.read_sysfs(tmp_path)
    assert b"POWER_SUPPLY_ENERGY_FULL=40000000\n" in found.content
    (report,) = read_report(found.content, found.source)
    assert report.measurements  # graded like a saved uevent


def test_upower_is_the_fallback(tmp_path: Path) -> None:
    upower_i = (CORPUS / "battery" / "linux_upower" / "jc_upower-i-c-locale.txt").read_bytes()
    answers = {
        ("upower", "-e"): b"/org/freedesktop/UPower/devices/line_power_AC\n"
        b"/org/freedesktop/UPower/devices/battery_BAT0\n",
        ("upower", "-i", "/org/freedesktop/UPower/devices/battery_BAT0"): upower_i,
    }
    (found,) = battery_probe.probe_batteries(tmp_path / "absent", run=lambda cmd: answers.get(tuple(cmd)))
    assert found.content == upower_i
    assert found.filename == "battery-battery_BAT0.upower.txt"
    assert battery_probe.probe_batteries(tmp_path / "absent", run=lambda cmd: None) == []


# --- the real binary -----------------------------------------------------------------------------

REAL_SMARTCTL = shutil.which("smartctl")
needs_smartctl = pytest.mark.skipif(
    REAL_SMARTCTL is None, reason="smartctl not installed (CI installs Debian's smartmontools)"
)


@needs_smartctl
def test_real_smartctl_scan_open_is_understood() -> None:
    smartctl = probe.default_smartctl()
    content, rc = smartctl.call_raw(["--scan-open", "-j"])
    doc = orjson.loads(content)
    assert doc["smartctl"]["argv"] == ["smartctl", "--scan-open", "-j"]
    assert rc & 0b1 == 0  # the command line was understood
    disks, skipped = probe.discover(smartctl)
    listed = list(doc.get("devices", []))
    assert len(disks) + len(skipped) == len(listed)


@needs_smartctl
def test_a_machine_without_smart_disks_is_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    disks, _ = probe.discover(probe.default_smartctl())
    if disks:
        pytest.skip(f"this machine has SMART disks ({', '.join(d.name for d in disks)})")
    monkeypatch.setattr(probe, "is_root", lambda: True)  # the listing itself needs no root
    result = CliRunner().invoke(cli, ["scan", "--no-battery", "--json"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "[]", "an empty array, never nothing (issue #19)"
    assert "no SMART-capable disk found" in result.stderr
