"""Loans the way lending libraries run them (issue #17, point 4), through the API with the fake
Stripe: extension requests the lender decides, the calendar of taken days, and the return
inspection that decides the deposit once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import DeviceEvent, EventKind
from marketplace.loans.models import Loan, LoanExtension, LoanInspection
from marketplace.media.models import Photo
from tests.api_helpers import Actor, upload_condition_photo
from tests.fakes.stripe import FakeStripe
from tests.marketplace.loans.test_loans_api import borrow, day, loan_listing
from tests.marketplace.reports.helpers import checklist
from tests.marketplace.trade import World, problem


def ask(client: FlaskClient, actor: Actor, loan_id: int, end: int) -> Any:
    return client.post(f"/api/v1/loans/{loan_id}/extensions", json={"end": day(end)}, headers=actor.headers)


def decide(client: FlaskClient, actor: Actor, extension_id: int, what: str, **body: Any) -> Any:
    return client.post(f"/api/v1/loan-extensions/{extension_id}/{what}", json=body or None, headers=actor.headers)


def calendar(client: FlaskClient, actor: Actor | None, listing_id: int, query: str = "") -> Any:
    headers = actor.headers if actor else {}
    return client.get(f"/api/v1/listings/{listing_id}/calendar{query}", headers=headers)


def ranges(client: FlaskClient, actor: Actor | None, listing_id: int) -> list[tuple[str, str, str]]:
    body = calendar(client, actor, listing_id).get_json()
    return [(r["start"], r["end"], r["status"]) for r in body["ranges"]]


def snapshot(session: Session, loan_id: int) -> tuple[Any, ...]:
    session.expire_all()
    loan = session.get(Loan, loan_id)
    assert loan is not None
    extensions = session.scalars(
        sa.select(LoanExtension.status, LoanExtension.requested_end).where(LoanExtension.loan_id == loan_id)
    ).all()
    return (loan.status, loan.end_date, loan.pending_end, loan.deposit_status, loan.deposit_kind, list(extensions))


def test_extension_is_requested_by_the_borrower_and_approved_by_the_lender(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None, max_days=12)
    loan = borrow(client, world.member, listing.id, 1, 4).get_json()
    problem(ask(client, world.lister, loan["id"], 6), 403)  # the lender does not ask
    problem(ask(client, world.outsider, loan["id"], 6), 404)
    problem(ask(client, world.member, loan["id"], 4), 422)  # not later than the current end
    problem(ask(client, world.member, loan["id"], 14), 422)  # beyond max_days (12)
    response = ask(client, world.member, loan["id"], 6)
    assert response.status_code == 201, response.get_json()
    extension = response.get_json()
    assert extension["status"] == "pending" and extension["requested_end"] == day(6)
    assert extension["previous_end"] == day(4) and extension["needs_card"] is False
    # One pending request at a time.
    assert "already waiting" in problem(ask(client, world.buyer_admin, loan["id"], 5), 409)["detail"]
    stored = client.get(f"/api/v1/loans/{loan['id']}", headers=world.member.headers).get_json()
    assert stored["end"] == day(4) and stored["pending_end"] == day(6)

    # The borrower cannot approve its own request; a refusal needs a reason.
    before = snapshot(db_session, loan["id"])
    problem(decide(client, world.member, extension["id"], "approve"), 403)
    problem(decide(client, world.lister, extension["id"], "refuse"), 422)
    problem(decide(client, world.outsider, extension["id"], "approve"), 404)
    assert snapshot(db_session, loan["id"]) == before

    approved = decide(client, world.lister, extension["id"], "approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    after = client.get(f"/api/v1/loans/{loan['id']}", headers=world.member.headers).get_json()
    assert after["end"] == day(6) and after["pending_end"] is None
    assert after["extensions"][0]["from"] == day(4) and after["extensions"][0]["to"] == day(6)
    # Approving twice, or refusing afterwards: refused, nothing changed.
    before = snapshot(db_session, loan["id"])
    assert "approved already" in problem(decide(client, world.lister, extension["id"], "approve"), 409)["detail"]
    problem(decide(client, world.lister, extension["id"], "refuse", reason="no"), 409)
    assert snapshot(db_session, loan["id"]) == before
    listed = client.get(f"/api/v1/loans/{loan['id']}/extensions", headers=world.lister.headers).get_json()
    assert [x["status"] for x in listed["items"]] == ["approved"] and listed["next_cursor"] is None
    assert client.get(f"/api/v1/loan-extensions/{extension['id']}", headers=world.member.headers).status_code == 200
    problem(client.get(f"/api/v1/loan-extensions/{extension['id']}", headers=world.outsider.headers), 404)


def test_an_extension_never_overlaps_the_next_booking(client: FlaskClient, db_session: Session, world: World) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None)
    first = borrow(client, world.member, listing.id, 1, 4).get_json()
    assert borrow(client, world.public_buyer, listing.id, 6, 9).status_code == 201
    before = snapshot(db_session, first["id"])
    body = problem(ask(client, world.member, first["id"], 7), 409)
    assert day(6) in body["detail"]
    assert snapshot(db_session, first["id"]) == before
    # Up to the next booking's first day ([start, end)): fine, and those days are held meanwhile.
    extension = ask(client, world.member, first["id"], 6).get_json()
    assert "already lent" in problem(borrow(client, world.nonprofit_member, listing.id, 4, 6), 409)["detail"]
    assert ranges(client, world.member, listing.id) == [
        (day(1), day(4), "booked"), (day(4), day(6), "tentative"), (day(6), day(9), "booked"),
    ]  # fmt: skip
    # Refused with a reason: the days are free again.
    refused = decide(client, world.lister, extension["id"], "refuse", reason="The device is serviced that week.")
    assert refused.status_code == 200 and refused.get_json()["reason"] == "The device is serviced that week."
    assert snapshot(db_session, first["id"])[2] is None
    assert borrow(client, world.nonprofit_member, listing.id, 4, 6).status_code == 201


def test_a_withdrawn_or_lapsed_request_cannot_be_approved(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    listing = loan_listing(db_session, world, deposit_cents=None)
    loan = borrow(client, world.member, listing.id, 1, 4).get_json()
    first = ask(client, world.member, loan["id"], 5).get_json()
    problem(decide(client, world.lister, first["id"], "withdraw"), 403)
    assert decide(client, world.member, first["id"], "withdraw").get_json()["status"] == "withdrawn"
    problem(decide(client, world.lister, first["id"], "approve"), 409)
    second = ask(client, world.member, loan["id"], 6).get_json()
    # The loan ends (cancelled here; a return does the same): its pending request lapses.
    assert client.post(f"/api/v1/loans/{loan['id']}/cancel", headers=world.member.headers).status_code == 200
    before = snapshot(db_session, loan["id"])
    assert before[2] is None
    assert "lapsed" in problem(decide(client, world.lister, second["id"], "approve"), 409)["detail"]
    problem(ask(client, world.member, loan["id"], 7), 409)  # an ended loan is not extended
    assert snapshot(db_session, loan["id"]) == before
    assert ranges(client, world.member, listing.id) == []


def test_an_extension_beyond_the_card_hold_needs_a_saved_card_first(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world)
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    assert loan["deposit"]["kind"] == "hold"
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_payment_intent_id
    hold = stored.stripe_payment_intent_id
    assert fake_stripe.send(fake_stripe.confirm_payment_intent(hold)) == 200
    assert client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers).status_code == 200
    # Within the hold window: nothing to do about the deposit.
    short = ask(client, world.member, loan["id"], 4).get_json()
    assert short["needs_card"] is False and short["client_secret"] is None
    decide(client, world.member, short["id"], "withdraw")
    # Beyond it: the borrower saves a card before the lender can approve.
    response = ask(client, world.member, loan["id"], 12)
    assert response.status_code == 201, response.get_json()
    extension = response.get_json()
    assert extension["needs_card"] is True and extension["client_secret"]
    seen_by_lender = client.get(f"/api/v1/loan-extensions/{extension['id']}", headers=world.lister.headers)
    assert seen_by_lender.get_json()["client_secret"] is None
    before = snapshot(db_session, loan["id"])
    body = problem(decide(client, world.lister, extension["id"], "approve"), 409)
    assert body["errors"] == {"deposit": ["The borrower's card is not saved yet."]}
    assert snapshot(db_session, loan["id"]) == before
    setup = db_session.get(LoanExtension, extension["id"])
    assert setup is not None and setup.stripe_setup_intent_id
    # Stripe's event about this SetupIntent is acknowledged; the approval reads Stripe itself.
    assert fake_stripe.send(fake_stripe.confirm_setup_intent(setup.stripe_setup_intent_id)) == 200
    approved = decide(client, world.lister, extension["id"], "approve")
    assert approved.status_code == 200, approved.get_json()
    after = client.get(f"/api/v1/loans/{loan['id']}", headers=world.member.headers).get_json()
    assert after["end"] == day(12)
    assert after["deposit"]["kind"] == "saved_card" and after["deposit"]["status"] == "secured"
    assert fake_stripe.objects[hold]["status"] == "canceled"  # the hold is released
    # Damage is now charged off-session to the saved card.
    returned = client.post(
        f"/api/v1/loans/{loan['id']}/return",
        json={"condition": "damaged", "decision": "partly_captured", "capture_cents": 2_500},
        headers=world.lister.headers,
    )
    assert returned.status_code == 200, returned.get_json()
    assert returned.get_json()["deposit"]["status"] == "charged"
    ((params, _key),) = fake_stripe.calls("POST", "/v1/payment_intents")[-1:]
    assert params["off_session"] == "true" and params["amount"] == "2500"


def test_the_calendar_names_borrowers_to_the_lender_only(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    from marketplace.listings.models import Visibility

    listing = loan_listing(db_session, world, deposit_cents=None, visibility=Visibility.PUBLIC)
    mine = borrow(client, world.member, listing.id, 2, 5).get_json()
    theirs = borrow(client, world.public_buyer, listing.id, 7, 9).get_json()
    lender = calendar(client, world.lister, listing.id).get_json()
    assert lender["from"] == day(0) and lender["listing_id"] == listing.id
    assert [(r["loan_id"], r["borrower_organisation_id"]) for r in lender["ranges"]] == [
        (mine["id"], world.buyer["id"]), (theirs["id"], world.public_body["id"]),
    ]  # fmt: skip
    borrower = calendar(client, world.member, listing.id).get_json()["ranges"]
    assert [(r["loan_id"], r["borrower_organisation_id"], r["mine"]) for r in borrower] == [
        (mine["id"], None, True), (None, None, False),
    ]  # fmt: skip
    for caller in (None, world.outsider):
        body = calendar(client, caller, listing.id)
        assert body.status_code == 200
        assert [(r["start"], r["end"]) for r in body.get_json()["ranges"]] == [(day(2), day(5)), (day(7), day(9))]
        assert all(r["loan_id"] is None and r["borrower_organisation_id"] is None for r in body.get_json()["ranges"])
    window = calendar(client, None, listing.id, f"?from={day(5)}&to={day(8)}").get_json()
    assert [(r["start"], r["end"]) for r in window["ranges"]] == [(day(7), day(9))]
    problem(calendar(client, None, listing.id, f"?from={day(5)}&to={day(5)}"), 422)
    problem(calendar(client, None, listing.id, f"?from={day(0)}&to={day(600)}"), 422)
    problem(calendar(client, None, listing.id, "?from=9999-12-31"), 422)
    problem(calendar(client, None, 999_999), 404)


def test_the_inspection_decides_the_deposit_once(
    webhook_client: FlaskClient, db_session: Session, world: World, fake_stripe: FakeStripe
) -> None:
    client = webhook_client
    listing = loan_listing(db_session, world)
    loan = borrow(client, world.member, listing.id, 0, 3).get_json()
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_payment_intent_id
    hold = stored.stripe_payment_intent_id
    fake_stripe.send(fake_stripe.confirm_payment_intent(hold))
    client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers)
    path = f"/api/v1/loans/{loan['id']}/return"
    before = snapshot(db_session, loan["id"])
    calls = len(fake_stripe.requests)
    for body, field in [
        ({"condition": "damaged", "decision": "partly_captured", "capture_cents": 10_001}, "capture_cents"),
        ({"condition": "damaged", "decision": "captured", "capture_cents": 20_000}, "capture_cents"),
        ({"condition": "damaged", "decision": "partly_captured", "capture_cents": 10_000}, "capture_cents"),
        ({"condition": "damaged", "decision": "partly_captured"}, "capture_cents"),
        ({"condition": "as_lent", "capture_cents": 10}, "capture_cents"),
        ({"condition": "damaged", "photo_ids": [999_999]}, "photo_ids.0"),
        ({"condition": "shiny"}, "condition"),
    ]:
        refused = problem(client.post(path, json=body, headers=world.lister.headers), 422)
        assert field in refused["errors"], refused
    problem(client.post(path, json={"condition": "damaged"}, headers=world.member.headers), 403)
    assert snapshot(db_session, loan["id"]) == before and len(fake_stripe.requests) == calls  # Stripe not asked
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LoanInspection)) == 0

    photo_id = upload_condition_photo(client, world.lister)
    response = client.post(
        path,
        json={
            "condition": "damaged",
            "accessories": [{"name": "charger", "present": True}, {"name": "sleeve", "present": False}],
            "notes": "Dent on the lid; the sleeve is missing.",
            "photo_ids": [photo_id],
            "decision": "captured",
        },
        headers=world.lister.headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["deposit"]["status"] == "captured" and body["deposit"]["captured_cents"] == 10_000
    assert body["inspection"]["decision"] == "captured" and body["inspection"]["captured_cents"] == 10_000
    assert fake_stripe.objects[hold]["amount_received"] == 10_000
    photo = db_session.get(Photo, photo_id)
    assert photo is not None and (photo.attached_type, photo.attached_id) == ("loan_inspection", loan["id"])
    # Final: a second inspection is refused and changes nothing.
    after = snapshot(db_session, loan["id"])
    problem(client.post(path, json={"condition": "as_lent"}, headers=world.lister.headers), 409)
    assert snapshot(db_session, loan["id"]) == after
    event = db_session.scalars(
        sa.select(DeviceEvent).where(DeviceEvent.device_id == listing.device_id, DeviceEvent.kind == EventKind.RETURNED)
    ).one()
    assert event.data["accessories_missing"] == ["sleeve"]
    # Back in the catalogue once checked again (listability: a new checklist since it came back).
    checked = checklist(client, listing.device_id, world.lister.token, storage="na", battery="na")
    assert checked.status_code == 201, checked.get_json()
    public = client.get(f"/api/v1/devices/{listing.device_id}/passport", headers=world.outsider.headers)
    assert public.status_code == 200 and public.get_json()["view"] == "public"
    [shown] = [e for e in public.get_json()["items"] if e["kind"] == "returned"]
    assert shown["data"] == {"inspection": {"condition": "damaged", "deposit": "captured"}}
