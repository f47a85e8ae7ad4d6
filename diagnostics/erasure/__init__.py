"""Erasure evidence: what a wiping tool leaves behind, read into one record per disk.

Pure (no Flask, no I/O): ``parse_evidence(data, source)`` recognises nwipe's log, nvme-cli's
``nvme sanitize-log`` output and hdparm's ATA secure-erase output and returns an
``ErasureEvidence``; anything else, or a log cut short, is a ``ParseError`` naming the line.
Whether the wipe succeeded is the tool's own verdict, kept word for word in ``outcome``: the server
refuses a failed or partial wipe quoting it (NIST SP 800-88 r1 §4.7: a sanitisation is recorded
with its method, tool, result and verification).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from diagnostics.errors import ParseError


@dataclass(frozen=True)
class ErasureEvidence:
    format: str  # "nwipe" | "nvme-sanitize-log" | "hdparm"
    tool: str
    tool_version: str | None
    method: str  # NIST SP 800-88 r1 category: "clear" | "purge"
    standard: str  # "nist-sp-800-88-r1"
    tool_method: str | None  # the tool's own name for what it did ("PRNG Stream", "block erase" …)
    device_path: str | None
    disk_serial: str | None
    disk_model: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    verified: bool
    verification: str | None
    succeeded: bool
    outcome: str  # the tool's own words for how it ended

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def sniff_evidence(text: str) -> str | None:
    if "(SSTAT)" in text and "Sanitize" in text:
        return "nvme-sanitize-log"
    if "SECURITY_ERASE" in text and ("Issuing" in text or "security_password" in text):
        return "hdparm"
    if "nwipe" in text or "Drive Status" in text or ("notice:" in text and "pass" in text and "/dev/" in text):
        return "nwipe"
    return None


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\x00", "")


def parse_evidence(data: bytes, source: str = "<evidence>") -> ErasureEvidence:
    """Read one wiping tool's output (see the module docstring)."""
    text = decode(data)
    if not text.strip():
        raise ParseError(source, "empty file: no erasure evidence")
    kind = sniff_evidence(text)
    if kind == "nwipe":
        from diagnostics.erasure import nwipe

        return nwipe.parse(text, source)
    if kind == "nvme-sanitize-log":
        from diagnostics.erasure import nvme

        return nvme.parse(text, source)
    if kind == "hdparm":
        from diagnostics.erasure import hdparm

        return hdparm.parse(text, source)
    raise ParseError(
        source,
        "line 1: not the output of a wiping tool Relife reads (nwipe log, `nvme sanitize-log`, "
        "`hdparm --security-erase`)",
    )


__all__ = ["ErasureEvidence", "ParseError", "parse_evidence", "sniff_evidence"]
