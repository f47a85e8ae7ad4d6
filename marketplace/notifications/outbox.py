"""Writing messages: render in the recipient's language and add an outbox row to the caller's session.

Rendering happens here, at enqueue time, so the row holds exactly what will be sent (a later change
of a template or of the data does not alter a message already decided) and the worker needs no
application code but SMTP. Nothing here imports Flask.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import dates, numbers
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from marketplace.db import insert_ignore_many, utcnow
from marketplace.notifications.models import OutboxMessage, OutboxStatus

PARIS = ZoneInfo("Europe/Paris")
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

#: Subject lines per kind and language (``str.format`` with the message's context).
SUBJECTS: Mapping[str, Mapping[str, str]] = {
    "email_verification": {
        "fr": "Confirmez votre adresse email Relife",
        "en": "Confirm your Relife email address",
    },
    "password_reset": {
        "fr": "Nouveau mot de passe Relife",
        "en": "Your new Relife password",
    },
    "invitation": {
        "fr": "Invitation à rejoindre {organisation} sur Relife",
        "en": "Invitation to join {organisation} on Relife",
    },
    "test": {
        "fr": "Message de test Relife",
        "en": "Relife test message",
    },
    # -- what happens to listings, orders, invoices, loans (``notifications.events``, ``reminders``)
    "reservation_made": {
        "fr": "{device} est réservé par {buyer}",
        "en": "{device} is reserved by {buyer}",
    },
    "reservation_expiring": {
        "fr": "Votre réservation de {device} expire bientôt",
        "en": "Your reservation of {device} ends soon",
    },
    "order_confirmed": {
        "fr": "Commande n° {order_id} confirmée : {device}",
        "en": "Order {order_id} confirmed: {device}",
    },
    "listing_sold": {
        "fr": "{device} : commande n° {order_id} de {buyer}",
        "en": "{device}: order {order_id} from {buyer}",
    },
    "order_paid": {
        "fr": "Commande n° {order_id} payée",
        "en": "Order {order_id} paid",
    },
    "order_handed_over": {
        "fr": "Commande n° {order_id} remise : {device}",
        "en": "Order {order_id} handed over: {device}",
    },
    "invoice_issued": {
        "fr": "Facture {invoice_number} de {seller}",
        "en": "Invoice {invoice_number} from {seller}",
    },
    "invoice_due": {
        "fr": "Rappel : facture {invoice_number} à régler avant le {due_on_text}",
        "en": "Reminder: invoice {invoice_number} is due on {due_on_text}",
    },
    "invoice_overdue": {
        "fr": "Facture {invoice_number} impayée : échue le {due_on_text}",
        "en": "Invoice {invoice_number} unpaid: it was due on {due_on_text}",
    },
    "return_requested": {
        "fr": "Demande de retour, commande n° {order_id} : {device}",
        "en": "Return requested, order {order_id}: {device}",
    },
    "return_accepted": {
        "fr": "Retour accepté, commande n° {order_id} : {device}",
        "en": "Return accepted, order {order_id}: {device}",
    },
    "return_refused": {
        "fr": "Retour refusé, commande n° {order_id} : {device}",
        "en": "Return refused, order {order_id}: {device}",
    },
    "loan_starting": {
        "fr": "Le prêt de {device} commence le {start_text}",
        "en": "The loan of {device} starts on {start_text}",
    },
    "loan_due": {
        "fr": "Prêt de {device} : retour prévu le {end_text}",
        "en": "Loan of {device}: due back on {end_text}",
    },
    "loan_overdue": {
        "fr": "Prêt de {device} en retard : retour prévu le {end_text}",
        "en": "Loan of {device} overdue: it was due back on {end_text}",
    },
    "loan_returned": {
        "fr": "Prêt de {device} terminé : appareil rendu",
        "en": "Loan of {device} ended: device returned",
    },
    # -- the cluster staff's review of an organisation (``members.approvals``)
    "organisation_approved": {
        "fr": "{organisation} est approuvée sur Relife",
        "en": "{organisation} is approved on Relife",
    },
    "organisation_refused": {
        "fr": "{organisation} n'est pas approuvée sur Relife",
        "en": "{organisation} is not approved on Relife",
    },
}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("marketplace.notifications", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def money(cents: int, currency: str, language: str) -> str:
    """``12,50 €`` in French, ``€12.50`` in English."""
    return str(numbers.format_currency(cents / 100, currency, locale=language_of(language)))


def day(value: dt.date, language: str) -> str:
    """``7 décembre 2026`` / ``December 7, 2026``."""
    return str(dates.format_date(value, "long", locale=language_of(language)))


def moment(value: dt.datetime, language: str) -> str:
    """A time of day in Paris, the cluster's time zone (``14:05`` / ``2:05 PM``)."""
    local = value.astimezone(PARIS)
    return str(dates.format_time(local, "short", locale=language_of(language)))


def _paragraphs(text: str) -> Markup:
    """A plain-text body as HTML paragraphs, its links clickable (for kinds with no HTML template)."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = []
        for line in block.split("\n"):
            stripped = line.strip()
            if stripped.startswith(("https://", "http://")) and " " not in stripped:
                lines.append(Markup('<a href="{0}">{0}</a>').format(stripped))
            else:
                lines.append(escape(line))
        out.append(Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>"))
    return Markup("\n").join(out)


_ENV.filters["paragraphs"] = _paragraphs


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def render(kind: str, language: str, context: Mapping[str, Any]) -> Rendered:
    """The subject, plain text and HTML of ``kind`` in ``language`` (French when unknown)."""
    language = language_of(language)
    values = {**context, "language": language}
    # One line whatever the data holds (a name with a line break would make an invalid header).
    subject = " ".join(SUBJECTS[kind][language].format(**context).split())
    text = _ENV.get_template(f"{kind}.{language}.txt").render(values)
    try:
        html_template = _ENV.get_template(f"{kind}.{language}.html")
    except jinja2.TemplateNotFound:
        # Most messages are a few sentences and a link: their HTML part is their text, in the layout.
        html_template = _ENV.get_template("_text.html")
        values = {**values, "title": subject, "text": text}
    html = html_template.render(values)
    return Rendered(subject, text, html)


def new_message_id(domain: str) -> str:
    return f"<{secrets.token_hex(16)}@{domain}>"


def domain_of(address: str) -> str:
    """The domain of the sender's address (``Relife <no-reply@relife.example>`` → relife.example)."""
    address = address.strip().rstrip(">")
    return address.rpartition("@")[2] or "relife.invalid"


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    language: str | None,
    context: Mapping[str, Any],
    sender_domain: str,
    user_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in ``session``: it is sent if and only if the session commits."""
    lang = language_of(language)
    rendered = render(kind, lang, context)
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        language=lang,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        message_id=new_message_id(sender_domain),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=not_before or utcnow(),
        user_id=user_id,
    )
    session.add(message)
    session.flush()
    return message


def once(
    *,
    dedupe_key: str,
    kind: str,
    recipient: str,
    language: str | None,
    context: Mapping[str, Any],
    sender_domain: str,
    user_id: int | None = None,
) -> dict[str, Any]:
    """The outbox row of a message written at most once (``enqueue_once``), rendered now."""
    lang = language_of(language)
    rendered = render(kind, lang, context)
    return {
        "kind": kind,
        "recipient": recipient,
        "language": lang,
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "message_id": new_message_id(sender_domain),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "user_id": user_id,
        "dedupe_key": dedupe_key[:200],
        "created_at": utcnow(),
    }


def enqueue_once(session: Session, rows: list[dict[str, Any]]) -> int:
    """Write the rows of ``once`` whose ``dedupe_key`` was never written, in one ``INSERT … ON CONFLICT
    DO NOTHING``; returns how many this call wrote. Two transactions writing the same key at once: the
    second waits for the first and writes nothing once it commits (PostgreSQL; SQLite serialises writers)."""
    return insert_ignore_many(session, OutboxMessage, rows)
