"""Our flask-smorest subclasses: the one place where the API framework is customised.

- ``Api`` renders every error as RFC 9457 problem details (see ``problems``) and documents
  them with ``ProblemSchema``.
- ``Blueprint`` parses JSON bodies with orjson, whose depth limit and strict UTF-8 turn
  pathological bodies into a 400 rather than a ``RecursionError``.
- ``Schema`` is marshmallow's, refusing unknown fields (webargs' default for JSON bodies).
"""

from __future__ import annotations

import functools
import http
from collections.abc import Callable
from typing import Any

import flask_smorest
import marshmallow as ma
import orjson
from flask import Response
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from marketplace.api import problems


class Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


class OrjsonFlaskParser(FlaskParser):
    def _raw_load_json(self, req: Any) -> Any:
        if not (req.mimetype and core.is_json(req.mimetype)):
            return core.missing
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        try:
            loaded = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            problems.raise_bad_json(str(exc))
        if b"\\u0000" in data and _contains_nul(loaded):
            problems.raise_bad_json("strings may not contain NUL (\\u0000) characters")
        return loaded


def _contains_nul(value: Any) -> bool:
    """NUL cannot be stored in PostgreSQL text; refuse it at the door rather than fail later."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = OrjsonFlaskParser()

    def route_doc(self, **kwargs: Any) -> Callable[..., Any]:
        return functools.partial(self.doc, **kwargs)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = problems.ProblemSchema

    def _register_responses(self) -> None:
        """Document every error response as ``application/problem+json``, as it is served."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, problems.PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.http_exception_response(error)
