"""The catalogue search: every filter, the sort orders, keyset paging, facets and visibility."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from marketplace.devices.models import CosmeticGrade, DeviceKind
from marketplace.listings import search
from marketplace.pagination import encode_cursor
from tests.marketplace.listings.conftest import MakeDevice, World

#: (device fields, listing body) of the catalogue the search tests run on.
CATALOGUE: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "grade": "A",
            "make": "Dell",
            "model": "Latitude 7490",
            "battery_health_pct": 95.0,
            "cosmetic_grade": CosmeticGrade.PREMIUM,
            "specs": {"cpu": "Intel Core i7-8650U", "ram_gb": 32, "storage_gb": 512},
        },
        {"mode": "sale", "price_cents": 45000, "visibility": "public"},
    ),
    (
        {"grade": "B", "make": "Lenovo", "model": "ThinkPad T480", "battery_health_pct": 81.0},
        {"mode": "sale", "price_cents": 25000, "visibility": "public", "postcode": "33000"},
    ),
    (
        {
            "grade": "C",
            "make": "HP",
            "model": "EliteDesk 800 G3",
            "kind": DeviceKind.DESKTOP,
            "battery_health_pct": None,
            "cosmetic_grade": CosmeticGrade.FAIR,
            "specs": {"cpu": "Intel Core i5-6500", "ram_gb": 8, "storage_gb": 1000},
        },
        {"mode": "donation", "visibility": "public"},
    ),
    (
        {
            "grade": "D",
            "make": "Apple",
            "model": "MacBook Air 2017",
            "battery_health_pct": 38.0,
            "specs": {"cpu": "Intel Core i5-5350U", "ram_gb": 8, "storage_gb": 128},
        },
        {"mode": "loan", "min_days": 7, "max_days": 30, "deposit_cents": 20000, "visibility": "public"},
    ),
    (
        {
            "grade": "A",
            "make": "Dell",
            "model": "PowerEdge R640",
            "kind": DeviceKind.SERVER,
            "battery_health_pct": None,
            "specs": {"cpu": "Intel Xeon Silver 4110", "ram_gb": 128, "storage_gb": 2000},
        },
        {"mode": "sale", "price_cents": 90000, "visibility": "members"},
    ),
    (
        {"grade": "B", "make": "Lenovo", "model": "ThinkPad X270", "battery_health_pct": 70.0},
        {"mode": "sale", "price_cents": 25000, "visibility": "members", "postcode": "75011"},
    ),
]
PUBLIC = [0, 1, 2, 3]


@pytest.fixture
def catalogue(client: FlaskClient, world: World, make_device: MakeDevice) -> list[dict[str, Any]]:
    listings = []
    for fields, body in CATALOGUE:
        device = make_device(world.seller_org["id"], **fields)
        response = client.post("/api/v1/listings", json={"device_id": device.id, **body}, headers=world.lister.headers)
        assert response.status_code == 201, response.json
        listings.append(response.json)
    return listings


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def positions(catalogue: list[dict[str, Any]], response: Any) -> list[int]:
    by_id = {listing["id"]: n for n, listing in enumerate(catalogue)}
    return [by_id[i] for i in ids(response)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [5, 4, 3, 2, 1, 0]),
        ("kind=laptop", [5, 3, 1, 0]),
        ("kind=server", [4]),
        ("mode=sale", [5, 4, 1, 0]),
        ("mode=loan", [3]),
        ("min_grade=A", [4, 0]),
        ("min_grade=B", [5, 4, 1, 0]),
        ("min_grade=F", [5, 4, 3, 2, 1, 0]),
        ("cosmetic_grade=premium", [0]),
        ("cosmetic_grade=fair", [2]),
        ("price_min=25000", [5, 4, 1, 0]),
        ("price_max=25000", [5, 3, 2, 1]),
        ("price_min=25000&price_max=45000", [5, 1, 0]),
        ("ram_min=32", [4, 0]),
        ("storage_min=1000", [4, 2]),
        ("cpu=xeon", [4]),
        ("cpu=i5-", [5, 3, 2, 1]),
        ("battery_min=80", [1, 0]),
        ("department=33", [1]),
        ("department=75", [5]),
        ("organisation_kind=refurbisher", [5, 4, 3, 2, 1, 0]),
        ("organisation_kind=company", []),
        ("q=thinkpad", [5, 1]),
        ("q=THINKPAD t4", [1]),
        ("q=dell", [4, 0]),
        ("q=macbook i5-5350", [3]),
        ("q=xe", [4]),
        ("q=nothing-like-this", []),
        ("q=100%25", []),
        ("kind=laptop&min_grade=B&mode=sale&q=lenovo", [5, 1]),
    ],
)
def test_each_filter(
    client: FlaskClient, world: World, catalogue: list[dict[str, Any]], query: str, expected: list[int]
) -> None:
    assert positions(catalogue, client.get(f"/api/v1/listings?{query}", headers=world.buyer.headers)) == expected
    public = [n for n in expected if n in PUBLIC]
    response = client.get(f"/api/v1/listings?{query}")
    assert positions(catalogue, response) == public
    assert b"SECRET" not in response.data


def test_filter_by_organisation(client: FlaskClient, world: World, catalogue: list[dict[str, Any]]) -> None:
    assert len(ids(client.get(f"/api/v1/listings?organisation_id={world.seller_org['id']}"))) == 4
    assert ids(client.get(f"/api/v1/listings?organisation_id={world.buyer_org['id']}")) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", [5, 4, 3, 2, 1, 0]),
        ("price", [2, 3, 1, 5, 0, 4]),
        ("-price", [4, 0, 5, 1, 3, 2]),
        ("grade", [0, 4, 1, 5, 2, 3]),
    ],
)
def test_sort_orders(
    client: FlaskClient, world: World, catalogue: list[dict[str, Any]], sort: str, expected: list[int]
) -> None:
    assert positions(catalogue, client.get(f"/api/v1/listings?sort={sort}", headers=world.buyer.headers)) == expected
    # Paging one by one gives the same order, each listing once.
    seen: list[int] = []
    cursor = None
    while True:
        url = f"/api/v1/listings?sort={sort}&limit=1" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=world.buyer.headers)
        seen += positions(catalogue, response)
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


@pytest.mark.parametrize("sort", sorted(search.SORTS))
def test_paging_is_stable_under_inserts(
    client: FlaskClient, world: World, make_device: MakeDevice, catalogue: list[dict[str, Any]], sort: str
) -> None:
    before = {item["id"] for item in catalogue}
    seen: list[int] = []
    cursor = None
    price = 100
    while True:
        url = f"/api/v1/listings?sort={sort}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=world.buyer.headers)
        seen += ids(response)
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
        # New listings between pages, some sorting before and some after the cursor.
        for grade in ("A", "D"):  # F is never listed (listability.rules.listing_problems)
            price = price * 7 % 100_000
            device = make_device(world.seller_org["id"], grade=grade)
            body = {"device_id": device.id, "mode": "sale", "price_cents": price}
            assert client.post("/api/v1/listings", json=body, headers=world.lister.headers).status_code == 201
    assert len(seen) == len(set(seen)), "a listing came twice"
    assert before <= set(seen), "a listing present from the start was skipped"


def test_limit_and_cursor_validation(client: FlaskClient, catalogue: list[dict[str, Any]]) -> None:
    response = client.get(f"/api/v1/listings?limit={search.MAX_PAGE_SIZE + 1}")
    assert response.status_code == 422 and "limit" in response.json["errors"]
    assert client.get(f"/api/v1/listings?limit={search.MAX_PAGE_SIZE}").status_code == 200
    assert client.get("/api/v1/listings?limit=0").status_code == 422
    too_big = encode_cursor(["price", 0, 2**40])
    for cursor in ("garbage", "WyJwcmljZSIsICJ4Il0", "W10", too_big):
        response = client.get(f"/api/v1/listings?sort=price&cursor={cursor}")
        assert response.status_code == 422 and "cursor" in response.json["errors"], cursor
    # A cursor of one sort order is refused by another.
    cursor = client.get("/api/v1/listings?sort=price&limit=1").json["next_cursor"]
    response = client.get(f"/api/v1/listings?sort=grade&cursor={cursor}")
    assert response.status_code == 422 and "cursor" in response.json["errors"]
    for query in (
        "sort=cheapest",
        "min_grade=E",
        "kind=toaster",
        "unknown=1",
        "price_min=-1",
        "price_max=99999999999",
        "organisation_id=2147483648",
        "q=ab%00cd",
        "cpu=%1b",
        "department=6",
        "department=ABC",
        "status=sold",
    ):
        assert client.get(f"/api/v1/listings?{query}").status_code == 422, query


def test_facets(client: FlaskClient, world: World, catalogue: list[dict[str, Any]]) -> None:
    response = client.get("/api/v1/listings/facets", headers=world.buyer.headers)
    assert response.status_code == 200
    assert response.json == {
        "total": 6,
        "kind": {"desktop": 1, "laptop": 4, "server": 1},
        "mode": {"donation": 1, "loan": 1, "sale": 4},
        "grade": {"A": 2, "B": 2, "C": 1, "D": 1},
        "department": {"33": 1, "69": 4, "75": 1},
    }
    anonymous = client.get("/api/v1/listings/facets?kind=laptop").json
    assert anonymous == {
        "total": 3,
        "kind": {"laptop": 3},
        "mode": {"loan": 1, "sale": 2},
        "grade": {"A": 1, "B": 1, "D": 1},
        "department": {"33": 1, "69": 2},
    }
    assert client.get("/api/v1/listings/facets?sort=price").status_code == 422


def test_visibility(client: FlaskClient, world: World, catalogue: list[dict[str, Any]]) -> None:
    everything = [5, 4, 3, 2, 1, 0]
    assert positions(catalogue, client.get("/api/v1/listings")) == [3, 2, 1, 0]
    assert positions(catalogue, client.get("/api/v1/listings", headers=world.loner.headers)) == [3, 2, 1, 0]
    assert positions(catalogue, client.get("/api/v1/listings", headers=world.buyer.headers)) == everything
    assert positions(catalogue, client.get("/api/v1/listings", headers=world.seller_member.headers)) == everything
    assert client.get("/api/v1/listings", headers={"Authorization": "Bearer rlf_nope"}).status_code == 401


def test_results_never_show_serials(client: FlaskClient, world: World, catalogue: list[dict[str, Any]]) -> None:
    for url in ("/api/v1/listings", "/api/v1/listings/facets", f"/api/v1/listings/{catalogue[0]['id']}"):
        for headers in ({}, world.buyer.headers, world.lister.headers):
            response = client.get(url, headers=headers)
            assert response.status_code == 200
            assert b"SECRET" not in response.data and b"serial" not in response.data and b"asset" not in response.data


def test_search_is_documented(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    get = spec["paths"]["/api/v1/listings"]["get"]
    names = {p["name"] for p in get["parameters"]}
    assert {"kind", "mode", "min_grade", "q", "sort", "cursor", "limit", "battery_min", "department"} <= names
    limit = next(p for p in get["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == search.MAX_PAGE_SIZE
    assert "ListingPage" in get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "/api/v1/listings/facets" in spec["paths"]
