"""Cross-cutting HTTP behaviour: security headers, CORS, JSON provider."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter, Map

from marketplace.api.fields import MAX_ID
from marketplace.config import Config
from marketplace.errors import ValidationFailed

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: The Content-Security-Policy of every HTML page that sets none of its own (the docs page sets
#: its own, with its start-up script's hash: ``system.routes``): everything from this origin, no
#: inline script or style, no other origin, no frames.
PAGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_SECURITY_HEADER_ITEMS = [(key, key.lower(), value) for key, value in SECURITY_HEADERS.items()]

#: Requests whose responses may be stored by a cache when anonymous (RFC 9110 §9.2.1 safe methods).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``Cache-Control`` of every response that may carry a secret or personal data (RFC 9111 §5.2.2.5).
NO_STORE = ("Cache-Control", "no-store")


def must_not_store(method: str, authorization: str | None, session_cookie: str | None = None) -> bool:
    """Whether a response must say ``Cache-Control: no-store``: every response to a request with
    credentials (``/me``, orders and loans with their payment client secret, bench tokens, a page
    seen through a browser session, …) and every response to a write (``POST /tokens`` answers a new
    token to an anonymous caller). Anonymous reads (the catalogue, the impact, the docs) stay cacheable."""
    return bool(authorization) or bool(session_cookie) or method not in SAFE_METHODS


class IdConverter(IntegerConverter):
    """``<int:…>`` in our routes means a database id: 1 to 2**31-1 (PostgreSQL ``integer``),
    written with ASCII digits (werkzeug's ``\\d+`` also matches ``١``, which ``int()`` reads as 1).
    Anything else matches no route (404) instead of overflowing in the database driver."""

    regex = "[0-9]+"

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class OrjsonProvider(DefaultJSONProvider):
    """orjson for request parsing (depth limit, strict UTF-8) and fast responses."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
        try:
            return orjson.dumps(obj, default=self.default, option=option).decode()
        except orjson.JSONEncodeError:
            # orjson refuses integers beyond 64 bits, which raw SMART counters can hold.
            return super().dumps(obj, **kwargs)


API_PREFIX = "/api/"


def is_api_path(path: str) -> bool:
    """The API answers bearer tokens only: no cookie authenticates under ``/api/`` (so the API needs
    no CSRF defence), and no session is even opened there."""
    return path.startswith(API_PREFIX)


class PageSession(SecureCookieSessionInterface):
    """Flask's signed cookie session for the site's pages (the browser session: ``web.sessions``),
    none at all for the API. On the API, and on a page request carrying no session cookie, no
    itsdangerous signer is built: most requests pay nothing for sessions."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if is_api_path(request.path):
            return None  # Flask then uses a NullSession: nothing reads or writes one there
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if isinstance(session, SecureCookieSession):
            super().save_session(app, session, response)
            if session.modified:  # a response that sets (or clears) a browser's session: no cache keeps it
                response.headers[NO_STORE[0]] = NO_STORE[1]


def register(app: Flask, config: Config) -> None:
    app.json = OrjsonProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.session_interface = PageSession()
    origins = set(config.cors_origins)

    @app.before_request
    def _check_request() -> None:
        # One hook rather than two: Flask pays a coroutine check per hook on every request.
        environ = request.environ
        query = environ.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            # NUL cannot be stored or compared in PostgreSQL text; no field of ours needs it.
            # Named per parameter, like a NUL in a JSON body (see api.smorest).
            names = sorted({key for key, value in request.args.items(multi=True) if "\x00" in key + value})
            raise ValidationFailed(
                "Text may not contain NUL characters.",
                errors={name or "_query": ["NUL characters are not allowed."] for name in names or [""]},
            )
        if environ.get("CONTENT_TYPE") and request.mimetype == "multipart/form-data":
            # Parse multipart bodies up front so that their limits (MAX_FORM_PARTS, sizes) apply
            # to every endpoint, including those that would otherwise never read the form.
            _ = request.files

    @app.after_request
    def _headers(response: Response) -> Response:
        environ = request.environ
        # As ``setdefault`` per header, with one pass over the response's headers instead of four.
        present = {key.lower() for key, _value in response.headers.items()}
        response.headers.extend([(k, v) for k, lower, v in _SECURITY_HEADER_ITEMS if lower not in present])
        if response.mimetype == "text/html" and "content-security-policy" not in present:
            response.headers["Content-Security-Policy"] = PAGE_CSP
        cookie = request.cookies.get(app.config["SESSION_COOKIE_NAME"]) if "HTTP_COOKIE" in environ else None
        if must_not_store(request.method, environ.get("HTTP_AUTHORIZATION"), cookie):
            # Replaces what a view or helper set (send_file's "no-cache, max-age=0" still lets a
            # browser keep a member's raw diagnostics file on disk).
            response.headers[NO_STORE[0]] = NO_STORE[1]
        if not origins:
            return response
        # With CORS on, the answer depends on Origin whether or not this one was allowed: a shared
        # cache must not give a page without Access-Control-Allow-Origin to an allowed origin.
        response.vary.add("Origin")
        origin = environ.get("HTTP_ORIGIN")
        if origin and ("*" in origins or origin in origins):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Idempotency-Key, If-Match"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
        return response
