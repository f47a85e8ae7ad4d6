"""One loan from end to end through the API (issue #17, point 4), on SQLite and PostgreSQL alike:
booked with a card-hold deposit, handed over, extended at the borrower's request once the lender
approves, returned, inspected with a partial capture of the deposit on the fake Stripe; the
listing's calendar is read at every step by the lender, the borrower and an anonymous visitor."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import Visibility
from marketplace.loans.models import Loan
from tests.fakes.stripe import FakeStripe
from tests.marketplace.loans.test_loans_api import borrow, day, loan_listing
from tests.marketplace.reports.helpers import checklist
from tests.marketplace.trade import World, problem


def test_a_loan_from_request_to_inspection(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world, visibility=Visibility.PUBLIC, deposit_cents=8_000)

    def calendar(headers: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
        response = client.get(f"/api/v1/listings/{listing.id}/calendar", headers=headers or {})
        assert response.status_code == 200, response.get_json()
        return [(r["start"], r["end"], r["status"]) for r in response.get_json()["ranges"]]

    def everyone_sees(expected: list[tuple[str, str, str]]) -> None:
        for headers in (world.lister.headers, world.member.headers, world.public_buyer.headers, None):
            assert calendar(headers) == expected

    everyone_sees([])

    # 1. The borrower books [0, 3); another member books [6, 9) after it.
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    assert loan["deposit"]["kind"] == "hold" and loan["deposit"]["status"] == "pending"
    later = borrow(client, world.public_buyer, listing.id, 6, 9).get_json()
    everyone_sees([(day(0), day(3), "booked"), (day(6), day(9), "booked")])
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_payment_intent_id
    hold = stored.stripe_payment_intent_id

    # 2. The card is confirmed (Stripe's signed event), the lender hands the device over.
    assert fake_stripe.send(fake_stripe.confirm_payment_intent(hold)) == 200
    handed = client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers)
    assert handed.status_code == 200, handed.get_json()
    everyone_sees([(day(0), day(3), "on_loan"), (day(6), day(9), "booked")])

    # 3. The borrower asks to keep it until day 5 (day 7 would overlap the next booking).
    problem(
        client.post(f"/api/v1/loans/{loan['id']}/extensions", json={"end": day(7)}, headers=world.member.headers), 409
    )
    asked = client.post(f"/api/v1/loans/{loan['id']}/extensions", json={"end": day(5)}, headers=world.member.headers)
    assert asked.status_code == 201, asked.get_json()
    extension = asked.get_json()
    assert extension["needs_card"] is False  # five days from the booking: the hold still covers it
    everyone_sees([(day(0), day(3), "on_loan"), (day(3), day(5), "tentative"), (day(6), day(9), "booked")])
    # The days are held: nobody books them while the lender decides.
    problem(borrow(client, world.nonprofit_member, listing.id, 3, 5), 409)

    # 4. The lender approves.
    approved = client.post(f"/api/v1/loan-extensions/{extension['id']}/approve", headers=world.lister.headers)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    everyone_sees([(day(0), day(5), "on_loan"), (day(6), day(9), "booked")])
    lender_view = client.get(f"/api/v1/listings/{listing.id}/calendar", headers=world.lister.headers).get_json()
    assert [r["borrower_organisation_id"] for r in lender_view["ranges"]] == [
        world.buyer["id"],
        world.public_body["id"],
    ]
    public_view = client.get(f"/api/v1/listings/{listing.id}/calendar").get_json()
    assert all(r["borrower_organisation_id"] is None and r["loan_id"] is None for r in public_view["ranges"])

    # 5. The device comes back: the inspection captures part of the deposit (never more than it).
    path = f"/api/v1/loans/{loan['id']}/return"
    problem(
        client.post(
            path,
            json={"condition": "damaged", "decision": "partly_captured", "capture_cents": 8_001},
            headers=world.lister.headers,
        ),
        422,
    )
    returned = client.post(
        path,
        json={
            "condition": "damaged",
            "accessories": [{"name": "charger", "present": True}, {"name": "mouse", "present": False}],
            "notes": "The mouse is missing.",
            "decision": "partly_captured",
            "capture_cents": 2_500,
        },
        headers=world.lister.headers,
    )
    assert returned.status_code == 200, returned.get_json()
    body: dict[str, Any] = returned.get_json()
    assert body["status"] == "returned" and body["end"] == day(5)
    assert body["deposit"]["status"] == "partially_captured" and body["deposit"]["captured_cents"] == 2_500
    assert body["inspection"]["decision"] == "partly_captured" and body["inspection"]["captured_cents"] == 2_500
    intent = fake_stripe.objects[hold]
    assert intent["status"] == "succeeded" and intent["amount_received"] == 2_500
    # Out of the catalogue until checked again (listability: a new checklist since it came back).
    checked = checklist(client, listing.device_id, world.lister.token, storage="na", battery="na")
    assert checked.status_code == 201, checked.get_json()
    everyone_sees([(day(6), day(9), "booked")])

    # The passport tells the public what happened, without an amount or a name.
    passport = client.get(f"/api/v1/devices/{listing.device_id}/passport").get_json()
    [event] = [e for e in passport["items"] if e["kind"] == "returned"]
    assert event["data"] == {"inspection": {"condition": "damaged", "deposit": "partly_captured"}}
    assert "2500" not in str(passport) and world.buyer["name"] not in str(passport)
    # The decision is final.
    problem(client.post(path, json={"condition": "as_lent"}, headers=world.lister.headers), 409)
    assert (
        client.get(f"/api/v1/loans/{later['id']}", headers=world.public_buyer.headers).get_json()["status"] == "booked"
    )
