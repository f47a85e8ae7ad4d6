"""A listing's life: list a device, read, edit or withdraw the offer.

Listing moves the device to ``listed`` and withdrawing moves it back to ``diagnosed``, through
``devices.lifecycle.transition``, each with its passport event. The listing row carries a
snapshot of the device for the catalogue (``listability.follow.sync_from_device``), which
``listability.follow.follow_device`` keeps in step with every change of the device.

Each use case answers with the listing's card (``cards``); the search is in ``search``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices import lifecycle, passport
from marketplace.devices.models import Device, DeviceState, EventKind
from marketplace.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from marketplace.listability.follow import key_findings, open_listing, sync_from_device
from marketplace.listability.rules import ensure_listable
from marketplace.listings import visibility
from marketplace.listings.cards import read_card
from marketplace.listings.models import (
    DEFAULT_DONATION_KINDS,
    OPEN_STATUSES,
    Listing,
    ListingMode,
    ListingStatus,
    Visibility,
)
from marketplace.loans.availability import booked_for_loan
from marketplace.members.access import INVENTORY_ROLES, Principal, owns, require_org_role, require_user
from marketplace.members.identifiers import department_of
from marketplace.members.models import Organisation, OrganisationKind
from marketplace.orders.models import Order, OrderStatus
from marketplace.reservations import locks
from marketplace.reservations.service import live_hold

SALE_FIELDS = frozenset({"price_cents", "warranty_months", "return_days"})
LOAN_FIELDS = frozenset({"min_days", "max_days", "deposit_cents"})
DONATION_FIELDS = frozenset({"eligible_kinds"})
MODE_FIELDS = {ListingMode.SALE: SALE_FIELDS, ListingMode.LOAN: LOAN_FIELDS, ListingMode.DONATION: DONATION_FIELDS}
#: Fields PATCH may change (mode and device are fixed: withdraw and list again instead).
EDITABLE_FIELDS = SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS | {"visibility", "postcode", "description"}


def get_listing(session: Session, principal: Principal | None, listing_id: int) -> dict[str, Any]:
    """A listing the caller may see (``visibility.may_see_listing``): an active one on offer, past
    ones to the owner organisation, a closed one to the organisations that received it."""
    row = session.execute(
        sa.select(Listing.organisation_id, Listing.status, Listing.visibility).where(Listing.id == listing_id)
    ).one_or_none()
    if row is None:
        raise NotFound("No such listing.")
    if not visibility.may_see_listing(session, principal, listing_id, row.organisation_id, row.status, row.visibility):
        raise NotFound("No such listing.")
    return read_card(session, listing_id)


# --- writing -------------------------------------------------------------------------------


def _check_mode_fields(mode: ListingMode, values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name in sorted((SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS) - MODE_FIELDS[mode]):
        if values.get(name) is not None:
            errors[name] = [f"Not used by a {mode.value} listing."]
    if mode is ListingMode.SALE and values.get("price_cents") is None:
        errors["price_cents"] = ["A sale needs a price (in cents)."]
    min_days, max_days = values.get("min_days"), values.get("max_days")
    if min_days is not None and max_days is not None and min_days > max_days:
        errors["max_days"] = ["Must not be shorter than min_days."]
    if errors:
        raise ValidationFailed(f"The {mode.value} listing has invalid fields.", errors=errors)


def _place(postcode: str | None, organisation: Organisation) -> tuple[str, str]:
    if postcode is None:
        return organisation.postcode, organisation.department
    department = department_of(postcode)
    if department is None:
        raise ValidationFailed("The pickup postcode is not valid.", errors={"postcode": ["Not a French postcode."]})
    return postcode, department


def _load_device_for_listing(session: Session, principal: Principal | None, device_id: int) -> Device:
    require_user(principal)
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    require_org_role(principal, device.organisation_id, INVENTORY_ROLES, what="device")
    return device


def create_listing(
    session: Session,
    principal: Principal | None,
    *,
    device_id: int,
    mode: ListingMode,
    visibility: Visibility = Visibility.MEMBERS,
    postcode: str | None = None,
    description: str | None = None,
    price_cents: int | None = None,
    warranty_months: int | None = None,
    return_days: int | None = None,
    min_days: int | None = None,
    max_days: int | None = None,
    deposit_cents: int | None = None,
    eligible_kinds: Sequence[OrganisationKind] | None = None,
) -> dict[str, Any]:
    # Under the device's lock (``reservations.locks``): of parallel listings of one device, or a
    # listing and a diagnostics upload, the later one sees what the first did (409, not a clash).
    device = locks.lock_device(session, _load_device_for_listing(session, principal, device_id).id)
    assert principal is not None  # _load_device_for_listing required a member or staff
    principal.require_approved(device.organisation_id, "publish listings")
    values: dict[str, Any] = {
        "price_cents": price_cents,
        "warranty_months": warranty_months,
        "return_days": return_days,
        "min_days": min_days,
        "max_days": max_days,
        "deposit_cents": deposit_cents,
        "eligible_kinds": eligible_kinds,
    }
    _check_mode_fields(mode, values)
    organisation = device.organisation
    place = _place(postcode, organisation)
    current = open_listing(session, device.id)
    if current is not None:
        if current.status is ListingStatus.SUSPENDED:
            raise InvalidState(
                f"This device's listing {current.id} is suspended; it comes back by itself once the device "
                f"is listable again ({current.suspended_reason}), or withdraw it first.",
                errors={"device_id": ["Listing suspended."]},
            )
        raise InvalidState(f"This device is already listed (listing {current.id}).", errors={"device_id": ["Listed."]})
    ensure_listable(session, device)
    if mode is ListingMode.DONATION:
        kinds = eligible_kinds or DEFAULT_DONATION_KINDS
        values["eligible_kinds"] = sorted({OrganisationKind(k).value for k in kinds})
    listing = Listing(
        device_id=device.id,
        organisation_id=device.organisation_id,
        mode=mode,
        status=ListingStatus.ACTIVE,
        visibility=visibility,
        postcode=place[0],
        department=place[1],
        description=description,
        **values,
    )
    sync_from_device(listing, device, organisation, key_findings(session, device))
    session.add(listing)
    previous = lifecycle.transition(device, DeviceState.LISTED)
    session.flush()
    passport.record_event(
        session,
        device,
        EventKind.LISTED,
        principal,
        state_from=previous,
        data={
            "listing_id": listing.id,
            "mode": mode.value,
            "price_cents": listing.price_cents,
            "visibility": visibility.value,
            "department": listing.department,
        },
    )
    session.flush()
    return read_card(session, listing.id)


def _load_listing_as_lister(session: Session, principal: Principal | None, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("No such listing.")
    if not owns(principal, listing.organisation_id):
        if not visibility.may_see_listing(
            session, principal, listing.id, listing.organisation_id, listing.status, listing.visibility
        ):
            raise NotFound("No such listing.")
        require_user(principal)
        raise Forbidden("Only the listing organisation's listers change its listings.")
    require_org_role(principal, listing.organisation_id, INVENTORY_ROLES, what="listing")
    return listing


def _ensure_editable(listing: Listing) -> None:
    """Active and suspended listings may change their terms or be withdrawn; past ones not."""
    if listing.status not in OPEN_STATUSES:
        raise InvalidState(f"This listing is {listing.status.value}; it can no longer change.")
    if listing.device.state is not DeviceState.LISTED:
        raise InvalidState(f"The device is {listing.device.state.value}; its listing cannot change now.")


def update_listing(
    session: Session, principal: Principal | None, listing_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    _device, listing = locks.lock_listing(session, _load_listing_as_lister(session, principal, listing_id).id)
    _ensure_editable(listing)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed("These fields cannot change.", errors={k: ["Cannot change."] for k in sorted(unknown)})
    merged = {name: getattr(listing, name) for name in SALE_FIELDS | LOAN_FIELDS | DONATION_FIELDS}
    merged.update({k: v for k, v in changes.items() if k in merged})
    if "eligible_kinds" in changes and changes["eligible_kinds"] is not None:
        merged["eligible_kinds"] = sorted({OrganisationKind(k).value for k in changes["eligible_kinds"]})
    _check_mode_fields(listing.mode, merged)
    updates = dict(merged)
    if "visibility" in changes:
        updates["visibility"] = changes["visibility"]
    if "description" in changes:
        updates["description"] = changes["description"]
    if "postcode" in changes:
        updates["postcode"], updates["department"] = _place(changes["postcode"], listing.organisation)
    diff: dict[str, tuple[Any, Any]] = {}
    for name, new in updates.items():
        old = getattr(listing, name)
        if old != new:
            diff[name] = (_plain(old), _plain(new))
            setattr(listing, name, new)
    if diff:
        listing.search_price_cents = listing.search_price()
        listing.updated_at = utcnow()
        passport.record_event(
            session,
            listing.device,
            EventKind.UPDATED,
            principal,
            changes=diff,
            data={"listing_id": listing.id},
        )
        session.flush()
    return read_card(session, listing.id)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Visibility | ListingMode) else value


def _ensure_no_live_commitment(session: Session, listing: Listing) -> None:
    """A listing someone holds, has ordered or has booked a loan on cannot be withdrawn: the
    member would be left with a hold, an order or a loan on nothing."""
    now = utcnow()
    live = {
        "hold": live_hold(session, listing.id, now) is not None,
        "order": session.scalar(
            sa.select(Order.id)
            .where(Order.device_id == listing.device_id, Order.status.in_((OrderStatus.PENDING, OrderStatus.CONFIRMED)))
            .limit(1)
        )
        is not None,
        "loan": booked_for_loan(session, listing.device_id, now.date()),
    }
    found = [name for name, is_live in live.items() if is_live]
    if found:
        raise InvalidState(
            f"The listing cannot be withdrawn while a {' and a '.join(found)} on it is live.",
            errors={"listing": [f"Live {name}." for name in found]},
        )


def withdraw_listing(session: Session, principal: Principal | None, listing_id: int) -> dict[str, Any]:
    # Under the device's then the listing's lock, like every hold, order and loan booking: a hold or
    # a loan taken meanwhile is seen by the check below, and one taken after sees the withdrawal.
    _device, listing = locks.lock_listing(session, _load_listing_as_lister(session, principal, listing_id).id)
    _ensure_editable(listing)
    _ensure_no_live_commitment(session, listing)
    device = listing.device
    previous = lifecycle.transition(device, DeviceState.DIAGNOSED)
    listing.status = ListingStatus.WITHDRAWN
    listing.withdrawn_at = utcnow()
    listing.suspended_reason = None
    passport.record_event(
        session,
        device,
        EventKind.UNLISTED,
        principal,
        state_from=previous,
        data={"listing_id": listing.id, "reason": "withdrawn"},
    )
    session.flush()
    return read_card(session, listing.id)
