"""Issue 20, class 7: correctly signed webhook payloads that are not Stripe events (a JSON array,
no ``id``, no ``data``, ``data.object`` a string…) are a 400 problem and record nothing; they
were a 500, and ``data.object`` as a string a misleading 503 (the intent "" could not be read)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.payments.models import StripeEvent
from tests.fakes.stripe import FakeStripe, sign_webhook
from tests.marketplace.trade import problem

EVENT: dict[str, Any] = {
    "id": "evt_shape",
    "object": "event",
    "type": "payment_intent.succeeded",
    "data": {"object": {"id": "pi_shape", "object": "payment_intent"}},
}


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in EVENT.items() if k != key}


MALFORMED = [
    pytest.param([EVENT], id="array"),
    pytest.param("evt_shape", id="string"),
    pytest.param(42, id="number"),
    pytest.param(None, id="null"),
    pytest.param(without("id"), id="no-id"),
    pytest.param({**EVENT, "id": 7}, id="id-not-a-string"),
    pytest.param({**EVENT, "id": ""}, id="id-empty"),
    pytest.param(without("type"), id="no-type"),
    pytest.param({**EVENT, "type": ["payment_intent.succeeded"]}, id="type-not-a-string"),
    pytest.param(without("data"), id="no-data"),
    pytest.param({**EVENT, "data": "pi_shape"}, id="data-a-string"),
    pytest.param({**EVENT, "data": {}}, id="no-data-object"),
    pytest.param({**EVENT, "data": {"object": "pi_shape"}}, id="data-object-a-string"),
    pytest.param({**EVENT, "data": {"object": ["pi_shape"]}}, id="data-object-an-array"),
    pytest.param({**EVENT, "data": {"object": {"id": 5, "object": "payment_intent"}}}, id="object-id-a-number"),
    pytest.param({**EVENT, "data": {"object": {"object": "payment_intent"}}}, id="intent-without-id"),
    pytest.param({**EVENT, "type": "setup_intent.succeeded", "data": {"object": {"id": ""}}}, id="setup-empty-id"),
]


@pytest.mark.parametrize("payload", MALFORMED)
def test_a_signed_payload_that_is_not_an_event_is_a_400_problem_and_records_nothing(
    webhook_client: FlaskClient, app: Flask, db_session: Session, fake_stripe: FakeStripe, payload: Any
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug would be the 500 Stripe gets
    body = json.dumps(payload).encode()
    headers = {"Stripe-Signature": sign_webhook(body), "Content-Type": "application/json"}
    response = webhook_client.post("/api/v1/webhooks/stripe", data=body, headers=headers)
    assert problem(response, 400)["title"] == "Malformed webhook event"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 0


def test_an_event_of_a_type_we_ignore_needs_no_object_id(
    webhook_client: FlaskClient, db_session: Session, fake_stripe: FakeStripe
) -> None:
    """Some Stripe objects have no id (``balance.available``'s balance): such events still verify,
    are recorded once and ignored."""
    event = {**EVENT, "id": "evt_balance", "type": "balance.available", "data": {"object": {"object": "balance"}}}
    payload, headers = fake_stripe.signed(event)
    response = webhook_client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unhandled type balance.available: ignored"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 1


def test_metadata_that_is_not_an_object_is_ignored_not_a_crash(
    webhook_client: FlaskClient, app: Flask, db_session: Session, fake_stripe: FakeStripe
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    event = {**EVENT, "id": "evt_meta", "type": "charge.updated", "data": {"object": {"id": "ch_1", "metadata": "x"}}}
    payload, headers = fake_stripe.signed(event)
    assert webhook_client.post("/api/v1/webhooks/stripe", data=payload, headers=headers).status_code == 200
