"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and mappers)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "marketplace.members.models",
    "marketplace.devices.models",
    "marketplace.listings.models",
    "marketplace.reports.models",
    "marketplace.erasures.models",
    "marketplace.impact.models",
    "marketplace.reservations.models",
    "marketplace.orders.models",
    "marketplace.loans.models",
    "marketplace.payments.models",
    "marketplace.documents.models",
    "marketplace.notifications.models",
    "marketplace.media.models",
)


def import_all() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
