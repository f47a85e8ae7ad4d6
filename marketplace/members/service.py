"""Members and access: registration, tokens, organisations, memberships.

Plain functions with the session passed in; they flush, never commit, and raise DomainError.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from marketplace.db import utcnow
from marketplace.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from marketplace.members import passwords
from marketplace.members.access import (
    KNOWN_BENCH_SCOPES,
    SCOPE_API,
    Principal,
    require_org_role,
    require_user,
)
from marketplace.members.identifiers import InvalidIdentifier, check_postcode, check_siret
from marketplace.members.models import (
    ApiToken,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    TokenKind,
    User,
    VatRegime,
)
from marketplace.members.throttle import LoginThrottle

TOKEN_PREFIX = "rlf_"  # noqa: S105 - a public prefix, not a secret
#: Organisation kinds that may settle by invoice (public procurement pays on invoice, with a
#: legal payment period: Code de la commande publique, art. R2192-10).
INVOICE_KINDS = frozenset({OrganisationKind.PUBLIC_BODY, OrganisationKind.UNIVERSITY})


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the secret exists only here and in the response that shows it."""

    token: ApiToken
    secret: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_token(
    session: Session,
    *,
    kind: TokenKind,
    scopes: Sequence[str],
    ttl: dt.timedelta,
    user_id: int | None = None,
    organisation_id: int | None = None,
    created_by_id: int | None = None,
    name: str | None = None,
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(secret),
        prefix=secret[:10],
        kind=kind,
        name=name,
        user_id=user_id,
        organisation_id=organisation_id,
        created_by_id=created_by_id,
        scopes=list(scopes),
        expires_at=utcnow() + ttl,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


# --- users and personal tokens -------------------------------------------------------------


def register_user(session: Session, *, email: str, password: str, display_name: str, language: str = "fr") -> User:
    email = normalise_email(email)
    check_password_policy(password, email=email, display_name=display_name)
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.", errors={"email": ["Already registered."]})
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(password),
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def check_password_policy(password: str, *, email: str, display_name: str) -> None:
    problems = passwords.policy_problems(password, email=email, display_name=display_name)
    if problems:
        short = len(password) < passwords.MIN_PASSWORD_LENGTH
        raise ValidationFailed(
            "The password is too short." if short else "The password is too easy to guess.",
            errors={"password": problems},
        )


def login(
    session: Session,
    *,
    email: str,
    password: str,
    client_address: str,
    throttle: LoginThrottle,
    ttl: dt.timedelta,
    kind: TokenKind = TokenKind.PERSONAL,
) -> IssuedToken:
    """The one credential check (API ``POST /tokens`` and the site's sign-in form alike): a
    personal bearer token, or with ``kind=SESSION`` the server side of a browser session."""
    email = normalise_email(email)
    throttle.check(email, client_address)
    user = session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        passwords.burn_verification_time(password)
        throttle.record_failure(email, client_address)
        raise Unauthorized("Wrong email or password.")
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        throttle.record_failure(email, client_address)
        raise Unauthorized("Wrong email or password.")
    assert kind in USER_KINDS
    return _new_token(session, kind=kind, scopes=[SCOPE_API], ttl=ttl, user_id=user.id)


#: Tokens a user holds: their bearer tokens and their browser sessions (what a password reset ends).
USER_KINDS = frozenset({TokenKind.PERSONAL, TokenKind.SESSION})
#: What an ``Authorization: Bearer`` header may carry: never a browser session's token.
BEARER_KINDS = frozenset({TokenKind.PERSONAL, TokenKind.BENCH})
#: What a session cookie may carry.
SESSION_KINDS = frozenset({TokenKind.SESSION})


def authenticate(
    session: Session, secret: str, *, now: dt.datetime | None = None, kinds: frozenset[TokenKind] = BEARER_KINDS
) -> Principal:
    """Resolve a token to a Principal, or raise Unauthorized (unknown, expired, revoked, or not of
    ``kinds``: a session cookie's token is no bearer token, and the reverse)."""
    now = now or utcnow()
    if not secret.startswith(TOKEN_PREFIX):
        raise Unauthorized("The token is not a Relife token.")
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= now or token.kind not in kinds:
        raise Unauthorized("The token is unknown, expired or revoked.")
    if token.kind is TokenKind.BENCH:
        assert token.organisation_id is not None
        return Principal(
            token_id=token.id,
            token_kind=token.kind,
            scopes=frozenset(token.scopes),
            roles={token.organisation_id: Role.TECHNICIAN},
        )
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The token's account is disabled.")
    roles: dict[int, Role] = dict(
        session.execute(
            sa.select(Membership.organisation_id, Membership.role).where(Membership.user_id == user.id)
        ).all()
    )
    return Principal(
        token_id=token.id,
        token_kind=token.kind,
        scopes=frozenset(token.scopes),
        user_id=user.id,
        is_staff=user.is_staff,
        roles=roles,
    )


def revoke_current_token(session: Session, principal: Principal | None) -> None:
    if principal is None:
        raise Unauthorized("No token to revoke.")
    token = session.get(ApiToken, principal.token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()


def end_session(session: Session, secret: str) -> None:
    """Revoke the browser session whose cookie carries ``secret`` (signing out); nothing if unknown."""
    session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.token_hash == hash_token(secret),
            ApiToken.kind == TokenKind.SESSION,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


def get_me(session: Session, principal: Principal | None) -> User:
    principal = require_user(principal)
    user = session.scalar(
        sa.select(User)
        .where(User.id == principal.user_id)
        .options(selectinload(User.memberships).selectinload(Membership.organisation))
    )
    if user is None:
        raise NotFound("No such user.")
    return user


def set_staff(session: Session, email: str, *, staff: bool = True) -> User:
    user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No user with email {email}.")
    user.is_staff = staff
    session.flush()
    return user


# --- organisations -------------------------------------------------------------------------


def create_organisation(
    session: Session,
    principal: Principal | None,
    *,
    name: str,
    kind: OrganisationKind,
    siret: str,
    postcode: str,
    address: str | None = None,
    city: str | None = None,
    invoice_allowed: bool | None = None,
    vat_regime: VatRegime = VatRegime.STANDARD,
) -> Organisation:
    principal = require_user(principal)
    errors: dict[str, list[str]] = {}
    try:
        siret = check_siret(siret)
    except InvalidIdentifier as exc:
        errors["siret"] = [f"Not a valid SIRET: {exc.reason}"]
    department: str | None = None
    try:
        postcode, department = check_postcode(postcode)
    except InvalidIdentifier as exc:
        errors["postcode"] = [f"Not a valid French postcode: {exc.reason}"]
    if invoice_allowed and kind not in INVOICE_KINDS and not principal.is_staff:
        errors["invoice_allowed"] = ["Only public bodies and universities pay by invoice."]
    if errors:
        raise ValidationFailed("The organisation has invalid fields.", errors=errors)
    if session.scalar(sa.select(Organisation.id).where(Organisation.siret == siret)) is not None:
        raise Conflict("An organisation with this SIRET exists already.", errors={"siret": ["Already registered."]})
    assert department is not None
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        siret=siret,
        postcode=postcode,
        department=department,
        address=address,
        city=city,
        invoice_allowed=kind in INVOICE_KINDS if invoice_allowed is None else invoice_allowed,
        vat_regime=vat_regime,
    )
    session.add(organisation)
    session.flush()
    assert principal.user_id is not None
    session.add(Membership(user_id=principal.user_id, organisation_id=organisation.id, role=Role.ADMIN))
    session.flush()
    return organisation


def get_organisation(session: Session, principal: Principal | None, organisation_id: int) -> tuple[Organisation, bool]:
    """The organisation and whether the caller sees its full details (members and staff) or
    only its public face (name, kind, department), as the catalogue shows it."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    full = principal is not None and (principal.is_staff or principal.is_member_of(organisation_id))
    return organisation, full


def list_my_organisations(session: Session, principal: Principal | None) -> list[Organisation]:
    principal = require_user(principal)
    query = sa.select(Organisation).order_by(Organisation.id)
    if not principal.is_staff:
        query = query.where(Organisation.id.in_(principal.organisation_ids))
    return list(session.scalars(query))


def list_members(session: Session, principal: Principal | None, organisation_id: int) -> list[Membership]:
    principal = require_user(principal)
    if not (principal.is_staff or principal.is_member_of(organisation_id)):
        _load_organisation_as_admin(session, principal, organisation_id)
    return list(
        session.scalars(
            sa.select(Membership)
            .where(Membership.organisation_id == organisation_id)
            .options(selectinload(Membership.user))
            .order_by(Membership.id)
        )
    )


def _load_organisation_as_admin(session: Session, principal: Principal | None, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    # Organisations are public (the catalogue names them), so an outsider learns nothing from a 403.
    require_org_role(principal, organisation_id, {Role.ADMIN}, hide=False)
    return organisation


# --- bench tokens --------------------------------------------------------------------------


def create_bench_token(
    session: Session,
    principal: Principal | None,
    organisation_id: int,
    *,
    name: str,
    scopes: Sequence[str],
    ttl: dt.timedelta,
) -> IssuedToken:
    _load_organisation_as_admin(session, principal, organisation_id)
    unknown = sorted(set(scopes) - KNOWN_BENCH_SCOPES)
    if unknown or not scopes:
        raise ValidationFailed(
            "Bench tokens only carry bench scopes.",
            errors={"scopes": [f"Allowed: {', '.join(sorted(KNOWN_BENCH_SCOPES))}."]},
        )
    assert principal is not None
    return _new_token(
        session,
        kind=TokenKind.BENCH,
        scopes=sorted(set(scopes)),
        ttl=ttl,
        organisation_id=organisation_id,
        created_by_id=principal.user_id,
        name=name,
    )


def list_bench_tokens(session: Session, principal: Principal | None, organisation_id: int) -> list[ApiToken]:
    _load_organisation_as_admin(session, principal, organisation_id)
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.organisation_id == organisation_id, ApiToken.kind == TokenKind.BENCH)
            .order_by(ApiToken.id)
        )
    )


def revoke_bench_token(session: Session, principal: Principal | None, organisation_id: int, token_id: int) -> None:
    _load_organisation_as_admin(session, principal, organisation_id)
    token = session.get(ApiToken, token_id)
    if token is None or token.organisation_id != organisation_id or token.kind is not TokenKind.BENCH:
        raise NotFound("No such bench token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()


def ensure_may_read_organisation(principal: Principal | None, organisation_id: int) -> None:
    """Members and staff only (used by other domains for private per-organisation data)."""
    principal = require_user(principal)
    if not (principal.is_staff or principal.is_member_of(organisation_id)):
        raise Forbidden("You are not a member of this organisation.")
