"""The public code of a device: what its label's QR code and its web page address carry.

Short, so the QR code stays small enough to scan from a phone at arm's length; random, so
nobody can walk the catalogue by counting (the numeric id) or learn a serial from a label.
Ten symbols from an alphabet without look-alikes (no 0/O, 1/I/L, no U) give 31**10 ≈ 8e14
codes: guessing one of a million devices takes about 8e8 tries on average.
"""

from __future__ import annotations

import re
import secrets

#: Upper-case, so a QR code can use its compact alphanumeric mode; no look-alike characters, so
#: a code read aloud or typed from a label is unambiguous.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
PATTERN = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")


#: Random bytes → symbols: a byte below ``_USABLE`` (the largest multiple of the alphabet's size
#: that fits in a byte) is its symbol modulo that size, so each symbol is equally likely; the other
#: bytes are dropped (rejection sampling, as ``secrets.choice`` does per symbol).
_USABLE = 256 - 256 % len(ALPHABET)
_SYMBOLS = bytes(ord(ALPHABET[b % len(ALPHABET)]) if b < _USABLE else 0 for b in range(256))
_DROPPED = bytes(range(_USABLE, 256))


def new_public_code() -> str:
    """A fresh random code: one draw from the OS's CSPRNG for most codes (the importer makes
    one per new device, so ten ``secrets.choice`` calls were a measurable part of an import)."""
    code = b""
    while len(code) < LENGTH:
        code += secrets.token_bytes(LENGTH + 6).translate(_SYMBOLS, _DROPPED)
    return code[:LENGTH].decode("ascii")


def normalise_public_code(text: str) -> str | None:
    """The code in ``text`` (as typed: any case, spaces or dashes), or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", text).upper()
    return code if PATTERN.fullmatch(code) else None
