"""Reservations: a 30-minute hold on a listed device, one live hold per listing.

A hold freezes the listing's terms of the moment (``Reservation.freeze_terms``): the order made
from it charges the held price, whatever the seller changed meanwhile.

A hold is live while ``status = 'active' AND expires_at > now``, so an expired hold stops
counting the instant it expires: no job needs to run. Creating a hold locks the device row (see
``locks``) and, under that lock, marks the listing's expired holds ``expired`` before inserting
the new one, which keeps the partial unique index "one active row per listing" true.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices.models import DeviceState
from marketplace.errors import Conflict, Forbidden, LimitReached, NotFound, ValidationFailed
from marketplace.listings import visibility
from marketplace.listings.models import Listing, ListingMode, ListingStatus
from marketplace.loans.availability import booked_for_loan
from marketplace.members.access import Principal, owns, require_user
from marketplace.notifications import events as notify
from marketplace.reservations import locks
from marketplace.reservations.models import HOLD, Reservation, ReservationStatus

#: Live holds one member organisation may have at once. A hold lasts 30 minutes while its member
#: pays; more than this at once is not a purchase in progress but devices kept from other members.
MAX_LIVE_HOLDS_PER_ORGANISATION = 5


def visible_listing(session: Session, principal: Principal | None, listing_id: int) -> Listing:
    """A listing the caller may see (``listings.visibility``); a past one the caller could see
    while it was on offer is a 409, not a 404."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("No such listing.")
    if owns(principal, listing.organisation_id):
        return listing
    if not visibility.on_offer_to(principal, listing.visibility):
        raise NotFound("No such listing.")
    if listing.status is not ListingStatus.ACTIVE:
        # The caller could see it while it was on offer: say it is gone (DESIGN §3.6: 409).
        raise Conflict("This listing is no longer available (sold, given, lent out or withdrawn).")
    return listing


def acting_organisation(principal: Principal, organisation_id: int | None, *, other_than: int) -> int:
    """The organisation a member acts for: the one named, or their only organisation besides the
    listing's own."""
    if organisation_id is not None:
        if not principal.is_member_of(organisation_id):
            raise ValidationFailed(
                "You are not a member of that organisation.", errors={"organisation_id": ["Not your organisation."]}
            )
        if organisation_id == other_than:
            raise Forbidden("An organisation cannot take its own device.")
        return organisation_id
    candidates = sorted(principal.organisation_ids - {other_than})
    if not candidates:
        if principal.is_member_of(other_than):
            raise Forbidden("An organisation cannot take its own device.")
        raise Forbidden("Only members of an organisation of the cluster can do this.")
    if len(candidates) > 1:
        raise ValidationFailed(
            "You belong to several organisations: say which one acts.",
            errors={"organisation_id": ["Required when you belong to several organisations."]},
        )
    return candidates[0]


def live_hold(session: Session, listing_id: int, now: dt.datetime) -> Reservation | None:
    return session.scalars(
        sa.select(Reservation).where(
            Reservation.listing_id == listing_id,
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.expires_at > now,
        )
    ).first()


def create_reservation(
    session: Session,
    principal: Principal | None,
    listing_id: int,
    *,
    organisation_id: int | None = None,
    now: dt.datetime | None = None,
) -> Reservation:
    principal = require_user(principal)
    now = now or utcnow()
    listing = visible_listing(session, principal, listing_id)
    buyer_org = acting_organisation(principal, organisation_id, other_than=listing.organisation_id)
    if listing.mode is ListingMode.LOAN:
        raise ValidationFailed(
            "Loan listings are borrowed for a period: POST /api/v1/listings/{id}/loans.",
            errors={"listing_id": ["This listing is for loans."]},
        )
    device, listing = locks.lock_listing(session, listing.id)
    if listing.status is not ListingStatus.ACTIVE or device.state is not DeviceState.LISTED:
        raise Conflict("This listing is no longer available.")
    if booked_for_loan(session, device.id, now.date()):
        raise Conflict("This device is booked for a loan; it cannot be reserved for sale meanwhile.")
    held = live_hold(session, listing.id, now)
    if held is not None:
        raise Conflict(f"This listing is held by another member until {held.expires_at.isoformat()}.")
    _check_hold_cap(session, buyer_org, now)
    # Expired holds of this listing stop being 'active' rows before the new one goes in.
    session.execute(
        sa.update(Reservation)
        .where(
            Reservation.listing_id == listing.id,
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.expires_at <= now,
        )
        .values(status=ReservationStatus.EXPIRED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    assert principal.user_id is not None
    reservation = Reservation(
        listing_id=listing.id,
        device_id=listing.device_id,
        organisation_id=buyer_org,
        user_id=principal.user_id,
        status=ReservationStatus.ACTIVE,
        expires_at=now + HOLD,
        created_at=now,
    )
    # Read under the listing's lock: a price change either committed before (and this hold takes
    # the new price) or waits for this hold (and the order keeps the price held here).
    reservation.freeze_terms(listing)
    session.add(reservation)
    session.flush()
    notify.reservation_made(session, reservation)
    return reservation


def _check_hold_cap(session: Session, organisation_id: int, now: dt.datetime) -> None:
    """Under the organisation's lock (after the device's and the listing's): parallel holds of one
    organisation are counted one after the other, so the cap holds under any concurrency."""
    locks.lock_member(session, organisation_id)
    live = session.scalar(
        sa.select(sa.func.count())
        .select_from(Reservation)
        .where(
            Reservation.organisation_id == organisation_id,
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.expires_at > now,
        )
    )
    if (live or 0) >= MAX_LIVE_HOLDS_PER_ORGANISATION:
        raise LimitReached(
            f"Your organisation already holds {live} listings, the most one member may hold at once "
            f"({MAX_LIVE_HOLDS_PER_ORGANISATION}); order or release one of them first.",
            errors={"organisation_id": [f"At most {MAX_LIVE_HOLDS_PER_ORGANISATION} live holds at once."]},
        )


def get_reservation(session: Session, principal: Principal | None, reservation_id: int) -> Reservation:
    principal = require_user(principal)
    reservation = session.get(Reservation, reservation_id)
    if reservation is None or not (
        principal.is_staff
        or reservation.user_id == principal.user_id
        or principal.is_member_of(reservation.organisation_id)
    ):
        raise NotFound("No such reservation.")
    return reservation


def cancel_reservation(
    session: Session, principal: Principal | None, reservation_id: int, *, now: dt.datetime | None = None
) -> None:
    now = now or utcnow()
    reservation = get_reservation(session, principal, reservation_id)
    locks.lock_device(session, reservation.device_id)
    session.refresh(reservation)
    if not reservation.is_live(now):
        raise Conflict(f"This reservation is no longer active ({effective_status(reservation, now).value}).")
    reservation.status = ReservationStatus.CANCELLED
    reservation.ended_at = now


def effective_status(reservation: Reservation, now: dt.datetime | None = None) -> ReservationStatus:
    now = now or utcnow()
    if reservation.status is ReservationStatus.ACTIVE and reservation.expires_at <= now:
        return ReservationStatus.EXPIRED
    return reservation.status


def expire_stale(session: Session, now: dt.datetime | None = None) -> int:
    """Housekeeping only (holds already stop counting when they expire): mark expired holds.

    One UPDATE with its own condition: idempotent, and two machines running it at once simply
    both find nothing left to do after the first.
    """
    now = now or utcnow()
    result = session.execute(
        sa.update(Reservation)
        .where(Reservation.status == ReservationStatus.ACTIVE, Reservation.expires_at <= now)
        .values(status=ReservationStatus.EXPIRED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
