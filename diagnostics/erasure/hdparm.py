"""hdparm's ATA secure erase (``hdparm --user-master u --security-erase[-enhanced] PASS /dev/sdX``).

hdparm prints the command it issues and nothing more on success; a drive that refuses (frozen,
locked, a USB bridge that does not pass the command) makes it print ``SG_IO: …`` or
``…: Input/output error`` after it. SECURITY ERASE UNIT (normal) overwrites user data: NIST SP
800-88 r1 *clear*; the enhanced mode, which also covers reallocated sectors, *purge* (Table A-8).
The output names the device path but not its serial, and carries no times.
"""

from __future__ import annotations

import re

from diagnostics.erasure import ErasureEvidence
from diagnostics.errors import ParseError

_ISSUING = re.compile(r"Issuing (SECURITY_ERASE(?:_ENHANCED)?) command")
_FAILURES = re.compile(r"SG_IO:|Input/output error|failed|Invalid argument|Operation not permitted|bad/missing", re.I)


def parse(text: str, source: str) -> ErasureEvidence:
    lines = text.splitlines()
    issued: tuple[int, str] | None = None
    device = None
    enhanced = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if re.fullmatch(r"/dev/\S+:", stripped):
            device = stripped[:-1]
        if "--security-erase-enhanced" in stripped:
            enhanced = True
        if (m := _ISSUING.search(stripped)) is not None:
            issued = (number, m.group(1))
            enhanced = enhanced or m.group(1).endswith("ENHANCED")
            continue
        if issued is not None and _FAILURES.search(stripped):
            return _evidence(device, enhanced, False, f"line {number}: {stripped}")
    if issued is None:
        raise ParseError(source, f"line {len(lines)}: hdparm output without a SECURITY_ERASE command")
    return _evidence(device, enhanced, True, f"line {issued[0]}: {issued[1]} issued, no error reported by hdparm")


def _evidence(device: str | None, enhanced: bool, succeeded: bool, outcome: str) -> ErasureEvidence:
    return ErasureEvidence(
        format="hdparm",
        tool="hdparm",
        tool_version=None,
        method="purge" if enhanced else "clear",
        standard="nist-sp-800-88-r1",
        tool_method="ATA SECURITY ERASE UNIT" + (" (enhanced)" if enhanced else ""),
        device_path=device,
        disk_serial=None,
        disk_model=None,
        started_at=None,
        finished_at=None,
        verified=False,  # hdparm does not read the drive back: a verification is recorded apart
        verification=None,
        succeeded=succeeded,
        outcome=outcome,
    )
