"""Account emails: signed links (email verification) and the messages that carry them.

A link's token is signed with the app's ``SECRET_KEY`` (itsdangerous, one salt per purpose) and
carries the user's id and the address it confirms, with its issue time: the signature makes it
tamper-proof, the time makes it expire, and the user's state makes it single-use (an address
already confirmed, or no longer the account's, cannot be confirmed by it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.members.models import User
from marketplace.notifications import outbox

VERIFICATION_SALT = "relife.email-verification"
VERIFICATION_HOURS = 48


@dataclass(frozen=True)
class LinkSettings:
    secret_key: str
    public_url: str
    sender_domain: str

    @classmethod
    def from_config(cls, config: Any) -> LinkSettings:
        return cls(config.secret_key, config.public_url, outbox.domain_of(config.mail_from))

    def serializer(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=salt)


def _bad_token(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"token": [message]})


def _load(settings: LinkSettings, salt: str, token: str, max_age_hours: int) -> dict[str, Any]:
    try:
        data = settings.serializer(salt).loads(token, max_age=max_age_hours * 3600)
    except SignatureExpired:
        raise _bad_token(f"This link has expired (links are valid {max_age_hours} hours): ask for a new one.") from None
    except BadSignature:
        raise _bad_token("This link is not valid (altered or incomplete): ask for a new one.") from None
    if not isinstance(data, dict):
        raise _bad_token("This link is not valid (altered or incomplete): ask for a new one.")
    return data


def send_verification(session: Session, user: User, settings: LinkSettings) -> None:
    """Queue the email-verification message for the user's current address (same transaction)."""
    token = settings.serializer(VERIFICATION_SALT).dumps({"u": user.id, "e": user.email})
    outbox.enqueue(
        session,
        kind="email_verification",
        recipient=user.email,
        language=user.language,
        user_id=user.id,
        sender_domain=settings.sender_domain,
        context={
            "display_name": user.display_name,
            "email": user.email,
            "link": f"{settings.public_url}/account/verify-email?token={token}",
            "hours": VERIFICATION_HOURS,
        },
    )


def confirm_email(session: Session, token: str, settings: LinkSettings) -> User:
    data = _load(settings, VERIFICATION_SALT, token, VERIFICATION_HOURS)
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.email != data.get("e"):
        raise _bad_token("This link is for an address that is no longer this account's: ask for a new one.")
    if user.email_verified_at is not None:
        raise InvalidState("This address is already confirmed: the link has been used.")
    user.email_verified_at = utcnow()
    session.flush()
    return user
