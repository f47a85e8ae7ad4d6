"""nwipe's log (``nwipe -l FILE``, or its stdout in ``--nogui`` mode), 0.2x to 0.3x formats.

Lines are ``[YYYY/MM/DD HH:MM:SS] <level>: <message>`` (0.2x: ``… nwipe: <level>: …``). Read:
``nwipe <version>``, ``Found /dev/sdX, <bus>, <model>, <size>, S/N=<serial>`` or
``/dev/sdX has serial number <serial>``, ``Invoking method '<name>' on <dev>``, the first and last
time stamps, verification (``Verifying …`` / ``[SUCCESS] Verified …`` / ``[FAILURE] …``), error
lines, and the closing *Error Summary* and *Drive Status* tables. One log may cover several disks;
``parse`` returns the one disk it names, or refuses a log of several disks unless ``device`` says
which.
"""

from __future__ import annotations

import datetime as dt
import re

from diagnostics.erasure import ErasureEvidence
from diagnostics.errors import ParseError

_LINE = re.compile(r"^\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\]\s+(?:nwipe:\s+)?(\w+):\s?(.*)$")
_VERSION = re.compile(r"^nwipe (\d+\.\d+(?:\.\d+)?)\b")
_FOUND = re.compile(r"^Found (/dev/\S+?),\s*(.*?),\s*S/N=(.*)$")
_HAS_SERIAL = re.compile(r"^(/dev/\S+) has serial number (.*)$")
_METHOD = re.compile(r"^Invoking method '([^']+)' on (?:device )?'?(/dev/[^'\s]+)'?")
_STATUS_ROW = re.compile(r"^\s*(\S+)\s*\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|\s*(.*?)\s*$")
_ERROR_ROW = re.compile(r"^\s*(\S+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|?\s*(\d+)?")
#: Methods that write every sector: NIST SP 800-88 r1 "clear" for magnetic and flash media alike.
STANDARD = "nist-sp-800-88-r1"


def _time(stamp: str) -> dt.datetime:
    # nwipe logs local time without a zone; the bench records UTC machines (documented).
    return dt.datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S").replace(tzinfo=dt.UTC)


def parse(text: str, source: str, device: str | None = None) -> ErasureEvidence:
    version = None
    serials: dict[str, str] = {}
    models: dict[str, str] = {}
    methods: dict[str, str] = {}
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    errors: list[tuple[int, str]] = []
    verify_ok: list[str] = []
    verify_failed: list[tuple[int, str]] = []
    finished: set[str] = set()
    status_rows: dict[str, tuple[int, str, str]] = {}  # short dev -> (line, status, model/serial)
    error_rows: dict[str, tuple[int, int]] = {}
    table: str | None = None
    seen_log_line = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if "Error Summary" in line:
            table = "errors"
            continue
        if "Drive Status" in line:
            table = "status"
            continue
        match = _LINE.match(line)
        if match is not None:
            table = None
            seen_log_line = True
            stamp, level, message = match.groups()
            try:
                when = _time(stamp)
            except ValueError:
                raise ParseError(source, f"line {number}: bad time stamp {stamp!r}") from None
            first = first or when
            last = when
            message = message.strip()
            if (m := _VERSION.match(message)) is not None:
                version = m.group(1)
            elif (m := _FOUND.match(message)) is not None:
                path, middle, serial = m.groups()
                serials[path] = serial.strip()
                parts = [p.strip() for p in middle.split(",")]
                if len(parts) >= 2:
                    models[path] = parts[-2]
            elif (m := _HAS_SERIAL.match(message)) is not None:
                serials[m.group(1)] = m.group(2).strip()
            elif (m := _METHOD.match(message)) is not None:
                methods[m.group(2)] = m.group(1)
            if level == "error" or "[FAILURE]" in message:
                errors.append((number, message))
            if "[SUCCESS] Verified" in message:
                verify_ok.append(message)
            if "verification error" in message.lower() or ("Verif" in message and "[FAILURE]" in message):
                verify_failed.append((number, message))
            if m2 := re.match(r"Finished final round \d+ of \d+ on (/dev/\S+)", message):
                finished.add(m2.group(1))
            continue
        if "|" not in line or line.lstrip().startswith("!"):
            continue
        if table == "status" and (m := _STATUS_ROW.match(line)) is not None:
            status_rows[m.group(1)] = (number, m.group(2), m.group(5))
        elif table == "errors" and (m := _ERROR_ROW.match(line)) is not None:
            error_rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    if not seen_log_line:
        raise ParseError(source, "line 1: no nwipe log line ([YYYY/MM/DD HH:MM:SS] level: message)")

    devices = sorted(set(methods) | set(finished) | {f"/dev/{d}" for d in status_rows})
    if device is not None:
        devices = [d for d in devices if d == device or d.rsplit("/", 1)[-1] == device]
    if not devices:
        raise ParseError(source, "no wiped device in the log (no 'Invoking method' nor a Drive Status row)")
    if len(devices) > 1:
        raise ParseError(
            source, f"the log covers {len(devices)} devices ({', '.join(devices)}): give the disk it is evidence for"
        )
    path = devices[0]
    short = path.rsplit("/", 1)[-1]
    serial = serials.get(path)
    model = models.get(path)
    row = status_rows.get(short)
    if row is not None:
        model_serial = row[2]
        if "/" in model_serial:
            row_model, _, row_serial = model_serial.rpartition("/")
            model = model or (row_model.strip() or None)
            serial = serial or (row_serial.strip() or None)
    if serial is not None and (not serial or set(serial) <= {"X", "?"}):
        serial = None  # anonymised with nwipe -q, or absent

    mine = [(n, e) for n, e in errors if path in e or short in e]
    if row is not None:
        status = row[1]
        succeeded = status.lower() == "erased"
        outcome = f"Drive Status: {short} | {status}" + ("" if succeeded else f" (line {row[0]})")
        if succeeded and mine:
            succeeded = False
            outcome = f"line {mine[0][0]}: {mine[0][1]}"
    elif mine:
        succeeded = False
        outcome = f"line {mine[0][0]}: {mine[0][1]}"
    elif path in finished and verify_ok:
        succeeded = True
        outcome = verify_ok[-1]
    else:
        raise ParseError(
            source,
            f"line {len(text.splitlines())}: the log stops before the wipe of {path} ends "
            "(no Drive Status table, no final verification): a truncated log is no evidence",
        )
    failed_checks = [(n, e) for n, e in verify_failed if path in e or short in e]
    if failed_checks:
        succeeded = False
        outcome = f"line {failed_checks[0][0]}: {failed_checks[0][1]}"
    pass_errors, verify_errors = error_rows.get(short, (0, 0))
    if pass_errors or verify_errors:
        succeeded = False
        outcome = f"Error Summary: {short} | pass errors {pass_errors} | verification errors {verify_errors}"
    # nwipe 0.30+ verifies the last pass by default and counts its errors in the Error Summary.
    verified = bool(verify_ok) or (short in error_rows and verify_errors == 0 and row is not None)
    verification = None
    if verify_ok:
        verification = verify_ok[-1]
    elif verified:
        verification = "nwipe verification of the last pass: 0 verification errors (Error Summary)"
    return ErasureEvidence(
        format="nwipe",
        tool="nwipe",
        tool_version=version,
        method="clear",
        standard=STANDARD,
        tool_method=methods.get(path),
        device_path=path,
        disk_serial=serial,
        disk_model=model,
        started_at=first,
        finished_at=last,
        verified=verified and succeeded,
        verification=verification,
        succeeded=succeeded,
        outcome=outcome,
    )
