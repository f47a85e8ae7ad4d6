"""Health check and the offline API docs assets."""

from __future__ import annotations

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


@assets_blp.get("/<path:filename>")
def docs_asset(filename: str) -> Response:
    return send_from_directory(SWAGGER_UI_DIR, filename, max_age=86400)
