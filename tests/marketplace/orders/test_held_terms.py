"""A hold freezes the terms it was taken on (issue #20, class 4).

The seller may edit a listing while a member holds it; the order made from the hold charges the
held price, with the held warranty, and a donation goes to whom it was offered to when held. The
next hold takes the new terms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import ListingMode
from tests.fakes.stripe import FakeStripe
from tests.marketplace.orders.test_orders_api import order, reserve
from tests.marketplace.trade import World, make_listing


def patch(client: FlaskClient, world: World, listing_id: int, **changes: Any) -> dict[str, Any]:
    response = client.patch(f"/api/v1/listings/{listing_id}", json=changes, headers=world.lister.headers)
    assert response.status_code == 200, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def test_a_price_raised_under_a_hold_does_not_change_what_the_holder_pays(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(db_session, world.seller["id"], price_cents=10_000, warranty_months=12)
    held = reserve(client, world.public_buyer, listing.id)
    assert held["terms"] == {
        "mode": "sale", "price_cents": 10_000, "currency": "EUR", "warranty_months": 12, "return_days": None,
        "eligible_kinds": None,
    }  # fmt: skip
    assert patch(client, world, listing.id, price_cents=99_999, warranty_months=0)["price_cents"] == 99_999

    # The holder still reads the terms they hold, and the order charges them.
    again = client.get(f"/api/v1/reservations/{held['id']}", headers=world.public_buyer.headers).get_json()
    assert again["terms"]["price_cents"] == 10_000
    response = order(client, world.public_buyer, held["id"], "invoice")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["amount_cents"] == 10_000
    assert created["warranty_months"] == 12
    invoice = client.get(f"/api/v1/orders/{created['id']}/invoice", headers=world.public_buyer.headers).get_json()
    assert invoice["total_cents"] == 10_000


def test_a_card_order_charges_the_held_price_at_stripe(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = make_listing(db_session, world.seller["id"], price_cents=10_000)
    held = reserve(client, world.member, listing.id)
    patch(client, world, listing.id, price_cents=99_999)
    response = order(client, world.member, held["id"], "card")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["amount_cents"] == 10_000 and created["platform_fee_cents"] == 500
    (params, _key), *_ = fake_stripe.calls("POST", "/v1/payment_intents")[-1:]
    assert params["amount"] == "10000"
    # Paid on Stripe's word at the held amount: the order is paid.
    fake_stripe.send(fake_stripe.confirm_payment_intent(created["stripe_payment_intent_id"]))
    paid = client.get(f"/api/v1/orders/{created['id']}", headers=world.member.headers).get_json()
    assert paid["payment_status"] == "paid"


def test_the_next_hold_takes_the_new_terms(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = make_listing(db_session, world.seller["id"], price_cents=10_000)
    first = reserve(client, world.public_buyer, listing.id)
    patch(client, world, listing.id, price_cents=12_000)
    cancelled = client.delete(f"/api/v1/reservations/{first['id']}", headers=world.public_buyer.headers)
    assert cancelled.status_code == 204
    second = reserve(client, world.public_buyer, listing.id)
    assert second["terms"]["price_cents"] == 12_000
    response = order(client, world.public_buyer, second["id"], "invoice")
    assert response.status_code == 201 and response.get_json()["amount_cents"] == 12_000


def test_a_donation_narrowed_under_a_hold_still_goes_to_its_holder(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = make_listing(db_session, world.seller["id"], mode=ListingMode.DONATION)
    held = reserve(client, world.nonprofit_member, listing.id)
    patch(client, world, listing.id, eligible_kinds=["university"])
    response = order(client, world.nonprofit_member, held["id"], "donation")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["amount_cents"] == 0


def test_a_booked_loan_keeps_the_deposit_it_was_booked_with(
    client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    """Loans are not held but booked: the booking itself carries its terms (deposit, period)."""
    listing = make_listing(
        db_session, world.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=10, deposit_cents=10_000
    )
    start, end = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=d) for d in (1, 4))
    booked = client.post(
        f"/api/v1/listings/{listing.id}/loans",
        json={"start": start.isoformat(), "end": end.isoformat()},
        headers=world.member.headers,
    )
    assert booked.status_code == 201, booked.get_json()
    loan = booked.get_json()
    patch(client, world, listing.id, deposit_cents=50_000, max_days=2)
    again = client.get(f"/api/v1/loans/{loan['id']}", headers=world.member.headers).get_json()
    assert again["deposit"]["cents"] == 10_000 and (again["start"], again["end"]) == (loan["start"], loan["end"])
    (params, _key), *_ = fake_stripe.calls("POST", "/v1/payment_intents")[-1:]
    assert params["amount"] == "10000"
