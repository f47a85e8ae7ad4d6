"""The trading world's fixtures (fake Stripe, the configured app, the world of organisations)."""

from tests.marketplace.trade_fixtures import *  # noqa: F403
