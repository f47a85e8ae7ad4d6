"""Stripe Connect onboarding end to end against the local fake Stripe: an admin starts it, Stripe's
``account.updated`` (really signed, processed once, the account re-read) records what the account
may do, and card sales wait for ``charges_enabled``; every refusal says how to get there."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.config import Config
from marketplace.members.models import Organisation
from marketplace.payments.models import StripeEvent
from tests.api_helpers import Actor, add_member, create_org, register
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.marketplace.trade import World, make_listing, problem

PUBLIC_URL = "https://relife.example"


@pytest.fixture
def config(database_url: str, stripe_server: FakeStripe) -> Config:
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        stripe_api_key=API_KEY,
        stripe_api_base=stripe_server.base_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        public_url=PUBLIC_URL,
    )


def onboard(client: FlaskClient, actor: Actor, organisation_id: int) -> Any:
    return client.post(f"/api/v1/organisations/{organisation_id}/stripe-onboarding", headers=actor.headers)


def card_order(client: FlaskClient, actor: Actor, listing_id: int) -> Any:
    held = client.post(f"/api/v1/listings/{listing_id}/reservations", json={}, headers=actor.headers)
    assert held.status_code == 201, held.json
    body = {"reservation_id": held.json["id"], "payment": "card"}
    return client.post("/api/v1/orders", json=body, headers={**actor.headers, "Idempotency-Key": str(uuid.uuid4())})


def test_onboarding_then_account_updated_then_a_card_sale(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    admin = register(client, "newseller")
    seller = create_org(client, admin, name="Atelier Reboot")
    listing = make_listing(db_session, seller["id"], price_cents=12_000)

    # Before onboarding: no card sale, and the refusal names the way.
    refused = problem(card_order(client, world.member, listing.id), 409)
    assert "has not started" in refused["detail"]
    assert f"/organisations/{seller['id']}/stripe-onboarding" in refused["detail"]

    first = onboard(client, admin, seller["id"])
    assert first.status_code == 200, first.json
    created = fake_stripe.calls("POST", "/v1/accounts")
    assert len(created) == 1
    params, key = created[0]
    assert params["type"] == "express" and params["country"] == "FR" and params["email"] == admin.email
    assert params["capabilities"] == {"card_payments": {"requested": "true"}, "transfers": {"requested": "true"}}
    assert params["metadata"]["relife_organisation"] == str(seller["id"])
    assert key is not None and key.startswith(f"organisation-{seller['id']}-")
    (link, _), *_ = fake_stripe.calls("POST", "/v1/account_links")[-1:]
    account_id = link["account"]
    assert link["type"] == "account_onboarding"
    assert link["refresh_url"] == f"{PUBLIC_URL}/organisations/{seller['id']}/stripe-onboarding/refresh"
    assert link["return_url"] == f"{PUBLIC_URL}/organisations/{seller['id']}/stripe-onboarding/return"
    assert first.json["url"].startswith("https://connect.stripe.com/") and account_id in first.json["url"]

    # Again: the same account, a fresh link.
    second = onboard(client, admin, seller["id"])
    assert second.status_code == 200 and second.json["url"] != first.json["url"]
    assert len(fake_stripe.calls("POST", "/v1/accounts")) == 1
    shown = client.get(f"/api/v1/organisations/{seller['id']}", headers=admin.headers).json
    assert shown["stripe_account_id"] == account_id
    assert (shown["stripe_charges_enabled"], shown["stripe_payouts_enabled"], shown["stripe_details_submitted"]) == (
        False, False, False,
    )  # fmt: skip

    # Submitted, still under review at Stripe: still no card sale.
    assert (
        fake_stripe.send(fake_stripe.finish_onboarding(account_id, charges_enabled=False, payouts_enabled=False)) == 200
    )
    assert client.get(f"/api/v1/organisations/{seller['id']}", headers=admin.headers).json["stripe_details_submitted"]
    refused = problem(card_order(client, world.member, make_listing(db_session, seller["id"]).id), 409)
    assert "has not finished" in refused["detail"]

    # Verified: account.updated records it; a replay of the same event has no second effect.
    event = fake_stripe.finish_onboarding(account_id)
    assert fake_stripe.send(event) == 200
    shown = client.get(f"/api/v1/organisations/{seller['id']}", headers=admin.headers).json
    assert (shown["stripe_charges_enabled"], shown["stripe_payouts_enabled"], shown["stripe_details_submitted"]) == (
        True, True, True,
    )  # fmt: skip
    anyone = client.get(f"/api/v1/organisations/{seller['id']}").json
    assert anyone["accepts_card"] is True and "stripe_account_id" not in anyone
    fake_stripe.objects[account_id]["charges_enabled"] = False  # would be recorded if processed again
    assert fake_stripe.send(event) == 200
    assert (
        db_session.scalar(sa.select(sa.func.count()).select_from(StripeEvent).where(StripeEvent.id == event["id"])) == 1
    )
    assert client.get(f"/api/v1/organisations/{seller['id']}", headers=admin.headers).json["stripe_charges_enabled"]
    fake_stripe.objects[account_id]["charges_enabled"] = True

    # The card sale goes through to paid, the money bound for the new account.
    ordered = card_order(client, world.member, make_listing(db_session, seller["id"], price_cents=9_000).id)
    assert ordered.status_code == 201, ordered.json
    (intent, _), *_ = fake_stripe.calls("POST", "/v1/payment_intents")[-1:]
    assert intent["transfer_data"]["destination"] == account_id
    assert fake_stripe.send(fake_stripe.confirm_payment_intent(ordered.json["stripe_payment_intent_id"])) == 200
    paid = client.get(f"/api/v1/orders/{ordered.json['id']}", headers=world.member.headers).json
    assert (paid["status"], paid["payment_status"]) == ("confirmed", "paid")


@pytest.mark.parametrize("who", ["anonymous", "member", "lister", "staff", "outsider"])
def test_only_the_organisations_admins_start_onboarding(
    client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe, who: str
) -> None:
    admin = register(client, "seller")
    seller = create_org(client, admin)
    actors = {
        "member": add_member(client, admin, seller["id"], "member"),
        "lister": add_member(client, admin, seller["id"], "lister"),
        "staff": world.staff,
        "outsider": world.buyer_admin,
    }
    accounts = len(fake_stripe.calls("POST", "/v1/accounts"))
    if who == "anonymous":
        response = client.post(f"/api/v1/organisations/{seller['id']}/stripe-onboarding")
        problem(response, 401)
    else:
        problem(onboard(client, actors[who], seller["id"]), 403)
    assert len(fake_stripe.calls("POST", "/v1/accounts")) == accounts
    organisation = db_session.get(Organisation, seller["id"])
    assert organisation is not None and organisation.stripe_account_id is None


def test_onboarding_waits_for_approval_needs_stripe_and_an_existing_organisation(
    client: FlaskClient, app_without_stripe: Flask, world: World, fake_stripe: FakeStripe
) -> None:
    admin = register(client, "pending")
    pending = create_org(client, admin, approved=False)
    body = problem(onboard(client, admin, pending["id"]), 403)
    assert "awaiting review" in body["detail"]
    problem(onboard(client, admin, 999_999), 404)
    approved = create_org(client, admin)
    without = app_without_stripe.test_client()
    body = problem(onboard(without, admin, approved["id"]), 503)
    assert "STRIPE_API_KEY" in body["detail"]


def test_account_events_for_unknown_accounts_are_ignored_and_malformed_ones_refused(
    webhook_client: FlaskClient, fake_stripe: FakeStripe
) -> None:
    stranger = fake_stripe.add_account(charges_enabled=False)
    response = webhook_client.post(
        "/api/v1/webhooks/stripe", **_signed(fake_stripe, fake_stripe.finish_onboarding(stranger))
    )
    assert response.status_code == 200 and response.json["outcome"] == "not ours: ignored"
    no_id = fake_stripe.event("account.updated", {"object": "account"})
    problem(webhook_client.post("/api/v1/webhooks/stripe", **_signed(fake_stripe, no_id)), 400)


def _signed(fake: FakeStripe, event: dict[str, Any]) -> dict[str, Any]:
    payload, headers = fake.signed(event)
    return {"data": payload, "headers": headers}


def test_a_buyer_refused_invoice_payment_is_told_the_ways_that_exist(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(db_session, world.seller["id"])
    held = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=world.nonprofit_member.headers)
    assert held.status_code == 201, held.json
    body = {"reservation_id": held.json["id"], "payment": "invoice"}
    headers = {**world.nonprofit_member.headers, "Idempotency-Key": str(uuid.uuid4())}
    refused = problem(client.post("/api/v1/orders", json=body, headers=headers), 403)
    detail = refused["detail"]
    assert "does not pay by invoice" in detail
    assert "donation" in detail and "ask the cluster staff" in detail
    # The world's seller's account takes charges (read from Stripe): card is named as a way.
    assert "pay this seller by card" in detail
    assert refused["errors"] == {"payment": ["Not for your organisation."]}


def test_a_company_refused_invoice_payment_is_not_sent_to_donations_nor_to_a_seller_without_cards(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    admin = register(client, "nocard")
    seller = create_org(client, admin)
    listing = make_listing(db_session, seller["id"])
    held = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=world.member.headers)
    body = {"reservation_id": held.json["id"], "payment": "invoice"}
    headers = {**world.member.headers, "Idempotency-Key": str(uuid.uuid4())}
    detail = problem(client.post("/api/v1/orders", json=body, headers=headers), 403)["detail"]
    assert "donation" not in detail
    assert "once the seller has finished setting up its Stripe account" in detail and "ask the cluster staff" in detail
