"""The Stripe webhook endpoint: the raw body goes to the verifier untouched."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView

from marketplace.api.context import current_session
from marketplace.api.smorest import Blueprint, Schema
from marketplace.payments import webhooks
from marketplace.payments.runtime import current_gateway

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Stripe webhooks")


class WebhookReceiptSchema(Schema):
    event = ma.fields.String()
    outcome = ma.fields.String()


@blp.route("/webhooks/stripe")
class StripeWebhook(MethodView):
    @blp.response(200, WebhookReceiptSchema)
    @blp.alt_response(400, description="Signature or payload does not verify")
    @blp.alt_response(409, description="The event's order is not committed yet; Stripe retries")
    @blp.alt_response(404, description="Stripe is not configured on this server")
    def post(self) -> dict[str, Any]:
        """Receive a signed Stripe event (Stripe-Signature header, raw JSON body)"""
        return webhooks.receive(
            current_session(), current_gateway(), request.get_data(cache=True), request.headers.get("Stripe-Signature")
        )
