"""A photo's bytes as an HTTP response (Flask side), for the routes that decide who may see it."""

from __future__ import annotations

from flask import Response, request

from marketplace.media import service
from marketplace.media.models import Photo
from marketplace.media.storage import Storage

#: A public listing's photo: the same bytes for everyone, and a photo id never gets other bytes
#: (a changed photo is a new id), so browsers and shared caches may keep it. An hour bounds how
#: long a withdrawn listing's photos stay in caches.
PUBLIC_CACHE = "public, max-age=3600"
#: Anything else: only the caller's browser keeps it, and asks again (ETag) before each use, so a
#: revoked access or a deleted photo stops being shown. (A request with credentials gets
#: ``no-store`` whatever the photo: the house rule, ``http.must_not_store``.)
PRIVATE_CACHE = "private, no-cache"


def photo_response(store_in: Storage, photo: Photo, *, thumbnail: bool, public: bool) -> Response:
    """The photo (or its thumbnail) with its type, ETag (its SHA-256) and caching; 304 when the
    caller's ``If-None-Match`` holds it already (the storage is then not read)."""
    etag = photo.thumbnail_sha256 if thumbnail else photo.sha256
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        body = service.content(store_in, photo, thumbnail=thumbnail)
        response = Response(body, mimetype=photo.content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = PUBLIC_CACHE if public else PRIVATE_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = (
        f'inline; filename="photo-{photo.id}{"-thumbnail" if thumbnail else ""}.{photo.storage_key.rsplit(".", 1)[-1]}"'
    )
    response.vary.add("Authorization")
    return response
