"""The words the pages show for the API's enumerations (device kinds, modes, grades, passport
events…), through the message catalogues. Functions, not constants: each call translates in the
language of the request."""

from __future__ import annotations

from flask_babel import gettext


def _(text: str) -> str:
    return str(gettext(text))


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


def device_kind(value: str | None) -> str:
    names = {
        "laptop": _("Laptop"),
        "desktop": _("Desktop"),
        "server": _("Server"),
        "screen": _("Screen"),
        "phone": _("Phone"),
        "tablet": _("Tablet"),
        "other": _("Other"),
    }
    return names.get(value or "", value or "")


def mode(value: str | None) -> str:
    names = {"sale": _("For sale"), "loan": _("On loan"), "donation": _("Donation")}
    return names.get(value or "", value or "")


def organisation_kind(value: str | None) -> str:
    names = {
        "company": _("Company"),
        "university": _("University"),
        "public_body": _("Public body"),
        "nonprofit": _("Non-profit"),
        "refurbisher": _("Refurbisher"),
    }
    return names.get(value or "", value or "")


def grade(value: str | None) -> str:
    names = {
        "A": _("A: like new"),
        "B": _("B: very good"),
        "C": _("C: good, with wear"),
        "D": _("D: a part to replace"),
        "E": _("E: for parts or repair"),
        "F": _("F: not reusable"),
    }
    return names.get(value or "", _("Not graded yet"))


def cosmetic(value: str | None) -> str:
    names = {
        "premium": _("Premium"),
        "excellent": _("Excellent"),
        "good": _("Good"),
        "fair": _("Fair"),
    }
    return names.get(value or "", "")


def health(value: str | None) -> str:
    names = {"healthy": _("Healthy"), "worn": _("Worn"), "failing": _("Failing"), "unknown": _("Unknown")}
    return names.get(value or "", value or "")


def severity(value: str | None) -> str:
    names = {"critical": _("Serious"), "warning": _("To know"), "info": _("Good to know")}
    return names.get(value or "", "")


def event(value: str | None) -> str:
    names = {
        "registered": _("Registered"),
        "imported": _("Registered (imported)"),
        "diagnosed": _("Diagnosed"),
        "checked": _("Checked by a technician"),
        "erased": _("Data erased"),
        "listed": _("Listed"),
        "unlisted": _("Withdrawn from the catalogue"),
        "sold": _("Sold"),
        "donated": _("Donated"),
        "lent": _("Lent"),
        "returned": _("Returned"),
        "repair_started": _("Sent to repair"),
        "repaired": _("Repaired"),
        "regraded": _("Regraded"),
        "retired": _("Retired"),
    }
    return names.get(value or "", value or "")


def sorts() -> list[tuple[str, str]]:
    return [
        ("newest", _("Newest first")),
        ("price", _("Price, lowest first")),
        ("-price", _("Price, highest first")),
        ("grade", _("Best grade first")),
    ]


def measure(name: str) -> tuple[str, str, float | None]:
    """(title, unit, top of the axis or None for automatic) of a measured series."""
    known = {
        "battery_capacity_percent": (_("Battery capacity, percent of design"), " %", 100.0),
        "disk_wear_percent": (_("SSD wear, percent of rated endurance used"), " %", 100.0),
        "reallocated_sectors": (_("Reallocated sectors"), "", None),
    }
    return known.get(name, (name, "", None))


def remaining_basis(basis: str | None) -> str:
    names = {
        "battery.cycles_vs_rated": _("battery charge cycles against the pack's rating"),
        "ata.device_statistics.endurance_used": _("the SSD's endurance used so far"),
        "nvme.percentage_used": _("the SSD's endurance used so far"),
        "hdd.age_vs_afr": _("the disk's age against published failure rates"),
    }
    return names.get(basis or "", _("the diagnostics of its parts"))
