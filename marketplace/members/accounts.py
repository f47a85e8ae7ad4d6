"""Account emails: signed links (email verification) and the messages that carry them.

Also the account changes that need them: password reset, changing the password or the email
(with the current password), the user's own tokens.

A link's token is signed with the app's ``SECRET_KEY`` (itsdangerous, one salt per purpose) and
carries the user's id and the address it confirms, with its issue time: the signature makes it
tamper-proof, the time makes it expire, and the user's state makes it single-use (an address
already confirmed, or no longer the account's, cannot be confirmed by it again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from marketplace.config import DEVELOPMENT_PUBLIC_URL
from marketplace.db import utcnow
from marketplace.errors import Conflict, InvalidState, NotFound, ValidationFailed
from marketplace.members import passwords, service
from marketplace.members.access import Principal, require_user
from marketplace.members.models import ApiToken, User
from marketplace.members.throttle import ActionThrottle
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
        return cls(config.secret_key, config.public_url or DEVELOPMENT_PUBLIC_URL, outbox.domain_of(config.mail_from))

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


# --- password reset ---------------------------------------------------------------------------

RESET_SALT = "relife.password-reset"
RESET_HOURS = 1


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does: a reset link dies once used, or once any new password is set."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def request_password_reset(
    session: Session, email: str, settings: LinkSettings, throttle: ActionThrottle, limits: ResetLimits
) -> None:
    """Email a reset link if ``email`` is an active account; the same answer (and the same counting)
    either way, so the request does not tell whether the address has an account."""
    email = service.normalise_email(email)
    throttle.hit(
        "reset-address", limits.client_address, per_hour=limits.per_address,
        what="Too many password-reset requests from your address",
    )  # fmt: skip
    throttle.hit(
        "reset-email", email, per_hour=limits.per_email, what="Too many password-reset requests for this address"
    )
    user = session.scalar(sa.select(User).where(User.email == email))
    if user is None or not user.is_active:
        return
    token = settings.serializer(RESET_SALT).dumps({"u": user.id, "h": _password_fingerprint(user)})
    outbox.enqueue(
        session,
        kind="password_reset",
        recipient=user.email,
        language=user.language,
        user_id=user.id,
        sender_domain=settings.sender_domain,
        context={
            "display_name": user.display_name,
            "link": f"{settings.public_url}/account/reset-password?token={token}",
            "minutes": RESET_HOURS * 60,
        },
    )


@dataclass(frozen=True)
class ResetLimits:
    client_address: str
    per_address: int
    per_email: int


def confirm_password_reset(session: Session, token: str, password: str, settings: LinkSettings) -> None:
    data = _load(settings, RESET_SALT, token, RESET_HOURS)
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.is_active:
        raise _bad_token("This link is not valid (altered or incomplete): ask for a new one.")
    if data.get("h") != _password_fingerprint(user):
        raise InvalidState("This link has been used, or the password was changed since: ask for a new one.")
    service.check_password_policy(password, email=user.email, display_name=user.display_name)
    user.password_hash = passwords.hash_password(password)
    # Whoever had the password (or a token) before the reset is signed out: every session ends.
    revoke_personal_tokens(session, user.id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached that mailbox
    session.flush()


def revoke_personal_tokens(session: Session, user_id: int, *, keep_token_id: int | None = None) -> int:
    """Revoke the user's bearer tokens and browser sessions (all but ``keep_token_id``)."""
    stmt = sa.update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.kind.in_(service.USER_KINDS), ApiToken.revoked_at.is_(None)
    )
    if keep_token_id is not None:
        stmt = stmt.where(ApiToken.id != keep_token_id)
    return session.execute(stmt.values(revoked_at=utcnow())).rowcount  # type: ignore[attr-defined,no-any-return]


# --- changes by the signed-in user -----------------------------------------------------------


def _me(session: Session, principal: Principal | None) -> tuple[Principal, User]:
    principal = require_user(principal)
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("No such user.")
    return principal, user


def _check_current_password(user: User, password: str, throttle: ActionThrottle) -> None:
    throttle.hit("current-password", str(user.id), per_hour=10, what="Too many attempts at your current password")
    if not passwords.verify_password(user.password_hash, password):
        raise ValidationFailed(
            "The current password is wrong.", errors={"current_password": ["Not your current password."]}
        )


def change_password(
    session: Session, principal: Principal | None, current_password: str, new_password: str, throttle: ActionThrottle
) -> None:
    """Set a new password; every other token of the user is revoked (this one stays signed in)."""
    principal, user = _me(session, principal)
    _check_current_password(user, current_password, throttle)
    service.check_password_policy(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = passwords.hash_password(new_password)
    revoke_personal_tokens(session, user.id, keep_token_id=principal.token_id)
    session.flush()


def change_email(
    session: Session,
    principal: Principal | None,
    current_password: str,
    email: str,
    settings: LinkSettings,
    throttle: ActionThrottle,
) -> User:
    """Move the account to a new address, unconfirmed until its link is followed (links sent to the
    old address stop working: they name it)."""
    _principal, user = _me(session, principal)
    _check_current_password(user, current_password, throttle)
    email = service.normalise_email(email)
    if email == user.email:
        raise ValidationFailed("This is already your address.", errors={"email": ["Unchanged."]})
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.", errors={"email": ["Already registered."]})
    user.email = email
    user.email_verified_at = None
    session.flush()
    send_verification(session, user, settings)
    return user


def resend_verification(
    session: Session, principal: Principal | None, settings: LinkSettings, throttle: ActionThrottle, per_hour: int
) -> None:
    _principal, user = _me(session, principal)
    if user.email_verified_at is not None:
        raise InvalidState("Your address is already confirmed.")
    throttle.hit("verification", str(user.id), per_hour=per_hour, what="Too many verification emails asked")
    send_verification(session, user, settings)


def list_my_tokens(session: Session, principal: Principal | None) -> Sequence[ApiToken]:
    """The caller's personal tokens and browser sessions still usable (newest first)."""
    _principal, user = _me(session, principal)
    return session.scalars(
        sa.select(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.kind.in_(service.USER_KINDS),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
        )
        .order_by(ApiToken.id.desc())
    ).all()


def revoke_my_token(session: Session, principal: Principal | None, token_id: int) -> None:
    _principal, user = _me(session, principal)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.kind not in service.USER_KINDS:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
