"""Finding codes in plain words, for the people who read a device's page: what each means for the
one who takes the device. The one place the pages read them from (``explain``): when
``diagnostics.grading`` carries its own French and English explanation per code, ``explain`` is the
line to change. An unknown code still reads as a sentence, naming the part it concerns.
"""

from __future__ import annotations

#: code → (French, English).
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "battery.capacity_healthy": (
        "La batterie garde l'essentiel de sa capacité d'origine : autonomie proche du neuf.",
        "The battery keeps most of its original capacity: runtime close to new.",
    ),
    "battery.capacity_worn": (
        "La batterie a perdu une partie de sa capacité : autonomie plus courte, à prévoir de remplacer.",
        "The battery has lost part of its capacity: shorter runtime, plan to replace it.",
    ),
    "battery.capacity_failing": (
        "La batterie ne tient presque plus la charge : elle est à remplacer.",
        "The battery barely holds a charge: it needs replacing.",
    ),
    "battery.capacity_above_design": (
        "La batterie annonce plus que sa capacité d'origine : mesure à prendre avec prudence.",
        "The battery reports more than its design capacity: read this figure with caution.",
    ),
    "battery.capacity_implausible": (
        "Les chiffres de capacité de la batterie sont incohérents : son état n'est pas établi.",
        "The battery's capacity figures are implausible: its state is not established.",
    ),
    "battery.capacity_inconsistent": (
        "Les mesures de capacité de la batterie se contredisent : état incertain.",
        "The battery's capacity readings disagree: its state is uncertain.",
    ),
    "battery.condition_normal": (
        "Le système déclare la batterie en bon état.",
        "The system reports the battery as in normal condition.",
    ),
    "battery.condition_service": (
        "Le système demande un entretien de la batterie : elle est à remplacer.",
        "The system asks for the battery to be serviced: it needs replacing.",
    ),
    "battery.cycle_count_high": (
        "La batterie a fait beaucoup de cycles de charge : elle s'usera plus vite.",
        "The battery has been through many charge cycles: it will wear faster.",
    ),
    "battery.permanent_failure": (
        "La batterie signale une panne définitive : elle est à remplacer.",
        "The battery reports a permanent failure: it must be replaced.",
    ),
    "battery.no_capacity_data": (
        "La batterie ne donne pas sa capacité : son usure n'a pas pu être mesurée.",
        "The battery does not report its capacity: its wear could not be measured.",
    ),
    "ata.reallocated_sectors": (
        "Le disque a remplacé des zones défectueuses : à surveiller, il peut s'user plus vite.",
        "The disk has replaced faulty areas: keep an eye on it, it may wear faster.",
    ),
    "ata.pending_sectors": (
        "Le disque a des zones illisibles en attente : risque de perte de données.",
        "The disk has unreadable areas waiting to be remapped: risk of data loss.",
    ),
    "ata.offline_uncorrectable": (
        "Le disque a des zones qu'il n'arrive pas à corriger : risque de perte de données.",
        "The disk has areas it cannot correct: risk of data loss.",
    ),
    "ata.reported_uncorrectable": (
        "Le disque a déjà renvoyé des erreurs de lecture non corrigées.",
        "The disk has already returned uncorrected read errors.",
    ),
    "ata.crc_errors": (
        "Des erreurs de transmission ont été vues, souvent dues au câble : sans effet sur le disque lui-même.",
        "Transfer errors were seen, usually a cable issue: not a fault of the disk itself.",
    ),
    "ata.error_log_entries": (
        "Le journal d'erreurs du disque n'est pas vide : le plus souvent sans gravité.",
        "The disk's error log has entries: usually harmless.",
    ),
    "ata.load_cycles": (
        "Les têtes du disque ont beaucoup travaillé : usure mécanique avancée.",
        "The disk's heads have parked many times: advanced mechanical wear.",
    ),
    "ata.attribute_failing_now": (
        "Un indicateur du disque est sous son seuil de panne : le disque est à remplacer.",
        "One of the disk's indicators is below its failure threshold: the disk must be replaced.",
    ),
    "ata.attribute_failed_in_past": (
        "Un indicateur du disque a déjà franchi son seuil de panne par le passé.",
        "One of the disk's indicators crossed its failure threshold in the past.",
    ),
    "ata.attribute_end_of_life": (
        "Le disque annonce approcher de sa fin de vie.",
        "The disk reports that it is nearing its end of life.",
    ),
    "nvme.error_log_entries": (
        "Le journal d'erreurs du SSD n'est pas vide : le plus souvent des commandes refusées, sans gravité.",
        "The SSD's error log has entries: usually rejected commands, harmless.",
    ),
    "nvme.media_errors": (
        "Le SSD a connu des erreurs sur ses données : risque de perte de données.",
        "The SSD has had errors on stored data: risk of data loss.",
    ),
    "nvme.critical_warning": (
        "Le SSD lève une alerte critique : il est à remplacer.",
        "The SSD raises a critical warning: it must be replaced.",
    ),
    "nvme.spare_below_threshold": (
        "Le SSD a épuisé sa réserve de cellules : il est à remplacer.",
        "The SSD has used up its spare cells: it must be replaced.",
    ),
    "nvme.temperature_warning": (
        "Le SSD a déjà trop chauffé.",
        "The SSD has run too hot.",
    ),
    "nvme.percentage_used": (
        "Usure du SSD d'après le SSD lui-même.",
        "The SSD's wear as the SSD reports it.",
    ),
    "ssd.wear": (
        "Le SSD a consommé une partie de son endurance d'écriture.",
        "The SSD has used part of its write endurance.",
    ),
    "ssd.retired_blocks": (
        "Le SSD a mis de côté des blocs usés.",
        "The SSD has retired worn blocks.",
    ),
    "scsi.grown_defects": (
        "Le disque a découvert de nouvelles zones défectueuses : à surveiller.",
        "The disk has found new faulty areas: keep an eye on it.",
    ),
    "scsi.uncorrected_errors": (
        "Le disque a eu des erreurs non corrigées : risque de perte de données.",
        "The disk has had uncorrected errors: risk of data loss.",
    ),
    "scsi.pending_defects": (
        "Le disque a des zones défectueuses en attente.",
        "The disk has pending faulty areas.",
    ),
    "selftest.failed": (
        "Le dernier autotest du disque a échoué : le disque est à remplacer.",
        "The disk's latest self-test failed: the disk must be replaced.",
    ),
    "selftest.past_failure": (
        "Un ancien autotest du disque avait échoué ; le plus récent est bon.",
        "An earlier self-test of the disk failed; the latest one passed.",
    ),
    "selftest.read_failure": (
        "L'autotest n'a pas pu lire tout le disque : risque de perte de données.",
        "The self-test could not read the whole disk: risk of data loss.",
    ),
    "smart.overall_failed": (
        "Le disque se déclare lui-même en panne : il est à remplacer.",
        "The disk declares itself failing: it must be replaced.",
    ),
    "disk.power_on_hours": (
        "Le disque a beaucoup fonctionné : il a déjà une longue vie derrière lui.",
        "The disk has run for many hours: it has a long life behind it.",
    ),
    "disk.temperature": (
        "Le disque chauffe plus que conseillé.",
        "The disk runs hotter than advised.",
    ),
    "disk.failing": (
        "Le disque est en train de lâcher : il est à remplacer.",
        "The disk is failing: it must be replaced.",
    ),
    "disk.limited_data": (
        "Le disque donne peu d'informations sur son état : note prudente.",
        "The disk reports little about its state: a cautious grade.",
    ),
    "disk.no_health_data": (
        "Le disque ne donne aucune information sur son état.",
        "The disk reports nothing about its state.",
    ),
    "device.limited_by": (
        "La note de l'appareil est celle de sa pièce la moins bonne.",
        "The device's grade is that of its weakest part.",
    ),
    "device.replace_part": (
        "Une pièce est à remplacer avant un long usage.",
        "A part needs replacing before long use.",
    ),
    "device.component_unknown": (
        "L'état d'une pièce n'a pas pu être établi.",
        "The state of one part could not be established.",
    ),
}

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
    known = EXPLANATIONS.get(code)
    if known is not None:
        return known[1] if english else known[0]
    part = _PARTS.get(code.partition(".")[0])
    if part is None:
        return "A point noted by the diagnostics." if english else "Un point relevé par le diagnostic."
    return f"A point noted about {part[1]}." if english else f"Un point relevé sur {part[0]}."
