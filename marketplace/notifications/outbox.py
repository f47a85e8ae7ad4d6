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

import jinja2
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.notifications.models import OutboxMessage, OutboxStatus

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
    subject = SUBJECTS[kind][language].format(**context)
    text = _ENV.get_template(f"{kind}.{language}.txt").render(values)
    html = _ENV.get_template(f"{kind}.{language}.html").render(values)
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
