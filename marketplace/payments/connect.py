"""Stripe Connect onboarding: an organisation's admin gets paid by card through its own account.

``start_onboarding`` creates the organisation's Express connected account the first time (the
idempotency key names the organisation, so a retried request within Stripe's 24 h window gets the
same account back instead of a second one) and returns a fresh Account Link each time: links are
single-use and expire within minutes, so they are never stored. Stripe sends the admin back to
``PUBLIC_URL``/organisations/{id}/stripe-onboarding/return (finished or not) or .../refresh (the link
expired: ask for a new one).

``apply_account`` is the ``account.updated`` webhook's effect: the account re-read from Stripe
(the payload is only a hint) and its ``charges_enabled`` / ``payouts_enabled`` /
``details_submitted`` recorded on the organisation. Card sales need ``charges_enabled``
(``orders.service``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import lock
from marketplace.errors import Forbidden, NotFound, ServiceUnavailable
from marketplace.members.access import Principal, require_user
from marketplace.members.models import Organisation, Role, User
from marketplace.payments.gateway import AccountInfo, PaymentGateway

CONNECT_NOT_CONFIGURED = (
    "Card payments are not configured on this server (no STRIPE_API_KEY), so there is no Stripe onboarding; "
    "ask the cluster staff."
)


def onboarding_urls(public_url: str, organisation_id: int) -> tuple[str, str]:
    """(refresh_url, return_url) of the organisation's onboarding, under ``PUBLIC_URL``."""
    base = f"{public_url.rstrip('/')}/organisations/{organisation_id}/stripe-onboarding"
    return f"{base}/refresh", f"{base}/return"


def start_onboarding(
    session: Session,
    principal: Principal | None,
    organisation_id: int,
    *,
    gateway: PaymentGateway | None,
    public_url: str,
) -> str:
    """The URL of a Stripe-hosted onboarding page for the organisation's connected account."""
    principal = require_user(principal)
    if session.get(Organisation, organisation_id) is None:
        raise NotFound("No such organisation.")
    # The person who fills Stripe's forms represents the organisation: its admins, not staff.
    if not principal.has_role(organisation_id, {Role.ADMIN}):
        raise Forbidden("Only the organisation's admins set up its card payments with Stripe.")
    principal.require_approved(organisation_id, "set up card payments")
    if gateway is None:
        raise ServiceUnavailable(CONNECT_NOT_CONFIGURED)
    # Under the organisation's row lock: two admins clicking at once create one account.
    organisation = lock(session, Organisation, organisation_id)
    assert organisation is not None
    if organisation.stripe_account_id is None:
        admin = session.get(User, principal.user_id)
        account = gateway.create_account(
            idempotency_key=f"organisation-{organisation.id}-{organisation.siret}-connect-account",
            business_name=organisation.name,
            email=admin.email if admin is not None else None,
            metadata={"relife_organisation": str(organisation.id), "siret": organisation.siret},
        )
        organisation.stripe_account_id = account.id
        _record(organisation, account)
        session.flush()
    refresh_url, return_url = onboarding_urls(public_url, organisation.id)
    return gateway.create_account_link(
        account=organisation.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def _record(organisation: Organisation, account: AccountInfo) -> None:
    organisation.record_stripe_account(
        charges_enabled=account.charges_enabled,
        payouts_enabled=account.payouts_enabled,
        details_submitted=account.details_submitted,
    )


def apply_account(session: Session, gateway: PaymentGateway, account_id: str) -> str:
    """Re-read the account from Stripe and record its state on its organisation."""
    account = gateway.retrieve_account(account_id)
    organisation_id = session.scalar(sa.select(Organisation.id).where(Organisation.stripe_account_id == account.id))
    if organisation_id is None:
        return "not ours: ignored"
    organisation = lock(session, Organisation, organisation_id)
    assert organisation is not None
    _record(organisation, account)
    session.flush()
    return (
        f"organisation {organisation.id}: charges {'enabled' if account.charges_enabled else 'disabled'}, "
        f"payouts {'enabled' if account.payouts_enabled else 'disabled'}, "
        f"details {'submitted' if account.details_submitted else 'missing'}"
    )
