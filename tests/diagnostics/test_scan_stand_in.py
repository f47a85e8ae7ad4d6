"""``relife-bench scan`` against a stand-in ``smartctl`` on PATH replaying real outputs (tests/corpus/smart):
discovery, JSON and text fallbacks, ``--save``, exit status, and the no-disk case. The CLI runs the
script through its real subprocess path (``default_smartctl``), as on a bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnostics.cli import cli
from tests import stand_in_smartctl
from tests.corpus_path import CORPUS

LISTINGS = CORPUS / "smart/pysmart/listingtests"
SCRUTINY = CORPUS / "smart/scrutiny"
NVME_LINE = (LISTINGS / "linux_01/_--scan-open").read_bytes()  # real: /dev/nvme0 -d nvme # …
#: smartctl --scan-open's line for a SATA disk behind the usual SAT layer (written in its format).
SATA_LINE = b"/dev/sda -d sat # /dev/sda [SAT], ATA device\n"


def real(path: Path) -> bytes:
    """A corpus file, following the git symlinks pySMART's data checks out as text."""
    content = path.read_bytes()
    target = content.strip()
    if 0 < len(target) < 512 and b"\n" not in target and not target.startswith(b"{"):
        linked = (path.parent / target.decode()).resolve()
        if linked.is_file():
            return linked.read_bytes()
    return content


def scan(runner: CliRunner, *args: str) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    result = runner.invoke(cli, ["scan", "--no-battery", "--json", *args])
    assert result.stdout.strip(), "scan --json printed nothing"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_nvme_and_sata_from_json(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in_smartctl.install(
        tmp_path,
        monkeypatch,
        {
            "--scan-open": NVME_LINE + SATA_LINE,
            "-d nvme -x -j /dev/nvme0": (SCRUTINY / "smart-nvme.json").read_bytes(),
            "-d sat -x -j /dev/sda": (SCRUTINY / "smart-ata-full.json").read_bytes(),
        },
    )
    saved = tmp_path / "saved"
    status, lines, _err = scan(runner, "--save", str(saved))
    assert status == 0
    assert [(line["component"], line["identity"]["serial"]) for line in lines] == [
        ("disk", "BTNH93710FS91P0B"),
        ("disk", "S3YZNB0KB00864E"),
    ]
    assert sorted(p.name for p in saved.iterdir()) == sorted(Path(line["raw_file"]).name for line in lines)
    assert (saved / Path(lines[1]["raw_file"]).name).read_bytes() == (SCRUTINY / "smart-ata-full.json").read_bytes()


def test_usb_bridge_falls_back_to_text(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = LISTINGS / "linux_usb_nvme_asmedia_issue_97"
    stand_in_smartctl.install(
        tmp_path,
        monkeypatch,
        {
            "--scan-open": real(folder / "_--scan-open"),
            "-d sntasmedia --all /dev/sda": real(folder / "_-d_sntasmedia_--all__dev_sda"),
        },
    )
    status, lines, _err = scan(runner)
    assert status == 0
    assert len(lines) == 1 and lines[0]["component"] == "disk" and lines[0]["format"].startswith("smartctl-text")


def test_megaraid_and_two_nvme(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = LISTINGS / "linux_multiple_devices"
    answers = {
        "--scan-open": real(folder / "_--scan-open"),
        "-d nvme --all /dev/nvme0": real(folder / "_-d_nvme_--all__dev_nvme0"),
        "-d nvme --all /dev/nvme1": real(folder / "_-d_nvme_--all__dev_nvme1"),
        "-d sat+megaraid,60 --all /dev/bus/0": real(folder / "_-d_sat+megaraid,60_--all__dev_bus_0"),
    }
    stand_in_smartctl.install(tmp_path, monkeypatch, answers)
    status, lines, err = scan(runner)
    assert status == 0, err
    assert [line["file"] for line in lines] == ["/dev/nvme0", "/dev/nvme1", "/dev/bus/0"]
    assert all(line["component"] == "disk" for line in lines)


def test_a_disk_failing_mid_scan_is_reported_and_the_others_kept(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in_smartctl.install(
        tmp_path,
        monkeypatch,
        {
            "--scan-open": NVME_LINE + SATA_LINE.replace(b"sda", b"sdb"),
            "-d nvme -x -j /dev/nvme0": (SCRUTINY / "smart-nvme.json").read_bytes(),
            # /dev/sdb stops answering after discovery: smartctl exits 2 with nothing on stdout.
        },
    )
    status, lines, err = scan(runner)
    assert status == 1
    assert [line["identity"]["serial"] for line in lines] == ["BTNH93710FS91P0B"]
    assert "/dev/sdb: smartctl could not read it (exit status 2)" in err


def test_no_disk_prints_an_empty_array_and_says_why(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in_smartctl.install(tmp_path, monkeypatch, {"--scan-open": b""})
    status, lines, err = scan(runner)
    assert status == 0
    assert lines == [[]]
    assert "no SMART-capable disk found" in err and "nothing to report" in err


def test_without_root_the_scan_says_so(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in_smartctl.install(tmp_path, monkeypatch, {"--scan-open": b""}, root=False)
    status, lines, err = scan(runner)
    assert status == 1 and lines == [[]]
    assert "needs root" in err


def test_save_keeps_dmidecode_beside_the_disks(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = (CORPUS / "machine/dmidecode/linux-1").read_bytes()
    stand_in_smartctl.install(
        tmp_path,
        monkeypatch,
        {"--scan-open": NVME_LINE, "-d nvme -x -j /dev/nvme0": (SCRUTINY / "smart-nvme.json").read_bytes()},
        dmidecode=machine,
    )
    saved = tmp_path / "saved"
    status, lines, _err = scan(runner, "--save", str(saved))
    assert status == 0 and [line["component"] for line in lines] == ["disk"]
    assert (saved / "dmidecode.txt").read_bytes() == machine
    # What upload sends is read back as the machine it came from.
    from diagnostics import read_report

    (report,) = read_report((saved / "dmidecode.txt").read_bytes(), "dmidecode.txt")
    assert report.measurements["ram_gb"] == 4.0


@pytest.mark.parametrize("root", [True, False])
def test_save_without_dmidecode_says_so_and_goes_on(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: bool
) -> None:
    stand_in_smartctl.install(
        tmp_path,
        monkeypatch,
        {"--scan-open": NVME_LINE, "-d nvme -x -j /dev/nvme0": (SCRUTINY / "smart-nvme.json").read_bytes()},
        root=root,
    )
    saved = tmp_path / "saved"
    result = runner.invoke(cli, ["scan", "--no-battery", "--json", "--save", str(saved)])
    assert not (saved / "dmidecode.txt").exists()
    expected = "dmidecode exited 1: /dev/mem: Permission denied" if root else "dmidecode needs root"
    assert f"machine: {expected}" in result.stderr
