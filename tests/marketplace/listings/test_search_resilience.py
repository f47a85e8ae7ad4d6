"""The catalogue search reads through its own autocommit pool (PostgreSQL) and the raw driver
cursor: a database restart must still give a 503 problem once, then answers again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace import create_app, migrate
from marketplace.config import Config
from tests.dbutil import fresh_database, server_url


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[Flask]:
    if not (server_url() or "").startswith("postgresql"):
        pytest.skip("connections cut by the server: PostgreSQL only")
    with fresh_database(tmp_path, "search_resilience") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
        yield app
        app.extensions["relife.engine"].dispose()


def _cut_every_other_connection(app: Flask) -> int:
    """What a server restart does to the pooled connections: terminate them."""
    with app.extensions["relife.engine"].connect() as conn:
        cut = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        conn.commit()
    return int(cut)


def test_a_cut_connection_is_one_503_then_the_search_answers_again(live_app: Flask) -> None:
    view = live_app.test_client()
    assert view.get("/api/v1/listings").status_code == 200
    assert live_app.extensions["relife.read_engine"] is not live_app.extensions["relife.engine"]
    assert _cut_every_other_connection(live_app) >= 1

    failed = view.get("/api/v1/listings?kind=laptop")
    assert failed.status_code == 503
    assert failed.mimetype == "application/problem+json"
    assert failed.headers["Retry-After"] == "5"

    again = view.get("/api/v1/listings?kind=laptop")
    assert again.status_code == 200
    assert again.get_json() == {"items": [], "next_cursor": None}


def test_the_read_pool_goes_with_the_engine(live_app: Flask) -> None:
    client = live_app.test_client()
    assert client.get("/api/v1/listings").status_code == 200
    reader = live_app.extensions["relife.read_engine"]
    assert reader.pool.checkedin() == 1
    live_app.extensions["relife.engine"].dispose()
    assert reader.pool.checkedin() == 0


UNREACHABLE = [
    pytest.param("postgresql+psycopg://nobody@127.0.0.1:1/none", id="postgresql"),
    pytest.param("sqlite:////nonexistent-relife-dir/relife.db", id="sqlite"),
]


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize(
    "path", ["/api/v1/listings", "/api/v1/listings?kind=laptop&sort=price", "/api/v1/listings/facets", "/api/v1/health"]
)
def test_a_database_that_is_down_is_a_503_problem_on_the_search_as_on_facets_and_health(url: str, path: str) -> None:
    """Issue 20, class 7: the anonymous search answered 500 when the database was down (the read
    pool's checkout raised the driver's own error, which no handler maps), while the facets and
    the health check said 503."""
    app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug would be the 500 a client gets
    try:
        response = app.test_client().get(path)
        assert response.status_code == 503, response.get_data()
        assert response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"]
    finally:
        app.extensions["relife.engine"].dispose()
