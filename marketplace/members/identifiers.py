"""French identifiers: SIRET (INSEE) and postcode → department."""

from __future__ import annotations

import re

_SIRET_RE = re.compile(r"^\d{14}$")
_POSTCODE_RE = re.compile(r"^\d{5}$")
# La Poste's establishments share SIREN 356 000 000; their SIRETs follow a digit-sum rule
# instead of Luhn (INSEE, "Contrôle de validité du numéro SIRET").
_LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """``prefix`` followed by the check digit that makes it pass Luhn (to build valid SIRETs)."""
    return next(prefix + digit for digit in "0123456789" if luhn_valid(prefix + digit))


def normalise_siret(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw)


def siret_valid(siret: str) -> bool:
    if not _SIRET_RE.match(siret):
        return False
    if siret.startswith(_LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_valid(siret) and luhn_valid(siret[:9])


def department_of(postcode: str) -> str | None:
    """The department code of a French postcode: ``75011`` → ``75``, ``20090`` → ``2A``,
    ``97400`` → ``974``; None when it is not a valid postcode."""
    if not _POSTCODE_RE.match(postcode):
        return None
    if postcode.startswith("00"):
        return None
    if postcode.startswith("20"):
        # Corsica: 200xx-201xx Corse-du-Sud, 202xx-206xx Haute-Corse.
        return "2A" if int(postcode[2]) <= 1 else "2B"
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    return postcode[:2]
