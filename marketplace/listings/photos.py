"""A listing's photos: its listers add and remove them while it is on offer; whoever sees the
listing (``visibility``) sees them.

Stored through ``media.service.store`` (re-encoded, all or nothing), attached to the listing at
upload. A closed or withdrawn listing's photos stay as they were: the terms the device was taken
on (its buyer still sees them).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from marketplace.errors import InvalidState, NotFound, ValidationFailed
from marketplace.listings import visibility
from marketplace.listings.models import OPEN_STATUSES, Listing, ListingStatus, Visibility
from marketplace.listings.service import _load_listing_as_lister
from marketplace.media import service as media
from marketplace.media.models import Photo, PhotoPurpose
from marketplace.media.storage import Storage
from marketplace.members.access import Principal
from marketplace.reservations import locks
from marketplace.uploads import UploadedFile


def add_photos(
    session: Session,
    store_in: Storage,
    principal: Principal | None,
    listing_id: int,
    files: Sequence[UploadedFile],
) -> list[Photo]:
    """Add photos to an active or suspended listing (its organisation's listers and admins)."""
    _load_listing_as_lister(session, principal, listing_id)
    _device, listing = locks.lock_listing(session, listing_id)  # two uploads count its photos in turn
    if listing.status not in OPEN_STATUSES:
        raise InvalidState(f"This listing is {listing.status.value}; its photos can no longer change.")
    attachment = media.listing(listing.id)
    already = media.count_attached(session, attachment)
    if already + len(files) > media.MAX_PHOTOS_PER_ATTACHMENT:
        raise ValidationFailed(
            f"A listing holds at most {media.MAX_PHOTOS_PER_ATTACHMENT} photos ({already} already). "
            "Nothing was stored.",
            errors={"files": [f"At most {media.MAX_PHOTOS_PER_ATTACHMENT - already} more photos."]},
        )
    return media.store(
        session,
        store_in,
        principal,
        files,
        PhotoPurpose.LISTING,
        organisation_id=listing.organisation_id,
        attach_to=attachment,
    )


def delete_photo(
    session: Session, store_in: Storage, principal: Principal | None, listing_id: int, photo_id: int
) -> None:
    """Remove one photo of an active or suspended listing (its blobs go once this commits)."""
    _load_listing_as_lister(session, principal, listing_id)
    _device, listing = locks.lock_listing(session, listing_id)
    photo = _photo_of(session, listing.id, photo_id)
    if listing.status not in OPEN_STATUSES:
        raise InvalidState(f"This listing is {listing.status.value}; its photos can no longer change.")
    media.delete(session, store_in, photo)


def list_photos(session: Session, principal: Principal | None, listing_id: int) -> list[Photo]:
    """The listing's photos, oldest first, for whoever sees the listing; others get 404."""
    _visible_listing(session, principal, listing_id)
    return media.attached_to(session, media.listing(listing_id))


def get_photo(session: Session, principal: Principal | None, listing_id: int, photo_id: int) -> tuple[Photo, bool]:
    """One photo of a listing the caller sees, and whether it is public (an active public
    listing's: anyone may see it, so caches may keep it)."""
    listing = _visible_listing(session, principal, listing_id)
    photo = _photo_of(session, listing_id, photo_id)
    return photo, listing.status is ListingStatus.ACTIVE and listing.visibility is Visibility.PUBLIC


def _visible_listing(session: Session, principal: Principal | None, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or not visibility.may_see_listing(
        session, principal, listing.id, listing.organisation_id, listing.status, listing.visibility
    ):
        raise NotFound("No such listing.")
    return listing


def _photo_of(session: Session, listing_id: int, photo_id: int) -> Photo:
    photo = session.get(Photo, photo_id)
    if photo is None or photo.attached_type != "listing" or photo.attached_id != listing_id:
        raise NotFound("No such photo of this listing.")
    return photo
