"""Cross-cutting HTTP behaviour: security headers, CORS, JSON provider."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SessionInterface

from marketplace.config import Config

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class OrjsonProvider(DefaultJSONProvider):
    """orjson for request parsing (depth limit, strict UTF-8) and fast responses."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
        return orjson.dumps(obj, default=self.default, option=option).decode()


class NoCookieSession(SessionInterface):
    """The API authenticates with bearer tokens and never uses Flask's cookie session; Flask's
    default would build an itsdangerous signer on every request to look for one."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None  # Flask then uses a NullSession

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None


def register(app: Flask, config: Config) -> None:
    app.json = OrjsonProvider(app)
    app.session_interface = NoCookieSession()
    origins = set(config.cors_origins)

    @app.after_request
    def _headers(response: Response) -> Response:
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        origin = request.headers.get("Origin")
        if origin and ("*" in origins or origin in origins):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Idempotency-Key, If-Match"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
        return response
