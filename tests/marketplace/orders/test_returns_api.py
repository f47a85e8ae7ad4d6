"""Issue 17 point 3: returns and warranty claims. The buyer opens, the seller accepts (the device
comes back; card refunded through Stripe, possibly partly; invoice credited) or refuses. Every
refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceState, DeviceTransfer, TransferReason
from marketplace.listability.rules import listing_problems
from marketplace.orders.models import Order, OrderReturn
from tests.api_helpers import Actor, upload_condition_photo
from tests.fakes.stripe import FakeStripe
from tests.marketplace.orders.test_orders_api import order, reserve
from tests.marketplace.trade import World, make_listing, problem


def handed_over(client: FlaskClient, session: Session, world: World, buyer: Actor, **terms: Any) -> dict[str, Any]:
    """An invoice order of ``buyer``, handed over today."""
    listing = make_listing(session, world.seller["id"], price_cents=30_000, **terms)
    made = order(client, buyer, reserve(client, buyer, listing.id)["id"], "invoice").get_json()
    handed = client.post(f"/api/v1/orders/{made['id']}/handover", headers=world.lister.headers)
    assert handed.status_code == 200, handed.get_json()
    body: dict[str, Any] = handed.get_json()
    return body


def open_return(client: FlaskClient, order_id: int, actor: Actor, **body: Any) -> Any:
    return client.post(
        f"/api/v1/orders/{order_id}/returns", json={"reason": "hinge broken", **body}, headers=actor.headers
    )


def decide(client: FlaskClient, order_id: int, return_id: int, what: str, actor: Actor, **body: Any) -> Any:
    return client.post(f"/api/v1/orders/{order_id}/returns/{return_id}/{what}", json=body, headers=actor.headers)


def state(client: FlaskClient, order_id: int, actor: Actor) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/orders/{order_id}", headers=actor.headers).get_json()
    body.pop("client_secret", None)
    return body


def returns_of(client: FlaskClient, order_id: int, actor: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"/api/v1/orders/{order_id}/returns", headers=actor.headers).json["items"]
    return items


def backdate(session: Session, order_id: int, days: int) -> None:
    """The handover happened ``days`` ago (the window and the warranty count from it)."""
    row = session.get(Order, order_id)
    assert row is not None and row.handed_over_at is not None and row.return_deadline is not None
    row.handed_over_at -= dt.timedelta(days=days)
    row.return_deadline -= dt.timedelta(days=days)
    session.commit()


def test_a_card_return_partly_refunded_for_a_missing_charger_confirmed_by_stripe(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client, fake = webhook_client, fake_stripe
    listing = make_listing(db_session, world.seller["id"], price_cents=30_000)
    made = order(client, world.member, reserve(client, world.member, listing.id)["id"], "card").get_json()
    assert fake.send(fake.confirm_payment_intent(made["stripe_payment_intent_id"])) == 200
    assert client.post(f"/api/v1/orders/{made['id']}/handover", headers=world.lister.headers).status_code == 200

    opened = open_return(client, made["id"], world.member, condition_notes="no charger in the box")
    assert opened.status_code == 201, opened.get_json()
    ret = opened.get_json()
    assert ret["status"] == "open" and ret["kind"] == "return" and ret["photo_ids"] == []
    # Nothing moves while the seller has not answered.
    assert state(client, made["id"], world.member)["status"] == "handed_over"
    assert all(p["payment_intent"] != made["stripe_payment_intent_id"] for p, _ in fake.calls("POST", "/v1/refunds"))

    # More than paid: refused, nothing changed.
    before = state(client, made["id"], world.member)
    problem(decide(client, made["id"], ret["id"], "accept", world.lister, refund_cents=30_001), 422)
    assert state(client, made["id"], world.member) == before
    # The buyer does not decide on its own return.
    problem(decide(client, made["id"], ret["id"], "accept", world.member), 403)

    accepted = decide(
        client, made["id"], ret["id"], "accept", world.lister, refund_cents=26_000, note="charger missing"
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "accepted" and accepted.get_json()["refund_cents"] == 26_000
    params, _key = fake.calls("POST", "/v1/refunds")[-1]
    assert params["payment_intent"] == made["stripe_payment_intent_id"] and params["amount"] == "26000"
    after = state(client, made["id"], world.member)
    assert after["status"] == "returned" and after["refunded_cents"] == 26_000
    db_session.expire_all()
    device = db_session.get(Device, listing.device_id)
    assert device is not None and device.organisation_id == world.seller["id"] and device.state is DeviceState.RETURNED
    # Twice: already decided, either way.
    problem(decide(client, made["id"], ret["id"], "accept", world.lister), 409)
    problem(decide(client, made["id"], ret["id"], "refuse", world.lister, reason="changed my mind"), 409)
    # The order is returned: no second return.
    problem(open_return(client, made["id"], world.member), 409)

    # Stripe's refund event, delivered twice: confirmed once.
    row = db_session.get(Order, made["id"])
    assert row is not None and row.stripe_refund_id is not None
    event = fake.settle_refund(row.stripe_refund_id)
    assert fake.send(event) == 200 and fake.send(event) == 200
    confirmed = state(client, made["id"], world.member)
    assert confirmed["refund_status"] == "succeeded" and confirmed["refund_confirmed_at"] is not None
    assert confirmed["refunded_cents"] == 26_000


def test_a_refund_event_before_the_return_is_accepted_has_no_effect_yet(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client, fake = webhook_client, fake_stripe
    listing = make_listing(db_session, world.seller["id"], price_cents=30_000)
    made = order(client, world.member, reserve(client, world.member, listing.id)["id"], "card").get_json()
    assert fake.send(fake.confirm_payment_intent(made["stripe_payment_intent_id"])) == 200
    assert client.post(f"/api/v1/orders/{made['id']}/handover", headers=world.lister.headers).status_code == 200
    assert open_return(client, made["id"], world.member).status_code == 201
    before = state(client, made["id"], world.member)
    # A charge.refunded about this payment while no refund of ours is committed: Stripe is asked
    # to deliver again later (409), nothing recorded.
    assert fake.send(fake.charge_refunded(made["stripe_payment_intent_id"])) == 409
    assert state(client, made["id"], world.member) == before


def test_an_invoice_return_gets_a_credit_note_and_a_refusal_keeps_the_device_with_its_buyer(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    made = handed_over(client, db_session, world, world.public_buyer, warranty_months=12)
    first = open_return(client, made["id"], world.public_buyer).get_json()
    # One open return per order.
    problem(open_return(client, made["id"], world.public_buyer, kind="warranty"), 409)
    refused = decide(client, made["id"], first["id"], "refuse", world.lister, reason="The hinge was broken by a fall")
    assert refused.status_code == 200 and refused.get_json()["decision_note"] == "The hinge was broken by a fall"
    assert state(client, made["id"], world.public_buyer)["status"] == "handed_over"
    db_session.expire_all()
    assert db_session.get(Device, made["device_id"]).organisation_id == world.public_body["id"]

    # Later, a warranty claim: accepted, credited in full.
    second = open_return(client, made["id"], world.public_buyer, kind="warranty").get_json()
    assert decide(client, made["id"], second["id"], "accept", world.lister).status_code == 200
    after = state(client, made["id"], world.public_buyer)
    assert after["status"] == "returned" and after["credit_note_number"] and after["credit_note_cents"] == 30_000
    assert after["payment_status"] == "void"  # unpaid invoice wholly credited: nothing due any more
    assert [r["status"] for r in returns_of(client, made["id"], world.lister)] == ["refused", "accepted"]
    assert (
        client.get(f"/api/v1/orders/{made['id']}/credit-note.pdf", headers=world.public_buyer.headers).status_code
        == 200
    )
    moves = db_session.scalars(
        sa.select(DeviceTransfer).where(DeviceTransfer.device_id == made["device_id"]).order_by(DeviceTransfer.id)
    ).all()
    assert [m.reason for m in moves] == [TransferReason.SALE, TransferReason.RETURN]


def test_a_return_after_the_window_is_refused_a_warranty_claim_within_the_warranty_is_not(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    made = handed_over(client, db_session, world, world.public_buyer, warranty_months=6)
    backdate(db_session, made["id"], 31)
    before = state(client, made["id"], world.public_buyer)
    late = problem(open_return(client, made["id"], world.public_buyer), 409)
    assert "return window closed" in late["detail"] and "warranty" in late["detail"]
    assert (
        state(client, made["id"], world.public_buyer) == before and returns_of(client, made["id"], world.lister) == []
    )
    assert open_return(client, made["id"], world.public_buyer, kind="warranty").status_code == 201

    other = handed_over(client, db_session, world, world.public_buyer, warranty_months=6)
    backdate(db_session, other["id"], 200)
    problem(open_return(client, other["id"], world.public_buyer, kind="warranty"), 409)
    no_warranty = handed_over(client, db_session, world, world.public_buyer)
    assert (
        "no warranty"
        in problem(open_return(client, no_warranty["id"], world.public_buyer, kind="warranty"), 409)["detail"]
    )


def test_only_the_buyer_opens_and_only_the_seller_decides(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    made = handed_over(client, db_session, world, world.public_buyer)
    problem(open_return(client, made["id"], world.lister), 403)  # the seller
    problem(open_return(client, made["id"], world.outsider), 404)  # a stranger: no such order
    problem(open_return(client, made["id"], world.staff), 403)  # staff does not return for the buyer
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrderReturn)) == 0
    ret = open_return(client, made["id"], world.public_buyer).get_json()
    for actor, status in ((world.public_buyer, 403), (world.outsider, 404), (world.member, 404)):
        problem(decide(client, made["id"], ret["id"], "accept", actor), status)
        problem(decide(client, made["id"], ret["id"], "refuse", actor, reason="no"), status)
    problem(decide(client, made["id"], ret["id"], "refuse", world.lister), 422)  # a refusal says why
    problem(client.get(f"/api/v1/orders/{made['id']}/returns/{ret['id'] + 999}", headers=world.lister.headers), 404)
    assert returns_of(client, made["id"], world.public_buyer)[0]["status"] == "open"
    assert state(client, made["id"], world.public_buyer)["status"] == "handed_over"


def test_a_return_before_handover_is_refused(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = make_listing(db_session, world.seller["id"])
    made = order(
        client, world.public_buyer, reserve(client, world.public_buyer, listing.id)["id"], "invoice"
    ).get_json()
    problem(open_return(client, made["id"], world.public_buyer), 409)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrderReturn)) == 0


def test_the_listings_return_window_is_the_one_the_order_keeps(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    made = handed_over(client, db_session, world, world.public_buyer, return_days=14)
    assert made["return_days"] == 14
    handed_at = dt.datetime.fromisoformat(made["handed_over_at"])
    assert dt.datetime.fromisoformat(made["return_deadline"]) == handed_at + dt.timedelta(days=14)
    backdate(db_session, made["id"], 15)
    assert "closed" in problem(open_return(client, made["id"], world.public_buyer), 409)["detail"]
    within = handed_over(client, db_session, world, world.public_buyer, return_days=14)
    backdate(db_session, within["id"], 13)
    assert open_return(client, within["id"], world.public_buyer).status_code == 201


def test_a_device_awaiting_its_return_cannot_be_listed_by_its_buyer(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    made = handed_over(client, db_session, world, world.public_buyer)
    ret = open_return(client, made["id"], world.public_buyer).get_json()
    device = db_session.get(Device, made["device_id"])
    assert device is not None and device.state is DeviceState.REGISTERED
    assert "return" in listing_problems(db_session, device)
    assert decide(client, made["id"], ret["id"], "refuse", world.lister, reason="fine").status_code == 200
    db_session.expire_all()
    assert "return" not in listing_problems(db_session, device)


def test_condition_photos_join_the_return_and_both_sides_see_them(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    made = handed_over(client, db_session, world, world.public_buyer)
    photo_id = upload_condition_photo(client, world.public_buyer)
    # Another organisation's photo, or an unknown one: refused, and no return is opened.
    theirs = upload_condition_photo(client, world.member)
    refused = problem(open_return(client, made["id"], world.public_buyer, photo_ids=[photo_id, theirs]), 422)
    assert "photo_ids.1" in refused["errors"]
    assert returns_of(client, made["id"], world.public_buyer) == []

    opened = open_return(client, made["id"], world.public_buyer, photo_ids=[photo_id])
    assert opened.status_code == 201, opened.get_json()
    assert opened.get_json()["photo_ids"] == [photo_id]
    path = f"/api/v1/orders/{made['id']}/returns/{opened.get_json()['id']}/photos/{photo_id}"
    for reader in (world.public_buyer, world.lister):  # the buyer who sent it, the seller who decides
        for suffix in ("", "/thumbnail"):
            response = client.get(path + suffix, headers=reader.headers)
            assert response.status_code == 200 and response.mimetype.startswith("image/")
            assert "private" in response.headers["Cache-Control"] or "no-store" in response.headers["Cache-Control"]
    problem(client.get(path, headers=world.member.headers), 404)  # a third organisation
    problem(client.get(path.replace(str(photo_id), str(theirs)), headers=world.lister.headers), 404)
    # Attached once: another return cannot take it again.
    assert decide(client, made["id"], opened.get_json()["id"], "refuse", world.lister, reason="No").status_code == 200
    problem(open_return(client, made["id"], world.public_buyer, kind="return", photo_ids=[photo_id]), 409)
