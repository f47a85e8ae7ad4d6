"""French identifiers: SIRET/SIREN (INSEE) and postcode → department.

Identifiers are ASCII. Python's ``str.isdigit``, ``int()`` and a ``\\d`` regex all accept other
scripts' digits (Arabic-Indic ``٨``, fullwidth ``８``, Devanagari ``८``…), so a SIRET with one
digit written ``٨`` used to pass as a different string from its ASCII twin and registered the
same establishment twice. Digits here are ``0``-``9`` only, checked before anything else.

The SIRET check is python-stdnum's (``stdnum.fr.siret``): Luhn over the 14 digits and over the
SIREN, except La Poste's establishments (SIREN 356 000 000), whose SIRETs follow a digit-sum
rule instead (INSEE, "Contrôle de validité du numéro SIRET"); stdnum knows that exception. On
failure, the message says which character or digit is wrong and why.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

ASCII_DIGITS = frozenset("0123456789")
_POSTCODE_RE = re.compile(r"[0-9]{5}")
#: Written between the groups of a SIRET ("732 829 320 00074", "732.829.320.00074").
_SIRET_SEPARATORS = re.compile(r"[ .\-\u00a0\u202f]")
_LA_POSTE_SIREN = "356000000"
SIRET_LENGTH = 14
SIREN_LENGTH = 9


class InvalidIdentifier(ValueError):
    """``reason`` says what is wrong, for a field error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty string of the digits 0-9 only (unlike ``str.isdigit``)."""
    return bool(text) and all(c in ASCII_DIGITS for c in text)


def luhn_valid(digits: str) -> bool:
    return is_ascii_digits(digits) and luhn.is_valid(digits)


def luhn_complete(prefix: str) -> str:
    """``prefix`` followed by the check digit that makes it pass Luhn (to build valid SIRETs)."""
    return prefix + luhn.calc_check_digit(prefix)


def _describe(char: str) -> str:
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    return f"'{char}' ({name})"


def _check_digits(number: str, what: str) -> None:
    for position, char in enumerate(number, start=1):
        if char in ASCII_DIGITS:
            continue
        if char.isdigit():
            raise InvalidIdentifier(
                f"Character {position} is {_describe(char)}: write a {what} with the digits 0-9 only."
            )
        raise InvalidIdentifier(f"Character {position} is {_describe(char)}, not a digit: a {what} is digits only.")


def check_siret(raw: str) -> str:
    """The SIRET, compacted (spaces, dots and hyphens between groups removed), or
    ``InvalidIdentifier`` saying which digit is wrong and why."""
    number = _SIRET_SEPARATORS.sub("", raw.strip())
    _check_digits(number, "SIRET")
    if len(number) != SIRET_LENGTH:
        raise InvalidIdentifier(
            f"{len(number)} digits; a SIRET has {SIRET_LENGTH} (the 9-digit SIREN, then the 5-digit NIC)."
        )
    try:
        stdnum_siren.validate(number[:SIREN_LENGTH])
    except StdnumError:
        expected = luhn.calc_check_digit(number[: SIREN_LENGTH - 1])
        raise InvalidIdentifier(
            f"The SIREN (digits 1-9) fails its Luhn check: with digits 1-8 as given, "
            f"digit 9 should be {expected}, not {number[SIREN_LENGTH - 1]}."
        ) from None
    try:
        stdnum_siret.validate(number)
    except StdnumError:
        if number.startswith(_LA_POSTE_SIREN):
            total = sum(int(c) for c in number)
            raise InvalidIdentifier(
                f"A La Poste SIRET (SIREN 356 000 000) has digits summing to a multiple of 5; these sum to {total}."
            ) from None
        expected = luhn.calc_check_digit(number[: SIRET_LENGTH - 1])
        raise InvalidIdentifier(
            f"The SIRET fails its Luhn check: with digits 1-13 as given, digit 14 should be {expected}, "
            f"not {number[-1]}."
        ) from None
    return number


def check_postcode(raw: str) -> tuple[str, str]:
    """The postcode and its department, or ``InvalidIdentifier``."""
    postcode = raw.strip()
    _check_digits(postcode, "postcode")
    department = department_of(postcode)
    if department is None:
        if len(postcode) != len("75011"):
            raise InvalidIdentifier(f"{len(postcode)} digits; a French postcode has 5.")
        raise InvalidIdentifier(f"{postcode} is not a French postcode (no department starts with 00).")
    return postcode, department


def department_of(postcode: str) -> str | None:
    """The department code of a French postcode: ``75011`` → ``75``, ``20090`` → ``2A``,
    ``97400`` → ``974``; None when it is not a valid postcode (ASCII digits only)."""
    if not _POSTCODE_RE.fullmatch(postcode):
        return None
    if postcode.startswith("00"):
        return None
    if postcode.startswith("20"):
        # Corsica: 200xx-201xx Corse-du-Sud, 202xx-206xx Haute-Corse.
        return "2A" if postcode[2] in "01" else "2B"
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    return postcode[:2]
