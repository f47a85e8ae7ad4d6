"""Fixtures of the trading tests (orders, loans, payments, reservations: each directory's
conftest imports them): a local fake Stripe for the whole run, an app configured to use it, and a
small world of organisations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace import create_app
from marketplace.config import Config
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.marketplace.trade import World, build_world


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe().serve()
    yield fake
    fake.close()


@pytest.fixture
def fake_stripe(stripe_server: FakeStripe) -> Iterator[FakeStripe]:
    yield stripe_server
    stripe_server.deliver = None


@pytest.fixture
def config(database_url: str, stripe_server: FakeStripe, tmp_path: Path) -> Config:
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        media_root=str(tmp_path / "media"),  # photos in the test's own folder, never in the repository
        stripe_api_key=API_KEY,
        stripe_api_base=stripe_server.base_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        platform_fee_bps=500,
    )


@pytest.fixture
def webhook_client(client: FlaskClient, fake_stripe: FakeStripe) -> FlaskClient:
    """Stripe's deliveries go to the app through the test client, really signed."""

    def deliver(payload: bytes, headers: dict[str, str]) -> int:
        return client.post("/api/v1/webhooks/stripe", data=payload, headers=headers).status_code

    fake_stripe.deliver = deliver
    return client


@pytest.fixture
def world(client: FlaskClient, db_session: Session, fake_stripe: FakeStripe) -> World:
    return build_world(client, db_session, fake_stripe.add_account())


@pytest.fixture
def app_without_stripe(database_url: str, db_session: Session) -> Iterator[Flask]:
    app = create_app(Config(database_url=database_url, testing=True, secret_key="test-secret"))
    app.extensions["relife.db"].override = db_session
    yield app
    app.extensions["relife.engine"].dispose()
