"""Issue 20, class 7: every list endpoint reads its cursor through one decoder, so any cursor it
did not make (``[true]``, a huge number, another endpoint's shape) is a 422 problem on
``cursor``, never a 500 and never a value that reaches the database."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import ListingStatus, Visibility
from tests.api_helpers import auth
from tests.marketplace.devices.test_passport import list_device
from tests.marketplace.reports.helpers import Org, make_device, make_org


def opaque(value: Any) -> str:
    """A cursor as the server writes one (JSON, base64url without padding): the stdlib's
    encoder, which, unlike orjson, writes integers of any size."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = [
    pytest.param(opaque([True]), id="true"),
    pytest.param(opaque([False]), id="false"),
    pytest.param(opaque([2**70]), id="huge"),
    pytest.param(opaque([2**31]), id="beyond-int32"),
    pytest.param(opaque([1.5]), id="float"),
    pytest.param(opaque(["1"]), id="text"),
    pytest.param(opaque([None]), id="null"),
    pytest.param(opaque([[1]]), id="nested"),
    pytest.param(opaque({"id": 1}), id="object"),
    pytest.param(opaque([1, 2]), id="too-long"),
    pytest.param(opaque([]), id="empty"),
    pytest.param(opaque([0]), id="zero-id"),
    pytest.param("!!!", id="not-base64"),
    pytest.param(base64.urlsafe_b64encode(b"\xff\xfe").decode(), id="not-utf8"),
    pytest.param("A" * 600, id="too-many-characters"),
]


@pytest.fixture
def org_with_device(client: FlaskClient, db_session: Session) -> tuple[Org, int]:
    org = make_org(client)
    device = make_device(db_session, org.id)
    return org, device.id


@pytest.fixture
def no_propagation(app: Flask) -> Flask:
    """A bug answers the 500 problem a client would get, instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def assert_cursor_problem(response: Any) -> None:
    assert response.status_code == 422, (response.status_code, response.get_json())
    assert response.mimetype == "application/problem+json"
    assert "cursor" in response.get_json()["errors"]


@pytest.mark.usefixtures("no_propagation")
@pytest.mark.parametrize("cursor", BAD_CURSORS)
@pytest.mark.parametrize(
    "endpoint", ["/devices", "/orders", "/loans", "/devices/{id}/passport", "/devices/{id}/diagnostics"]
)
def test_a_cursor_the_server_did_not_make_is_a_422_problem(
    client: FlaskClient, org_with_device: tuple[Org, int], endpoint: str, cursor: str
) -> None:
    org, device_id = org_with_device
    path = "/api/v1" + endpoint.format(id=device_id)
    assert_cursor_problem(client.get(path, query_string={"cursor": cursor}, headers=auth(org.admin.token)))


@pytest.mark.usefixtures("no_propagation")
@pytest.mark.parametrize("cursor", [opaque([True]), opaque([2**70]), opaque([-5])])
def test_the_public_passport_refuses_a_bad_cursor_too(
    client: FlaskClient, db_session: Session, org_with_device: tuple[Org, int], cursor: str
) -> None:
    _org, device_id = org_with_device
    list_device(db_session, device_id, Visibility.PUBLIC, ListingStatus.ACTIVE)
    assert_cursor_problem(client.get(f"/api/v1/devices/{device_id}/passport", query_string={"cursor": cursor}))


@pytest.mark.usefixtures("no_propagation")
@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("newest", opaque(["newest", True])),
        ("newest", opaque(["newest", 2**70])),
        ("price", opaque(["price", 100, True])),
        ("price", opaque(["newest", 5])),
        ("price", opaque([True, 1, 2])),
        ("grade", opaque(["grade", 1])),
        ("newest", opaque([["newest"], 1])),
    ],
)
def test_catalogue_cursors_are_checked_by_the_same_decoder(client: FlaskClient, sort: str, cursor: str) -> None:
    assert_cursor_problem(client.get("/api/v1/listings", query_string={"sort": sort, "cursor": cursor}))


def test_a_cursor_made_for_another_sort_says_so(client: FlaskClient) -> None:
    response = client.get("/api/v1/listings", query_string={"sort": "price", "cursor": opaque(["newest", 5])})
    assert_cursor_problem(response)
    assert response.get_json()["errors"]["cursor"] == ["Made for sort=newest."]


def test_the_cursor_format_is_documented_on_every_list(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        path
        for path, operations in spec["paths"].items()
        for parameter in operations.get("get", {}).get("parameters", [])
        if parameter["name"] == "cursor" and "next_cursor" in parameter.get("description", "")
    }
    expected = {
        "/api/v1/devices",
        "/api/v1/orders",
        "/api/v1/loans",
        "/api/v1/listings",
        "/api/v1/devices/{device_id}/passport",
        "/api/v1/devices/{device_id}/diagnostics",
    }
    assert expected <= documented, expected - documented
