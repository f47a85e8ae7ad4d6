"""The words of the documents, French first, English second, in one place.

A small local catalogue until the site's message catalogues (Flask-Babel) cover documents too:
``text(lang, key, **values)``. The language is ``?lang=fr|en``, else the request's
``Accept-Language``, else French.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import request

LANGUAGES = ("fr", "en")
DEFAULT = "fr"

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "fr": {
        # erasure certificate
        "cert.title": "Certificat d'effacement des données",
        "cert.number": "Certificat n° {number}",
        "cert.issued": "Émis le {date} par Relife",
        "cert.organisation": "Organisation",
        "cert.siret": "SIRET {siret}",
        "cert.device": "Appareil",
        "cert.device_line": "{kind} {make} {model}, n° de série {serial}",
        "cert.asset_tag": "Étiquette d'inventaire {asset_tag}",
        "cert.report": "Disques relevés par le rapport de diagnostic n° {report_id}",
        "cert.no_report": "Aucun rapport de diagnostic des disques",
        "cert.no_disk": "L'appareil n'a pas de stockage : aucun effacement n'est nécessaire.",
        "cert.disk": "Disque {n} : {model}",
        "cert.unknown_model": "modèle inconnu",
        "cert.capacity": "Capacité",
        "cert.serial": "N° de série",
        "cert.method": "Méthode",
        "cert.standard": "Norme",
        "cert.tool": "Outil",
        "cert.verification": "Vérification",
        "cert.operator": "Opérateur",
        "cert.dates": "Début – fin",
        "cert.verified": "vérifié",
        "cert.not_verified": "NON vérifié",
        "cert.not_recorded": "non renseigné",
        "cert.no_erasure": "Aucun effacement enregistré.",
        "cert.in_device": "Présence",
        "cert.not_in_device": "plus vu dans l'appareil au dernier diagnostic",
        "cert.removal": "Retiré de l'appareil",
        "cert.removal.kept": "conservé par l'organisation",
        "cert.removal.destroyed": "détruit",
        "cert.removal.moved": "déplacé dans un autre appareil",
        "cert.evidence": "Preuve (journal de l'outil)",
        "cert.evidence_sha256": "SHA-256 de la preuve",
        "cert.complete": "Complet : chaque disque a un effacement vérifié ou un retrait enregistré.",
        "cert.incomplete": "INCOMPLET : au moins un disque n'a ni effacement vérifié ni retrait enregistré.",
        "cert.digest": "Empreinte (HMAC-SHA-256) du contenu",
        "cert.verify_at": "Vérifier ce certificat : {url}",
        "cert.verify_hint": "Scannez le code QR : la page dit si ce certificat existe et n'a pas été modifié.",
        "method.clear": "effacement logique (clear)",
        "method.purge": "purge",
        "method.destroy": "destruction",
        # verification page
        "verify.title": "Vérification d'un certificat d'effacement",
        "verify.valid": "Certificat valide",
        "verify.valid_detail": "Ce certificat a été émis par Relife et correspond aux effacements enregistrés.",
        "verify.altered": "Certificat NON valide",
        "verify.altered_detail": (
            "Ce numéro existe, mais les effacements enregistrés ne correspondent plus au contenu émis : "
            "ne vous fiez pas à ce certificat."
        ),
        "verify.mismatch": "Empreinte différente",
        "verify.mismatch_detail": (
            "Ce numéro existe, mais l'empreinte imprimée sur votre document n'est pas celle du certificat émis : "
            "le document a été modifié."
        ),
        "verify.unknown": "Certificat inconnu",
        "verify.unknown_detail": "Aucun certificat ne porte ce numéro.",
        "verify.issued_on": "Émis le",
        "verify.disks": "Disques",
        "verify.serial_end": "n° de série se terminant par {end}",
        "verify.switch": "English",
        # labels
        "label.scan": "Scannez pour la fiche",
        # invoices
        "inv.invoice": "Facture",
        "inv.credit_note": "Avoir",
        "inv.number": "{kind} n° {number}",
        "inv.issued_on": "Date d'émission : {date}",
        "inv.delivery": "Date de la vente : {date}",
        "inv.due_on": "Date d'échéance : {date}",
        "inv.refers_to": "Annule la facture n° {number} du {date}",
        "inv.order": "Commande n° {order}",
        "inv.seller": "Vendeur",
        "inv.buyer": "Acheteur",
        "inv.siret": "SIRET : {siret}",
        "inv.vat_number": "N° TVA intracommunautaire : {vat}",
        "inv.operation": "Catégorie de l'opération : livraison de biens",
        "inv.col.description": "Désignation",
        "inv.col.quantity": "Qté",
        "inv.col.unit": "Prix unitaire HT",
        "inv.col.vat": "TVA",
        "inv.col.total": "Total HT",
        "inv.col.unit_margin": "Prix unitaire",
        "inv.col.total_margin": "Total",
        "inv.line": "{make} {model} d'occasion (inventaire {asset_tag})",
        "inv.total_ht": "Total HT",
        "inv.total_vat": "TVA {rate} %",
        "inv.total_ttc": "Total TTC",
        "inv.total": "Total",
        "inv.net": "Net à payer",
        "inv.refund": "Montant à rembourser",
        "inv.vat.margin": "Régime particulier – biens d'occasion : TVA sur la marge – article 297 A du CGI.",
        "inv.vat.not_liable": "TVA non applicable, article 293 B du CGI.",
        "inv.terms": "Conditions de paiement : virement à {days} jours, au plus tard le {date}.",
        "inv.paid": "Payée le {date}.",
        "inv.no_discount": "Pas d'escompte pour paiement anticipé.",
        "inv.late": (
            "En cas de retard de paiement : pénalités de retard au taux d'intérêt appliqué par la BCE à son "
            "opération de refinancement la plus récente, majoré de 10 points (article L441-10 du Code de "
            "commerce), et indemnité forfaitaire pour frais de recouvrement de 40 € (article D441-5 du Code de "
            "commerce)."
        ),
        "inv.credit_terms": "Le montant de l'avoir est remboursé à l'acheteur ou imputé sur une prochaine facture.",
        "inv.platform": "Document établi par la plateforme Relife pour le compte du vendeur.",
        "inv.page": "Page {page}",
    },
    "en": {
        "cert.title": "Data erasure certificate",
        "cert.number": "Certificate no. {number}",
        "cert.issued": "Issued {date} by Relife",
        "cert.organisation": "Organisation",
        "cert.siret": "SIRET {siret}",
        "cert.device": "Device",
        "cert.device_line": "{kind} {make} {model}, serial {serial}",
        "cert.asset_tag": "Asset tag {asset_tag}",
        "cert.report": "Disks from diagnostics report no. {report_id}",
        "cert.no_report": "No disk report",
        "cert.no_disk": "The device has no storage: no erasure is needed.",
        "cert.disk": "Disk {n}: {model}",
        "cert.unknown_model": "unknown model",
        "cert.capacity": "Capacity",
        "cert.serial": "Serial",
        "cert.method": "Method",
        "cert.standard": "Standard",
        "cert.tool": "Tool",
        "cert.verification": "Verification",
        "cert.operator": "Operator",
        "cert.dates": "Start – end",
        "cert.verified": "verified",
        "cert.not_verified": "NOT verified",
        "cert.not_recorded": "not recorded",
        "cert.no_erasure": "No erasure recorded.",
        "cert.in_device": "Presence",
        "cert.not_in_device": "no longer seen in the device at its latest diagnosis",
        "cert.removal": "Removed from the device",
        "cert.removal.kept": "kept by the organisation",
        "cert.removal.destroyed": "destroyed",
        "cert.removal.moved": "moved to another device",
        "cert.evidence": "Evidence (the tool's log)",
        "cert.evidence_sha256": "SHA-256 of the evidence",
        "cert.complete": "Complete: every disk has a verified erasure or a recorded removal.",
        "cert.incomplete": "INCOMPLETE: some disks have neither a verified erasure nor a recorded removal.",
        "cert.digest": "Digest (HMAC-SHA-256) of the content",
        "cert.verify_at": "Verify this certificate: {url}",
        "cert.verify_hint": "Scan the QR code: the page says whether this certificate exists and is unaltered.",
        "method.clear": "clear",
        "method.purge": "purge",
        "method.destroy": "destroy",
        "verify.title": "Erasure certificate verification",
        "verify.valid": "Valid certificate",
        "verify.valid_detail": "This certificate was issued by Relife and matches the recorded erasures.",
        "verify.altered": "Certificate NOT valid",
        "verify.altered_detail": (
            "This number exists, but the recorded erasures no longer match what was issued: do not rely on it."
        ),
        "verify.mismatch": "Digest mismatch",
        "verify.mismatch_detail": (
            "This number exists, but the digest printed on your document is not the issued one: "
            "the document was altered."
        ),
        "verify.unknown": "Unknown certificate",
        "verify.unknown_detail": "No certificate has this number.",
        "verify.issued_on": "Issued on",
        "verify.disks": "Disks",
        "verify.serial_end": "serial ending in {end}",
        "verify.switch": "Français",
        "label.scan": "Scan for its page",
        "inv.invoice": "Invoice",
        "inv.credit_note": "Credit note",
        "inv.number": "{kind} no. {number}",
        "inv.issued_on": "Issued on: {date}",
        "inv.delivery": "Date of sale: {date}",
        "inv.due_on": "Due on: {date}",
        "inv.refers_to": "Cancels invoice no. {number} of {date}",
        "inv.order": "Order no. {order}",
        "inv.seller": "Seller",
        "inv.buyer": "Buyer",
        "inv.siret": "SIRET: {siret}",
        "inv.vat_number": "EU VAT number: {vat}",
        "inv.operation": "Type of transaction: supply of goods",
        "inv.col.description": "Description",
        "inv.col.quantity": "Qty",
        "inv.col.unit": "Unit price excl. VAT",
        "inv.col.vat": "VAT",
        "inv.col.total": "Total excl. VAT",
        "inv.col.unit_margin": "Unit price",
        "inv.col.total_margin": "Total",
        "inv.line": "Used {make} {model} (asset {asset_tag})",
        "inv.total_ht": "Total excl. VAT",
        "inv.total_vat": "VAT {rate} %",
        "inv.total_ttc": "Total incl. VAT",
        "inv.total": "Total",
        "inv.net": "Amount due",
        "inv.refund": "Amount to refund",
        "inv.vat.margin": "Margin scheme – second-hand goods: VAT on the margin, article 297 A of the CGI.",
        "inv.vat.not_liable": "VAT not applicable, article 293 B of the CGI.",
        "inv.terms": "Payment terms: bank transfer within {days} days, by {date} at the latest.",
        "inv.paid": "Paid on {date}.",
        "inv.no_discount": "No discount for early payment.",
        "inv.late": (
            "Late payment: penalties at the ECB's most recent refinancing rate plus 10 points (article L441-10 "
            "of the French Commercial Code) and a fixed recovery fee of €40 (article D441-5)."
        ),
        "inv.credit_terms": "The credit note's amount is refunded to the buyer or set against a future invoice.",
        "inv.platform": "Document drawn up by the Relife platform on behalf of the seller.",
        "inv.page": "Page {page}",
    },
}

KINDS: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "laptop": "Ordinateur portable",
        "desktop": "Ordinateur de bureau",
        "server": "Serveur",
        "screen": "Écran",
        "phone": "Téléphone",
        "tablet": "Tablette",
        "other": "Appareil",
    },
    "en": {},
}


def current_language() -> str:
    """``?lang=``, else Accept-Language, else French."""
    asked = request.args.get("lang", "").strip().lower()[:2]
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT) or DEFAULT


def text(lang: str, key: str, **values: object) -> str:
    template = MESSAGES.get(lang, MESSAGES[DEFAULT]).get(key) or MESSAGES[DEFAULT][key]
    return template.format(**values) if values else template


def kind_name(lang: str, kind: str) -> str:
    return KINDS.get(lang, {}).get(kind) or kind.replace("_", " ").capitalize()


def date(lang: str, day: dt.date | dt.datetime) -> str:
    if isinstance(day, dt.datetime):
        day = day.astimezone(dt.UTC)
        return day.strftime("%d/%m/%Y %H:%M UTC") if lang == "fr" else day.strftime("%Y-%m-%d %H:%M UTC")
    return day.strftime("%d/%m/%Y") if lang == "fr" else day.isoformat()


def money(lang: str, cents: int, currency: str = "EUR") -> str:
    """``1 234,56 €`` in French, ``€1,234.56`` in English (EUR); other currencies by their code."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    if lang == "fr":
        grouped = f"{whole:,}".replace(",", "\u00a0")
        amount = f"{grouped},{part:02d}"
        return f"{sign}{amount}\u00a0€" if currency == "EUR" else f"{sign}{amount}\u00a0{currency}"
    amount = f"{whole:,}.{part:02d}"
    return f"{sign}€{amount}" if currency == "EUR" else f"{sign}{amount} {currency}"


def capacity(lang: str, size: int | None) -> str:
    if not size:
        return "—"
    value = size / 1e9
    unit = "Go" if lang == "fr" else "GB"
    if value >= 1000:
        value, unit = value / 1000, ("To" if lang == "fr" else "TB")
    shown = f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    return f"{shown.replace('.', ',') if lang == 'fr' else shown} {unit}"
