"""A card refund confirmed by Stripe: ``refund.created`` / ``refund.updated`` / ``refund.failed``
and ``charge.refunded`` events (``payments.webhooks``) re-read the refund from Stripe and bring the
order in line with it. Safe in any number and order: an event delivered twice is recorded once by
the webhook table, and applying the same state again changes nothing; an event about a refund
whose order is not committed yet is answered 409 so that Stripe delivers it again later."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import Conflict
from marketplace.orders.models import Order
from marketplace.payments.gateway import PaymentGateway, RefundInfo
from marketplace.reservations import locks

log = logging.getLogger(__name__)

REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refunded"})


def apply_refund(session: Session, order: Order, refund: RefundInfo, now: dt.datetime | None = None) -> str:
    """Record ``refund`` (re-read from Stripe) on ``order``, under the device's lock."""
    locks.lock_device(session, order.device_id)
    session.refresh(order)
    if refund.id != order.stripe_refund_id:
        log.error("order %s: refund %s is not the order's (%s)", order.id, refund.id, order.stripe_refund_id)
        return "another refund of this payment: not recorded on the order"
    if order.refund_status == refund.status and (refund.status != "succeeded" or order.refund_confirmed_at):
        return f"refund already {refund.status}"
    order.refund_status = refund.status
    if refund.status == "succeeded":
        if order.refund_confirmed_at is None:
            order.refund_confirmed_at = now or utcnow()
        return "refund confirmed"
    if refund.status in {"failed", "canceled"}:
        # The money did not go back: the order shows it, and the staff must settle it by hand.
        log.error("order %s: Stripe refund %s %s", order.id, refund.id, refund.status)
    return f"refund {refund.status}"


def receive_refund_event(
    session: Session, gateway: PaymentGateway, event_type: str, object_id: str, payment_intent: str | None
) -> str:
    if event_type == "charge.refunded":
        if payment_intent is None:
            return "charge without a PaymentIntent: ignored"
        order = session.scalars(sa.select(Order).where(Order.stripe_payment_intent_id == payment_intent)).one_or_none()
        if order is None:
            return "not ours: ignored"
        if order.stripe_refund_id is None:
            raise Conflict("This order's refund is not committed yet; deliver again later.")
        return apply_refund(session, order, gateway.retrieve_refund(order.stripe_refund_id))
    refund = gateway.retrieve_refund(object_id)
    order = session.scalars(sa.select(Order).where(Order.stripe_refund_id == refund.id)).one_or_none()
    if order is not None:
        return apply_refund(session, order, refund)
    if "relife_order" in refund.metadata:
        raise Conflict("The order of this refund is not committed yet; deliver again later.")
    return "not ours: ignored"
