"""Who is calling, and what they may do. Decided here and in services, never in routes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from marketplace.errors import Forbidden, NotFound, Unauthorized
from marketplace.members.models import ApprovalStatus, Role, TokenKind

SCOPE_API = "api"
SCOPE_DIAGNOSTICS_UPLOAD = "diagnostics:upload"
#: A bench token that may record erasures from the wiping tool's evidence (``relife-bench erase``).
SCOPE_ERASURES_WRITE = "erasures:write"
KNOWN_BENCH_SCOPES = frozenset({SCOPE_DIAGNOSTICS_UPLOAD, SCOPE_ERASURES_WRITE})

#: Roles allowed to manage an organisation's inventory.
INVENTORY_ROLES = frozenset({Role.ADMIN, Role.LISTER})
#: Roles allowed to record diagnostics and erasures.
BENCH_ROLES = frozenset({Role.ADMIN, Role.LISTER, Role.TECHNICIAN})


class NotApproved(Forbidden):
    """The caller's organisation has not been approved by the cluster staff (yet, or at all)."""

    title = "Organisation not approved"
    type_slug = "organisation-not-approved"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user's personal token or an organisation's bench token."""

    token_id: int
    token_kind: TokenKind
    scopes: frozenset[str]
    user_id: int | None = None
    is_staff: bool = False
    roles: Mapping[int, Role] = field(default_factory=dict)
    #: The caller's organisations the cluster staff have not approved (pending or refused); the
    #: others in ``roles`` are approved. Read on every request, like the roles.
    unapproved: Mapping[int, ApprovalStatus] = field(default_factory=dict)

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def role_in(self, organisation_id: int) -> Role | None:
        return self.roles.get(organisation_id)

    def is_member_of(self, organisation_id: int) -> bool:
        return organisation_id in self.roles

    def has_role(self, organisation_id: int, allowed: frozenset[Role] | set[Role]) -> bool:
        role = self.roles.get(organisation_id)
        return role is not None and role in allowed

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_person(self) -> bool:
        """A user's own token with the general API scope (``require_user``). A bench token belongs
        to an organisation but only uploads diagnostics: it never counts as one of its people."""
        return self.user_id is not None and SCOPE_API in self.scopes

    def is_bench_of(self, organisation_id: int) -> bool:
        """One of the organisation's bench tokens: it finds the organisation's devices at the bench
        (lookup, readiness, specs check) and writes what its scopes allow, nothing else."""
        return self.token_kind is TokenKind.BENCH and self.is_member_of(organisation_id)

    def owns(self, organisation_id: int) -> bool:
        """Sees the organisation's private things (its devices in full, its past listings): its
        people and staff, in person."""
        return self.is_person and (self.is_staff or self.is_member_of(organisation_id))

    @property
    def sees_members_only(self) -> bool:
        """Members of any *approved* organisation of the cluster (and staff), in person, see what
        is offered to members only: the cluster vets an organisation before it sees them."""
        return self.is_person and (self.is_staff or any(o not in self.unapproved for o in self.roles))

    def approval_of(self, organisation_id: int) -> ApprovalStatus:
        """The staff's decision on one of the caller's organisations."""
        return self.unapproved.get(organisation_id, ApprovalStatus.APPROVED)

    def may_transact_for(self, organisation_id: int) -> bool:
        """THE gate of approval: an organisation reserves, orders, borrows and publishes listings
        only once the cluster staff approved it (they act for any organisation). Until then its
        people may register devices, run diagnostics and record erasures: an IT department gets its
        stock ready while it waits."""
        return self.is_staff or organisation_id not in self.unapproved

    def require_approved(self, organisation_id: int, action: str) -> None:
        """``may_transact_for`` or a problem saying why not and what to do; ``action`` completes
        "before it may …" (e.g. "reserve devices")."""
        if self.may_transact_for(organisation_id):
            return
        where = f"GET /api/v1/organisations/{organisation_id}/approval"
        if self.approval_of(organisation_id) is ApprovalStatus.REFUSED:
            raise NotApproved(
                f"The cluster staff refused this organisation, so it cannot {action}. The reason is in the email "
                f"its admins received and in {where}; contact the cluster staff to correct what they found "
                "(SIRET, kind) and ask for a new review."
            )
        raise NotApproved(
            f"This organisation is awaiting review by the cluster staff, who check its SIRET and kind before it "
            f"may {action}. Its admins are emailed when they decide ({where} shows where it stands); meanwhile "
            "you can register devices and run diagnostics."
        )


def owns(principal: Principal | None, organisation_id: int) -> bool:
    """``Principal.owns`` for a caller who may be anonymous."""
    return principal is not None and principal.owns(organisation_id)


def sees_members_only(principal: Principal | None) -> bool:
    """``Principal.sees_members_only`` for a caller who may be anonymous."""
    return principal is not None and principal.sees_members_only


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized("This endpoint needs a bearer token (Authorization: Bearer rlf_…).")
    return principal


def require_user(principal: Principal | None) -> Principal:
    """A personal token with the general API scope (bench tokens only upload diagnostics)."""
    principal = require_principal(principal)
    if principal.user_id is None or not principal.has_scope(SCOPE_API):
        raise Forbidden("This token cannot be used for this endpoint (bench tokens only upload diagnostics).")
    return principal


def require_org_role(
    principal: Principal | None,
    organisation_id: int,
    allowed: frozenset[Role] | set[Role],
    *,
    hide: bool = True,
    what: str = "organisation",
) -> Principal:
    """Check a role in an organisation; staff pass. An outsider gets 404 when ``hide`` (the
    object is private: its existence is not revealed), else 403."""
    principal = require_user(principal)
    if principal.is_staff or principal.has_role(organisation_id, allowed):
        return principal
    if principal.is_member_of(organisation_id) or not hide:
        raise Forbidden(f"Your role does not allow this on this {what}.")
    raise NotFound(f"No such {what}.")


def former_owner_history_end(principal: Principal | None, departures: Mapping[int, int]) -> int | None:
    """How far a former owner reads a device's history: up to its departure, not after.

    ``departures`` maps each organisation that owned the device and handed it on (a sale or a
    donation handed over, a return to the seller) to the id of the passport event of its latest
    departure (``devices.passport.departures``). Returns the id of the last passport event the
    caller may read in full, or None when none of the caller's organisations ever owned the device
    (then only the public view applies). The current owner's members and staff read everything
    (``devices.service.can_read_device``); bench tokens read nothing here."""
    if principal is None or principal.user_id is None or not principal.has_scope(SCOPE_API):
        return None
    ends = [event_id for organisation_id, event_id in departures.items() if principal.is_member_of(organisation_id)]
    return max(ends) if ends else None
