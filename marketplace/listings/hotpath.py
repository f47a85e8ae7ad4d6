"""The catalogue search's hot path: plain ``GET /api/v1/listings`` requests answered below Flask.

The search is the most-read endpoint (issue 6: at least 0.8 of a hand-written WSGI handler's
throughput). Profiled in-process on PostgreSQL, a search page costs about 180 µs in the service
(compiled SQL, driver, result dicts: as much as the hand-written handler spends in all) and, before
this module, about 100 µs more in Flask's request machinery (request and app contexts, routing,
hooks, response object: 36 µs for an empty Flask app alone), webargs and our hooks.

This WSGI middleware answers the requests it can answer exactly as the view in ``routes`` would,
with the same parts: ``FastLoader`` on the view's query schema, the bearer token resolved by
``members.authenticate``, ``service.search`` on the read engine, orjson, the security headers.
It declines, and hands the request to Flask untouched, whenever anything is not plain: another
method or path, a CORS ``Origin``, a query string the fast loader leaves to marshmallow (unknown
key, odd value, repeated key, NUL), a malformed or unknown token, any error while searching, or a
test's shared session. Flask then answers the usual way (its view, its 401/422/503 problems), so
errors are rendered in one place and the view stays the documented operation in the OpenAPI
description. ``tests/marketplace/listings/test_hotpath.py`` checks that both give identical
responses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from flask import Flask

from marketplace.api.context import bearer_secret, database
from marketplace.api.fastload import FastLoader
from marketplace.db import PooledReader
from marketplace.http import NO_STORE, SECURITY_HEADERS, must_not_store
from marketplace.listings import schemas, service
from marketplace.members import service as members

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PATH = "/api/v1/listings"
_HEADERS = [("Content-Type", "application/json"), *SECURITY_HEADERS.items()]


class CatalogueHotPath:
    def __init__(self, app: Flask, next_app: WSGIApplication) -> None:
        self.app = app
        self.next_app = next_app
        self.loader = FastLoader.for_schema(schemas.ListingQueryArgsSchema())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") == PATH
            and environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_ORIGIN" not in environ
            and (body := self._answer(environ)) is not None
        ):
            headers = [*_HEADERS[:1], ("Content-Length", str(len(body))), *_HEADERS[1:]]
            if must_not_store("GET", environ.get("HTTP_AUTHORIZATION")):
                headers.append(NO_STORE)  # a member's page (members-only listings): as Flask says
            start_response("200 OK", headers)
            return [body]
        return self.next_app(environ, start_response)

    def _answer(self, environ: WSGIEnvironment) -> bytes | None:
        """The response body, or None to let Flask answer."""
        state = database(self.app)
        if state.override is not None or self.loader is None:
            return None  # tests' shared session: only Flask's path sees it
        query = self._query(environ.get("QUERY_STRING", ""))
        if query is None:
            return None
        try:
            secret = bearer_secret(environ.get("HTTP_AUTHORIZATION", ""))
            if secret is None:
                reader = PooledReader.checkout(self.app.extensions["relife.read_engine"])
                try:
                    page = service.search(reader, None, query)
                finally:
                    reader.close()
            else:
                with state.factory() as session:
                    principal = members.authenticate(session, secret)
                    page = service.search(session.connection(), principal, query)
        except Exception:  # Flask answers it instead: errors are mapped and logged in one place
            return None
        return orjson.dumps(page)

    def _query(self, raw: str) -> service.SearchQuery | None:
        """The query, read as Flask and webargs read it (werkzeug's decoding, first value per
        key), when it is plain; None otherwise."""
        if "%00" in raw or "\x00" in raw:
            return None
        try:
            pairs = parse_qsl(raw.encode("latin1").decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except (UnicodeError, ValueError):
            return None
        values = dict(pairs)
        if len(values) != len(pairs):
            return None
        assert self.loader is not None
        loaded: Any = self.loader.load(values)
        return loaded if isinstance(loaded, service.SearchQuery) else None


def install(app: Flask) -> None:
    wrapped: Callable[..., Iterable[bytes]] = app.wsgi_app
    app.wsgi_app = CatalogueHotPath(app, wrapped)  # type: ignore[method-assign]
