"""Issue 17, point 2: the organisation that bought or received a device still sees the closed
listing it came from (the terms it took it on); nobody else does beyond the seller."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import ListingMode, Visibility
from tests.api_helpers import return_accepted
from tests.marketplace.orders.test_orders_api import order, reserve
from tests.marketplace.trade import World, make_listing, problem


def listing_as(client: FlaskClient, listing_id: int, headers: dict[str, str] | None = None) -> Any:
    return client.get(f"/api/v1/listings/{listing_id}", headers=headers or {})


def test_the_buyer_sees_the_closed_listing_once_handed_over_then_returned(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(
        db_session, world.seller["id"], price_cents=12_000, warranty_months=12, visibility=Visibility.MEMBERS
    )
    held = reserve(client, world.public_buyer, listing.id)
    sold = order(client, world.public_buyer, held["id"], "invoice").get_json()
    # Ordered but not yet handed over: the listing is closed and the buyer holds the order, not the
    # device; nothing shows it the listing yet.
    problem(listing_as(client, listing.id, world.public_buyer.headers), 404)

    assert client.post(f"/api/v1/orders/{sold['id']}/handover", headers=world.lister.headers).status_code == 200
    seen = listing_as(client, listing.id, world.public_buyer.headers)
    assert seen.status_code == 200, seen.get_json()
    card = seen.get_json()
    assert card["status"] == "closed" and card["price_cents"] == 12_000 and card["warranty_months"] == 12
    assert card["organisation"]["id"] == world.seller["id"]
    # The public face only: the seller's inventory side (serial, asset tag, notes) is not in it.
    assert not {"serial", "asset_tag", "notes", "internal_notes"} & (set(card) | set(card["device"]))

    # A third organisation (a member of the cluster) and anonymous callers still get 404; the
    # seller still sees its own.
    problem(listing_as(client, listing.id, world.nonprofit_member.headers), 404)
    problem(listing_as(client, listing.id, world.outsider.headers), 404)
    problem(listing_as(client, listing.id), 404)
    assert listing_as(client, listing.id, world.lister.headers).status_code == 200

    # Seeing is not editing: the buyer is told it may not change the seller's listing.
    problem(
        client.patch(f"/api/v1/listings/{listing.id}", json={"description": "x"}, headers=world.public_buyer.headers),
        403,
    )

    # Returned to the seller: the buyer keeps seeing what it bought and gave back.
    return_accepted(client, sold["id"], world.public_buyer, world.lister, reason="screen flickers")
    assert listing_as(client, listing.id, world.public_buyer.headers).status_code == 200
    problem(listing_as(client, listing.id, world.outsider.headers), 404)


def test_a_donation_received_shows_its_listing_to_the_receiver(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(db_session, world.seller["id"], mode=ListingMode.DONATION)
    bought = make_listing(db_session, world.seller["id"], price_cents=5_000)
    sold = order(client, world.public_buyer, reserve(client, world.public_buyer, bought.id)["id"], "invoice")
    assert (
        client.post(f"/api/v1/orders/{sold.get_json()['id']}/handover", headers=world.lister.headers).status_code == 200
    )
    held = reserve(client, world.nonprofit_member, listing.id)
    given = order(client, world.nonprofit_member, held["id"], "donation").get_json()
    problem(listing_as(client, listing.id, world.nonprofit_member.headers), 404)
    assert client.post(f"/api/v1/orders/{given['id']}/handover", headers=world.lister.headers).status_code == 200
    card = listing_as(client, listing.id, world.nonprofit_member.headers).get_json()
    assert card["id"] == listing.id and card["mode"] == "donation" and card["status"] == "closed"
    # Another buyer's closed listing: the public body, which received a different one, gets 404.
    problem(listing_as(client, listing.id, world.public_buyer.headers), 404)
    problem(listing_as(client, listing.id), 404)
