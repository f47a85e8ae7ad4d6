"""The site's pages, through the Flask client: what they show, to whom, in which language."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device
from marketplace.http import PAGE_CSP
from tests.marketplace.listings.conftest import MakeDevice, World
from tests.marketplace.reports.helpers import BATTERY_UPOWER, upload

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _list(client: FlaskClient, world: World, device: Device, **terms: Any) -> dict[str, Any]:
    body = {"device_id": device.id, "mode": "sale", "price_cents": 42000, "visibility": "public", **terms}
    if body["mode"] != "sale":
        del body["price_cents"]
    response = client.post("/api/v1/listings", json=body, headers=world.lister.headers)
    assert response.status_code == 201, response.json
    return dict(response.json)


def _text(html: str) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def shop(client: FlaskClient, world: World, make_device: MakeDevice) -> dict[str, Device]:
    public = make_device(world.seller_org["id"], make="Lenovo", model="ThinkPad T480")
    members = make_device(world.seller_org["id"], make="Dell", model="Latitude 7490")
    unlisted = make_device(world.seller_org["id"], make="HP", model="EliteBook 840")
    _list(client, world, public)
    _list(client, world, members, visibility="members", price_cents=30000)
    return {"public": public, "members": members, "unlisted": unlisted}


def test_the_catalogue_is_a_french_page_of_public_listings_for_anonymous_visitors(
    client: FlaskClient, shop: dict[str, Device]
) -> None:
    page = client.get("/", headers=FRENCH)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "<title>Catalogue des appareils reconditionnés · Relife</title>" in html
    assert "ThinkPad T480" in html and "Latitude 7490" not in html
    assert "420,00\xa0€" in html  # French money: decimal comma, euro sign after
    assert f'href="/d/{shop["public"].public_code}"' in html
    assert "SN-SECRET" not in html and "TAG-SECRET" not in html  # never a serial or asset tag
    assert "1 appareil correspond" in _text(html)


def test_a_signed_in_member_also_sees_members_only_listings(
    client: FlaskClient, world: World, shop: dict[str, Device]
) -> None:
    html = client.get("/", headers={**FRENCH, **world.buyer.headers}).get_data(as_text=True)
    assert "ThinkPad T480" in html and "Latitude 7490" in html
    assert "Réservé aux membres" in html
    # A user of no organisation sees what anonymous visitors see.
    loner = client.get("/", headers={**FRENCH, **world.loner.headers}).get_data(as_text=True)
    assert "Latitude 7490" not in loner


def test_the_catalogue_filters_sorts_and_pages_like_the_api(
    client: FlaskClient, world: World, make_device: MakeDevice
) -> None:
    for n in range(14):
        _list(client, world, make_device(world.seller_org["id"], model=f"T{480 + n}"), price_cents=10000 + n * 100)
    _list(client, world, make_device(world.seller_org["id"], make="Apple", model="iPad"), mode="donation")
    first = client.get("/?mode=sale&sort=price&price_max_eur=200", headers=ENGLISH).get_data(as_text=True)
    models = re.findall(r">Lenovo (T\d+)</a>", first)
    assert models == [f"T{480 + n}" for n in range(12)]  # cheapest first, 12 a page
    assert "iPad" not in first
    assert "For sale (14)" in first  # facet counts for the same filters
    cursor = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert cursor is not None
    second = client.get(cursor.group(1).replace("&amp;", "&"), headers=ENGLISH).get_data(as_text=True)
    assert re.findall(r">Lenovo (T\d+)</a>", second) == ["T492", "T493"]
    assert 'rel="next"' not in second
    donations = client.get("/?mode=donation", headers=ENGLISH).get_data(as_text=True)
    assert "iPad" in donations and "Free donation" in donations


def test_an_invalid_filter_is_said_on_the_page_and_left_out(client: FlaskClient, shop: dict[str, Device]) -> None:
    page = client.get("/?department=Lyon&price_max_eur=cheap&kind=toaster", headers=ENGLISH)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Some filters were not understood" in html
    for name in ("department", "price_max_eur", "kind"):
        assert f"<li>{name}</li>" in html
    assert "ThinkPad T480" in html  # the other filters still apply: here none


def test_language_follows_the_switch_then_the_cookie_then_accept_language(
    client: FlaskClient, shop: dict[str, Device]
) -> None:
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)  # nothing asked: French
    english = client.get("/", headers=ENGLISH)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "€420.00" in english.get_data(as_text=True)
    assert "Accept-Language" in english.headers["Vary"]
    switched = client.get("/?lang=en", headers=FRENCH)
    assert '<html lang="en">' in switched.get_data(as_text=True)
    assert "lang=en" in switched.headers["Set-Cookie"]
    # Remembered: the next page in English although the browser prefers French.
    assert '<html lang="en">' in client.get("/impact", headers=FRENCH).get_data(as_text=True)
    client.get("/?lang=fr", headers=ENGLISH)
    assert '<html lang="fr">' in client.get("/", headers=ENGLISH).get_data(as_text=True)


def test_the_device_page_reads_the_passport_in_plain_words(
    client: FlaskClient, world: World, make_device: MakeDevice, db_session: Session
) -> None:
    device = make_device(world.seller_org["id"])
    graded = upload(client, device.id, world.lister.token, BATTERY_UPOWER)  # 68.5 % of design capacity
    assert graded.status_code == 201, graded.json
    _list(client, world, device)
    page = client.get(f"/d/{device.public_code}", headers=FRENCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    words = _text(html)
    assert "<title>Lenovo ThinkPad T480 · Ordinateur portable · Relife</title>" in html
    assert "La batterie a perdu une partie de sa capacité" in words  # battery.capacity_worn, explained
    assert "battery.capacity_worn" not in html  # the code itself is not what people read
    assert "68,5 % de sa capacité d’origine" in words
    for event in ("Diagnostiqué", "Mis au catalogue"):
        assert event in words
    # The measure drawn on the server: an accessible SVG chart stating its figures.
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "Capacité de la batterie" in words and "68,5 %" in re.search(r"<desc[^>]*>(.*?)</desc>", html).group(1)
    for secret in ("SN-SECRET", "TAG-SECRET", "S3Z-SECRET"):
        assert secret not in html
    english = client.get(f"/d/{device.public_code}", headers=ENGLISH).get_data(as_text=True)
    assert "The battery has lost some of its capacity" in _text(english)  # the grading's own words


def test_a_device_page_follows_the_passport_access_rule(
    client: FlaskClient, world: World, shop: dict[str, Device]
) -> None:
    members, unlisted = shop["members"], shop["unlisted"]
    assert client.get(f"/d/{members.public_code}", headers=BROWSER).status_code == 404
    assert client.get(f"/d/{members.public_code}", headers=world.buyer.headers).status_code == 200
    assert client.get(f"/d/{unlisted.public_code}", headers=BROWSER).status_code == 404
    assert client.get(f"/d/{unlisted.public_code}", headers=world.seller_member.headers).status_code == 200
    assert client.get("/d/AAAAAAAAAA", headers=BROWSER).status_code == 404
    assert client.get(f"/d/{members.id}", headers=BROWSER).status_code == 404  # not by numeric id


def test_a_code_typed_from_a_label_leads_to_its_page(client: FlaskClient, shop: dict[str, Device]) -> None:
    code = shop["public"].public_code
    typed = f"{code[:5].lower()}-{code[5:].lower()}"
    response = client.get(f"/d/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/d/{code}"


def test_the_impact_page_shows_the_figures_charts_and_sources(client: FlaskClient) -> None:
    page = client.get("/impact", headers=FRENCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>L’impact du cluster · Relife</title>" in html
    assert "Méthode et sources" in html
    assert "ADEME" in html  # the factor table's sources are cited


def test_errors_outside_the_api_are_pages_in_the_sites_look(client: FlaskClient) -> None:
    page = client.get("/no-such-page", headers={**BROWSER, **FRENCH})
    assert page.status_code == 404 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Page introuvable" in html and 'href="/assets/site.css"' in html
    # Scripts and the API keep problem+json.
    assert client.get("/no-such-page").mimetype == "application/problem+json"
    assert client.get("/api/v1/nothing", headers=BROWSER).mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/impact",
        "/no-such-page",
        "/sign-in",
        "/account/verify-email?token=x",
        "/account/reset-password?token=x",
        "/invitations/accept?token=x",
    ],
)
def test_every_html_page_has_a_csp_allowing_no_other_origin(client: FlaskClient, path: str) -> None:
    page = client.get(path, headers=BROWSER)
    assert page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert csp == PAGE_CSP
    assert "http" not in csp and "*" not in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assert "<script" not in html and " style=" not in html  # nothing the CSP would block
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from another origin


def test_anonymous_facet_counts_are_shared_for_a_short_time_members_get_fresh_ones(
    client: FlaskClient, world: World, make_device: MakeDevice, shop: dict[str, Device]
) -> None:
    assert "1 device matches" in _text(client.get("/", headers=ENGLISH).get_data(as_text=True))
    _list(client, world, make_device(world.seller_org["id"], model="T14"))
    # Anonymous: the same filters' counts as a moment ago (the new card itself is on the page).
    anonymous = client.get("/?sort=price", headers=ENGLISH).get_data(as_text=True)
    assert "1 device matches" in _text(anonymous) and ">Lenovo T14</a>" in anonymous
    member = client.get("/", headers={**ENGLISH, **world.buyer.headers}).get_data(as_text=True)
    assert "3 devices match" in _text(member)  # two public, one members-only: counted now
    client.application.extensions["relife.web_facets"].ttl = 0
    assert "2 devices match" in _text(client.get("/", headers=ENGLISH).get_data(as_text=True))


@pytest.mark.parametrize(
    ("language", "value", "written"),
    [("fr", 92.8, "92,8\xa0%"), ("en", 92.8, "92.8%"), ("en", 100.0, "100%"), ("fr", 68.54, "68,5\xa0%")],
)
def test_percentages_are_written_as_each_language_writes_them(
    app: Flask, language: str, value: float, written: str
) -> None:
    from marketplace.web import i18n

    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.percent(value) == written
