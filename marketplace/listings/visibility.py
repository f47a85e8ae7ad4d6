"""Who sees a listing: THE rule, asked by the catalogue (card, search, edits), the holds, the
loans and orders that start from a listing, and the public passport of a listed device.

* Its own organisation's people and staff see every listing of the organisation, past ones
  included (``Principal.owns``).
* Anyone else sees an active listing that is public, or members-only when they are one of the
  cluster's people (``Principal.sees_members_only``); a bench token is nobody's person here.

Imports models and ``members.access`` only, so the services below the listings (devices,
reservations) ask it too.
"""

from __future__ import annotations

from marketplace.listings.models import ListingStatus, Visibility
from marketplace.members.access import Principal, owns, sees_members_only


def visibilities_for(principal: Principal | None) -> tuple[Visibility, ...]:
    """The visibilities of the active listings ``principal`` sees (owners aside)."""
    if sees_members_only(principal):
        return (Visibility.PUBLIC, Visibility.MEMBERS)
    return (Visibility.PUBLIC,)


def on_offer_to(principal: Principal | None, visibility: Visibility) -> bool:
    """Whether an *active* listing of this visibility is offered to ``principal``."""
    return visibility in visibilities_for(principal)


def may_see(principal: Principal | None, organisation_id: int, status: ListingStatus, visibility: Visibility) -> bool:
    """Whether ``principal`` may see a listing: the owner always, others while it is on offer."""
    return owns(principal, organisation_id) or (status is ListingStatus.ACTIVE and on_offer_to(principal, visibility))
