"""The catalogue search's hot path (``listings.hotpath``) answers exactly as the Flask view does,
and leaves to Flask every request it cannot answer that way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import Client
from werkzeug.wrappers import Response

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.listings.hotpath import CatalogueHotPath
from marketplace.listings.models import ListingMode, Visibility
from tests.api_helpers import Actor, create_org, register
from tests.dbutil import fresh_database
from tests.marketplace.transactions.helpers import make_listing

QUERIES = [
    "",
    "limit=2",
    "sort=price&limit=3",
    "sort=-price&kind=laptop&limit=2",
    "sort=grade&mode=sale",
    "sort=newest&mode=loan",
    "q=thinkpad&sort=price",
    "min_grade=B&price_max=30000&price_min=100",
    "department=69&organisation_kind=company&cosmetic_grade=good",
    "ram_min=8&storage_min=128.5&battery_min=50",
    "cpu=i5&limit=1",
]


class Counting:
    """Flask behind the hot path, counting the requests the hot path hands to it (``_both`` asks
    Flask directly as well, through ``.app``, uncounted)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    def __call__(self, environ: Any, start_response: Any) -> Any:
        self.calls += 1
        return self.app(environ, start_response)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Flask, Counting, Actor]]:
    with fresh_database(tmp_path, "hotpath") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
        hot = app.wsgi_app
        assert isinstance(hot, CatalogueHotPath)
        flask = hot.next_app = Counting(hot.next_app)
        client = app.test_client()
        seller = register(client, "seller")
        org = create_org(client, seller, kind="company", postcode="69007")
        member = register(client, "member")
        create_org(client, member, kind="nonprofit", postcode="33000")
        with Session(app.extensions["relife.engine"]) as session:
            for i in range(7):
                make_listing(session, org["id"], price_cents=10_000 + 2_500 * i, visibility=Visibility.PUBLIC)
            make_listing(session, org["id"], mode=ListingMode.LOAN, min_days=1, max_days=30, deposit_cents=5000)
            make_listing(session, org["id"], mode=ListingMode.DONATION, visibility=Visibility.PUBLIC)
        yield app, flask, member
        app.extensions["relife.engine"].dispose()


def _both(app: Flask, flask: Counting, target: str, headers: dict[str, str]) -> tuple[Any, Any]:
    hot = app.test_client().get(target, headers=headers)
    plain = Client(flask.app, Response).get(target, headers=headers)
    return hot, plain


def _same(hot: Any, plain: Any) -> None:
    assert hot.status == plain.status
    assert list(hot.headers) == list(plain.headers)
    assert hot.get_data() == plain.get_data()


@pytest.mark.parametrize("caller", ["anonymous", "member"])
def test_plain_searches_are_answered_below_flask_with_the_same_bytes(
    live: tuple[Flask, Counting, Actor], caller: str
) -> None:
    app, flask, member = live
    headers = member.headers if caller == "member" else {}
    for query in QUERIES:
        target = f"/api/v1/listings?{query}"
        seen = 0
        while target:
            before = flask.calls
            hot, plain = _both(app, flask, target, headers)
            assert flask.calls == before, f"{target} went through Flask"
            assert hot.status_code == 200
            _same(hot, plain)
            seen += len(hot.get_json()["items"])
            cursor = hot.get_json()["next_cursor"]
            target = f"/api/v1/listings?{query}&cursor={cursor}" if cursor else ""
        if query == "" and caller == "anonymous":
            assert seen == 8  # 7 public sales and the public donation, not the members-only loan
        if query == "" and caller == "member":
            assert seen == 9


@pytest.mark.parametrize(
    ("target", "headers", "status"),
    [
        ("/api/v1/listings?limit=101", {}, 422),
        ("/api/v1/listings?kind=spaceship", {}, 422),
        ("/api/v1/listings?colour=red", {}, 422),
        ("/api/v1/listings?cursor=not-a-cursor", {}, 422),
        ("/api/v1/listings?q=a%00b", {}, 422),
        ("/api/v1/listings?kind=laptop&kind=desktop", {}, 200),
        ("/api/v1/listings?limit=+5", {}, 200),
        ("/api/v1/listings", {"Authorization": "Bearer rlf_unknown"}, 401),
        ("/api/v1/listings", {"Authorization": "Basic abc"}, 401),
        ("/api/v1/listings", {"Origin": "https://example.org"}, 200),
        ("/api/v1/listings/", {}, 404),
    ],
)
def test_what_it_cannot_answer_plainly_goes_to_flask(
    live: tuple[Flask, Counting, Actor], target: str, headers: dict[str, str], status: int
) -> None:
    app, flask, _member = live
    before = flask.calls
    hot, plain = _both(app, flask, target, headers)
    assert flask.calls == before + 1, "the hot path answered"
    assert hot.status_code == status
    _same(hot, plain)


def test_other_methods_go_to_flask(live: tuple[Flask, Counting, Actor]) -> None:
    app, flask, _member = live
    before = flask.calls
    assert app.test_client().post("/api/v1/listings", json={}).status_code == 422
    assert app.test_client().head("/api/v1/listings").status_code == 200
    assert flask.calls == before + 2


def test_tests_shared_session_is_seen_through_flask(client: Any) -> None:
    """With the suite's savepoint session (``DatabaseState.override``) the hot path steps aside,
    so requests see what the test wrote and has not committed."""
    assert client.get("/api/v1/listings?limit=2").status_code == 200
