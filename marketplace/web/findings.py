"""Finding codes in plain words, for the people who read a device's page: what each means for the
one who takes the device. The words are the grading's own (``diagnostics.grading.explain``: each
rule keeps its French and English explanation beside the code that raises it); a code without one
still reads as a sentence, naming the part it concerns.
"""

from __future__ import annotations

from diagnostics.grading import explain as grading

_PARTS = {
    "battery": ("la batterie", "the battery"),
    "ata": ("le disque", "the disk"),
    "scsi": ("le disque", "the disk"),
    "nvme": ("le SSD", "the SSD"),
    "ssd": ("le SSD", "the SSD"),
    "disk": ("le disque", "the disk"),
    "hdd": ("le disque", "the disk"),
    "selftest": ("le disque", "the disk"),
    "smart": ("le disque", "the disk"),
}


def explain(code: str, locale: str) -> str:
    """``code`` in plain words in ``locale`` (``fr`` unless it is English)."""
    english = locale.startswith("en")
    known = grading.explain(code, "en" if english else "fr")
    if known is not None:
        return known
    part = _PARTS.get(code.partition(".")[0])
    if part is None:
        return "A point noted by the diagnostics." if english else "Un point relevé par le diagnostic."
    return f"A point noted about {part[1]}." if english else f"Un point relevé sur {part[0]}."
