"""HTTP caching of catalogue reads: validators, freshness, conditional answers.

The anonymous catalogue (search pages and facet counts) is the same for every anonymous caller, so
browsers, a reverse proxy or a CDN may keep it for ``PUBLIC_MAX_AGE`` seconds, then revalidate with
``If-None-Match`` and get a bodiless ``304`` while nothing changed.

When a cached page is stale: its ``ETag`` is a hash of the body, so a page changes validator exactly
when what it shows changes: a listing created, withdrawn, suspended or closed, its terms edited, or
its device's snapshot refreshed (grade, specs, battery, place). A shared cache may serve a page up
to ``PUBLIC_MAX_AGE`` seconds after such a change; that is the bound on staleness we accept for an
anonymous catalogue (a reservation or an order always re-checks the listing in the database).

A signed-in member's answer depends on their token (members-only listings): like every answer to
a request with credentials it is ``no-store`` (``http.must_not_store``), never kept by any cache.
Every answer carries ``Vary: Authorization`` so that no cache hands one caller's page to another.

The headers are written as plain strings, and ``If-None-Match`` is read with werkzeug's parser
(``request.if_none_match``, weak comparison as RFC 9110 §13.1.2 asks for GET): the catalogue is
the most-read endpoint, and werkzeug's ``make_conditional`` also handles dates and ranges, which
these answers never use.
"""

from __future__ import annotations

import hashlib

from flask import Response, request

#: Seconds a browser or shared cache may reuse an anonymous catalogue answer without asking again.
PUBLIC_MAX_AGE = 30
_PUBLIC = f"public, max-age={PUBLIC_MAX_AGE}"


def conditional(response: Response, *, anonymous: bool) -> Response:
    """Give a successful read its validator and caching policy; answer 304 when the caller's
    ``If-None-Match`` still matches."""
    etag = hashlib.sha1(response.get_data(), usedforsecurity=False).hexdigest()
    headers = response.headers
    headers["ETag"] = f'"{etag}"'
    headers["Vary"] = "Authorization"
    if anonymous:
        headers["Cache-Control"] = _PUBLIC
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")
        del headers["Content-Type"]
        del headers["Content-Length"]
    return response
