"""Catalogue fixtures: two organisations with their people, and devices in a listable state."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices.models import CosmeticGrade, Device, DeviceKind, DeviceState
from tests.api_helpers import Actor, add_member, create_org, register
from tests.factories import DeviceFactory
from tests.listable import add_checklist

_serials = itertools.count(1)


@dataclass
class World:
    seller_org: dict[str, Any]
    seller_admin: Actor
    lister: Actor
    seller_member: Actor
    buyer_org: dict[str, Any]
    buyer: Actor
    #: A registered user with no organisation: sees the public catalogue only.
    loner: Actor


@pytest.fixture
def world(client: FlaskClient) -> World:
    seller_admin = register(client, "seller")
    seller_org = create_org(client, seller_admin, kind="refurbisher", postcode="69007")
    lister = add_member(client, seller_admin, seller_org["id"], "lister")
    seller_member = add_member(client, seller_admin, seller_org["id"], "member")
    buyer = register(client, "buyer")
    buyer_org = create_org(client, buyer, kind="nonprofit", postcode="33000")
    return World(seller_org, seller_admin, lister, seller_member, buyer_org, buyer, register(client, "loner"))


MakeDevice = Callable[..., Device]


@pytest.fixture
def make_device(db_session: Session) -> MakeDevice:
    """A device created directly in a listable state (diagnosed by a checklist, no disk to erase)."""

    def make(organisation_id: int, **fields: Any) -> Device:
        n = next(_serials)
        values: dict[str, Any] = {
            "organisation_id": organisation_id,
            "kind": DeviceKind.LAPTOP,
            "make": "Lenovo",
            "model": "ThinkPad T480",
            "serial": f"SN-SECRET-{n:06d}",
            "asset_tag": f"TAG-SECRET-{n:06d}",
            "specs": {"cpu": "Intel Core i5-8350U", "ram_gb": 16, "storage_gb": 256, "disk_serial": "S3Z-SECRET"},
            "cosmetic_grade": CosmeticGrade.GOOD,
            "state": DeviceState.DIAGNOSED,
            "health": "healthy",
            "grade": "B",
            "battery_health_pct": 86.5,
            "remaining_life": {"years": 3, "basis": "battery cycles vs rated cycles"},
            "diagnosed_at": utcnow(),
        }
        values.update(fields)
        device = DeviceFactory.in_session(db_session, **values)
        add_checklist(db_session, device)
        # Commit (releases the test's savepoint): a rejected request rolls back to here, not before.
        db_session.commit()
        return device

    return make
