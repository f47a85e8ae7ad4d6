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
from marketplace.listings import schemas, search, service

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
