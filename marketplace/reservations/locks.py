"""Serialising the writes that decide who gets a device, and what it is offered as.

Every use case that changes a listing or its device first locks rows in ONE order:

1. the **device** row (``lock_device``),
2. then the **listing** row (``lock_listing`` takes both, device first),
3. then, where a use case needs them, rows that are not a device's: the acting member
   organisation (hold and booking caps, ``lock_member``) and the invoice counter.

That covers listing, editing and withdrawing an offer, holding it, ordering, booking a loan (and
every later step of an order or a loan), recording diagnostics and erasures. ``SELECT … FOR
UPDATE`` on PostgreSQL makes a second request for the same device wait until the first commits
and then see its result (``populate_existing``: the re-read rows replace stale copies), so the
loser's checks refuse it with a 409 problem instead of failing on a version or unique-index
clash. One order everywhere means two such requests can wait for each other but never deadlock.
On SQLite the request's transaction already began with ``BEGIN IMMEDIATE`` (the database's single
write lock) and SQLAlchemy drops ``FOR UPDATE``. The database constraints (partial unique
indexes, the loans exclusion constraint, the device's version column) are the backstop if a code
path ever forgets; they are mapped to 409 problems too (``api.problems``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import lock
from marketplace.devices.models import Device
from marketplace.errors import NotFound
from marketplace.listings.models import Listing
from marketplace.members.models import Organisation


def lock_device(session: Session, device_id: int) -> Device:
    device = lock(session, Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    return device


def lock_listing(session: Session, listing_id: int) -> tuple[Device, Listing]:
    """Lock a listing and its device, in the module's order: the device row, then the listing row."""
    device_id = session.scalar(sa.select(Listing.device_id).where(Listing.id == listing_id))
    if device_id is None:
        raise NotFound("No such listing.")
    device = lock_device(session, device_id)
    listing = lock(session, Listing, listing_id)
    assert listing is not None  # listings are never deleted (loans and orders reference them)
    return device, listing


def lock_member(session: Session, organisation_id: int) -> Organisation:
    """Lock the acting organisation's row (after the device and listing): its caps on live holds
    and bookings are counted and written under it, so parallel requests cannot overshoot them.

    ``FOR NO KEY UPDATE`` on PostgreSQL: two holds of one organisation take turns, but rows that
    merely reference the organisation (their foreign keys take ``FOR KEY SHARE``) do not wait."""
    stmt = (
        sa.select(Organisation)
        .where(Organisation.id == organisation_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    organisation = session.execute(stmt).scalar_one_or_none()
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation
