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
from flask import Response, current_app
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import HTTPException

from marketplace.api import problems
from marketplace.api.fields import AsciiNumbers
from marketplace.errors import ValidationFailed


class Schema(AsciiNumbers, ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


class OrjsonFlaskParser(FlaskParser):
    def _makeproxy(self, multidict: Any, schema: ma.Schema, **kwargs: Any) -> Any:
        # Without a multi-valued field, each field reads the first value of its key: a plain
        # dict gives the same, without a proxy lookup per field (the catalogue search has 19).
        multi = (ma.fields.List, ma.fields.Tuple, *self.KNOWN_MULTI_FIELDS)
        if isinstance(multidict, MultiDict) and not any(isinstance(f, multi) for f in schema.fields.values()):
            return multidict.to_dict()
        return super()._makeproxy(multidict, schema, **kwargs)

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
        if b"\\u0000" in data and (paths := _nul_paths(loaded, "")):
            raise ValidationFailed(
                "Text may not contain NUL characters.",
                errors={path or "_schema": ["NUL characters are not allowed."] for path in paths},
            )
        return loaded

    def load_multipart(self, req: Any, schema: ma.Schema) -> Any:
        """``location="multipart"``: the form fields and the files of one multipart request, read
        by one schema (flask-smorest documents one request body per operation; two arguments
        ``form`` and ``files`` would leave one of them out of the OpenAPI document)."""
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


OrjsonFlaskParser.__location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}


def _nul_paths(value: Any, path: str) -> list[str]:
    """Where NUL characters stand (dotted paths): PostgreSQL cannot store them in text, so they
    are refused at the door as field errors rather than fail later in the driver."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += [child] if "\x00" in str(key) else _nul_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nul_paths(item, f"{path}.{index}" if path else str(index))
    return found


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = OrjsonFlaskParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

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
        # Outside the API, a browser gets the site's error page (``web.register`` installs it).
        page = current_app.extensions.get("relife.error_page")
        if page is not None and page[0]():
            response: Response = page[1](error)
            return response
        return problems.http_exception_response(error)
