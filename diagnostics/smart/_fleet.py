"""Helpers shared by the Windows and server disk parsers (CrystalDiskInfo, PowerShell, nvme-cli,
storcli, Redfish): strict numbers, tolerant JSON values, duplicate checks.

These formats are read more strictly than smartctl's: a count that is not a whole number in one
consistent locale ('1,5 hours', '1.000,5') is refused with a ``ParseError`` naming the line or key,
because a tool that wrote it was not the one we expect, or the file was edited. Thousands groups in
one locale ('60,001', '60.001', '60 001', "60'001") read as the whole number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from diagnostics.errors import ParseError

#: A whole count: digits, optionally in groups of three behind ONE kind of separator
#: (',', '.', "'", a space, a no-break space or a narrow no-break space), then optional text
#: (a unit) after a space. Possessive quantifiers keep it linear.
_COUNT = re.compile(
    r"(?P<sign>[-+]?)(?P<lead>\d{1,3}+)(?P<sep>[,.' \u00a0\u202f])\d{3}+(?:(?P=sep)\d{3}+)*+(?![\d,.])"
    r"|(?P<sign2>[-+]?)(?P<plain>\d++)(?![\d,.])"
)
_DIGITS_ONLY = str.maketrans("", "", ",.' \u00a0\u202f+")

#: More digits than any drive counter has (128-bit NVMe counters have 39).
MAX_DIGITS = 40


def count(text: str, where: str, source: str) -> int:
    """The whole count at the start of ``text`` ('62382 時間', '60,001 hours', '1 000'); anything
    else (empty, '1,5', '1.000,5', '12abc') raises ``ParseError`` naming ``where``."""
    stripped = text.strip()
    m = _COUNT.match(stripped)
    rest = stripped[m.end() :].lstrip() if m is not None else ""
    if (
        m is None
        or (m.end() < len(stripped) and not stripped[m.end()].isspace())
        or rest[:1].isdigit()
        or rest[:1] in {",", "."}
    ):
        raise ParseError(source, f"{where}: {text.strip()[:40]!r} is not a whole number")
    digits = m.group(0).translate(_DIGITS_ONLY)
    negative = digits.startswith("-")
    digits = digits.lstrip("-")
    if len(digits) > MAX_DIGITS:
        raise ParseError(source, f"{where}: {text.strip()[:40]!r} has too many digits for a counter")
    return -int(digits) if negative else int(digits)


def optional_count(text: str | None, where: str, source: str) -> int | None:
    """``count`` of ``text``, or None when it is blank or says it does not know ('----', 'N/A')."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped or stripped.strip("-_") == "" or stripped.upper() in _UNKNOWN_WORDS:
        return None
    return count(stripped, where, source)


_UNKNOWN_WORDS = frozenset({"N/A", "NA", "UNKNOWN", "INCONNU", "NONE", "NULL", "不明"})


def json_count(value: Any, key: str, source: str) -> int | None:
    """A counter from a JSON value: an integer, a whole float, a numeric string, or null.
    A boolean, a fraction, a list or an object raises ``ParseError`` naming ``key``."""
    if value is None:
        return None
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise ParseError(source, f"{key}: expected a number, got {str(value).lower()}")
    if isinstance(value, float):
        if value != value or abs(value) > 1e40 or value != int(value):
            raise ParseError(source, f"{key}: {value!r} is not a whole number")
        return int(value)
    if isinstance(value, str):
        return optional_count(value, key, source)
    raise ParseError(source, f"{key}: expected a number, got {type(value).__name__}")


def json_text(value: Any, key: str, source: str) -> str | None:
    """A non-blank string (numbers read as their text, as some BMCs write serials); a list or an
    object raises ``ParseError`` naming ``key``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ParseError(source, f"{key}: expected text, got {type(value).__name__}")


def json_bool(value: Any, key: str, source: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ParseError(source, f"{key}: expected true or false, got {type(value).__name__}")


def json_object(value: Any, key: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(source, f"{key}: expected an object, got {type(value).__name__}")
    return value


def check_unique(
    identities: Iterable[tuple[str | None, str]], source: str, what: str = "disk", *, serials: bool = True
) -> None:
    """Refuse a file that lists the same drive twice: ``identities`` are (serial or other unique
    name, where it is). Unknown serials, and masked ones ('****', 'XXXX') when ``serials``, are not
    compared."""
    seen: dict[str, str] = {}
    for key, where in identities:
        if not key or (serials and set(key) <= {"*", " ", "X", "x", "0"}):
            continue
        if key in seen:
            raise ParseError(source, f"{where}: {what} {key!r} is listed twice (first at {seen[key]})")
        seen[key] = where
