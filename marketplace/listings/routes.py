"""HTTP routes of the catalogue: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from marketplace.api.caching import conditional
from marketplace.api.context import current_principal, current_read_connection, current_session
from marketplace.api.responses import json_response
from marketplace.api.smorest import Blueprint
from marketplace.listings import photos, schemas, search, service
from marketplace.media import schemas as media_schemas
from marketplace.media.models import Photo
from marketplace.media.routes import IMAGE_CONTENT
from marketplace.media.runtime import current_storage
from marketplace.media.serving import photo_response

blp = Blueprint("listings", __name__, url_prefix="/api/v1", description="The catalogue: listings and search")


@blp.route("/listings")
class Listings(MethodView):
    @blp.arguments(schemas.ListingQueryArgsSchema(), location="query", as_kwargs=False, unknown=ma.RAISE)
    @blp.response(200, schemas.ListingPageSchema)
    @blp.alt_response(304, description="Not modified: the page matching `If-None-Match` is still current")
    @blp.alt_response(422, description="Invalid filter, cursor, or limit above its maximum")
    def get(self, query: search.SearchQuery) -> Response:
        """Search the catalogue: anonymous callers see public listings, members also members-only ones

        Keyset-paginated: pass a page's `next_cursor` as `cursor` (with the same filters and sort).
        Cacheable: anonymous pages are public for a short time (`Cache-Control`), every page has an
        `ETag`, and `If-None-Match` with a current one answers 304.
        """
        # The caller first: a token lookup opens the request's session, whose connection the
        # search then shares instead of taking a second one from the pool.
        principal = current_principal()
        page = json_response(search.search(current_read_connection(), principal, query))
        return conditional(page, anonymous=principal is None)

    @blp.arguments(schemas.ListingCreateSchema)
    @blp.response(201, schemas.ListingSchema)
    @blp.alt_response(404, description="No such device (or not yours)")
    @blp.alt_response(409, description="The device is not listable (state, erasure) or already listed")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """List a diagnosed, erased device for sale, loan or donation"""
        return service.create_listing(current_session(), current_principal(), **data)


@blp.route("/listings/facets")
class ListingFacets(MethodView):
    @blp.arguments(schemas.ListingFilterArgsSchema(), location="query", as_kwargs=False, unknown=ma.RAISE)
    @blp.response(200, schemas.FacetsSchema)
    @blp.alt_response(304, description="Not modified: the counts matching `If-None-Match` are still current")
    def get(self, filters: search.SearchFilters) -> Response:
        """Counts per kind, mode, grade and department for the same filters as the search

        Cached like the search (`ETag`, `Cache-Control`, 304 on `If-None-Match`).
        """
        principal = current_principal()
        counts = json_response(search.facets(current_session(), principal, filters))
        return conditional(counts, anonymous=principal is None)


@blp.route("/listings/<int:listing_id>")
class ListingById(MethodView):
    @blp.response(200, schemas.ListingSchema)
    @blp.alt_response(404, description="No such listing (or not visible to you)")
    def get(self, listing_id: int) -> dict[str, Any]:
        """One listing"""
        return service.get_listing(current_session(), current_principal(), listing_id)

    @blp.arguments(schemas.ListingUpdateSchema)
    @blp.response(200, schemas.ListingSchema)
    @blp.alt_response(403, description="Not a lister of the listing's organisation")
    @blp.alt_response(409, description="The listing or its device cannot change now")
    def patch(self, data: dict[str, Any], listing_id: int) -> dict[str, Any]:
        """Change a listing's terms (each change goes to the device passport)"""
        return service.update_listing(current_session(), current_principal(), listing_id, data)

    @blp.response(200, schemas.ListingSchema)
    @blp.alt_response(403, description="Not a lister of the listing's organisation")
    @blp.alt_response(409, description="The device is reserved or the listing is no longer active")
    def delete(self, listing_id: int) -> dict[str, Any]:
        """Withdraw a listing (active or suspended): the device goes back to diagnosed"""
        return service.withdraw_listing(current_session(), current_principal(), listing_id)


@blp.route("/listings/<int:listing_id>/photos")
class ListingPhotos(MethodView):
    @blp.response(200, media_schemas.PhotoListSchema)
    @blp.alt_response(404, description="No such listing (or not visible to you)")
    def get(self, listing_id: int) -> dict[str, Any]:
        """The listing's photos, oldest first, for whoever sees the listing"""
        return {"items": photos.list_photos(current_session(), current_principal(), listing_id)}

    @blp.arguments(media_schemas.PhotoUploadSchema, location="multipart")
    @blp.response(201, media_schemas.PhotoListSchema)
    @blp.alt_response(403, description="Not a lister of the listing's organisation")
    @blp.alt_response(404, description="No such listing (or not visible to you)")
    @blp.alt_response(409, description="The listing is closed or withdrawn: its photos no longer change")
    @blp.alt_response(413, description="A file is too large (bytes or pixels: a decompression bomb); nothing stored")
    @blp.alt_response(
        422, description="Not an image, not JPEG/PNG/WebP, too many files or photos, no file; nothing stored"
    )
    def post(self, form: dict[str, Any], listing_id: int) -> dict[str, Any]:
        """Add photos to a listing (multipart `files`): re-encoded without metadata, with thumbnails"""
        added = photos.add_photos(current_session(), current_storage(), current_principal(), listing_id, form["files"])
        return {"items": added}


@blp.route("/listings/<int:listing_id>/photos/<int:photo_id>")
class ListingPhotoById(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The stored (re-encoded) photo. `ETag` is its SHA-256; `Cache-Control` is "
                "public for an active public listing, private otherwise.",
                **IMAGE_CONTENT,
            }
        }
    )
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    @blp.alt_response(404, description="No such listing or photo (or not visible to you)")
    def get(self, listing_id: int, photo_id: int) -> Response:
        """A listing photo's bytes, for whoever sees the listing"""
        return _photo(listing_id, photo_id, thumbnail=False)

    @blp.response(204)
    @blp.alt_response(403, description="Not a lister of the listing's organisation")
    @blp.alt_response(404, description="No such listing or photo (or not visible to you)")
    @blp.alt_response(409, description="The listing is closed or withdrawn: its photos no longer change")
    def delete(self, listing_id: int, photo_id: int) -> None:
        """Remove a photo from an active or suspended listing"""
        photos.delete_photo(current_session(), current_storage(), current_principal(), listing_id, photo_id)


@blp.route("/listings/<int:listing_id>/photos/<int:photo_id>/thumbnail")
class ListingPhotoThumbnail(MethodView):
    @blp.doc(
        responses={"200": {"description": "The photo's thumbnail (ETag, Cache-Control as the photo)", **IMAGE_CONTENT}}
    )
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    @blp.alt_response(404, description="No such listing or photo (or not visible to you)")
    def get(self, listing_id: int, photo_id: int) -> Response:
        """A listing photo's thumbnail, for whoever sees the listing"""
        return _photo(listing_id, photo_id, thumbnail=True)


def _photo(listing_id: int, photo_id: int, *, thumbnail: bool) -> Response:
    photo: Photo
    photo, public = photos.get_photo(current_session(), current_principal(), listing_id, photo_id)
    return photo_response(current_storage(), photo, thumbnail=thumbnail, public=public)
