"""HTTP caching of the catalogue: anonymous pages are public for a short time and revalidated with
ETags; a change to what a page shows changes its ETag; members' pages are private."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.api.caching import PUBLIC_MAX_AGE
from marketplace.config import Config
from tests.marketplace.listings.conftest import MakeDevice, World

READS = ["/api/v1/listings?kind=laptop", "/api/v1/listings/facets?kind=laptop"]


@pytest.fixture
def listed(client: FlaskClient, world: World, make_device: MakeDevice) -> list[dict[str, Any]]:
    made = []
    for visibility in ("public", "members"):
        device = make_device(world.seller_org["id"])
        body = {"device_id": device.id, "mode": "sale", "price_cents": 20000, "visibility": visibility}
        response = client.post("/api/v1/listings", json=body, headers=world.lister.headers)
        assert response.status_code == 201, response.json
        made.append(response.json)
    return made


@pytest.mark.parametrize("path", READS)
def test_anonymous_reads_are_public_for_a_short_time_and_revalidate_to_304(
    client: FlaskClient, listed: list[dict[str, Any]], path: str
) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.cache_control.public and first.cache_control.max_age == PUBLIC_MAX_AGE
    assert "Authorization" in first.vary

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.cache_control.max_age == PUBLIC_MAX_AGE

    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(path.replace("laptop", "desktop"), headers={"If-None-Match": etag}).status_code == 200


def _etag(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return str(response.headers["ETag"])


def test_a_change_to_what_the_page_shows_makes_the_cached_page_stale(
    client: FlaskClient, world: World, make_device: MakeDevice, listed: list[dict[str, Any]]
) -> None:
    public = listed[0]
    page = "/api/v1/listings?kind=laptop"
    seen = {path: _etag(client, path) for path in READS}

    repriced = client.patch(
        f"/api/v1/listings/{public['id']}", json={"price_cents": 15000}, headers=world.lister.headers
    )
    assert repriced.status_code == 200, repriced.json
    after_price = client.get(page, headers={"If-None-Match": seen[page]})
    assert after_price.status_code == 200
    assert after_price.json["items"][0]["price_cents"] == 15000
    # Counts did not change: the facets' cached answer is still good.
    facets = READS[1]
    assert client.get(facets, headers={"If-None-Match": seen[facets]}).status_code == 304

    device = make_device(world.seller_org["id"])
    body = {"device_id": device.id, "mode": "donation", "visibility": "public"}
    assert client.post("/api/v1/listings", json=body, headers=world.lister.headers).status_code == 201
    for path in READS:
        assert client.get(path, headers={"If-None-Match": seen[path]}).status_code == 200
        seen[path] = _etag(client, path)

    assert client.delete(f"/api/v1/listings/{public['id']}", headers=world.lister.headers).status_code == 200
    for path in READS:
        assert client.get(path, headers={"If-None-Match": seen[path]}).status_code == 200


def test_a_change_only_members_see_leaves_the_anonymous_page_current(
    client: FlaskClient, world: World, listed: list[dict[str, Any]]
) -> None:
    members_only = listed[1]
    page = "/api/v1/listings?kind=laptop"
    etag = _etag(client, page)
    edit = {"price_cents": 12345}
    assert (
        client.patch(f"/api/v1/listings/{members_only['id']}", json=edit, headers=world.lister.headers).status_code
        == 200
    )
    assert client.get(page, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("path", READS)
def test_a_members_read_is_never_stored_and_never_the_anonymous_one(
    client: FlaskClient, world: World, listed: list[dict[str, Any]], path: str
) -> None:
    anonymous = client.get(path)
    member = client.get(path, headers=world.buyer.headers)
    assert member.status_code == 200
    assert member.cache_control.no_store and not member.cache_control.public
    assert member.cache_control.max_age is None
    assert "Authorization" in member.vary
    assert member.headers["ETag"] != anonymous.headers["ETag"]  # members-only listing included


def test_errors_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/api/v1/listings?limit=100000", headers={"If-None-Match": "*"})
    assert response.status_code == 422
    assert "ETag" not in response.headers
    assert not response.cache_control.public


def test_with_cors_on_the_answer_varies_on_origin_too(app: Flask, config: Config) -> None:
    cors_app = create_app(config.replace(cors_origins=("https://shop.example",)))
    cors_app.extensions["relife.db"].override = app.extensions["relife.db"].override
    client = cors_app.test_client()
    plain = client.get(READS[0])
    allowed = client.get(READS[0], headers={"Origin": "https://shop.example"})
    for response in (plain, allowed):
        assert {"Origin", "Authorization"} <= set(response.vary)
    assert "Access-Control-Allow-Origin" not in plain.headers
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    cors_app.extensions["relife.engine"].dispose()
