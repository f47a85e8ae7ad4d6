"""factory_boy factories for the rows tests build most often by hand.

Bound to the test's session at each call (``DeviceFactory.in_session(db_session, ...)``): the
session is the per-test one of ``tests/conftest.py``. A created row is committed, which only
releases the test's savepoint: a later rejected request rolls back to here, not before it.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceKind, DeviceState
from marketplace.listings.models import Listing, ListingMode

T = TypeVar("T")


class _SessionFactory(SQLAlchemyModelFactory, Generic[T]):  # type: ignore[misc]
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "commit"

    @classmethod
    def in_session(cls, session: Session, **fields: Any) -> T:
        cls._meta.sqlalchemy_session = session
        made: T = cls(**fields)
        return made


class DeviceFactory(_SessionFactory[Device]):
    """A registered laptop of ``organisation_id`` (required) with a unique serial and asset tag."""

    class Meta:
        model = Device

    kind = DeviceKind.LAPTOP
    make = "Dell"
    model = "Latitude 5490"
    serial = factory.Sequence(lambda n: f"SN-TEST-{n:05d}")
    asset_tag = factory.Sequence(lambda n: f"AT-{n:05d}")
    state = DeviceState.REGISTERED

    class Params:
        #: On offer, graded B (the listing itself is the caller's).
        listed = factory.Trait(make="Lenovo", model="ThinkPad T480", state=DeviceState.LISTED, grade="B")
        #: Sold: the impact counts it.
        sold = factory.Trait(model="Latitude 7490", state=DeviceState.SOLD)


class ListingFactory(_SessionFactory[Listing]):
    """A sale listing at 150 EUR, picked up in Lyon; ``device_id`` and ``organisation_id`` are the
    caller's (a listing without its device's snapshot: for tests of the listing row itself)."""

    class Meta:
        model = Listing

    mode = ListingMode.SALE
    price_cents = 15_000
    postcode = "69007"
    department = "69"
