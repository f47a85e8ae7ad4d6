"""Browser sessions: sign in, sign out and "my account" for the site's pages.

A browser signs in with the API's credential check and login throttle (``members.service.login``,
the same call as ``POST /api/v1/tokens``), and receives a token of kind ``session`` of the token
table, kept in Flask's signed session cookie. ``api.context.current_principal`` turns it into the
same ``Principal`` a bearer token gives, on the pages only: the API keeps bearer tokens.

The cookie (``configure``): HttpOnly (no script reads it); ``SameSite=Lax``, not Strict: a member
who follows a link from one of our emails (an invitation, an order) arrives signed in, while no
other site's form post or subresource carries the cookie; Lax lets it ride only on top-level GET
navigations, and no GET changes anything. Secure except in test apps and on a plain-http
``PUBLIC_URL`` (``Config.session_cookie_is_secure``). Every form that changes something carries
a CSRF token (Flask-WTF's ``CSRFProtect``, checked on every non-GET request outside ``/api/``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError, CSRFProtect

from marketplace.api.context import SESSION_TOKEN_KEY, client_address, current_principal, current_session, session_token
from marketplace.errors import DomainError, TooManyRequests, Unauthorized
from marketplace.http import SAFE_METHODS, is_api_path
from marketplace.members import service as members
from marketplace.members.access import require_user
from marketplace.members.models import TokenKind, User
from marketplace.web import labels
from marketplace.web.views import bp

SESSION_COOKIE = "relife_session"
csrf = CSRFProtect()


def wait_words(seconds: int) -> str:
    """How long to wait, in the page's language ("14 minutes")."""
    if seconds < 120:
        return str(ngettext("%(num)d second", "%(num)d seconds", seconds))
    if seconds < 2 * 3600:
        return str(ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60)))
    return str(ngettext("%(num)d hour", "%(num)d hours", math.ceil(seconds / 3600)))


def _safe_next(target: str | None) -> str | None:
    """A path of this site to go back to after signing in; never another origin (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers drop tabs and newlines and read a backslash as "/": "/<TAB>/evil.example" leaves the site.
    if any(ord(c) < 33 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or is_api_path(parts.path):
        return None
    return target


def _page(template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any) -> Response:
    response = Response(render_template(template, **values), status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.get("/sign-in")
def sign_in_form() -> Response:
    nxt = _safe_next(request.args.get("next"))
    principal = current_principal()
    if principal is not None and principal.is_person:
        return redirect(nxt or url_for("web.account"), 303)  # type: ignore[return-value]
    return _page("sign_in.html", email="", next=nxt or "", error=None)


@bp.post("/sign-in")
def sign_in() -> Response:
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    nxt = _safe_next(request.form.get("next"))
    if not email or not password:
        error = _("Give your email address and your password.")
        return _page("sign_in.html", 400, email=email, next=nxt or "", error=error)
    try:
        issued = members.login(
            current_session(),
            email=email,
            password=password,
            client_address=client_address(),
            throttle=current_app.extensions["relife.throttle"],
            ttl=dt.timedelta(days=current_app.config["RELIFE"].session_ttl_days),
            kind=TokenKind.SESSION,
        )
    except Unauthorized:
        error = _("Wrong email address or password.")
        return _page("sign_in.html", 401, email=email, next=nxt or "", error=error)
    except TooManyRequests as exc:
        error = _("Too many sign-in attempts. Try again in %(wait)s.", wait=wait_words(exc.retry_after))
        headers = {"Retry-After": str(exc.retry_after)}
        return _page("sign_in.html", 429, headers, email=email, next=nxt or "", error=error)
    # A new session (and a new CSRF token): whatever this browser held before is not carried over.
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN_KEY] = issued.secret
    return redirect(nxt or url_for("web.account"), 303)  # type: ignore[return-value]


@bp.post("/sign-out")
def sign_out() -> Response:
    secret = session_token()
    if secret is not None:
        members.end_session(current_session(), secret)
    session.clear()
    return redirect(url_for("web.catalogue"), 303)  # type: ignore[return-value]


@bp.get("/account")
def account() -> Response:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("web.sign_in_form", next=url_for("web.account")), 303)  # type: ignore[return-value]
    user = members.get_me(current_session(), require_user(principal))
    memberships = sorted(user.memberships, key=lambda m: m.organisation.name.lower())
    return _page("account.html", user=user, memberships=memberships, labels=labels)


def csrf_error_page(error: CSRFError) -> Response:
    from marketplace.web import error_page

    return error_page(
        400,
        _(
            "This form could not be accepted: it has expired or did not come from this site. "
            "Go back, reload the page and send it again."
        ),
        title=_("Form expired"),
    )


def protect_forms() -> None:
    """Every request that may change something outside the API (where the cookie authenticates)
    carries a valid CSRF token, or is refused with a 400 page before its view runs."""
    if request.routing_exception is not None:
        return  # no such page, or not this method: the 404 or 405 says so, not a CSRF refusal
    if request.method not in SAFE_METHODS and not is_api_path(request.path):
        csrf.protect()


def configure(app: Flask) -> None:
    config = app.config["RELIFE"]
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_is_secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=config.session_ttl_days),
        # The cookie is written when the session changes (sign in, sign out, a new CSRF token),
        # not on every page.
        SESSION_REFRESH_EACH_REQUEST=False,
        # Checked by ``protect_forms`` outside the API only (the API takes bearer tokens).
        WTF_CSRF_CHECK_DEFAULT=False,
        # A CSRF token lives as long as the session it is bound to (signing in starts a new one).
        WTF_CSRF_TIME_LIMIT=None,
        # Flask-WTF's strict mode also wants a same-origin Referer on HTTPS, which our
        # ``Referrer-Policy: no-referrer`` never sends: the token and SameSite do the work.
        WTF_CSRF_SSL_STRICT=False,
    )
    csrf.init_app(app)
    app.before_request(protect_forms)
    app.jinja_env.globals["viewer"] = viewer


def viewer() -> str | None:
    """For the layout: the signed-in person's name, or None (the header's "sign in" link)."""
    try:
        principal = current_principal()
    except DomainError:  # an invalid bearer header: the page says so itself
        return None
    if principal is None or not principal.is_person:
        return None
    user = current_session().get(User, principal.user_id)
    return user.display_name if user is not None else None


# Once, at import (the blueprint is shared by every app the process makes).
bp.register_error_handler(CSRFError, csrf_error_page)
