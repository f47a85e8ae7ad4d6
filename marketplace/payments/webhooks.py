"""Stripe webhooks: verified on the raw body, each event processed once, objects re-read.

- The ``Stripe-Signature`` header is checked against the raw request body with the SDK
  (``StripeClient.construct_event``, tolerance 300 s); a bad signature or payload is a 400.
- The event id is inserted into ``stripe_events`` (``INSERT … ON CONFLICT DO NOTHING``) in the
  same transaction as its effect: a replay, or a duplicate delivered concurrently, finds the row
  and does nothing; if the effect fails, the row rolls back with it and Stripe's retry runs again.
- The payload is only a hint: the PaymentIntent / SetupIntent is re-read from Stripe, and the
  order's or loan's state machine decides from that, so events may arrive in any order.
- Refund events (``refund.*``, ``charge.refunded``) re-read the refund and confirm it on its order
  (``orders.refunds``).
- An event about one of our intents whose order is not visible yet (its transaction has not
  committed) is answered 409 without being recorded, so Stripe delivers it again later.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from marketplace.db import insert_ignore
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.loans import service as loans
from marketplace.orders import refunds
from marketplace.orders import service as orders
from marketplace.payments.gateway import EventInfo, MalformedEvent, PaymentGateway, SignatureError
from marketplace.payments.models import StripeEvent

log = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.amount_capturable_updated",
        "payment_intent.processing",
    }
)
SETUP_INTENT_EVENTS = frozenset({"setup_intent.succeeded", "setup_intent.setup_failed", "setup_intent.canceled"})


class BadSignature(DomainError):
    status = 400
    title = "Invalid webhook signature"
    type_slug = "webhook-signature"


class BadEvent(DomainError):
    """Signed, but not an event we can act on: Stripe's retries would not change it, and nothing
    is recorded (the event id may be missing)."""

    status = 400
    title = "Malformed webhook event"
    type_slug = "webhook-event"


def receive(session: Session, gateway: PaymentGateway | None, payload: bytes, signature: str | None) -> dict[str, str]:
    if gateway is None:
        # Not a server error: this server simply takes no Stripe events (Stripe retries anyway).
        raise NotFound("Stripe webhooks are not enabled on this server (no STRIPE_API_KEY).")
    try:
        event = gateway.construct_event(payload, signature)
    except SignatureError as exc:
        raise BadSignature(f"The Stripe-Signature does not verify this payload: {exc}") from exc
    except MalformedEvent as exc:
        raise BadEvent(f"The signed payload is not a Stripe event: {exc}.") from exc
    if event.type in PAYMENT_INTENT_EVENTS | SETUP_INTENT_EVENTS | refunds.REFUND_EVENTS and not event.object_id:
        # Without the intent's id there is nothing to re-read from Stripe (the gateway would be
        # asked for "" and answer an error that looks like an outage: a misleading 503).
        raise BadEvent(f"A {event.type} event must carry its object's id in data.object.id.")
    if not insert_ignore(
        session,
        StripeEvent,
        {"id": event.id, "type": event.type, "object_id": event.object_id, "outcome": "processing"},
    ):
        return {"event": event.id, "outcome": "duplicate: already processed"}
    outcome = _dispatch(session, gateway, event)
    record = session.get(StripeEvent, event.id)
    assert record is not None
    record.outcome = outcome[:200]
    log.info("stripe event %s (%s): %s", event.id, event.type, outcome)
    return {"event": event.id, "outcome": outcome}


def _dispatch(session: Session, gateway: PaymentGateway, event: EventInfo) -> str:
    if event.type in PAYMENT_INTENT_EVENTS:
        intent = gateway.retrieve_payment_intent(event.object_id)
        order = orders.order_for_intent(session, intent.id)
        if order is not None:
            return orders.apply_payment_intent(session, order, intent, gateway)
        loan = loans.loan_for_intent(session, intent.id)
        if loan is not None:
            return loans.apply_deposit_intent(session, loan, intent)
        if "relife_order" in intent.metadata or "relife_loan" in intent.metadata:
            if "relife_damage" in intent.metadata:
                return "damage charge: nothing to do"
            raise Conflict("The order or loan of this PaymentIntent is not committed yet; deliver again later.")
        return "not ours: ignored"
    if event.type in SETUP_INTENT_EVENTS:
        setup = gateway.retrieve_setup_intent(event.object_id)
        loan = loans.loan_for_setup(session, setup.id)
        if loan is not None:
            return loans.apply_setup_intent(session, loan, setup)
        if "relife_loan_extension" in setup.metadata:
            return "extension card: read from Stripe when the lender approves"
        if "relife_loan" in setup.metadata:
            raise Conflict("The loan of this SetupIntent is not committed yet; deliver again later.")
        return "not ours: ignored"
    if event.type in refunds.REFUND_EVENTS:
        return refunds.receive_refund_event(session, gateway, event.type, event.object_id, event.payment_intent)
    return f"unhandled type {event.type}: ignored"
