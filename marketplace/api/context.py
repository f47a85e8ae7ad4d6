"""Per-request state: the database session (one transaction per request) and the caller.

The request commits in one place (``finish_request``): if the response is a success the
transaction commits, otherwise it rolls back, so a rejected request changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask import session as browser_session
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from marketplace.api import problems
from marketplace.db import SQLITE_IMMEDIATE, PooledReader, ReadConnection
from marketplace.errors import DomainError, Unauthorized
from marketplace.http import is_api_path
from marketplace.members import service as members
from marketplace.members.access import Principal
from marketplace.notifications import links

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class DatabaseState:
    factory: sessionmaker[Session]
    #: Tests set this to their savepoint-joined session; requests then share it.
    override: Session | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def database(app: Flask | None = None) -> DatabaseState:
    state: DatabaseState = (app or current_app).extensions["relife.db"]
    return state


def current_session() -> Session:
    session: Session | None = g.get("_relife_session")
    if session is None:
        state = database()
        if state.override is not None:
            session = state.override
            links.attach(session, current_app.config["RELIFE"])
        else:
            session = state.factory()
            links.attach(session, current_app.config["RELIFE"])
            if request.method not in READ_METHODS:
                # SQLite: take the write lock at BEGIN so check-then-write cannot interleave.
                session.connection(execution_options={SQLITE_IMMEDIATE: True})
        g._relife_session = session
    return session


def current_read_connection() -> ReadConnection:
    """A connection for a read-only view that runs one query and writes nothing (the catalogue
    search): a pooled DBAPI connection of the read engine (``db.make_read_engine``: autocommit on
    PostgreSQL), with no ORM session or BEGIN and ROLLBACK round trips around it; given back at
    teardown. Within a request that already has a session (and in tests), that session's
    connection, so the view sees the same transaction."""
    if g.get("_relife_session") is not None or database().override is not None:
        return current_session().connection()
    reader: PooledReader | None = g.get("_relife_read_connection")
    if reader is None:
        reader = g._relife_read_connection = PooledReader.checkout(current_app.extensions["relife.read_engine"])
    return reader


#: Where the browser session keeps its token (the Flask session: a signed, HttpOnly cookie).
SESSION_TOKEN_KEY = "token"  # noqa: S105 - a key name, not a secret


def current_principal() -> Principal | None:
    """The caller; None when anonymous. One rule for the API and the pages:

    - ``Authorization: Bearer rlf_…`` (a personal or bench token), wherever it is sent; a present
      but invalid token is a 401, never silently anonymous;
    - otherwise, outside ``/api/`` only, the browser session's cookie (``web.sessions``): a token of
      kind ``session`` in the same table, so revoking it, a password reset or a disabled account end
      it like any token. A session that has ended is forgotten: the visitor is anonymous again.

    The cookie never authenticates an API request, which is why the API needs no CSRF defence."""
    if "_relife_principal" in g:
        principal: Principal | None = g._relife_principal
        return principal
    header = request.headers.get("Authorization", "")
    principal = None
    if header:
        secret = bearer_secret(header)
        principal = members.authenticate(current_session(), secret) if secret else None
    elif not is_api_path(request.path):
        principal = _session_principal()
    g._relife_principal = principal
    return principal


def _session_principal() -> Principal | None:
    secret = browser_session.get(SESSION_TOKEN_KEY)
    if not isinstance(secret, str):
        return None
    try:
        return members.authenticate(current_session(), secret, kinds=members.SESSION_KINDS)
    except Unauthorized:
        browser_session.pop(SESSION_TOKEN_KEY, None)  # revoked, expired or disabled: signed out
        return None


def session_token() -> str | None:
    """The token of this browser's session, if it has one (signing out revokes it)."""
    secret = browser_session.get(SESSION_TOKEN_KEY)
    return secret if isinstance(secret, str) else None


def bearer_secret(header: str) -> str | None:
    """The token of an ``Authorization`` header value; None when there is none (anonymous)."""
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    return secret.strip()


def client_address() -> str:
    return request.remote_addr or "unknown"


def finish_request(response: Response) -> Response:
    session: Session | None = g.pop("_relife_session", None)
    if session is None:
        return response
    if response.status_code >= 400:
        session.rollback()
        return response
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        return problems.integrity_error_response(exc)
    except StaleDataError as exc:
        session.rollback()
        return problems.stale_data_response(exc)
    except DomainError as exc:  # raised by a flush-time check at commit
        session.rollback()
        return problems.domain_error_response(exc)
    return response


def teardown(_exc: BaseException | None) -> None:
    # ``g`` belongs to the app context, which outlives the request when one was pushed around
    # it (CLI commands, tests): the caller must not leak into the next request.
    g.pop("_relife_principal", None)
    reader: PooledReader | None = g.pop("_relife_read_connection", None)
    if reader is not None:
        reader.close()
    session: Session | None = g.pop("_relife_session", None)
    if session is not None:
        session.rollback()
    if session is not None and session is not database().override:
        session.close()


def register(app: Flask) -> None:
    app.after_request(finish_request)
    app.teardown_request(teardown)
