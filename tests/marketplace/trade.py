"""Building blocks of the trading tests (orders, loans, payments, reservations, notifications):
organisations through the API, listed devices straight through the models."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import Listing, ListingMode
from marketplace.members.models import Organisation, User
from tests.api_helpers import Actor, add_member, create_org, register
from tests.factories import DeviceFactory
from tests.listable import add_checklist


def make_listing(
    session: Session,
    organisation_id: int,
    *,
    mode: ListingMode = ListingMode.SALE,
    price_cents: int | None = 25_000,
    **extra: Any,
) -> Listing:
    device = DeviceFactory.in_session(session, organisation_id=organisation_id, listed=True)
    add_checklist(session, device)
    if mode is not ListingMode.SALE and "price_cents" not in extra:
        price_cents = None
    listing = Listing(
        device_id=device.id,
        organisation_id=organisation_id,
        mode=mode,
        price_cents=price_cents,
        postcode="69007",
        department="69",
        **extra,
    )
    session.add(listing)
    # Commit (a savepoint release inside the test's transaction): a later rejected request rolls
    # the session back, which must not take these rows with it.
    session.commit()
    return listing


@dataclass
class World:
    seller: dict[str, Any]
    seller_admin: Actor
    lister: Actor
    buyer: dict[str, Any]
    buyer_admin: Actor
    member: Actor
    public_body: dict[str, Any]
    public_buyer: Actor
    nonprofit: dict[str, Any]
    nonprofit_member: Actor
    outsider: Actor
    staff: Actor


def build_world(client: FlaskClient, session: Session, stripe_account: str | None) -> World:
    seller_admin = register(client, "selleradmin")
    seller = create_org(client, seller_admin, kind="company")
    lister = add_member(client, seller_admin, seller["id"], "lister")
    buyer_admin = register(client, "buyeradmin")
    buyer = create_org(client, buyer_admin, kind="company")
    member = add_member(client, buyer_admin, buyer["id"], "member")
    public_buyer = register(client, "mairie")
    public_body = create_org(client, public_buyer, kind="public_body")
    nonprofit_member = register(client, "asso")
    nonprofit = create_org(client, nonprofit_member, kind="nonprofit")
    outsider_admin = register(client, "outsider")
    create_org(client, outsider_admin, kind="company")
    staff = register(client, "staff")
    user = session.get(User, staff.user_id)
    assert user is not None
    user.is_staff = True
    org = session.get(Organisation, seller["id"])
    assert org is not None
    org.stripe_account_id = stripe_account
    session.commit()
    return World(
        seller, seller_admin, lister, buyer, buyer_admin, member, public_body, public_buyer,
        nonprofit, nonprofit_member, outsider_admin, staff,
    )  # fmt: skip


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


T = TypeVar("T")


def race(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run ``fn(0..n-1)`` in ``n`` threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, i) for i in range(n)]]
