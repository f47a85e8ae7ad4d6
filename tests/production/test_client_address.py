"""The client address behind nginx (TRUSTED_PROXIES): what the per-address login budget counts.

Behind nginx every request comes from nginx's address; unless the app takes the address nginx puts
in X-Forwarded-For, all clients share one budget, and one of them can lock every other out. Without
a proxy, a client-sent X-Forwarded-For must change nothing, or it would buy a fresh budget per request.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace.config import Config


def _config(database_url: str, trusted_proxies: int) -> Config:
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        trusted_proxies=trusted_proxies,
        login_attempts_per_address=2,
    )


def _attempt(client: FlaskClient, forwarded_for: str) -> int:
    response = client.post(
        "/api/v1/tokens",
        json={"email": "nobody@relife.example", "password": "not-the-password"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


@pytest.mark.parametrize("config_trusted", [1])
def test_behind_nginx_each_forwarded_client_has_its_own_budget(client: FlaskClient) -> None:
    assert [_attempt(client, "198.51.100.7") for _ in range(3)] == [401, 401, 429]
    assert _attempt(client, "198.51.100.8") == 401


@pytest.mark.parametrize("config_trusted", [0])
def test_without_a_trusted_proxy_a_forwarded_header_changes_nothing(client: FlaskClient) -> None:
    assert [_attempt(client, f"198.51.100.{n}") for n in range(3)] == [401, 401, 429]


def test_trusted_proxies_is_read_from_the_environment() -> None:
    assert Config.from_env({"TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    assert Config.from_env({}).trusted_proxies == 0


@pytest.fixture
def config(database_url: str, config_trusted: int) -> Config:
    return _config(database_url, config_trusted)
