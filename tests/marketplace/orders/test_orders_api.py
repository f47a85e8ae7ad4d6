"""Orders end to end through the API against the local fake Stripe: card sale paid by a signed
webhook, refund on return, invoices, donations, cancellation, and every refusal."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState
from marketplace.listings.models import Listing, ListingMode, ListingStatus
from marketplace.members.models import Organisation
from marketplace.orders.models import Order
from marketplace.payments.models import StripeEvent
from tests.api_helpers import Actor, return_accepted
from tests.fakes.stripe import FakeStripe
from tests.marketplace.trade import World, make_listing, problem


def reserve(client: FlaskClient, actor: Actor, listing_id: int, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/listings/{listing_id}/reservations", json=body, headers=actor.headers)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def order(client: FlaskClient, actor: Actor, reservation_id: int, payment: str, key: str | None = None) -> Any:
    headers = {**actor.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return client.post("/api/v1/orders", json={"reservation_id": reservation_id, "payment": payment}, headers=headers)


def events(session: Session, device_id: int) -> list[str]:
    rows = session.scalars(
        sa.select(DeviceEvent.kind).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.id)
    )
    return [k.value for k in rows]


def test_card_sale_paid_by_verified_webhook_then_handover_and_refunded_return(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = make_listing(db_session, world.seller["id"], price_cents=30_000, warranty_months=6)
    held = reserve(client, world.member, listing.id)
    assert held["listing_id"] == listing.id and held["status"] == "active"
    expires = dt.datetime.fromisoformat(held["expires_at"])
    assert dt.timedelta(minutes=29) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=30)

    key = str(uuid.uuid4())
    response = order(client, world.member, held["id"], "card", key)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "pending" and created["payment_status"] == "pending"
    assert created["amount_cents"] == 30_000 and created["platform_fee_cents"] == 1_500
    assert created["client_secret"].startswith(created["stripe_payment_intent_id"])
    (params, stripe_key), *_ = fake_stripe.calls("POST", "/v1/payment_intents")[-1:]
    seller = db_session.get(Organisation, world.seller["id"])
    assert seller is not None and params["transfer_data"]["destination"] == seller.stripe_account_id
    assert params["application_fee_amount"] == "1500" and params["amount"] == "30000"
    assert stripe_key is not None and stripe_key.startswith(f"order-{created['id']}-")
    device = db_session.get(Device, listing.device_id)
    assert device is not None and device.state is DeviceState.RESERVED

    # The same request again: the same order, nothing new at Stripe.
    intents_before = len(fake_stripe.calls("POST", "/v1/payment_intents"))
    replay = order(client, world.member, held["id"], "card", key)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == created["id"]
    assert len(fake_stripe.calls("POST", "/v1/payment_intents")) == intents_before
    # The same key with another body is refused.
    problem(order(client, world.member, held["id"], "invoice", key), 422)

    # A forged event (wrong secret) changes nothing.
    event = fake_stripe.confirm_payment_intent(created["stripe_payment_intent_id"])
    assert fake_stripe.send(event, secret="whsec_wrong") == 400
    assert db_session.get(Order, created["id"]).payment_status.value == "pending"
    # An event signed too long ago is refused too (tolerance 300 s).
    assert fake_stripe.send(event, timestamp=int(dt.datetime.now(dt.UTC).timestamp()) - 301) == 400

    assert fake_stripe.send(event) == 200
    paid = client.get(f"/api/v1/orders/{created['id']}", headers=world.member.headers).get_json()
    assert paid["status"] == "confirmed" and paid["payment_status"] == "paid" and paid["client_secret"] is None
    assert fake_stripe.send(event) == 200  # replay: nothing more
    assert (
        db_session.scalar(sa.select(sa.func.count()).select_from(StripeEvent).where(StripeEvent.id == event["id"])) == 1
    )
    assert events(db_session, listing.device_id) == ["reserved", "sold"]
    db_session.refresh(listing)
    assert listing.status is ListingStatus.CLOSED

    # Seller and buyer see it; others do not.
    assert client.get(f"/api/v1/orders/{created['id']}", headers=world.lister.headers).status_code == 200
    assert client.get(f"/api/v1/orders/{created['id']}", headers=world.staff.headers).status_code == 200
    problem(client.get(f"/api/v1/orders/{created['id']}", headers=world.outsider.headers), 404)

    # Only the seller hands over.
    problem(client.post(f"/api/v1/orders/{created['id']}/handover", headers=world.member.headers), 403)
    handed = client.post(f"/api/v1/orders/{created['id']}/handover", headers=world.lister.headers)
    assert handed.status_code == 200, handed.get_json()
    handed_body = handed.get_json()
    assert handed_body["status"] == "handed_over"
    today = dt.datetime.now(dt.UTC).date()
    assert dt.date.fromisoformat(handed_body["warranty_until"]) > today + dt.timedelta(days=180)
    assert dt.datetime.fromisoformat(handed_body["return_deadline"]).date() == today + dt.timedelta(days=30)

    # Return within 30 days: refunded through Stripe, from the seller, fee included.
    problem(client.post(f"/api/v1/orders/{created['id']}/returns", json={}, headers=world.member.headers), 422)
    returned = return_accepted(client, created["id"], world.member, world.lister, reason="keyboard fails")
    assert returned["status"] == "returned" and returned["payment_status"] == "refunded"
    assert returned["refunded_cents"] == returned["amount_cents"]
    ((refund, refund_key),) = fake_stripe.calls("POST", "/v1/refunds")[-1:]
    assert refund["payment_intent"] == created["stripe_payment_intent_id"]
    assert refund["reverse_transfer"] == "true" and refund["refund_application_fee"] == "true"
    assert refund["amount"] == str(returned["amount_cents"])
    assert refund_key is not None and refund_key.endswith("-refund") and "-return-" in refund_key
    db_session.expire_all()
    assert db_session.get(Device, listing.device_id).state is DeviceState.RETURNED
    assert events(db_session, listing.device_id)[-1] == "returned"
    problem(
        client.post(f"/api/v1/orders/{created['id']}/returns", json={"reason": "again"}, headers=world.member.headers),
        409,
    )


def test_webhook_payload_is_not_trusted_the_intent_is_reread(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    listing = make_listing(db_session, world.seller["id"])
    held = reserve(webhook_client, world.member, listing.id)
    created = order(webhook_client, world.member, held["id"], "card").get_json()
    intent = fake_stripe.objects[created["stripe_payment_intent_id"]]
    # A "succeeded" event whose intent Stripe has not actually settled: not paid.
    fake = fake_stripe.event("payment_intent.succeeded", {**intent, "status": "succeeded"})
    assert fake_stripe.send(fake) == 200
    assert db_session.get(Order, created["id"]).payment_status.value == "pending"
    # A failed attempt then a success, delivered out of order: the re-read state wins.
    failed = fake_stripe.confirm_payment_intent(
        created["stripe_payment_intent_id"], payment_method="pm_card_chargeDeclined"
    )
    succeeded = fake_stripe.confirm_payment_intent(created["stripe_payment_intent_id"])
    assert fake_stripe.send(succeeded) == 200
    assert fake_stripe.send(failed) == 200
    db_session.expire_all()
    assert db_session.get(Order, created["id"]).payment_status.value == "paid"


def test_card_refused_without_stripe_key_while_invoice_still_works(
    app_without_stripe: Flask, db_session: Session, world: World
) -> None:
    client = app_without_stripe.test_client()
    listing = make_listing(db_session, world.seller["id"])
    held = reserve(client, world.public_buyer, listing.id)
    body = problem(order(client, world.public_buyer, held["id"], "card"), 503)
    assert "not configured" in body["detail"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    response = order(client, world.public_buyer, held["id"], "invoice")
    assert response.status_code == 201, response.get_json()
    problem(client.post("/api/v1/webhooks/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"}), 404)


def test_invoice_sale_numbered_without_gaps_and_marked_paid_by_staff(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    numbers = []
    for _ in range(3):
        listing = make_listing(db_session, world.seller["id"], price_cents=12_000)
        held = reserve(client, world.public_buyer, listing.id)
        response = order(client, world.public_buyer, held["id"], "invoice")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["status"] == "confirmed" and body["payment_status"] == "pending"
        numbers.append(body["invoice_number"])
    year = dt.datetime.now(dt.UTC).year
    first = int(numbers[0].rsplit("-", 1)[1])
    assert numbers == [f"RLF-{year}-{first + i:06d}" for i in range(3)]

    # A refused order in between takes no number.
    listing = make_listing(db_session, world.seller["id"])
    held = reserve(client, world.member, listing.id)
    problem(order(client, world.member, held["id"], "invoice"), 403)  # a company does not pay by invoice
    listing = make_listing(db_session, world.seller["id"])
    held = reserve(client, world.public_buyer, listing.id)
    body = order(client, world.public_buyer, held["id"], "invoice").get_json()
    assert body["invoice_number"] == f"RLF-{year}-{first + 3:06d}"
    assert dt.date.fromisoformat(body["invoice_due_on"]) == dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)

    invoice = client.get(f"/api/v1/orders/{body['id']}/invoice", headers=world.lister.headers).get_json()
    assert invoice["number"] == body["invoice_number"] and invoice["total_cents"] == 25_000
    assert invoice["buyer"]["organisation_id"] == world.public_body["id"] and invoice["status"] == "pending"

    problem(client.post(f"/api/v1/orders/{body['id']}/mark-paid", headers=world.public_buyer.headers), 403)
    problem(client.post(f"/api/v1/orders/{body['id']}/mark-paid", headers=world.outsider.headers), 404)
    paid = client.post(f"/api/v1/orders/{body['id']}/mark-paid", headers=world.staff.headers)
    assert paid.status_code == 200 and paid.get_json()["payment_status"] == "paid"
    problem(client.post(f"/api/v1/orders/{body['id']}/mark-paid", headers=world.staff.headers), 409)
    assert (
        client.get(f"/api/v1/orders/{body['id']}/invoice", headers=world.public_buyer.headers).get_json()["status"]
        == "paid"
    )


def test_donation_only_to_eligible_organisations(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = make_listing(db_session, world.seller["id"], mode=ListingMode.DONATION)
    held = reserve(client, world.member, listing.id)
    body = problem(order(client, world.member, held["id"], "donation"), 403)
    assert "company" in body["detail"]
    problem(order(client, world.member, held["id"], "card"), 422)
    client.delete(f"/api/v1/reservations/{held['id']}", headers=world.member.headers)

    held = reserve(client, world.nonprofit_member, listing.id)
    response = order(client, world.nonprofit_member, held["id"], "donation")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["amount_cents"] == 0 and response.get_json()["payment_status"] == "none"
    assert events(db_session, listing.device_id) == ["reserved", "donated"]

    limited = make_listing(db_session, world.seller["id"], mode=ListingMode.DONATION, eligible_kinds=["university"])
    held = reserve(client, world.nonprofit_member, limited.id)
    problem(order(client, world.nonprofit_member, held["id"], "donation"), 403)


def test_reservation_rules(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = make_listing(db_session, world.seller["id"])
    problem(client.post(f"/api/v1/listings/{listing.id}/reservations", json={}), 401)
    problem(client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=world.lister.headers), 403)
    problem(client.post("/api/v1/listings/999999/reservations", json={}, headers=world.member.headers), 404)
    problem(
        client.post(f"/api/v1/listings/{listing.id}/reservations", json={"x": 1}, headers=world.member.headers), 422
    )
    held = reserve(client, world.member, listing.id)
    body = problem(
        client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=world.public_buyer.headers), 409
    )
    assert "held" in body["detail"]

    # Someone else's reservation cannot be ordered or cancelled.
    problem(order(client, world.public_buyer, held["id"], "invoice"), 404)
    problem(client.delete(f"/api/v1/reservations/{held['id']}", headers=world.public_buyer.headers), 404)
    problem(
        client.post(
            "/api/v1/orders", json={"reservation_id": held["id"], "payment": "invoice"}, headers=world.member.headers
        ),
        400,
    )
    assert client.delete(f"/api/v1/reservations/{held['id']}", headers=world.member.headers).status_code == 204
    problem(client.delete(f"/api/v1/reservations/{held['id']}", headers=world.member.headers), 409)
    reserve(client, world.public_buyer, listing.id)

    # An expired hold stops counting at once: no job has run.
    other = make_listing(db_session, world.seller["id"])
    stale = reserve(client, world.member, other.id)
    db_session.execute(
        sa.text("UPDATE reservations SET expires_at = :t WHERE id = :id"),
        {"t": (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).replace(tzinfo=None)
         if db_session.get_bind().dialect.name == "sqlite" else dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
         "id": stale["id"]},
    )  # fmt: skip
    db_session.commit()
    assert (
        client.get(f"/api/v1/reservations/{stale['id']}", headers=world.member.headers).get_json()["status"]
        == "expired"
    )
    problem(order(client, world.member, stale["id"], "card"), 409)
    reserve(client, world.public_buyer, other.id)

    # Loan listings are borrowed, not reserved.
    loan_listing = make_listing(db_session, world.seller["id"], mode=ListingMode.LOAN)
    problem(client.post(f"/api/v1/listings/{loan_listing.id}/reservations", json={}, headers=world.member.headers), 422)


def test_cancel_pending_card_order_releases_the_device(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = make_listing(db_session, world.seller["id"])
    held = reserve(client, world.member, listing.id)
    created = order(client, world.member, held["id"], "card").get_json()
    cancelled = client.post(f"/api/v1/orders/{created['id']}/cancel", headers=world.member.headers)
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["payment_status"] == "void"
    assert fake_stripe.objects[created["stripe_payment_intent_id"]]["status"] == "canceled"
    db_session.expire_all()
    assert db_session.get(Device, listing.device_id).state is DeviceState.LISTED
    assert db_session.get(Listing, listing.id).status is ListingStatus.ACTIVE
    # The listing can be reserved again, and cancelling twice is refused.
    reserve(client, world.public_buyer, listing.id)
    problem(client.post(f"/api/v1/orders/{created['id']}/cancel", headers=world.member.headers), 409)


def test_card_refused_when_the_seller_cannot_be_paid(
    client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    seller = db_session.get(Organisation, world.seller["id"])
    assert seller is not None
    seller.stripe_account_id = fake_stripe.add_account(charges_enabled=False)
    db_session.commit()
    listing = make_listing(db_session, world.seller["id"])
    held = reserve(client, world.member, listing.id)
    assert "Stripe account" in problem(order(client, world.member, held["id"], "card"), 409)["detail"]
    seller.stripe_account_id = None
    db_session.commit()
    problem(order(client, world.member, held["id"], "card"), 409)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    device = db_session.get(Device, listing.device_id)
    assert device is not None and device.state is DeviceState.LISTED


def test_housekeeping_gives_back_devices_of_unpaid_card_orders_after_asking_stripe(
    client: FlaskClient, runner: Any, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    abandoned_listing = make_listing(db_session, world.seller["id"])
    abandoned = order(
        client, world.member, reserve(client, world.member, abandoned_listing.id)["id"], "card"
    ).get_json()
    paid_listing = make_listing(db_session, world.seller["id"])
    paid = order(client, world.member, reserve(client, world.member, paid_listing.id)["id"], "card").get_json()
    fresh_listing = make_listing(db_session, world.seller["id"])
    fresh = order(client, world.member, reserve(client, world.member, fresh_listing.id)["id"], "card").get_json()
    fake_stripe.confirm_payment_intent(paid["stripe_payment_intent_id"])  # paid, but the webhook is lost
    for order_id in (abandoned["id"], paid["id"]):
        stored = db_session.get(Order, order_id)
        assert stored is not None
        stored.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    db_session.commit()

    result = runner.invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "unpaid card orders cancelled: 1" in result.output
    db_session.expire_all()
    assert db_session.get(Order, abandoned["id"]).status.value == "cancelled"
    assert fake_stripe.objects[abandoned["stripe_payment_intent_id"]]["status"] == "canceled"
    assert db_session.get(Device, abandoned_listing.device_id).state is DeviceState.LISTED
    assert db_session.get(Order, paid["id"]).payment_status.value == "paid"  # never lost
    assert db_session.get(Order, fresh["id"]).status.value == "pending"  # still within its window
    assert "unpaid card orders cancelled: 0" in runner.invoke(args=["housekeeping"]).output


def test_orders_listed_for_buyer_and_seller_only(client: FlaskClient, db_session: Session, world: World) -> None:
    ids = []
    for _ in range(3):
        listing = make_listing(db_session, world.seller["id"])
        ids.append(
            order(
                client, world.public_buyer, reserve(client, world.public_buyer, listing.id)["id"], "invoice"
            ).get_json()["id"]
        )
    page = client.get("/api/v1/orders?limit=2", headers=world.public_buyer.headers).get_json()
    assert [o["id"] for o in page["items"]] == ids[:2] and page["next_cursor"]
    rest = client.get(f"/api/v1/orders?limit=2&cursor={page['next_cursor']}", headers=world.public_buyer.headers)
    assert [o["id"] for o in rest.get_json()["items"]] == ids[2:] and rest.get_json()["next_cursor"] is None
    seller_view = client.get("/api/v1/orders?role=seller", headers=world.lister.headers).get_json()
    assert [o["id"] for o in seller_view["items"]] == ids
    assert client.get("/api/v1/orders?role=seller", headers=world.public_buyer.headers).get_json()["items"] == []
    assert client.get("/api/v1/orders", headers=world.outsider.headers).get_json()["items"] == []
    problem(client.get("/api/v1/orders?cursor=nonsense", headers=world.lister.headers), 422)
    problem(client.get("/api/v1/orders"), 401)


def test_cancelling_an_order_paid_a_moment_ago_refunds_it(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    listing = make_listing(db_session, world.seller["id"])
    created = order(webhook_client, world.member, reserve(webhook_client, world.member, listing.id)["id"], "card")
    body = created.get_json()
    event = fake_stripe.confirm_payment_intent(body["stripe_payment_intent_id"])  # webhook not yet delivered
    cancelled = webhook_client.post(f"/api/v1/orders/{body['id']}/cancel", headers=world.member.headers).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "refunded"
    ((refund, _key),) = fake_stripe.calls("POST", "/v1/refunds")[-1:]
    assert refund["payment_intent"] == body["stripe_payment_intent_id"]
    # The late webhook changes nothing and refunds nothing twice.
    refunds = len(fake_stripe.calls("POST", "/v1/refunds"))
    assert fake_stripe.send(event) == 200
    assert len(fake_stripe.calls("POST", "/v1/refunds")) == refunds
    db_session.expire_all()
    assert db_session.get(Order, body["id"]).payment_status.value == "refunded"
    assert db_session.get(Device, listing.device_id).state is DeviceState.LISTED


def test_webhook_refusals(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    listing = make_listing(db_session, world.seller["id"])
    body = order(
        webhook_client, world.member, reserve(webhook_client, world.member, listing.id)["id"], "card"
    ).get_json()
    event = fake_stripe.confirm_payment_intent(body["stripe_payment_intent_id"])
    payload, headers = fake_stripe.signed(event)
    problem(webhook_client.post("/api/v1/webhooks/stripe", data=payload), 400)  # no signature
    problem(webhook_client.post("/api/v1/webhooks/stripe", data=payload + b" ", headers=headers), 400)  # body changed
    problem(webhook_client.post("/api/v1/webhooks/stripe", data=b"not json", headers=fake_stripe.signed(event)[1]), 400)
    # Stripe's amount differs from the order's: verified, recorded, but not paid.
    fake_stripe.objects[body["stripe_payment_intent_id"]]["amount"] = 100
    fake_stripe.objects[body["stripe_payment_intent_id"]]["amount_received"] = 100
    response = webhook_client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)
    assert response.status_code == 200 and "mismatch" in response.get_json()["outcome"]
    assert db_session.get(Order, body["id"]).payment_status.value == "pending"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 1
    # An event about a PaymentIntent that is not ours is recorded and ignored.
    stranger = fake_stripe.event("payment_intent.succeeded", {"id": "pi_unknown", "object": "payment_intent"})
    fake_stripe.objects["pi_unknown"] = {
        **fake_stripe.objects[body["stripe_payment_intent_id"]], "id": "pi_unknown", "metadata": {},
    }  # fmt: skip
    assert fake_stripe.send(stranger) == 200


def test_who_may_do_what_on_an_order(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = make_listing(db_session, world.seller["id"])
    body = order(
        client, world.public_buyer, reserve(client, world.public_buyer, listing.id)["id"], "invoice"
    ).get_json()
    base = f"/api/v1/orders/{body['id']}"
    for method, path, json in [
        ("get", base, None),
        ("get", f"{base}/invoice", None),
        ("post", f"{base}/cancel", None),
        ("post", f"{base}/handover", None),
        ("post", f"{base}/returns", {"reason": "x"}),
        ("post", f"{base}/mark-paid", None),
    ]:
        problem(getattr(client, method)(path, json=json), 401)
        problem(getattr(client, method)(path, json=json, headers=world.outsider.headers), 404)
        problem(
            getattr(client, method)(path.replace(str(body["id"]), "999999"), json=json, headers=world.staff.headers),
            404,
        )
    problem(client.post(f"{base}/handover", headers=world.public_buyer.headers), 403)
    problem(client.post(f"{base}/returns", json={"reason": "x"}, headers=world.lister.headers), 403)
    problem(client.post(f"{base}/mark-paid", headers=world.lister.headers), 403)
    after = client.get(base, headers=world.public_buyer.headers).get_json()
    assert after == {**body, "client_secret": None}  # nothing changed


def test_out_of_range_ids_are_invalid_input_not_database_errors(client: FlaskClient, world: World) -> None:
    huge = 2**40
    problem(client.post("/api/v1/orders", json={"reservation_id": huge, "payment": "card"},
                        headers={**world.member.headers, "Idempotency-Key": "k"}), 422)  # fmt: skip
    problem(
        client.post("/api/v1/listings/1/reservations", json={"organisation_id": huge}, headers=world.member.headers),
        422,
    )
    problem(client.post(f"/api/v1/listings/{huge}/reservations", json={}, headers=world.member.headers), 404)
