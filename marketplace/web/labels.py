"""The words the pages show for the API's enumerations (device kinds, modes, grades, passport
events…), through the message catalogues. Functions, not constants: each call translates in the
language of the request."""

from __future__ import annotations

from flask_babel import gettext


def _(text: str) -> str:
    return str(gettext(text))


def N_(text: str) -> str:
    """Marks a message for the catalogues without translating it here: the tables below hold
    msgids, and each lookup translates the one label it returns (a page shows hundreds)."""
    return text


def _pick(table: dict[str, str], value: str | None, default: str | None = None) -> str:
    msgid = table.get(value or "")
    if msgid is None:
        return default if default is not None else (value or "")
    return _(msgid)


#: Passport events shown in a device's life timeline (the others are bookkeeping: updates, holds).
TIMELINE_EVENTS = (
    "registered",
    "imported",
    "diagnosed",
    "checked",
    "erased",
    "listed",
    "unlisted",
    "sold",
    "donated",
    "lent",
    "returned",
    "repair_started",
    "repaired",
    "regraded",
    "retired",
)

GRADES = ("A", "B", "C", "D", "E", "F")


_DEVICE_KINDS = {
    "laptop": N_("Laptop"),
    "desktop": N_("Desktop"),
    "server": N_("Server"),
    "screen": N_("Screen"),
    "phone": N_("Phone"),
    "tablet": N_("Tablet"),
    "other": N_("Other"),
}
_MODES = {"sale": N_("For sale"), "loan": N_("On loan"), "donation": N_("Donation")}
_ORGANISATION_KINDS = {
    "company": N_("Company"),
    "university": N_("University"),
    "public_body": N_("Public body"),
    "nonprofit": N_("Non-profit"),
    "refurbisher": N_("Refurbisher"),
}
_GRADES = {
    "A": N_("A: like new"),
    "B": N_("B: very good"),
    "C": N_("C: good, with wear"),
    "D": N_("D: a part to replace"),
    "E": N_("E: for parts or repair"),
    "F": N_("F: not reusable"),
}
_COSMETIC = {"premium": N_("Premium"), "excellent": N_("Excellent"), "good": N_("Good"), "fair": N_("Fair")}
_HEALTH = {"healthy": N_("Healthy"), "worn": N_("Worn"), "failing": N_("Failing"), "unknown": N_("Unknown")}
_SEVERITIES = {"critical": N_("Serious"), "warning": N_("To know"), "info": N_("Good to know")}
_EVENTS = {
    "registered": N_("Registered"),
    "imported": N_("Registered (imported)"),
    "diagnosed": N_("Diagnosed"),
    "checked": N_("Checked by a technician"),
    "erased": N_("Data erased"),
    "listed": N_("Listed"),
    "unlisted": N_("Withdrawn from the catalogue"),
    "sold": N_("Sold"),
    "donated": N_("Donated"),
    "lent": N_("Lent"),
    "returned": N_("Returned"),
    "repair_started": N_("Sent to repair"),
    "repaired": N_("Repaired"),
    "regraded": N_("Regraded"),
    "retired": N_("Retired"),
}
_SORTS = {
    "newest": N_("Newest first"),
    "price": N_("Price, lowest first"),
    "-price": N_("Price, highest first"),
    "grade": N_("Best grade first"),
}
_MEASURES: dict[str, tuple[str, str, float | None]] = {
    "battery_capacity_percent": (N_("Battery capacity, percent of design"), " %", 100.0),
    "disk_wear_percent": (N_("SSD wear, percent of rated endurance used"), " %", 100.0),
    "reallocated_sectors": (N_("Reallocated sectors"), "", None),
}
_BASES = {
    "battery.cycles_vs_rated": N_("battery charge cycles against the pack's rating"),
    "ata.device_statistics.endurance_used": N_("the SSD's endurance used so far"),
    "nvme.percentage_used": N_("the SSD's endurance used so far"),
    "hdd.age_vs_afr": N_("the disk's age against published failure rates"),
}


def device_kind(value: str | None) -> str:
    return _pick(_DEVICE_KINDS, value)


def mode(value: str | None) -> str:
    return _pick(_MODES, value)


def organisation_kind(value: str | None) -> str:
    return _pick(_ORGANISATION_KINDS, value)


def grade(value: str | None) -> str:
    return _pick(_GRADES, value) if value in _GRADES else _("Not graded yet")


def cosmetic(value: str | None) -> str:
    return _pick(_COSMETIC, value, "")


def health(value: str | None) -> str:
    return _pick(_HEALTH, value)


def severity(value: str | None) -> str:
    return _pick(_SEVERITIES, value, "")


def event(value: str | None) -> str:
    return _pick(_EVENTS, value)


def sorts() -> list[tuple[str, str]]:
    return [(value, _(msgid)) for value, msgid in _SORTS.items()]


def measure(name: str) -> tuple[str, str, float | None]:
    """(title, unit, top of the axis or None for automatic) of a measured series."""
    known = _MEASURES.get(name)
    return (_(known[0]), known[1], known[2]) if known else (name, "", None)


def remaining_basis(basis: str | None) -> str:
    return _pick(_BASES, basis, _("the diagnostics of its parts"))
