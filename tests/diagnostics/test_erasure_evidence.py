"""Erasure evidence parsers on real tool outputs (tests/corpus/erasure, MANIFEST.tsv)."""

from __future__ import annotations

import datetime as dt

import pytest

from diagnostics.erasure import parse_evidence
from diagnostics.errors import ParseError
from tests.corpus_path import CORPUS

ERASURE = CORPUS / "erasure"


def _read(name: str) -> bytes:
    return (ERASURE / name).read_bytes()


def test_nwipe_erased_and_verified() -> None:
    evidence = parse_evidence(_read("nwipe/pr325-loop44-erased.log"), "log")
    assert (evidence.tool, evidence.method, evidence.standard) == ("nwipe", "clear", "nist-sp-800-88-r1")
    assert evidence.succeeded and evidence.verified
    assert evidence.device_path == "/dev/loop44"
    assert evidence.disk_serial is None and evidence.disk_model == "Loopback device"  # loop devices have no serial
    assert evidence.started_at == dt.datetime(2021, 6, 4, 21, 41, 12, tzinfo=dt.UTC)
    assert evidence.finished_at == dt.datetime(2021, 6, 4, 21, 41, 13, tzinfo=dt.UTC)
    assert "Erased" in evidence.outcome


def test_nwipe_serial_from_the_drive_status_table() -> None:
    text = _read("nwipe/pr325-loop44-erased.log").replace(b"Loopback device/", b"WDC WD1600AAJS/WD-WCAS20512345")
    evidence = parse_evidence(text, "log")
    assert (evidence.disk_model, evidence.disk_serial) == ("WDC WD1600AAJS", "WD-WCAS20512345")


def test_nwipe_write_errors_fail_in_the_tools_words() -> None:
    evidence = parse_evidence(_read("nwipe/pr722-sdc-write-error.log"), "log")
    assert not evidence.succeeded and not evidence.verified
    assert evidence.tool_method == "PRNG Stream"
    assert evidence.outcome == "line 13: nwipe_write_with_retry: giving up write() on '/dev/sdc' after 3 attempts."


def test_nwipe_verification_errors_in_the_summary_fail() -> None:
    text = _read("nwipe/pr325-loop44-erased.log").replace(
        b"  loop44 |           0 |                    0 |", b"  loop44 |           0 |                    3 |"
    )
    evidence = parse_evidence(text, "log")
    assert not evidence.succeeded
    assert "verification errors 3" in evidence.outcome


@pytest.mark.parametrize(
    ("name", "line"), [("nwipe/pr722-sdb-truncated.log", 19), ("nwipe/issue8-v024-sdb-no-verdict.log", 11)]
)
def test_a_log_that_stops_before_the_end_is_no_evidence(name: str, line: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_evidence(_read(name), name)
    assert caught.value.reason.startswith(f"line {line}: the log stops before the wipe")


IN_PROGRESS = ["nvme/issue1784-sanitize-in-progress.txt", "nvme/issue3027-sanitize-in-progress-ssi.txt"]


@pytest.mark.parametrize("name", IN_PROGRESS)
def test_nvme_sanitize_in_progress_is_not_an_erasure(name: str) -> None:
    evidence = parse_evidence(_read(name), name)
    assert evidence.tool == "nvme-cli sanitize" and evidence.method == "purge"
    assert not evidence.succeeded
    assert "SSTAT) 0x2: a sanitize operation is in progress" in evidence.outcome


def test_nvme_sanitize_completed_hand_made_layout() -> None:
    evidence = parse_evidence(_read("nvme/handmade-sanitize-completed.txt"), "log")
    assert evidence.succeeded and evidence.verified
    assert evidence.tool_method == "block erase"
    assert evidence.disk_serial is None  # the log page names no disk: --disk says which


def test_hdparm_secure_erase() -> None:
    ok = parse_evidence(_read("hdparm/wipeout-readme-security-erase.txt"), "out")
    assert ok.succeeded and ok.tool == "hdparm" and ok.device_path == "/dev/sdc"
    assert not ok.verified  # hdparm does not read the drive back
    failed = parse_evidence(_read("hdparm/handmade-security-erase-sg-io-error.txt"), "out")
    assert not failed.succeeded and failed.outcome.startswith("line 5: SG_IO: bad/missing sense data")


def test_other_inputs_are_refused_naming_the_line() -> None:
    smart = (CORPUS / "smart/scrutiny/smart-nvme.json").read_bytes()
    with pytest.raises(ParseError, match="line 1: not the output of a wiping tool"):
        parse_evidence(smart, "smart.json")
    with pytest.raises(ParseError, match="empty file"):
        parse_evidence(b"  \n", "empty")
    cut = b"".join(_read("nvme/issue1784-sanitize-in-progress.txt").splitlines(keepends=True)[:3])
    with pytest.raises(ParseError, match=r"line 3: not a complete `nvme sanitize-log` output \(missing SCDW10\)"):
        parse_evidence(cut, "cut")
