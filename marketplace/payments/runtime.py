"""The app's payment gateway: built once per app from its Config (Flask side only).

Services never import this; routes pass the gateway (or None) to them. A test may set
``app.extensions["relife.payments"]`` before the first request to use another implementation.
"""

from __future__ import annotations

from flask import current_app

from marketplace.config import Config
from marketplace.payments.gateway import PaymentGateway, gateway_from_config

_MISSING = object()


def current_gateway() -> PaymentGateway | None:
    extensions = current_app.extensions
    gateway = extensions.get("relife.payments", _MISSING)
    if gateway is _MISSING:
        config: Config = current_app.config["RELIFE"]
        gateway = gateway_from_config(config.stripe_api_key, config.stripe_webhook_secret, config.stripe_api_base)
        extensions["relife.payments"] = gateway
    result: PaymentGateway | None = gateway
    return result


def platform_fee_bps() -> int:
    config: Config = current_app.config["RELIFE"]
    return config.platform_fee_bps
