"""Photos' use cases: store uploads (all or nothing), let other domains claim condition photos,
read and delete.

Rules decided here:

* **All or nothing.** ``store`` processes every file (``images.process``) before it writes
  anything; one refused file refuses the upload, naming each bad file in
  ``errors["files.<n>"]`` (1-based, as the diagnostics upload does): 413 when a file is too
  large (bytes, or pixels: a decompression bomb), else 422. Neither rows nor blobs are left: blobs
  are written only once every file passed, and are deleted again if the transaction does not
  commit (``storage.stage_put``).
* **Owned by an organisation.** A photo belongs to the organisation it was uploaded for; its
  people (any role) and staff read it. Listing photos are read by whoever sees the listing
  (``listings.photos``).
* **Attached once.** A condition photo is uploaded unattached, then claimed by a return or an
  inspection of the same organisation (``claim``): a photo already attached, another
  organisation's, or of another purpose is refused, and the whole claim with it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from marketplace.media import images, storage
from marketplace.media.models import Photo, PhotoPurpose
from marketplace.members.access import Principal, require_org_role, require_user
from marketplace.members.models import Role
from marketplace.uploads import FileTooLarge, UploadedFile

#: Photos one return, inspection or listing may hold (several uploads may add up to it).
MAX_PHOTOS_PER_ATTACHMENT = 20
MAX_FILENAME_CHARS = 255
#: Every role of an organisation may upload its condition photos (a buyer's member opening a
#: return, a lister inspecting a returned loan).
ANY_ROLE = frozenset(Role)
THUMBNAIL_SUFFIX = ".thumb"


@dataclass(frozen=True)
class Attachment:
    """What a photo is attached to: a kind (``listing``, ``return``, ``inspection``…) and its id."""

    type: str
    id: int


def listing(listing_id: int) -> Attachment:
    return Attachment("listing", listing_id)


# --- storing --------------------------------------------------------------------------------------


def store(
    session: Session,
    store_in: storage.Storage,
    principal: Principal | None,
    files: Sequence[UploadedFile],
    purpose: PhotoPurpose,
    *,
    organisation_id: int,
    attach_to: Attachment | None = None,
) -> list[Photo]:
    """Re-encode and store ``files`` as photos of ``organisation_id`` (the caller one of its
    people, or staff), attached to ``attach_to`` when given; all of them or none."""
    principal = require_org_role(principal, organisation_id, ANY_ROLE, what="organisation")
    _check_count(files)
    processed = _process_all(files)
    now = utcnow()
    photos = [
        Photo(
            organisation_id=organisation_id,
            purpose=purpose,
            attached_type=attach_to.type if attach_to else None,
            attached_id=attach_to.id if attach_to else None,
            attached_at=now if attach_to else None,
            uploaded_by_user_id=principal.user_id,
            filename=_clean_filename(upload.filename, position),
            content_type=image.content_type,
            sha256=image.photo.sha256,
            thumbnail_sha256=image.thumbnail.sha256,
            size=len(image.photo.content),
            thumbnail_size=len(image.thumbnail.content),
            width=image.photo.width,
            height=image.photo.height,
            storage_key=f"photos/{organisation_id}/{_random_name()}.{image.extension}",
            created_at=now,
        )
        for position, (upload, image) in enumerate(zip(files, processed, strict=True), start=1)
    ]
    try:
        for photo, image in zip(photos, processed, strict=True):
            storage.stage_put(session, store_in, photo.storage_key, image.photo.content, photo.content_type)
            storage.stage_put(session, store_in, thumbnail_key(photo), image.thumbnail.content, photo.content_type)
        session.add_all(photos)
        session.flush()
    except storage.StorageUnavailable:
        storage.discard_written(session)
        raise ServiceUnavailable("The photo storage cannot be reached; nothing was stored. Try again later.") from None
    except BaseException:
        storage.discard_written(session)
        raise
    return photos


def store_condition_photos(
    session: Session,
    store_in: storage.Storage,
    principal: Principal | None,
    files: Sequence[UploadedFile],
    *,
    organisation_id: int | None,
) -> list[Photo]:
    """Unattached condition photos of the caller's organisation (``organisation_id``, or the only
    one the caller belongs to), for a return or an inspection to ``claim`` later."""
    principal = require_user(principal)
    if organisation_id is None:
        if len(principal.organisation_ids) != 1:
            raise ValidationFailed(
                "Say which organisation the photos are for (organisation_id).",
                errors={"organisation_id": ["Required when you belong to several organisations, or none."]},
            )
        (organisation_id,) = principal.organisation_ids
    return store(session, store_in, principal, files, PhotoPurpose.CONDITION, organisation_id=organisation_id)


def _check_count(files: Sequence[UploadedFile]) -> None:
    if not files:
        raise ValidationFailed(
            "Send at least one image in the multipart field 'files'.", errors={"files": ["No file."]}
        )
    if len(files) > images.MAX_FILES_PER_UPLOAD:
        raise ValidationFailed(
            f"At most {images.MAX_FILES_PER_UPLOAD} photos per upload (got {len(files)}). Nothing was stored.",
            errors={"files": [f"At most {images.MAX_FILES_PER_UPLOAD} files per upload."]},
        )


def _process_all(files: Sequence[UploadedFile]) -> list[images.ProcessedImage]:
    """Every file re-encoded, or one error naming every refused file (nothing written yet)."""
    processed: list[images.ProcessedImage] = []
    errors: dict[str, list[str]] = {}
    too_large = False
    for position, upload in enumerate(files, start=1):
        name = _clean_filename(upload.filename, position)
        try:
            processed.append(images.process(upload.content))
        except images.ImageRefused as exc:
            errors[f"files.{position}"] = [f"{name}: {exc.reason}"]
            too_large = too_large or exc.too_large
    if errors:
        named = "; ".join(message for messages in errors.values() for message in messages)
        error = FileTooLarge if too_large else ValidationFailed
        raise error(f"Refused: {named}. Nothing was stored.", errors=errors)
    return processed


def _clean_filename(filename: str, position: int) -> str:
    """The name as sent, without its folders or control characters; ``file <n>`` when none."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:MAX_FILENAME_CHARS] or f"file {position}"


def _random_name() -> str:
    """Not guessable and not derived from the content: two uploads of one image are two blobs,
    each deleted with its own photo."""
    return secrets.token_hex(16)


def thumbnail_key(photo: Photo) -> str:
    stem, _, extension = photo.storage_key.rpartition(".")
    return f"{stem}{THUMBNAIL_SUFFIX}.{extension}"


# --- attaching ------------------------------------------------------------------------------------


def claim(
    session: Session,
    principal: Principal | None,
    photo_ids: Sequence[int],
    purpose: PhotoPurpose,
    attach_to: Attachment,
    *,
    organisation_id: int,
) -> list[Photo]:
    """Attach previously uploaded photos to ``attach_to`` (a return, an inspection), for the
    organisation acting there; all of them or none (the caller's transaction rolls back on error).

    Each id must be an unattached photo of ``organisation_id`` with this ``purpose``, and the
    caller one of that organisation's people (or staff). Errors name each id by its index in
    ``photo_ids`` (``errors["photo_ids.<i>"]``, 0-based as marshmallow names list items): 422 for
    an unknown id (another organisation's photos are unknown here), a wrong purpose or a repeated
    id; 409 for a photo already attached (to this or anything else)."""
    require_org_role(principal, organisation_id, ANY_ROLE, what="organisation")
    ids = list(photo_ids)
    if not ids:
        return []
    if len(ids) > MAX_PHOTOS_PER_ATTACHMENT:
        raise ValidationFailed(
            f"At most {MAX_PHOTOS_PER_ATTACHMENT} photos.",
            errors={"photo_ids": [f"At most {MAX_PHOTOS_PER_ATTACHMENT} photos."]},
        )
    # Locked (PostgreSQL): two claims of one photo take turns, and the second sees it attached.
    rows = session.scalars(sa.select(Photo).where(Photo.id.in_(set(ids))).with_for_update())
    by_id = {photo.id: photo for photo in rows}
    invalid: dict[str, list[str]] = {}
    taken: dict[str, list[str]] = {}
    seen: set[int] = set()
    for index, photo_id in enumerate(ids):
        photo = by_id.get(photo_id)
        if photo_id in seen:
            invalid[f"photo_ids.{index}"] = [f"Photo {photo_id} is listed twice."]
        elif photo is None or photo.organisation_id != organisation_id:
            invalid[f"photo_ids.{index}"] = [f"No photo {photo_id} uploaded by this organisation."]
        elif photo.purpose is not purpose:
            invalid[f"photo_ids.{index}"] = [f"Photo {photo_id} is a {photo.purpose.value} photo, not {purpose.value}."]
        elif photo.attached_type is not None:
            taken[f"photo_ids.{index}"] = [f"Photo {photo_id} is already attached."]
        seen.add(photo_id)
    if invalid:
        raise ValidationFailed("Some photos cannot be attached; none was.", errors={**invalid, **taken})
    if taken:
        raise Conflict("Some photos are already attached; none was attached again.", errors=taken)
    already = count_attached(session, attach_to)
    if already + len(ids) > MAX_PHOTOS_PER_ATTACHMENT:
        raise ValidationFailed(
            f"At most {MAX_PHOTOS_PER_ATTACHMENT} photos per {attach_to.type} ({already} already).",
            errors={"photo_ids": [f"At most {MAX_PHOTOS_PER_ATTACHMENT} photos per {attach_to.type}."]},
        )
    now = utcnow()
    claimed = [by_id[photo_id] for photo_id in ids]
    for photo in claimed:
        photo.attached_type, photo.attached_id, photo.attached_at = attach_to.type, attach_to.id, now
    session.flush()
    return claimed


def attached_to(session: Session, attachment: Attachment) -> list[Photo]:
    """The photos attached to ``attachment``, in upload order (the caller decides who may see them)."""
    return list(
        session.scalars(
            sa.select(Photo)
            .where(Photo.attached_type == attachment.type, Photo.attached_id == attachment.id)
            .order_by(Photo.id)
        )
    )


def count_attached(session: Session, attachment: Attachment) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Photo)
            .where(Photo.attached_type == attachment.type, Photo.attached_id == attachment.id)
        )
        or 0
    )


# --- reading and deleting -------------------------------------------------------------------------


def get_own_photo(session: Session, principal: Principal | None, photo_id: int) -> Photo:
    """A photo for its organisation's people and staff; others get 404 (photos are private
    unless a listing shows them: ``listings.photos``)."""
    require_user(principal)
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("No such photo.")
    require_org_role(principal, photo.organisation_id, ANY_ROLE, what="photo")
    return photo


def content(store_in: storage.Storage, photo: Photo, *, thumbnail: bool = False) -> bytes:
    """The stored bytes of the photo or of its thumbnail."""
    key = thumbnail_key(photo) if thumbnail else photo.storage_key
    try:
        return store_in.get(key)
    except storage.BlobMissing:
        raise NotFound("This photo's file is missing from the storage.") from None
    except storage.StorageUnavailable:
        raise ServiceUnavailable("The photo storage cannot be reached. Try again later.") from None


def delete(session: Session, store_in: storage.Storage, photo: Photo) -> None:
    """Delete the row now and its blobs once the deletion commits."""
    storage.delete_after_commit(session, store_in, photo.storage_key)
    storage.delete_after_commit(session, store_in, thumbnail_key(photo))
    session.delete(photo)
    session.flush()


#: How long an uploaded condition photo waits for the return or inspection that references it:
#: these are made in one sitting (photos, then the form); a week leaves room for a form left open.
UNCLAIMED_TTL = dt.timedelta(days=7)


def purge_unclaimed(session: Session, store_in: storage.Storage, *, now: dt.datetime | None = None) -> int:
    """Delete the condition photos never claimed within ``UNCLAIMED_TTL`` (rows now, blobs once
    committed): uploads abandoned before their return or inspection was sent. Idempotent."""
    before = (now or utcnow()) - UNCLAIMED_TTL
    stale = list(
        session.scalars(
            sa.select(Photo)
            .where(Photo.attached_type.is_(None), Photo.created_at < before)
            .order_by(Photo.id)
            .with_for_update(skip_locked=True)
        )
    )
    for photo in stale:
        delete(session, store_in, photo)
    return len(stale)
