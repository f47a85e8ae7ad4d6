"""THE error mapping: every error leaves the API as ``application/problem+json`` (RFC 9457).

Handled here and nowhere else: ``DomainError`` (raised by services), webargs/marshmallow
validation (422), werkzeug ``HTTPException`` (404, 405, 413, …, and the 500 Flask makes of an
unhandled exception when exceptions do not propagate), ``IntegrityError`` (409) and
``StaleDataError`` (409: a versioned row changed under the request; the backstop of the lock
order in ``reservations.locks``, never the way a race is meant to be decided).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NoReturn

import marshmallow as ma
import orjson
from flask import Flask, Response, current_app
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException

from marketplace.errors import DomainError

PROBLEM_MIMETYPE = "application/problem+json"
TYPE_BASE = "https://relife.example/problems/"

log = logging.getLogger(__name__)


class ProblemSchema(ma.Schema):
    """Problem details (RFC 9457) with field errors for validation problems."""

    type = ma.fields.String(metadata={"description": "URI identifying the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong in this occurrence"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Messages per field (dotted path for nested fields)"},
    )


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (type_slug or str(status)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = dict(errors)
    response = current_app.response_class(orjson.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn webargs' ``{"json": {"field": {"0": ["msg"]}}}`` into ``{"field.0": ["msg"]}``.

    The request location level (json, query, form, files, multipart) is dropped: field names are unique
    across the locations of one endpoint.
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key)
            path = f"{prefix}.{name}" if prefix else name
            if not prefix and name in {"json", "query", "form", "files", "multipart", "headers", "view_args"}:
                path = ""
            flat.update(flatten_messages(value, path))
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        flat.setdefault(prefix or "_schema", []).extend(messages)
    elif isinstance(messages, list | tuple):
        for item in messages:
            flat.update(flatten_messages(item, prefix))
    else:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


def http_exception_response(error: HTTPException) -> Response:
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    headers: dict[str, str] = {}
    if "messages" in data:
        errors = flatten_messages(data["messages"])
    # The exception's own protocol headers: ``Allow`` on a 405 (RFC 9110 §15.5.6 says it MUST be
    # there), ``WWW-Authenticate`` on a 401, ``Retry-After`` on a 429/503, ``Content-Range`` on a
    # 416. Only the body's type is ours (problem+json).
    headers.update((k, v) for k, v in error.get_headers() if k.lower() != "content-type")
    if data.get("headers"):
        headers.update(data["headers"])
    if code == 422:
        detail = "The request has invalid fields: " + ", ".join(sorted(errors or {})) + "."
        return problem_response(
            422, "Invalid input", detail, type_slug="validation-error", errors=errors, headers=headers
        )
    if code == 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unhandled exception", exc_info=original)
        detail = "An unexpected error occurred; it has been logged."
    else:
        detail = data.get("message") or error.description or error.name
    title = error.name
    if isinstance(error, BadRequest) and data.get("bad_json"):
        title = "Malformed JSON"
    return problem_response(code, title, detail, errors=errors, headers=headers)


def raise_bad_json(reason: str) -> NoReturn:
    exc = BadRequest(f"The request body is not valid JSON: {reason}")
    exc.data = {"bad_json": True}  # type: ignore[attr-defined]
    raise exc


def domain_error_response(error: DomainError) -> Response:
    return problem_response(
        error.status,
        error.title,
        error.detail,
        type_slug=error.type_slug,
        errors=error.errors or None,
        headers=error.headers,
    )


def integrity_error_response(error: IntegrityError) -> Response:
    # Constraint names are part of our schema (naming convention); the raw message may carry
    # values, so only the constraint's kind is said.
    log.info("integrity error: %s", error.orig)
    return problem_response(
        409,
        "Conflict",
        "The change conflicts with existing data (a uniqueness or reference rule).",
        type_slug="conflict",
    )


def stale_data_response(error: StaleDataError) -> Response:
    # A versioned UPDATE matched no row: another request changed the row first. The loser of a
    # race gets a 409 it can retry after reading again, never a 500.
    log.warning("stale data (a write path without its row lock?): %s", error)
    return problem_response(
        409,
        "Conflict",
        "The record was changed by another request meanwhile; read it again and retry.",
        type_slug="conflict",
    )


def data_error_response(error: DataError) -> Response:
    # The database refused a value the schemas let through (a number beyond its column's range,
    # a text longer than its column on PostgreSQL): the client's input, not our bug.
    log.info("data error: %s", error.orig)
    return problem_response(
        422,
        "Invalid input",
        "A value is out of range or too long for its field.",
        type_slug="validation-error",
    )


def operational_error_response(error: OperationalError) -> Response:
    log.warning("database unavailable: %s", error.orig)
    return problem_response(
        503,
        "Service unavailable",
        "The database is unavailable or busy; try again shortly.",
        type_slug="service-unavailable",
        headers={"Retry-After": "5"},
    )


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error_response)
    app.register_error_handler(IntegrityError, integrity_error_response)
    app.register_error_handler(StaleDataError, stale_data_response)
    app.register_error_handler(OperationalError, operational_error_response)
    app.register_error_handler(DataError, data_error_response)
    # HTTPException, including the InternalServerError Flask makes of a bug, goes through
    # Api.handle_http_exception (see smorest.Api), which calls http_exception_response.
