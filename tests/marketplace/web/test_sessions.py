"""Browser sessions on the site (``web.sessions``): signing in with the API's credential check and
throttle, the same principal as a bearer token on the pages and never on the API, the cookie's
attributes, CSRF on every form, and every way a session ends (sign-out, revocation, a new password)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.config import Config
from marketplace.devices.models import Device
from marketplace.members.models import ApiToken, TokenKind
from marketplace.notifications.models import OutboxMessage
from marketplace.web.sessions import SESSION_COOKIE
from tests.api_helpers import PASSWORD, Actor, new_siret
from tests.marketplace.listings.conftest import MakeDevice, World

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9", "Accept": "text/html"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8", "Accept": "text/html"}


@pytest.fixture
def members_only(client: FlaskClient, world: World, make_device: MakeDevice) -> Device:
    device = make_device(world.seller_org["id"], make="Dell", model="Latitude 7490")
    body = {"device_id": device.id, "mode": "sale", "price_cents": 30000, "visibility": "members"}
    assert client.post("/api/v1/listings", json=body, headers=world.lister.headers).status_code == 201
    return device


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    """A browser of its own: its cookies are not the API client's."""
    return app.test_client()


def _csrf(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def _sign_in(browser: FlaskClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    token = _csrf(browser.get("/sign-in", headers=FRENCH))
    form = {"email": email, "password": password, "csrf_token": token, **extra}
    return browser.post("/sign-in", data=form, headers=FRENCH)


def _sessions(db_session: Session, user_id: int) -> list[ApiToken]:
    query = sa.select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.kind == TokenKind.SESSION)
    return list(db_session.scalars(query.order_by(ApiToken.id)))


def test_a_member_signs_in_sees_members_only_listings_then_signs_out(
    browser: FlaskClient, world: World, members_only: Device, db_session: Session
) -> None:
    assert "Latitude 7490" not in browser.get("/", headers=FRENCH).get_data(as_text=True)
    signed = _sign_in(browser, world.buyer.email.upper())  # the address as typed
    assert signed.status_code == 303 and signed.headers["Location"] == "/account"
    [token] = _sessions(db_session, world.buyer.user_id)
    assert token.revoked_at is None
    catalogue = browser.get("/", headers=FRENCH)
    assert "Latitude 7490" in catalogue.get_data(as_text=True)
    assert catalogue.headers["Cache-Control"] == "no-store"  # a member's page is kept by no cache
    assert browser.get(f"/d/{members_only.public_code}", headers=FRENCH).status_code == 200
    account = browser.get("/account", headers=FRENCH).get_data(as_text=True)
    assert "Mon compte" in account and world.buyer.email in account and world.buyer_org["name"] in account
    assert "Administrateur" in account

    out = browser.post("/sign-out", data={"csrf_token": _csrf(browser.get("/account"))}, headers=FRENCH)
    assert out.status_code == 303 and out.headers["Location"] == "/"
    db_session.refresh(token)
    assert token.revoked_at is not None
    assert "Latitude 7490" not in browser.get("/", headers=FRENCH).get_data(as_text=True)
    assert browser.get(f"/d/{members_only.public_code}", headers=FRENCH).status_code == 404
    gone = browser.get("/account", headers=FRENCH)
    assert gone.status_code == 303 and gone.headers["Location"] == "/sign-in?next=/account"


def test_the_session_cookie_is_httponly_lax_and_secure_outside_tests(browser: FlaskClient, world: World) -> None:
    signed = _sign_in(browser, world.buyer.email)
    [cookie] = [c for c in signed.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE + "=")]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "expires"} <= attributes  # kept SESSION_TTL_DAYS (14), then gone
    assert "SameSite=Lax" in cookie
    assert "secure" not in attributes  # a test app over http://
    # The rule: Secure unless a test app or a plain-http PUBLIC_URL; SESSION_COOKIE_SECURE decides outright.
    assert Config().session_cookie_is_secure is True
    assert Config(public_url="https://relife.example").session_cookie_is_secure is True
    assert Config(public_url="http://127.0.0.1:5000").session_cookie_is_secure is False
    assert Config(testing=True).session_cookie_is_secure is False
    assert Config.from_env({"SESSION_COOKIE_SECURE": "1", "RELIFE_TESTING": "1"}).session_cookie_is_secure is True


def test_a_secure_app_marks_the_cookie_secure_and_takes_forms_without_a_referer(
    config: Config, db_session: Session, client: FlaskClient, world: World
) -> None:
    from marketplace import create_app

    app = create_app(config.replace(session_cookie_secure=True))
    app.extensions["relife.db"].override = db_session
    browser = app.test_client()
    https = {**FRENCH, "X-Forwarded-Proto": "https"}
    token = _csrf(browser.get("/sign-in", base_url="https://localhost", headers=https))
    # ``Referrer-Policy: no-referrer``: browsers send no Referer; the CSRF token is enough.
    signed = browser.post(
        "/sign-in", base_url="https://localhost", headers=https,
        data={"email": world.buyer.email, "password": PASSWORD, "csrf_token": token},
    )  # fmt: skip
    assert signed.status_code == 303, signed.get_data(as_text=True)
    assert "; Secure" in signed.headers["Set-Cookie"]
    app.extensions["relife.engine"].dispose()


def test_a_wrong_password_is_said_on_the_page_and_the_throttle_says_how_long(
    browser: FlaskClient, world: World, db_session: Session
) -> None:
    wrong = _sign_in(browser, world.buyer.email, "not the password")
    assert wrong.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in wrong.get_data(as_text=True)
    assert "Set-Cookie" not in wrong.headers or "token" not in wrong.headers["Set-Cookie"]
    for _ in range(4):
        assert _sign_in(browser, world.buyer.email, "not the password").status_code == 401
    # The API's budget (5 failures per account and address): the right password waits too.
    held = _sign_in(browser, world.buyer.email)
    assert held.status_code == 429
    wait = int(held.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    assert re.search(
        r"Trop de tentatives de connexion\. Réessayez dans \d+ (minutes|secondes)\.", held.get_data(as_text=True)
    )
    # The same counters as POST /api/v1/tokens.
    api = browser.post("/api/v1/tokens", json={"email": world.buyer.email, "password": PASSWORD})
    assert api.status_code == 429
    assert _sessions(db_session, world.buyer.user_id) == []
    missing = browser.post(
        "/sign-in", data={"email": "", "csrf_token": _csrf(browser.get("/sign-in"))}, headers=ENGLISH
    )
    assert missing.status_code == 400 and "Give your email address and your password." in missing.get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "made-up"])
def test_a_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    browser: FlaskClient, world: World, members_only: Device, db_session: Session, token: str | None
) -> None:
    form = {"email": world.buyer.email, "password": PASSWORD} | ({"csrf_token": token} if token else {})
    refused = browser.post("/sign-in", data=form, headers=FRENCH)
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    page = refused.get_data(as_text=True)
    assert "Formulaire expiré" in page and "rechargez la page" in page
    assert _sessions(db_session, world.buyer.user_id) == []
    english = browser.post("/sign-in", data=form, headers=ENGLISH).get_data(as_text=True)
    assert "Form expired" in english and "reload the page" in english

    assert _sign_in(browser, world.buyer.email).status_code == 303
    out = browser.post("/sign-out", data={"csrf_token": token} if token else {}, headers=FRENCH)
    assert out.status_code == 400
    [session_token] = _sessions(db_session, world.buyer.user_id)
    assert session_token.revoked_at is None  # still signed in
    assert "Latitude 7490" in browser.get("/", headers=FRENCH).get_data(as_text=True)


def test_the_cookie_never_authenticates_the_api(browser: FlaskClient, app: Flask, world: World) -> None:
    assert _sign_in(browser, world.buyer.email).status_code == 303
    assert browser.get("/api/v1/me").status_code == 401
    body = {"name": "Cookie Org", "kind": "company", "siret": new_siret(), "postcode": "69007"}
    assert browser.post("/api/v1/organisations", json=body).status_code == 401  # and no CSRF check there
    # Nor does the session's token work as a bearer token (it is of kind "session").
    cookie = browser.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    secret = app.session_interface.get_signing_serializer(app).loads(cookie.value)["token"]  # type: ignore[attr-defined]
    assert secret.startswith("rlf_")
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    # A bearer token is not a browser session either: it is no cookie's token.
    with browser.session_transaction() as session:
        session["token"] = world.buyer.token
    assert "Latitude 7490" not in browser.get("/", headers=FRENCH).get_data(as_text=True)


@pytest.mark.parametrize("how", ["revoked from the API", "password changed", "password reset", "account disabled"])
def test_the_browser_session_ends_with_its_token(
    browser: FlaskClient, client: FlaskClient, world: World, members_only: Device, db_session: Session, how: str
) -> None:
    buyer: Actor = world.buyer
    assert _sign_in(browser, buyer.email).status_code == 303
    listed = client.get("/api/v1/me/tokens", headers=buyer.headers).json["items"]
    [session_item] = [t for t in listed if t["kind"] == "session"]
    if how == "revoked from the API":
        assert client.delete(f"/api/v1/me/tokens/{session_item['id']}", headers=buyer.headers).status_code == 204
    elif how == "password changed":
        body = {"current_password": PASSWORD, "new_password": "another long pass phrase"}
        assert client.post("/api/v1/me/password", json=body, headers=buyer.headers).status_code == 204
    elif how == "password reset":
        assert client.post("/api/v1/password-resets", json={"email": buyer.email}).status_code == 202
        link = db_session.scalars(
            sa.select(OutboxMessage.text_body)
            .where(OutboxMessage.recipient == buyer.email, OutboxMessage.kind == "password_reset")
            .order_by(OutboxMessage.id.desc())
        ).first()
        found = re.search(r"reset-password\?token=(\S+)", link or "")
        assert found, link
        body = {"token": found.group(1), "password": "another long pass phrase"}
        assert client.post("/api/v1/password-resets/confirm", json=body).status_code == 204
    else:
        from marketplace.members.models import User

        db_session.get(User, buyer.user_id).is_active = False  # type: ignore[union-attr]
        db_session.flush()
    assert "Latitude 7490" not in browser.get("/", headers=FRENCH).get_data(as_text=True)
    assert browser.get("/account", headers=FRENCH).status_code == 303


def test_removal_from_the_organisation_ends_its_rights_in_the_browser(
    browser: FlaskClient, client: FlaskClient, world: World, members_only: Device
) -> None:
    assert _sign_in(browser, world.seller_member.email).status_code == 303
    assert "Latitude 7490" in browser.get("/", headers=FRENCH).get_data(as_text=True)
    members = f"/api/v1/organisations/{world.seller_org['id']}/members/{world.seller_member.user_id}"
    assert client.delete(members, headers=world.seller_admin.headers).status_code == 204
    assert "Latitude 7490" not in browser.get("/", headers=FRENCH).get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/api/v1/me", "/\\evil.example", "/\t/evil.example"]
)
def test_signing_in_never_sends_the_browser_elsewhere(browser: FlaskClient, world: World, target: str) -> None:
    signed = _sign_in(browser, world.buyer.email, next=target)
    assert signed.status_code == 303 and signed.headers["Location"] == "/account"


def test_signing_in_goes_back_to_the_page_asked(browser: FlaskClient, world: World) -> None:
    asked = browser.get("/account", headers=FRENCH)
    assert asked.headers["Location"] == "/sign-in?next=/account"
    form = browser.get(asked.headers["Location"], headers=FRENCH)
    assert 'name="next" value="/account"' in form.get_data(as_text=True)
    signed = _sign_in(browser, world.buyer.email, next="/impact")
    assert signed.headers["Location"] == "/impact"


def test_anonymous_pages_set_no_session_cookie_and_stay_cacheable(browser: FlaskClient) -> None:
    for path in ("/", "/impact"):
        page = browser.get(path, headers=FRENCH)
        assert "Set-Cookie" not in page.headers and "no-store" not in page.headers.get("Cache-Control", "")
        assert 'href="/sign-in"' in page.get_data(as_text=True)
    # The sign-in form holds a CSRF token in the session: that page alone starts one.
    form = browser.get("/sign-in", headers=FRENCH)
    assert form.headers["Set-Cookie"].startswith(SESSION_COOKIE + "=")
    assert form.headers["Cache-Control"] == "no-store"  # a response that starts a session is kept by no cache
