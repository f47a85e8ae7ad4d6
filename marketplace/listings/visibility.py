"""Who sees a listing: THE rule, asked by the catalogue (card, search, edits), the holds, the
loans and orders that start from a listing, and the public passport of a listed device.

* Its own organisation's people and staff see every listing of the organisation, past ones
  included (``Principal.owns``).
* Anyone else sees an active listing that is public, or members-only when they are one of the
  cluster's people (``Principal.sees_members_only``); a bench token is nobody's person here.
* A closed listing stays visible, in person, to the organisations that bought or received its
  device through an order handed over (or handed over then returned): the terms they took it on.
  The card is the public face of the listing, never the seller's private side.

Imports models and ``members.access`` only, so the services below the listings (devices,
reservations) ask it too.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.listings.models import ListingStatus, Visibility
from marketplace.members.access import Principal, owns, sees_members_only
from marketplace.orders.models import Order, OrderStatus

#: Orders whose buyer keeps seeing the closed listing: the device reached it.
RECEIVED_STATUSES = (OrderStatus.HANDED_OVER, OrderStatus.RETURNED)


def visibilities_for(principal: Principal | None) -> tuple[Visibility, ...]:
    """The visibilities of the active listings ``principal`` sees (owners aside)."""
    if sees_members_only(principal):
        return (Visibility.PUBLIC, Visibility.MEMBERS)
    return (Visibility.PUBLIC,)


def on_offer_to(principal: Principal | None, visibility: Visibility) -> bool:
    """Whether an *active* listing of this visibility is offered to ``principal``."""
    return visibility in visibilities_for(principal)


def may_see(
    principal: Principal | None,
    organisation_id: int,
    status: ListingStatus,
    visibility: Visibility,
    *,
    receivers: Collection[int] = (),
) -> bool:
    """Whether ``principal`` may see a listing: the owner always, others while it is on offer, and
    once closed the organisations in ``receivers`` (``receivers_of``), in person."""
    if owns(principal, organisation_id):
        return True
    if status is ListingStatus.ACTIVE:
        return on_offer_to(principal, visibility)
    return (
        status is ListingStatus.CLOSED
        and principal is not None
        and principal.is_person
        and any(principal.is_member_of(organisation_id) for organisation_id in receivers)
    )


def receivers_of(session: Session, principal: Principal | None, listing_id: int) -> frozenset[int]:
    """The caller's organisations that bought or received the listing's device through an order
    handed over or returned (empty, with no query, for a caller who belongs to none)."""
    if principal is None or not principal.is_person or not principal.organisation_ids:
        return frozenset()
    rows = session.scalars(
        sa.select(Order.buyer_organisation_id)
        .where(
            Order.listing_id == listing_id,
            Order.status.in_(RECEIVED_STATUSES),
            Order.buyer_organisation_id.in_(sorted(principal.organisation_ids)),
        )
        .distinct()
    )
    return frozenset(rows)


def may_see_listing(
    session: Session,
    principal: Principal | None,
    listing_id: int,
    organisation_id: int,
    status: ListingStatus,
    visibility: Visibility,
) -> bool:
    """``may_see``, looking up the receivers only for a closed listing the caller does not own."""
    if may_see(principal, organisation_id, status, visibility):
        return True
    if status is not ListingStatus.CLOSED:
        return False
    receivers = receivers_of(session, principal, listing_id)
    return may_see(principal, organisation_id, status, visibility, receivers=receivers)
