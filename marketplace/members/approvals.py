"""Cluster staff approve or refuse a new organisation before it may see members-only listings or
transact (the gate itself is ``access.Principal.may_transact_for``).

What staff look at (``review``): the SIRET checked again with python-stdnum (as at registration),
its SIREN, where to read the establishment in the public directory, the kind the organisation
claims (which decides invoice payment and donation eligibility), its name, postcode and
department, and its admins. A refusal needs a reason, which the organisation's admins receive by
email (each in their language) with what to do next; an approval is emailed too. Every decision
is a row of ``organisation_approvals``, so a refusal then a later approval both stay on record.

Allowed moves: pending → approved | refused, refused → approved | refused (a new reason). An
approved organisation stays approved: withdrawing a member from the cluster would also have to
end its listings, holds and loans, which is not what this decision does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload
from stdnum.fr import siret as stdnum_siret

from marketplace.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from marketplace.members.access import Principal, require_user
from marketplace.members.accounts import LinkSettings
from marketplace.members.models import (
    ApprovalDecision,
    ApprovalStatus,
    Membership,
    Organisation,
    OrganisationApproval,
    OrganisationKind,
    Role,
    User,
)
from marketplace.notifications import outbox

#: The public directory of French businesses (INSEE's SIRENE data), one page per establishment.
DIRECTORY_URL = "https://annuaire-entreprises.data.gouv.fr/etablissement/{siret}"
MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class Review:
    """What staff check before deciding."""

    siret: str
    siret_valid: bool
    siren: str
    directory_url: str
    kind: OrganisationKind
    name: str
    postcode: str
    department: str
    city: str | None
    address: str | None
    invoice_allowed: bool
    admins: list[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class ApprovalState:
    organisation_id: int
    status: ApprovalStatus
    history: Sequence[OrganisationApproval]
    review: Review


def _require_staff(principal: Principal | None) -> Principal:
    principal = require_user(principal)
    if not principal.is_staff:
        raise Forbidden("Only cluster staff approve or refuse organisations.")
    return principal


def _load(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation


def _admins(session: Session, organisation_id: int) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, Membership.role == Role.ADMIN)
            .order_by(User.id)
        )
    )


def review_of(session: Session, organisation: Organisation) -> Review:
    return Review(
        siret=organisation.siret,
        siret_valid=bool(stdnum_siret.is_valid(organisation.siret)),
        siren=organisation.siret[:9],
        directory_url=DIRECTORY_URL.format(siret=organisation.siret),
        kind=organisation.kind,
        name=organisation.name,
        postcode=organisation.postcode,
        department=organisation.department,
        city=organisation.city,
        address=organisation.address,
        invoice_allowed=organisation.invoice_allowed,
        admins=[user.email for user in _admins(session, organisation.id)],
        created_at=organisation.created_at,
    )


def approval_state(session: Session, principal: Principal | None, organisation_id: int) -> ApprovalState:
    """Where the organisation stands, every decision (newest first) and what staff check: for
    staff and the organisation's own people (who read why they were refused)."""
    principal = require_user(principal)
    organisation = _load(session, organisation_id)
    if not (principal.is_staff or principal.is_member_of(organisation_id)):
        raise Forbidden("Only the organisation's members and the cluster staff see its review.")
    history = session.scalars(
        sa.select(OrganisationApproval)
        .where(OrganisationApproval.organisation_id == organisation_id)
        .options(selectinload(OrganisationApproval.decided_by))
        .order_by(OrganisationApproval.id.desc())
    ).all()
    return ApprovalState(organisation.id, organisation.approval_status, history, review_of(session, organisation))


def decide(
    session: Session,
    principal: Principal | None,
    organisation_id: int,
    *,
    decision: ApprovalDecision,
    reason: str | None,
    settings: LinkSettings,
) -> ApprovalState:
    """Record a staff decision and email the organisation's admins (same transaction: the outbox)."""
    principal = _require_staff(principal)
    reason = (reason or "").strip() or None
    if decision is ApprovalDecision.REFUSED and reason is None:
        raise ValidationFailed(
            "A refusal needs a reason: the organisation's admins read it and act on it.",
            errors={"reason": ["Required when the decision is 'refused'."]},
        )
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed("The reason is too long.", errors={"reason": [f"At most {MAX_REASON_LENGTH}."]})
    organisation = session.execute(
        sa.select(Organisation)
        .where(Organisation.id == organisation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if organisation is None:
        raise NotFound("No such organisation.")
    if organisation.approval_status is ApprovalStatus.APPROVED:
        raise InvalidState("This organisation is already approved; an approval is not taken back here.")
    session.add(
        OrganisationApproval(
            organisation_id=organisation.id, decision=decision, reason=reason, decided_by_id=principal.user_id
        )
    )
    organisation.approval_status = ApprovalStatus(decision.value)
    session.flush()
    _tell_admins(session, organisation, decision, reason, settings)
    return approval_state(session, principal, organisation_id)


def _tell_admins(
    session: Session,
    organisation: Organisation,
    decision: ApprovalDecision,
    reason: str | None,
    settings: LinkSettings,
) -> None:
    kind = "organisation_approved" if decision is ApprovalDecision.APPROVED else "organisation_refused"
    for admin in _admins(session, organisation.id):
        outbox.enqueue(
            session,
            kind=kind,
            recipient=admin.email,
            language=admin.language,
            user_id=admin.id,
            sender_domain=settings.sender_domain,
            context={
                "display_name": admin.display_name,
                "organisation": organisation.name,
                "siret": organisation.siret,
                "kind": organisation.kind.value,
                "reason": reason or "",
                "link": f"{settings.public_url}/organisations/{organisation.id}",
            },
        )
