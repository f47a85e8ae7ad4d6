"""The technician's functional checklist (DESIGN §3.2 "Functional check"), graded like a report.

What no SMART or battery report covers (screen, keyboard, ports, camera, a phone's functions, a
whole screen) is checked by hand on the bench and recorded as a JSON document::

    {"kind": "relife-checklist", "device_kind": "laptop",
     "technician": "optional", "checked_at": "optional ISO date",
     "items": [{"item": "screen", "result": "pass", "note": "one bright pixel"}, ...]}

``result`` is ``pass``, ``fail`` or ``na`` (not applicable; ``n/a`` is accepted); ``note`` is
optional. Each device kind has a list of expected items (``EXPECTED_ITEMS``); items outside it are
accepted and graded by the same rules.

Grading (``grade_checklist``), the same scale as disks and batteries:

* every expected item passes → ``A`` / healthy;
* some expected items not recorded, none failed → ``B`` / healthy with a ``manual.items_missing``
  finding (a function nobody checked cannot be sold as like new);
* a failed item that only costs a convenience on that kind of device (``CAVEAT_ITEMS``: a laptop's
  webcam or speakers, a desktop's audio or optical drive) → ``C`` / worn with a
  ``manual.function_caveat`` finding naming it: the device is usable and sold with the caveat;
* a failed item that is a part swap on that kind of device (``PART_SWAPS``: a laptop's keyboard,
  charger, battery, screen panel, a phone's screen or camera modules …) → ``D`` / failing with a
  ``manual.replace_part`` finding per part ("replace the keyboard");
* a failed item that is not a part swap (a laptop's soldered USB ports, a monitor's panel or
  inputs, a phone's SIM reader) → ``F`` / failing with ``manual.function_failed``;
* nothing recorded (no items, or all ``na``) → health ``unknown``.

The report's ``replaceable`` is False as soon as one failure is not a part swap, so the device
assessment keeps ``F`` for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnostics.errors import ParseError
from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.models import (
    Assessment,
    ComponentKind,
    ComponentReport,
    Explanation,
    Finding,
    Grade,
    Health,
    Severity,
)

CHECKLIST_KIND = "relife-checklist"
FORMAT = CHECKLIST_KIND

PASS = "pass"  # noqa: S105 - a checklist result, not a password
FAIL = "fail"
NOT_APPLICABLE = "na"
_RESULT_ALIASES = {"pass": PASS, "fail": FAIL, "na": NOT_APPLICABLE, "n/a": NOT_APPLICABLE}

#: Functions a technician checks per device kind (DESIGN §3.2). Sources: Back Market's refurbisher
#: quality charter (functional checks per category) and the French décret 2022-190 on
#: "reconditionné", which requires every function to be tested.
EXPECTED_ITEMS: Mapping[str, tuple[str, ...]] = {
    "laptop": ("screen", "keyboard", "touchpad", "usb_ports", "webcam", "wifi", "audio", "charger"),
    "desktop": ("boots", "usb_ports", "video_outputs", "network", "audio", "fans", "power_supply"),
    "server": ("boots", "management_controller", "network", "power_supplies", "fans", "drive_bays"),
    "screen": ("panel", "backlight", "inputs", "stand", "buttons", "power_supply"),
    "phone": ("screen", "touch", "cameras", "speaker", "microphone", "buttons", "sim", "charging"),
    "tablet": ("screen", "touch", "cameras", "speaker", "microphone", "buttons", "wifi", "charging"),
    "other": (),
}

#: Items whose failure is fixed by swapping one part, per device kind: the device is then ``D``
#: ("reusable after replacing this part", DESIGN §2.2), not ``F``. A laptop's screen is a panel
#: swap, its wifi an M.2/mini-PCIe card (its webcam and speakers are caveats, ``CAVEAT_ITEMS``); a monitor's
#: panel costs more than the monitor (not a swap); a phone's screen/touch, camera modules, speaker,
#: microphone and button flex and charging port are the standard repairs listed in iFixit guides and
#: in the EU ecodesign regulation 2023/1670 Annex II (spare parts for phones and tablets), while its
#: SIM reader is soldered on the main board.
PART_SWAPS: Mapping[str, frozenset[str]] = {
    "laptop": frozenset({"screen", "keyboard", "touchpad", "wifi", "charger", "battery", "storage", "ram"}),
    "desktop": frozenset({"fans", "power_supply", "wifi", "storage", "ram", "graphics"}),
    "server": frozenset({"power_supplies", "fans", "drive_bays", "storage", "ram", "raid_controller"}),
    "screen": frozenset({"stand", "buttons", "power_supply", "cable"}),
    "phone": frozenset({"screen", "touch", "cameras", "speaker", "microphone", "buttons", "charging", "battery"}),
    "tablet": frozenset({"screen", "touch", "cameras", "speaker", "microphone", "buttons", "charging", "battery"}),
    "other": frozenset({"battery", "charger", "power_supply", "storage", "ram", "cable"}),
}

#: Items whose failure leaves the device usable for what it is bought for, per device kind: a
#: caveat (health ``worn``, grade ``C``, the item named in the listing), not a failing device. A
#: laptop without a working webcam or speakers still does its office, study and coding work, and an
#: external USB webcam or headset (a few euros, no tools) costs less than the module swap's labour;
#: the same holds for a desktop's audio and optical drive. A phone's or tablet's cameras and speaker
#: are part of what the device is bought for: they stay part swaps. Keyboards and screens stay part
#: swaps everywhere (``D``): a laptop is not usable without them.
CAVEAT_ITEMS: Mapping[str, frozenset[str]] = {
    "laptop": frozenset({"webcam", "audio"}),
    "desktop": frozenset({"audio", "optical_drive"}),
    "server": frozenset(),
    "screen": frozenset(),
    "phone": frozenset(),
    "tablet": frozenset(),
    "other": frozenset(),
}

#: Sources cited in findings.
SOURCE_PART_SWAP = "Relife policy: DESIGN §2.2 (D = reusable after a part swap); EU 2023/1670 Annex II"
SOURCE_FUNCTION = "Relife policy: DESIGN §3.2 functional check; décret 2022-190 (every function tested)"
SOURCE_CAVEAT = "Relife policy: a failed convenience function is a caveat on a usable device (grade C, item named)"

MAX_NOTE_CHARS = 2000
MAX_ITEMS = 200


def grade_checklist(doc: Mapping[str, Any], source: str) -> ComponentReport:
    """Validate and grade one checklist document. Raises ``ParseError`` naming what is wrong."""
    if not isinstance(doc, Mapping):
        raise ParseError(source, "a checklist must be a JSON object")
    if doc.get("kind") != CHECKLIST_KIND:
        raise ParseError(source, f'not a checklist: "kind" must be "{CHECKLIST_KIND}"')
    device_kind = doc.get("device_kind")
    if not isinstance(device_kind, str) or device_kind not in EXPECTED_ITEMS:
        raise ParseError(source, f"device_kind must be one of {', '.join(EXPECTED_ITEMS)} (got {device_kind!r})")
    items = _read_items(doc.get("items"), source)

    expected = EXPECTED_ITEMS[device_kind]
    swaps = PART_SWAPS[device_kind]
    recorded = {name: result for name, (result, _note) in items.items() if result != NOT_APPLICABLE}
    missing = [name for name in expected if name not in items]
    caveats = CAVEAT_ITEMS[device_kind]
    failed = [name for name, result in recorded.items() if result == FAIL]
    failed_caveats = [name for name in failed if name in caveats]
    failed_swaps = [name for name in failed if name in swaps]
    failed_other = [name for name in failed if name not in swaps and name not in caveats]

    findings: list[Finding] = []
    for name in failed_other:
        findings.append(
            Finding(
                code="manual.function_failed",
                severity=Severity.CRITICAL,
                message=f"{_label(name)} does not work and is not fixed by swapping one part",
                evidence=_evidence(name, items),
                source=SOURCE_FUNCTION,
            )
        )
    for name in failed_swaps:
        findings.append(
            Finding(
                code="manual.replace_part",
                severity=Severity.CRITICAL,
                message=f"replace the {_label(name)}",
                evidence=_evidence(name, items),
                source=SOURCE_PART_SWAP,
            )
        )
    for name in failed_caveats:
        findings.append(
            Finding(
                code="manual.function_caveat",
                severity=Severity.WARNING,
                message=f"{_label(name)} does not work: the {device_kind} works without it (name it in the listing)",
                evidence=_evidence(name, items),
                source=SOURCE_CAVEAT,
            )
        )
    if missing:
        findings.append(
            Finding(
                code="manual.items_missing",
                severity=Severity.WARNING if recorded else Severity.INFO,
                message=f"not checked: {', '.join(_label(n) for n in missing)}",
                evidence={"attribute": "items", "value": missing, "threshold": list(expected)},
                source=SOURCE_FUNCTION,
            )
        )

    if not recorded:
        health, grade = Health.UNKNOWN, UNKNOWN_GRADE
        findings.append(
            Finding(
                code="manual.nothing_recorded",
                severity=Severity.WARNING,
                message="the checklist records no pass or fail: run the functional check",
                evidence={"attribute": "items", "value": len(items)},
                source=SOURCE_FUNCTION,
            )
        )
    elif failed_other:
        health, grade = Health.FAILING, Grade.F
    elif failed_swaps:
        health, grade = Health.FAILING, Grade.D
    elif failed_caveats:
        health, grade = Health.WORN, Grade.C
    elif missing:
        health, grade = Health.HEALTHY, Grade.B
    else:
        health, grade = Health.HEALTHY, Grade.A

    identity: dict[str, Any] = {
        "device_kind": device_kind,
        "technician": _optional_str(doc.get("technician")),
        "checked_at": _optional_str(doc.get("checked_at")),
    }
    measurements: dict[str, Any] = {
        "items": {name: {"result": result, "note": note} for name, (result, note) in items.items()},
        "passed": sum(1 for r in recorded.values() if r == PASS),
        "failed": failed,
        "not_applicable": [name for name, (result, _) in items.items() if result == NOT_APPLICABLE],
        "missing": missing,
        "parts_to_replace": failed_swaps,
        "caveats": failed_caveats,
    }
    return ComponentReport(
        component=ComponentKind.MANUAL,
        format=FORMAT,
        identity=identity,
        measurements=measurements,
        assessment=Assessment(
            health=health,
            grade=grade,
            findings=tuple(findings),
            remaining_life=None,  # a functional check says nothing about how long things will last
            policy=POLICY_VERSION,
        ),
        replaceable=not failed_other,
        record=dict(doc),
    )


def checklist_template(device_kind: str) -> dict[str, Any]:
    """An empty checklist for ``device_kind``, every expected item listed with an empty result.

    The empty result is deliberately invalid: a template uploaded without being filled in is refused
    instead of passing for a device where everything works.
    """
    if device_kind not in EXPECTED_ITEMS:
        raise ValueError(f"device_kind must be one of {', '.join(EXPECTED_ITEMS)}")
    return {
        "kind": CHECKLIST_KIND,
        "device_kind": device_kind,
        "technician": "",
        "checked_at": "",
        "items": [{"item": name, "result": "", "note": ""} for name in EXPECTED_ITEMS[device_kind]],
    }


#: What a checklist that records nothing is graded: the grade of a component we know nothing
#: about. ``assess_device`` ignores components whose health is unknown when it picks the worst one.
UNKNOWN_GRADE = Grade.C


def _read_items(raw: object, source: str) -> dict[str, tuple[str, str | None]]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ParseError(source, "items must be a list of {item, result, note}")
    if len(raw) > MAX_ITEMS:
        raise ParseError(source, f"too many items ({len(raw)}; at most {MAX_ITEMS})")
    items: dict[str, tuple[str, str | None]] = {}
    for index, entry in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(entry, Mapping):
            raise ParseError(source, f"{where} must be an object with item and result")
        name = entry.get("item")
        if not isinstance(name, str) or not name.strip():
            raise ParseError(source, f"{where}.item must be a non-empty string")
        name = name.strip().lower().replace(" ", "_").replace("-", "_")
        result = entry.get("result")
        normalised = _RESULT_ALIASES.get(result.strip().lower()) if isinstance(result, str) else None
        if normalised is None:
            raise ParseError(source, f"{where} ({name}): result must be pass, fail or na (got {result!r})")
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            raise ParseError(source, f"{where} ({name}): note must be a string")
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise ParseError(source, f"{where} ({name}): note longer than {MAX_NOTE_CHARS} characters")
        if name in items:
            raise ParseError(source, f"{where}: item {name!r} is recorded twice")
        items[name] = (normalised, note or None)
    return items


def _evidence(name: str, items: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    result, note = items[name]
    return {"attribute": name, "value": result, "note": note}


def _label(name: str) -> str:
    return name.replace("_", " ")


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


#: What each checklist finding code means, for the people reading the grade (French, English).
EXPLANATIONS: dict[str, Explanation] = {
    "manual.function_failed": Explanation(
        "Une fonction ne marche pas et ne se répare pas en changeant une seule pièce.",
        "A function does not work and cannot be fixed by swapping one part.",
    ),
    "manual.replace_part": Explanation(
        "Une pièce ne marche pas : l'appareil sera réutilisable une fois la pièce changée.",
        "A part does not work: the device is reusable once the part is replaced.",
    ),
    "manual.function_caveat": Explanation(
        "Une fonction secondaire ne marche pas (webcam, haut-parleurs…) : l'appareil reste utilisable, "
        "l'annonce le signale.",
        "A secondary function does not work (webcam, speakers…): the device stays usable and the listing says so.",
    ),
    "manual.items_missing": Explanation(
        "Certaines fonctions n'ont pas été vérifiées : l'appareil ne peut pas être annoncé comme neuf.",
        "Some functions were not checked: the device cannot be listed as like new.",
    ),
    "manual.nothing_recorded": Explanation(
        "La vérification manuelle ne contient aucun résultat : elle reste à faire.",
        "The hand check records no result: it still has to be done.",
    ),
}
