"""nvme-cli's ``nvme sanitize-log <dev>`` (Sanitize Status log page, NVMe Base Specification 2.0
§5.16.1.25): the drive's own report of its most recent sanitize operation.

SSTAT bits 2:0 give the status (0 never sanitised, 1 completed, 2 in progress, 3 failed,
4 completed without deallocation), bit 8 "global data erased"; SCDW10 bits 2:0 the action
(1 exit failure mode, 2 block erase, 3 overwrite, 4 crypto erase). Every sanitize action is a NIST
SP 800-88 r1 *purge*. The log names neither the disk nor times: the disk comes from ``--disk``, the
times from when the evidence is recorded.
"""

from __future__ import annotations

import re

from diagnostics.erasure import ErasureEvidence
from diagnostics.errors import ParseError

_FIELD = re.compile(r"^\s*(.+?)\s*(?:\((\w+)\))?\s*:\s*(\S+)")
STATUS = {
    0: "the drive has never been sanitized",
    1: "the most recent sanitize operation completed successfully",
    2: "a sanitize operation is in progress",
    3: "the most recent sanitize operation failed",
    4: "the most recent sanitize operation completed successfully (no-deallocate)",
}
ACTIONS = {1: "exit failure mode", 2: "block erase", 3: "overwrite", 4: "crypto erase"}


def _int(value: str, source: str, number: int) -> int:
    try:
        return int(value, 0)
    except ValueError:
        raise ParseError(source, f"line {number}: not a number: {value!r}") from None


def parse(text: str, source: str) -> ErasureEvidence:
    fields: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FIELD.match(line)
        if match is not None and match.group(2) in {"SPROG", "SSTAT", "SCDW10"}:
            fields[match.group(2)] = (number, _int(match.group(3), source, number))
    missing = [name for name in ("SPROG", "SSTAT", "SCDW10") if name not in fields]
    if missing:
        last = len(text.splitlines())
        raise ParseError(
            source, f"line {last}: not a complete `nvme sanitize-log` output (missing {', '.join(missing)})"
        )
    sstat_line, sstat = fields["SSTAT"]
    _line, scdw10 = fields["SCDW10"]
    _line, sprog = fields["SPROG"]
    status = sstat & 0x7
    action = ACTIONS.get(scdw10 & 0x7)
    global_erased = bool(sstat & 0x100)
    words = STATUS.get(status, f"unknown sanitize status {status}")
    outcome = f"line {sstat_line}: Sanitize Status (SSTAT) {sstat:#x}: {words}"
    if status == 2:
        outcome += f" (progress {sprog * 100 // 65536} %)"
    if global_erased:
        outcome += "; global data erased"
    succeeded = status in (1, 4) and action is not None and action != "exit failure mode"
    return ErasureEvidence(
        format="nvme-sanitize-log",
        tool="nvme-cli sanitize",
        tool_version=None,
        method="purge",
        standard="nist-sp-800-88-r1",
        tool_method=action,
        device_path=None,
        disk_serial=None,
        disk_model=None,
        started_at=None,
        finished_at=None,
        verified=succeeded,
        verification="drive-reported Sanitize Status log (SSTAT): completed" if succeeded else None,
        succeeded=succeeded,
        outcome=outcome,
    )
