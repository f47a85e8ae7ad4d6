"""The login throttle's counters in Redis (REDIS_URL): when Redis cannot be reached, logging in is
refused with a 503 problem (fail closed: uncounted attempts would be unlimited guesses), and nothing
else depends on it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace.config import Config
from tests.production.stack import free_port


@pytest.fixture
def config(database_url: str) -> Config:
    # A loopback port nothing listens on: connections are refused at once.
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    return Config(database_url=database_url, testing=True, secret_key="test-secret", redis_url=unreachable)


def test_logins_are_refused_with_503_while_the_counters_are_unreachable(client: FlaskClient) -> None:
    email, password = "redis-down@relife.example", "a-good-password-2026"
    body = {"email": email, "password": password, "display_name": "Redis down"}
    assert client.post("/api/v1/users", json=body).status_code == 201
    assert client.get("/api/v1/health").status_code == 200

    response = client.post("/api/v1/tokens", json={"email": email, "password": password})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "counters are unreachable" in response.json["detail"]
    assert int(response.headers["Retry-After"]) > 0
