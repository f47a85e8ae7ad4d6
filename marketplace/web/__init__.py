"""The site people read (server-rendered pages): catalogue, device pages, impact, and the error
pages in the site's look. ``base.html`` is the layout any other page (documents' verification
pages…) extends: ``{% extends "base.html" %}`` with blocks ``title`` and ``content``."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.errors import DomainError
from marketplace.web import i18n, sessions
from marketplace.web import links as links  # the pages our emails link to: their routes, on ``bp``
from marketplace.web.views import bp

log = logging.getLogger(__name__)


def wants_page() -> bool:
    """Whether an error answers as a page (outside the API, to a client that reads HTML) rather
    than as problem+json."""
    if request.path.startswith("/api/"):
        return False
    # A client that states no preference (scripts, curl) keeps problem+json; browsers ask for HTML.
    best = request.accept_mimetypes.best_match(["application/problem+json", "application/json", "text/html"])
    return best == "text/html"


def error_page(
    status: int, detail: str | None = None, headers: dict[str, str] | None = None, title: str | None = None
) -> Response:
    titles = {
        400: _("This request cannot be read"),
        401: _("Sign-in needed"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Not allowed"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
        503: _("Service unavailable"),
    }
    explanations = {
        404: _("This page does not exist, or the device is no longer in the catalogue."),
        500: _("The error has been logged. Please try again in a moment."),
    }
    html = render_template(
        "error.html",
        status=status,
        title=title or titles.get(status, _("Error")),
        explanation=explanations.get(status, detail or ""),
    )
    response = Response(html, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return i18n.remember(response)


def http_error_page(error: HTTPException) -> Response:
    if isinstance(error, InternalServerError) and error.original_exception is not None:
        log.error("unhandled exception", exc_info=error.original_exception)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return error_page(error.code or 500, headers=headers)


def domain_error_page(error: DomainError) -> Response:
    return error_page(error.status, getattr(error, "detail", None))


# Once, at import: the blueprint is registered on every app the process makes (tests make many).
bp.after_request(i18n.remember)
bp.register_error_handler(DomainError, domain_error_page)
bp.register_error_handler(HTTPException, http_error_page)


def register(app: Flask) -> None:
    i18n.init(app)
    sessions.configure(app)
    app.register_blueprint(bp)
    app.extensions["relife.error_page"] = (wants_page, http_error_page)
