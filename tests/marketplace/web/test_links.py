"""The pages our emails link to (``web.links``): the link in the real email (read from the outbox)
opens a page; a GET changes nothing; the button POSTs with its CSRF token to the API's service;
every refusal (used, expired, altered, another address) is a page in plain words."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from marketplace.members.accounts import VERIFICATION_SALT
from marketplace.members.models import ApiToken, Invitation, Membership, Organisation, TokenKind, User
from marketplace.notifications.models import OutboxMessage
from marketplace.payments.gateway import AccountInfo
from tests.api_helpers import PASSWORD, Actor, register
from tests.marketplace.listings.conftest import World

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9", "Accept": "text/html"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8", "Accept": "text/html"}
NEW_PASSWORD = "another long pass phrase"


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    return app.test_client()


def _csrf(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def _sign_in(browser: FlaskClient, email: str, password: str = PASSWORD) -> None:
    form = {"email": email, "password": password, "csrf_token": _csrf(browser.get("/sign-in"))}
    assert browser.post("/sign-in", data=form).status_code == 303


def _link(db_session: Session, email: str, kind: str) -> str:
    """The path and query of the newest ``kind`` email's link to ``email``, as the email carries it."""
    text = db_session.scalars(
        sa.select(OutboxMessage.text_body)
        .where(OutboxMessage.recipient == email.lower(), OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id.desc())
    ).first()
    found = re.search(r"https?://[^/\s]+(/\S*token=\S+)", text or "")
    assert found, text
    return found.group(1)


def _post_form(browser: FlaskClient, path: str, headers: dict[str, str] = FRENCH, **extra: str) -> Any:
    page = browser.get(path, headers=headers)
    assert page.status_code == 200, page.get_data(as_text=True)
    action = re.search(r'<form[^>]*method="post" action="([^"]+)"', page.get_data(as_text=True))
    assert action
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True))
    form = {"csrf_token": _csrf(page), **({"token": token.group(1)} if token else {}), **extra}
    return browser.post(action.group(1), data=form, headers=headers)


# --- email verification ----------------------------------------------------------------------------


def test_verify_email_from_the_real_link(client: FlaskClient, browser: FlaskClient, db_session: Session) -> None:
    zoe = register(client, "zoe")
    link = _link(db_session, zoe.email, "email_verification")
    assert link.startswith("/account/verify-email?token=")
    for _ in range(2):  # a mail scanner's fetch, then the person's: nothing changes
        page = browser.get(link, headers=FRENCH)
        assert page.status_code == 200 and "Confirmer mon adresse" in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "no-store"  # the URL carries the token
    user = db_session.get(User, zoe.user_id)
    assert user is not None and user.email_verified_at is None

    done = _post_form(browser, link)
    assert done.status_code == 200 and "Adresse confirmée" in done.get_data(as_text=True)
    db_session.refresh(user)
    assert user.email_verified_at is not None

    again = _post_form(browser, link, headers=ENGLISH)
    assert again.status_code == 409 and "already confirmed" in again.get_data(as_text=True)


def test_verify_email_altered_expired_and_without_csrf(
    client: FlaskClient, browser: FlaskClient, db_session: Session, app: Flask
) -> None:
    zoe = register(client, "zoe")
    link = _link(db_session, zoe.email, "email_verification")
    token = link.split("token=", 1)[1]
    altered = _post_form(browser, link[:-3] + "xyz", headers=ENGLISH)
    assert altered.status_code == 422 and "not valid" in altered.get_data(as_text=True)

    old = URLSafeTimedSerializer(app.config["RELIFE"].secret_key, salt=VERIFICATION_SALT)
    with mock.patch("itsdangerous.timed.time.time", return_value=1_000_000):
        expired_token = old.dumps({"u": zoe.user_id, "e": zoe.email})
    expired = _post_form(browser, f"/account/verify-email?token={expired_token}", headers=FRENCH)
    assert expired.status_code == 422 and "expiré" in expired.get_data(as_text=True)

    refused = browser.post("/account/verify-email", data={"token": token}, headers=FRENCH)
    assert refused.status_code == 400
    user = db_session.get(User, zoe.user_id)
    assert user is not None and user.email_verified_at is None


# --- password reset --------------------------------------------------------------------------------


def test_reset_password_from_the_real_link(
    client: FlaskClient, browser: FlaskClient, world: World, db_session: Session
) -> None:
    buyer: Actor = world.buyer
    assert client.post("/api/v1/password-resets", json={"email": buyer.email}).status_code == 202
    link = _link(db_session, buyer.email, "password_reset")
    assert link.startswith("/account/reset-password?token=")
    page = browser.get(link, headers=FRENCH)
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.get_data(as_text=True)
    hash_before = db_session.get(User, buyer.user_id).password_hash  # type: ignore[union-attr]

    mismatch = _post_form(browser, link, password=NEW_PASSWORD, password_again="something else entirely")
    assert mismatch.status_code == 422 and 'role="alert"' in mismatch.get_data(as_text=True)
    short = _post_form(browser, link, headers=ENGLISH, password="short", password_again="short")
    assert short.status_code == 422 and "too short" in short.get_data(as_text=True)
    assert browser.post("/account/reset-password", data={"password": NEW_PASSWORD}).status_code == 400
    assert db_session.get(User, buyer.user_id).password_hash == hash_before  # type: ignore[union-attr]

    done = _post_form(browser, link, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and 'href="/sign-in"' in body and "session" in body
    tokens = db_session.scalars(sa.select(ApiToken).where(ApiToken.user_id == buyer.user_id)).all()
    assert all(t.revoked_at is not None for t in tokens if t.kind in {TokenKind.PERSONAL, TokenKind.SESSION})
    assert client.post("/api/v1/tokens", json={"email": buyer.email, "password": NEW_PASSWORD}).status_code == 201

    used = _post_form(browser, link, password="yet another long phrase", password_again="yet another long phrase")
    assert used.status_code == 409


# --- invitations -----------------------------------------------------------------------------------


def _invite(client: FlaskClient, world: World, email: str, role: str = "lister") -> str:
    body = {"email": email, "role": role}
    answer = client.post(
        f"/api/v1/organisations/{world.seller_org['id']}/invitations", json=body, headers=world.seller_admin.headers
    )
    assert answer.status_code == 201, answer.json
    return email


def test_an_invitation_shown_then_accepted_signed_in(
    client: FlaskClient, browser: FlaskClient, world: World, db_session: Session
) -> None:
    loner: Actor = world.loner
    _invite(client, world, loner.email)
    link = _link(db_session, loner.email, "invitation")
    assert link.startswith("/invitations/accept?token=")
    anonymous = browser.get(link, headers=FRENCH)
    body = anonymous.get_data(as_text=True)
    assert anonymous.status_code == 200 and world.seller_org["name"] in body and "Responsable des annonces" in body
    assert "/sign-in?next=" in body and 'method="post"' not in body.split("<main", 1)[-1]
    # Not signed in: the POST sends to sign in, nothing accepted.
    token = link.split("token=", 1)[1]
    sent = browser.post("/invitations/accept", data={"token": token, "csrf_token": _csrf(browser.get("/sign-in"))})
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/sign-in?next=")

    _sign_in(browser, loner.email)
    assert browser.post("/invitations/accept", data={"token": token}).status_code == 400  # no CSRF
    assert db_session.scalar(sa.select(Membership).where(Membership.user_id == loner.user_id)) is None
    accepted = _post_form(browser, link)
    assert accepted.status_code == 200 and world.seller_org["name"] in accepted.get_data(as_text=True)
    assert db_session.scalar(sa.select(Membership).where(Membership.user_id == loner.user_id)) is not None
    assert browser.get(link, headers=FRENCH).status_code == 409  # used


def test_an_invitation_for_another_address_or_altered(
    client: FlaskClient, browser: FlaskClient, world: World, db_session: Session
) -> None:
    _invite(client, world, "someone.else@example.org")
    link = _link(db_session, "someone.else@example.org", "invitation")
    _sign_in(browser, world.loner.email)
    page = browser.get(link, headers=ENGLISH)
    assert "sent to another address" in page.get_data(as_text=True)
    assert 'name="token"' not in page.get_data(as_text=True)  # no button: it would be refused
    token = link.split("token=", 1)[1]
    refused = browser.post(
        "/invitations/accept", data={"token": token, "csrf_token": _csrf(browser.get("/account"))}, headers=FRENCH
    )
    assert refused.status_code == 403 and "autre adresse" in refused.get_data(as_text=True)
    invitation = db_session.scalars(sa.select(Invitation).order_by(Invitation.id.desc())).first()
    assert invitation is not None and invitation.status.value == "pending"
    assert browser.get(link[:-4] + "abcd", headers=FRENCH).status_code == 422


# --- Stripe onboarding -----------------------------------------------------------------------------


class StubGateway:
    def __init__(self) -> None:
        self.links: list[str] = []

    def create_account(self, **_: Any) -> AccountInfo:
        return AccountInfo(id="acct_test1", charges_enabled=False, payouts_enabled=False, details_submitted=False)

    def create_account_link(self, *, account: str, refresh_url: str, return_url: str) -> str:
        self.links.append(refresh_url)
        return f"https://connect.stripe.com/setup/e/{account}/new"


def test_stripe_return_and_refresh(app: Flask, browser: FlaskClient, world: World, db_session: Session) -> None:
    stub = StubGateway()
    app.extensions["relife.payments"] = stub
    org_id = world.seller_org["id"]
    back = browser.get(f"/organisations/{org_id}/stripe-onboarding/return", headers=ENGLISH)
    assert back.status_code == 200 and "submitted" in back.get_data(as_text=True)
    assert "not enabled yet" not in back.get_data(as_text=True)  # anonymous: nothing of the organisation
    refresh = f"/organisations/{org_id}/stripe-onboarding/refresh"
    anonymous = browser.get(refresh, headers=FRENCH)
    assert anonymous.status_code == 200 and "/sign-in?next=" in anonymous.get_data(as_text=True)

    _sign_in(browser, world.seller_member.email)
    assert browser.get(refresh, headers=FRENCH).status_code == 403
    browser = app.test_client()  # another browser, the admin's
    _sign_in(browser, world.seller_admin.email)
    assert browser.post(refresh).status_code == 400  # no CSRF
    assert not stub.links
    assert db_session.get(Organisation, org_id).stripe_account_id is None  # type: ignore[union-attr]
    started = _post_form(browser, refresh)
    assert started.status_code == 303 and started.headers["Location"].startswith("https://connect.stripe.com/")
    assert len(stub.links) == 1 and stub.links[0].endswith(refresh)
    # The URLs handed to Stripe lead to these pages.
    handed = re.sub(r"^https?://[^/]+", "", stub.links[0])
    assert handed == refresh and browser.get(handed, headers=FRENCH).status_code == 200
    mine = browser.get(f"/organisations/{org_id}/stripe-onboarding/return", headers=ENGLISH)
    assert "not enabled yet" in mine.get_data(as_text=True)
    assert browser.get("/organisations/999999/stripe-onboarding/return", headers=FRENCH).status_code == 404
    app.extensions["relife.payments"] = None  # no STRIPE_API_KEY: said in words, nothing started
    unavailable = _post_form(browser, refresh)
    assert unavailable.status_code == 503 and "personnel du cluster" in unavailable.get_data(as_text=True)
