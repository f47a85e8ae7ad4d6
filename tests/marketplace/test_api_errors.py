"""Every error is a problem document from the one mapper; bad bodies never reach a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace import create_app
from marketplace.config import Config
from marketplace.members.models import User

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    return body  # type: ignore[no-any-return]


def users(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)


def test_malformed_json_is_400(client: FlaskClient, db_session: Session) -> None:
    before = users(db_session)
    response = client.post("/api/v1/users", data=b'{"email": "a@b.c", ', content_type="application/json")
    body = assert_problem(response, 400)
    assert body["title"] == "Malformed JSON"
    assert users(db_session) == before


def test_invalid_utf8_is_400(client: FlaskClient) -> None:
    response = client.post("/api/v1/users", data=b'{"email": "\xff\xfe"}', content_type="application/json")
    assert_problem(response, 400)


def test_deeply_nested_json_is_400(client: FlaskClient) -> None:
    depth = 20_000
    response = client.post("/api/v1/users", data=b"[" * depth + b"]" * depth, content_type="application/json")
    assert_problem(response, 400)


def test_unknown_field_is_422_with_field_errors(client: FlaskClient, db_session: Session) -> None:
    before = users(db_session)
    response = client.post(
        "/api/v1/users",
        json={"email": "x@example.org", "password": "long enough pw", "display_name": "X", "is_staff": True},
    )
    body = assert_problem(response, 422)
    assert body["errors"] == {"is_staff": ["Unknown field."]}
    assert users(db_session) == before


def test_missing_and_invalid_fields_are_listed(client: FlaskClient) -> None:
    body = assert_problem(client.post("/api/v1/users", json={"email": "not-an-email"}), 422)
    assert set(body["errors"]) == {"email", "password", "display_name"}


def test_body_too_large_is_413(client: FlaskClient, app: Flask) -> None:
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post("/api/v1/users", data=b"x" * size, content_type="application/json")
    assert_problem(response, 413)


def test_unknown_route_and_method(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nope"), 404)
    assert_problem(client.put("/api/v1/health"), 405)


def test_unexpected_exception_is_a_500_problem(config: Config, db_session: Session) -> None:
    app = create_app(config.replace(testing=False))
    app.extensions["relife.db"].override = db_session

    @app.get("/api/v1/_boom")
    def boom() -> None:
        raise RuntimeError("kaboom: secret detail")

    response = app.test_client().get("/api/v1/_boom")
    body = assert_problem(response, 500)
    assert "kaboom" not in body["detail"]
    app.extensions["relife.engine"].dispose()


def test_exceptions_propagate_in_testing(app: Flask) -> None:
    @app.get("/api/v1/_boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with pytest.raises(RuntimeError):
        app.test_client().get("/api/v1/_boom")


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        "Access-Control-Allow-Origin" not in client.get("/api/v1/health", headers={"Origin": "https://x.org"}).headers
    )
