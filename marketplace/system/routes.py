"""Health check and the offline API docs assets."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import flask
import marshmallow as ma
import swagger_ui_bundle
from flask import Response, send_from_directory
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from marketplace.api.context import current_session
from marketplace.api.smorest import Blueprint, Schema
from marketplace.errors import ServiceUnavailable

blp = Blueprint("system", __name__, url_prefix="/api/v1", description="Service health")

#: Swagger UI's JS/CSS, shipped by the swagger-ui-bundle package and served by us: the docs
#: page must work on machines with no internet access.
SWAGGER_UI_DIR = swagger_ui_bundle.swagger_ui_path
SWAGGER_UI_URL = "/api/v1/docs/assets/"


class HealthSchema(Schema):
    status = ma.fields.String()
    database = ma.fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, description="The database is unreachable")
    def get(self) -> dict[str, Any]:
        """Liveness and database reachability"""
        try:
            current_session().execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            # Retry-After as on every other view when the database is down (problems.py).
            raise ServiceUnavailable("The database is unreachable.", headers={"Retry-After": "5"}) from exc
        return {"status": "ok", "database": "ok"}


assets_blp = flask.Blueprint("docs_assets", __name__, url_prefix="/api/v1/docs/assets")

#: flask-smorest's endpoint of the docs page (``OPENAPI_SWAGGER_UI_PATH``).
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
#: Swagger UI's own settings: no validator badge (by default an image from an outside validator
#: service, which the page's CSP would block and which would tell it our spec's URL).
SWAGGER_UI_CONFIG = {"validatorUrl": None}
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


@assets_blp.get("/<path:filename>")
def docs_asset(filename: str) -> Response:
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=86400)


def docs_content_security_policy(html: str) -> str:
    """The docs page's CSP: everything from this origin (Swagger UI's files, the OpenAPI document,
    "Try it out" requests), the page's own inline start-up script by its hash (no
    ``'unsafe-inline'``), images from here or ``data:`` (Swagger UI's icons), styles from here
    only (Swagger UI sets its dynamic styles through the CSSOM, which a CSP allows), nothing else:
    no other origin, no frames, no plugins, no ``<base>``. The hashes are computed from the page
    as served, so they follow the template. Checked in a real browser by
    ``tests/marketplace/test_protocol.py`` when Chromium and Playwright are installed."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@assets_blp.after_app_request
def _docs_csp(response: Response) -> Response:
    if flask.request.endpoint == DOCS_ENDPOINT and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = docs_content_security_policy(response.get_data(as_text=True))
    return response
