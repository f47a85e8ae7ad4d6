"""Payments over HTTP: the Stripe webhook (the raw body goes to the verifier untouched) and Connect onboarding."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint, Schema
from marketplace.members.accounts import LinkSettings
from marketplace.payments import connect, webhooks
from marketplace.payments.runtime import current_gateway

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Stripe webhooks and Connect onboarding")


class OnboardingLinkSchema(Schema):
    url = ma.fields.String(
        metadata={"description": "Stripe's onboarding page for the organisation's account: single-use, valid minutes"}
    )


@blp.route("/organisations/<int:organisation_id>/stripe-onboarding")
class StripeOnboarding(MethodView):
    @blp.response(200, OnboardingLinkSchema)
    @blp.alt_response(403, description="Only the organisation's admins, once the organisation is approved")
    @blp.alt_response(404, description="No such organisation")
    @blp.alt_response(503, description="Stripe is not configured on this server, or unavailable")
    def post(self, organisation_id: int) -> dict[str, str]:
        """Start or resume Stripe Connect onboarding (admins): creates the organisation's Express
        account the first time, returns a fresh onboarding link each time"""
        public_url = LinkSettings.from_config(current_app.config["RELIFE"]).public_url
        url = connect.start_onboarding(
            current_session(), current_principal(), organisation_id, gateway=current_gateway(), public_url=public_url
        )
        return {"url": url}


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
