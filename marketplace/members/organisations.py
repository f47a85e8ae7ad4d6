"""Membership by consent: invitations by email, roles, removal and leaving.

An admin invites an address with a role; the email carries a signed link (invitation id and a
nonce, ``token=`` in the link) valid ``INVITATION_DAYS``; the invitee accepts while signed in with
that address, or while registering with it, and only then is the membership created. An admin
revokes a pending invitation. Admins change roles and remove members, members leave; an
organisation never loses its last admin. Removal (or leaving) revokes the bench tokens that person
created for the organisation and cancels their live holds made for it; their personal tokens lose
the organisation's rights at once, since roles are read on every request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from marketplace.members import service
from marketplace.members.access import Principal, require_user
from marketplace.members.accounts import LinkSettings
from marketplace.members.identifiers import InvalidIdentifier, check_postcode
from marketplace.members.models import (
    ApiToken,
    Invitation,
    InvitationStatus,
    Membership,
    Organisation,
    Role,
    TokenKind,
    User,
)
from marketplace.notifications import outbox

INVITATION_SALT = "relife.invitation"
INVITATION_DAYS = 14


def invite(
    session: Session, principal: Principal | None, organisation_id: int, *, email: str, role: Role,
    settings: LinkSettings,
) -> Invitation:  # fmt: skip
    organisation = service._load_organisation_as_admin(session, principal, organisation_id)
    assert principal is not None
    email = service.normalise_email(email)
    member = session.scalar(
        sa.select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id, User.email == email)
    )
    if member is not None:
        raise Conflict(f"{email} is already a member of this organisation.", errors={"email": ["Already a member."]})
    now = utcnow()
    # A new invitation to the same address replaces the pending one (its link stops working).
    session.execute(
        sa.update(Invitation)
        .where(
            Invitation.organisation_id == organisation_id,
            Invitation.email == email,
            Invitation.status == InvitationStatus.PENDING,
        )
        .values(status=InvitationStatus.REVOKED, ended_at=now)
    )
    invitation = Invitation(
        organisation_id=organisation_id,
        email=email,
        role=role,
        status=InvitationStatus.PENDING,
        nonce=secrets.token_hex(16),
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
        invited_by_id=principal.user_id,
    )
    session.add(invitation)
    session.flush()
    inviter = session.get(User, principal.user_id)
    invitee = session.scalar(sa.select(User).where(User.email == email))
    token = invitation_token(invitation, settings)
    speaker = invitee or inviter
    outbox.enqueue(
        session,
        kind="invitation",
        recipient=email,
        # The invitee's language when they have an account, else the inviter's.
        language=speaker.language if speaker else None,
        user_id=invitee.id if invitee else None,
        sender_domain=settings.sender_domain,
        context={
            "organisation": organisation.name,
            "inviter": inviter.display_name if inviter else organisation.name,
            "role": role.value,
            "link": f"{settings.public_url}/invitations/accept?token={token}",
            "days": INVITATION_DAYS,
            "has_account": invitee is not None,
        },
    )
    return invitation


def invitation_token(invitation: Invitation, settings: LinkSettings) -> str:
    """The ``token=`` of the invitation's link (what the email carries and ``accept`` reads)."""
    return str(settings.serializer(INVITATION_SALT).dumps({"i": invitation.id, "n": invitation.nonce}))


def list_invitations(session: Session, principal: Principal | None, organisation_id: int) -> Sequence[Invitation]:
    service._load_organisation_as_admin(session, principal, organisation_id)
    return session.scalars(
        sa.select(Invitation).where(Invitation.organisation_id == organisation_id).order_by(Invitation.id.desc())
    ).all()


def revoke_invitation(session: Session, principal: Principal | None, organisation_id: int, invitation_id: int) -> None:
    service._load_organisation_as_admin(session, principal, organisation_id)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation_id:
        raise NotFound("No such invitation.")
    if invitation.status is not InvitationStatus.PENDING:
        raise InvalidState(f"This invitation is {invitation.status.value}: there is nothing to revoke.")
    invitation.status = InvitationStatus.REVOKED
    invitation.ended_at = utcnow()
    session.flush()


def _bad_token(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"token": [message]})


def load_invitation(session: Session, token: str, settings: LinkSettings) -> Invitation:
    """The pending invitation of ``token``, or a problem saying why not (altered, expired, revoked, used)."""
    try:
        data = settings.serializer(INVITATION_SALT).loads(token)
    except BadSignature:
        raise _bad_token("This invitation link is not valid (altered or incomplete).") from None
    invitation = (
        session.get(Invitation, data.get("i")) if isinstance(data, dict) and isinstance(data.get("i"), int) else None
    )
    if invitation is None or invitation.nonce != data.get("n"):
        raise _bad_token("This invitation link is not valid (altered or incomplete).")
    if invitation.status is InvitationStatus.ACCEPTED:
        raise InvalidState("This invitation has already been accepted.")
    if invitation.status is InvitationStatus.REVOKED:
        raise InvalidState("This invitation was withdrawn or replaced by a newer one: ask the organisation again.")
    if invitation.expires_at <= utcnow():
        raise _bad_token(f"This invitation has expired (they last {INVITATION_DAYS} days): ask the organisation again.")
    return invitation


def accept(session: Session, invitation: Invitation, user: User) -> Membership:
    if user.email != invitation.email:
        raise Forbidden("This invitation was sent to another address: sign in with that address to accept it.")
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == invitation.organisation_id
        )
    )
    if existing is not None:
        raise Conflict(f"You are already a member (role {existing.role.value}).")
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by_id = user.id
    invitation.ended_at = utcnow()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached that mailbox
    membership = Membership(user_id=user.id, organisation_id=invitation.organisation_id, role=invitation.role)
    session.add(membership)
    session.flush()
    return membership


def accept_signed_in(session: Session, principal: Principal | None, token: str, settings: LinkSettings) -> Membership:
    principal = require_user(principal)
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("No such user.")
    return accept(session, load_invitation(session, token, settings), user)


# --- roles, removal, leaving ------------------------------------------------------------------


def _membership(session: Session, organisation_id: int, user_id: int) -> Membership:
    membership = session.scalar(
        sa.select(Membership).where(Membership.organisation_id == organisation_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound("No such member.")
    return membership


def _ensure_another_admin(session: Session, membership: Membership, what: str) -> None:
    if membership.role is not Role.ADMIN:
        return
    # Lock the organisation's admin rows so two concurrent demotions cannot both pass.
    admins = session.scalars(
        sa.select(Membership.id)
        .where(Membership.organisation_id == membership.organisation_id, Membership.role == Role.ADMIN)
        .with_for_update()
    ).all()
    if len(admins) <= 1:
        raise InvalidState(f"The organisation's last admin cannot {what}: make another member admin first.")


def change_role(
    session: Session, principal: Principal | None, organisation_id: int, user_id: int, role: Role
) -> Membership:
    service._load_organisation_as_admin(session, principal, organisation_id)
    membership = _membership(session, organisation_id, user_id)
    if membership.role is not role and role is not Role.ADMIN:
        _ensure_another_admin(session, membership, "stop being admin")
    membership.role = role
    session.flush()
    return membership


def remove_member(session: Session, principal: Principal | None, organisation_id: int, user_id: int) -> None:
    """An admin removes a member, or a member leaves (``user_id`` is the caller's own)."""
    principal = require_user(principal)
    leaving = principal.user_id == user_id
    if not leaving:
        service._load_organisation_as_admin(session, principal, organisation_id)
    membership = _membership(session, organisation_id, user_id)
    _ensure_another_admin(session, membership, "leave" if leaving else "be removed")
    now = utcnow()
    session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.organisation_id == organisation_id,
            ApiToken.kind == TokenKind.BENCH,
            ApiToken.created_by_id == user_id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    _cancel_live_holds(session, organisation_id, user_id, now)
    session.delete(membership)
    session.flush()


def _cancel_live_holds(session: Session, organisation_id: int, user_id: int, now: dt.datetime) -> None:
    from marketplace.reservations.models import Reservation, ReservationStatus

    session.execute(
        sa.update(Reservation)
        .where(
            Reservation.organisation_id == organisation_id,
            Reservation.user_id == user_id,
            Reservation.status == ReservationStatus.ACTIVE,
        )
        .values(status=ReservationStatus.CANCELLED, ended_at=now)
    )


# --- the profile ------------------------------------------------------------------------------


def update_profile(
    session: Session, principal: Principal | None, organisation_id: int, changes: dict[str, Any]
) -> Organisation:
    """Admins edit the name, address, postcode (the department follows) and city. The SIRET and the
    kind are what cluster staff check: they do not change here."""
    organisation = service._load_organisation_as_admin(session, principal, organisation_id)
    if "postcode" in changes:
        try:
            changes["postcode"], organisation.department = check_postcode(changes["postcode"])
        except InvalidIdentifier as exc:
            raise ValidationFailed(
                "The organisation has invalid fields.",
                errors={"postcode": [f"Not a valid French postcode: {exc.reason}"]},
            ) from None
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise ValidationFailed("The name is empty.", errors={"name": ["Give a name."]})
    for field, value in changes.items():
        setattr(organisation, field, value)
    session.flush()
    return organisation
