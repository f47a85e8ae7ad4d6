"""Marketplace events email the people concerned, in their language, through the outbox: each test
drives the API, runs ``worker --once`` and reads what the local SMTP server received."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.config import Config
from marketplace.listings.models import ListingMode
from marketplace.loans.models import Loan
from marketplace.members import service as members
from marketplace.members.models import Organisation, User
from marketplace.notifications.models import OutboxMessage
from marketplace.orders import service as orders
from marketplace.orders.models import PaymentMethod
from marketplace.reservations import service as reservations
from tests.api_helpers import Actor
from tests.fakes.smtp import LocalSmtp
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.marketplace.trade import World, build_world, make_listing


def today() -> dt.date:
    """Read at each use: a run that crosses midnight UTC must not book loans in the past."""
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe().serve()
    yield fake
    fake.close()


@pytest.fixture
def config(database_url: str, smtp: LocalSmtp, stripe_server: FakeStripe) -> Config:
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        mail_url=smtp.url,
        mail_from="Relife <no-reply@relife.example>",
        public_url="https://relife.example",
        stripe_api_key=API_KEY,
        stripe_api_base=stripe_server.base_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def webhook_client(client: FlaskClient, stripe_server: FakeStripe) -> Iterator[FlaskClient]:
    def deliver(payload: bytes, headers: dict[str, str]) -> int:
        return client.post("/api/v1/webhooks/stripe", data=payload, headers=headers).status_code

    stripe_server.deliver = deliver
    yield client
    stripe_server.deliver = None


class Mailbox:
    """What the SMTP server received since the last look, after a ``worker --once``."""

    def __init__(self, runner: Any, smtp: LocalSmtp) -> None:
        self.runner, self.smtp = runner, smtp

    def new(self) -> list[EmailMessage]:
        result = self.runner.invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        got = self.smtp.received()
        self.smtp.messages.clear()
        return got

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        out: dict[str, list[EmailMessage]] = {}
        for message in self.new():
            out.setdefault(str(message["To"]), []).append(message)
        return out


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def world(webhook_client: FlaskClient, db_session: Session, stripe_server: FakeStripe) -> World:
    built = build_world(webhook_client, db_session, stripe_server.add_account())
    # The seller's lister reads English; everyone else keeps the default, French.
    lister = db_session.get(User, built.lister.user_id)
    assert lister is not None
    lister.language = "en"
    buyer = db_session.get(Organisation, built.buyer["id"])
    assert buyer is not None
    buyer.invoice_allowed = True
    db_session.commit()
    return built


@pytest.fixture
def mailbox(runner: Any, smtp: LocalSmtp, world: World) -> Mailbox:
    box = Mailbox(runner, smtp)
    box.new()  # the world's verification emails
    return box


def reserve(client: FlaskClient, actor: Actor, listing_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/listings/{listing_id}/reservations", json={}, headers=actor.headers)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def order(client: FlaskClient, actor: Actor, reservation_id: int, payment: str) -> dict[str, Any]:
    headers = {**actor.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"reservation_id": reservation_id, "payment": payment}
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def subjects(box: dict[str, list[EmailMessage]]) -> dict[str, list[str]]:
    return {address: sorted(str(m["Subject"]).strip() for m in messages) for address, messages in box.items()}


def test_invoice_sale_reservation_order_payment_handover_and_return(
    webhook_client: FlaskClient, db_session: Session, world: World, mailbox: Mailbox
) -> None:
    client = webhook_client
    listing = make_listing(db_session, world.seller["id"], price_cents=123_450)
    device = f"{listing.device.make} {listing.device.model}"
    seller_team = {world.seller_admin.email, world.lister.email}

    # Reserved by a plain member of the buyer: the seller's admin and lister are told, each in
    # their language; the buyer's people are not (they know).
    held = reserve(client, world.member, listing.id)
    box = mailbox.by_recipient()
    assert set(box) == seller_team
    (fr,) = box[world.seller_admin.email]
    (en,) = box[world.lister.email]
    assert fr["Subject"] == f"{device} est réservé par {world.buyer['name']}"
    assert en["Subject"] == f"{device} is reserved by {world.buyer['name']}"
    assert "1\u202f234,50\xa0€" in text_of(fr) and "€1,234.50" in text_of(en)
    code = listing.device.public_code
    assert f"https://relife.example/d/{code}" in text_of(fr)
    assert f'href="https://relife.example/d/{code}"' in html_of(fr) and 'lang="fr"' in html_of(fr)
    assert 'lang="en"' in html_of(en)

    # Ordered on invoice: the buyer's side (the member who ordered and the buyer's admin) are
    # told the order stands and get the invoice; the seller's team that the device is sold.
    made = order(client, world.member, held["id"], "invoice")
    box = mailbox.by_recipient()
    assert set(box) == seller_team | {world.member.email, world.buyer_admin.email}
    number = made["invoice_number"]
    for buyer_person in (world.member.email, world.buyer_admin.email):
        assert subjects(box)[buyer_person] == sorted(
            [f"Commande n° {made['id']} confirmée : {device}", f"Facture {number} de {world.seller['name']}"]
        )
    invoice = next(m for m in box[world.member.email] if "Facture" in str(m["Subject"]).strip())
    due = dt.date.fromisoformat(made["invoice_due_on"])
    assert f"https://relife.example/api/v1/orders/{made['id']}/invoice.pdf" in text_of(invoice)
    assert "1\u202f234,50\xa0€" in text_of(invoice)
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"]  # fmt: skip
    assert f"{due.day} {months[due.month - 1]} {due.year}" in text_of(invoice)
    (sold_en,) = box[world.lister.email]
    assert sold_en["Subject"] == f"{device}: order {made['id']} from {world.buyer['name']}"
    assert f"invoice {number}" in text_of(sold_en)

    # Staff mark it paid: both sides are told.
    response = client.post(f"/api/v1/orders/{made['id']}/mark-paid", headers=world.staff.headers)
    assert response.status_code == 200, response.get_json()
    box = mailbox.by_recipient()
    assert set(box) == seller_team | {world.member.email, world.buyer_admin.email}
    assert subjects(box)[world.lister.email] == [f"Order {made['id']} paid"]

    # Handed over: the buyer's side, with the last day of the return window.
    response = client.post(f"/api/v1/orders/{made['id']}/handover", headers=world.lister.headers)
    assert response.status_code == 200, response.get_json()
    box = mailbox.by_recipient()
    assert set(box) == {world.member.email, world.buyer_admin.email}
    assert "retourner jusqu'au" in text_of(box[world.member.email][0])

    # A return asked by the buyer's admin: the seller's team (who decides) and the buyer's side
    # (the admin who acted; the member who ordered is not re-told: the acting person and the admins).
    asked = client.post(
        f"/api/v1/orders/{made['id']}/returns", json={"reason": "Écran fêlé", "condition_notes": "Coin cassé"},
        headers=world.buyer_admin.headers,
    )  # fmt: skip
    assert asked.status_code == 201, asked.get_json()
    box = mailbox.by_recipient()
    assert set(box) == seller_team | {world.buyer_admin.email}
    assert subjects(box)[world.seller_admin.email] == [f"Demande de retour, commande n° {made['id']} : {device}"]
    text = text_of(box[world.lister.email][0])
    assert "Reason: Écran fêlé" in text and "Condition described: Coin cassé" in text and "nothing is refunded" in text
    # The seller refuses: the buyer's side is told why; a warranty claim may follow.
    returns = f"/api/v1/orders/{made['id']}/returns"
    refused = client.post(
        f"{returns}/{asked.get_json()['id']}/refuse", json={"reason": "Rayure d'usage"}, headers=world.lister.headers
    )
    assert refused.status_code == 200, refused.get_json()
    box = mailbox.by_recipient()
    assert set(box) == {world.buyer_admin.email}
    assert "Motif du refus : Rayure d'usage" in text_of(box[world.buyer_admin.email][0])
    # Asked again and accepted: both sides are told what is refunded, the credit note, the device going back.
    again = client.post(returns, json={"reason": "Écran fêlé"}, headers=world.buyer_admin.headers)
    assert again.status_code == 201, again.get_json()
    mailbox.new()
    accepted = client.post(f"{returns}/{again.get_json()['id']}/accept", json={}, headers=world.lister.headers)
    assert accepted.status_code == 200, accepted.get_json()
    box = mailbox.by_recipient()
    assert set(box) == seller_team | {world.buyer_admin.email}
    text = text_of(box[world.lister.email][0])
    assert "Return accepted" in str(box[world.lister.email][0]["Subject"])
    assert "Reason: Écran fêlé" in text and "owes a refund of €1,234.50" in text and "credit note" in text


def test_card_sale_is_told_once_paid_even_if_the_webhook_comes_twice(
    webhook_client: FlaskClient, db_session: Session, world: World, mailbox: Mailbox, stripe_server: FakeStripe
) -> None:
    client = webhook_client
    listing = make_listing(db_session, world.seller["id"], price_cents=30_000)
    held = reserve(client, world.buyer_admin, listing.id)
    mailbox.new()
    made = order(client, world.buyer_admin, held["id"], "card")
    assert mailbox.new() == []  # not paid: nothing confirmed yet
    event = stripe_server.confirm_payment_intent(made["stripe_payment_intent_id"])
    assert stripe_server.send(event) == 200
    assert stripe_server.send(event) == 200  # delivered again: no second message
    box = mailbox.by_recipient()
    assert set(box) == {world.buyer_admin.email, world.seller_admin.email, world.lister.email}
    assert all(len(messages) == 1 for messages in box.values())
    assert "Montant payé par carte : 300,00\xa0€" in text_of(box[world.buyer_admin.email][0])
    assert "The card payment has been received." in text_of(box[world.lister.email][0])


def test_donation_confirmed_without_invoice(
    webhook_client: FlaskClient, db_session: Session, world: World, mailbox: Mailbox
) -> None:
    listing = make_listing(db_session, world.seller["id"], mode=ListingMode.DONATION)
    held = reserve(webhook_client, world.nonprofit_member, listing.id)
    mailbox.new()
    order(webhook_client, world.nonprofit_member, held["id"], "donation")
    box = mailbox.by_recipient()
    assert set(box) == {world.nonprofit_member.email, world.seller_admin.email, world.lister.email}
    assert len(box[world.nonprofit_member.email]) == 1  # no invoice for a gift
    assert "C'est un don : rien à payer." in text_of(box[world.nonprofit_member.email][0])


def test_loan_returned_tells_the_borrower_side(
    webhook_client: FlaskClient, db_session: Session, world: World, mailbox: Mailbox, stripe_server: FakeStripe
) -> None:
    client = webhook_client
    listing = make_listing(
        db_session, world.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=30, deposit_cents=8_000
    )
    body = {"start": today().isoformat(), "end": (today() + dt.timedelta(days=3)).isoformat()}
    loan = client.post(f"/api/v1/listings/{listing.id}/loans", json=body, headers=world.member.headers).get_json()
    stored = db_session.get(Loan, loan["id"])
    assert stored is not None and stored.stripe_payment_intent_id
    assert stripe_server.send(stripe_server.confirm_payment_intent(stored.stripe_payment_intent_id)) == 200
    assert client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers).status_code == 200
    mailbox.new()
    inspection = {"condition": "damaged", "notes": "Rayure", "decision": "partly_captured", "capture_cents": 4_000}
    response = client.post(f"/api/v1/loans/{loan['id']}/return", json=inspection, headers=world.lister.headers)
    assert response.status_code == 200, response.get_json()
    box = mailbox.by_recipient()
    assert set(box) == {world.member.email, world.buyer_admin.email}
    text = text_of(box[world.member.email][0])
    assert "Dommage constaté : 40,00\xa0€." in text and "Prélevé sur la caution : 40,00\xa0€." in text


def test_nothing_is_sent_when_the_change_rolls_back(
    webhook_client: FlaskClient, db_session: Session, world: World, mailbox: Mailbox
) -> None:
    listing = make_listing(db_session, world.seller["id"])
    principal = members.authenticate(db_session, world.member.token)
    before = db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    savepoint = db_session.begin_nested()
    held = reservations.create_reservation(db_session, principal, listing.id)
    orders.create_order(
        db_session, principal, idempotency_key="k1", reservation_id=held.id, payment=PaymentMethod.INVOICE,
        gateway=None, platform_fee_bps=0,
    )  # fmt: skip
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) > before
    savepoint.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before
    assert mailbox.new() == []
    # A refused request (an order on a reservation that is not the caller's) writes nothing either.
    held_api = reserve(webhook_client, world.member, listing.id)
    mailbox.new()
    headers = {**world.buyer_admin.headers, "Idempotency-Key": "k2"}
    refused = webhook_client.post("/api/v1/orders", json={"reservation_id": held_api["id"], "payment": "invoice"},
                                  headers=headers)  # fmt: skip
    assert refused.status_code == 404
    assert mailbox.new() == []


def test_opted_out_categories_are_not_written_essential_ones_always_are(
    webhook_client: FlaskClient, db_session: Session, world: World, mailbox: Mailbox
) -> None:
    client = webhook_client
    settings = client.get("/api/v1/me/notifications", headers=world.member.headers)
    assert settings.status_code == 200
    categories = {c["category"]: c for c in settings.get_json()["categories"]}
    assert categories["invoices"]["essential"] and categories["invoices"]["enabled"]
    assert categories["orders"]["enabled"] and not categories["orders"]["essential"]
    assert "invoice_issued" in categories["invoices"]["kinds"]

    # Essential ones cannot be turned off; unknown ones are refused; nothing changes then.
    for body in ({"invoices": False}, {"account": False, "orders": False}, {"nope": False}):
        refused = client.patch("/api/v1/me/notifications", json={"categories": body}, headers=world.member.headers)
        assert refused.status_code == 422, refused.get_json()
    assert all(c["enabled"] for c in client.get("/api/v1/me/notifications", headers=world.member.headers)
               .get_json()["categories"])  # fmt: skip
    assert "invoices" in refused.get_json()["errors"] or "nope" in refused.get_json()["errors"]

    response = client.patch(
        "/api/v1/me/notifications", json={"categories": {"orders": False, "reservations": False}},
        headers=world.member.headers,
    )  # fmt: skip
    assert response.status_code == 200
    assert {c["category"]: c["enabled"] for c in response.get_json()["categories"]}["orders"] is False
    orders_off = {"categories": {"orders": False}}
    again = client.patch("/api/v1/me/notifications", json=orders_off, headers=world.member.headers)
    assert again.status_code == 200  # idempotent
    lister_off = client.patch(
        "/api/v1/me/notifications", json={"categories": {"reservations": False}}, headers=world.lister.headers
    )
    assert lister_off.status_code == 200

    listing = make_listing(db_session, world.seller["id"])
    held = reserve(client, world.member, listing.id)
    assert set(mailbox.by_recipient()) == {world.seller_admin.email}  # the lister turned holds off
    order(client, world.member, held["id"], "invoice")
    box = mailbox.by_recipient()
    # The member turned orders off: no "confirmed", but the invoice (essential) still comes.
    assert [str(m["Subject"]).strip().split(" ")[0] for m in box[world.member.email]] == ["Facture"]
    assert len(box[world.buyer_admin.email]) == 2

    # Turned on again: received again.
    client.patch("/api/v1/me/notifications", json={"categories": {"reservations": True}}, headers=world.lister.headers)
    held = reserve(client, world.member, make_listing(db_session, world.seller["id"]).id)
    assert set(mailbox.by_recipient()) == {world.seller_admin.email, world.lister.email}


def test_settings_need_a_person(client: FlaskClient) -> None:
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.patch("/api/v1/me/notifications", json={"categories": {"orders": False}}).status_code == 401


def test_data_is_escaped_in_the_html_part_and_subjects_stay_one_line() -> None:
    from marketplace.notifications import events as notify
    from marketplace.notifications import outbox

    context = {
        "display_name": "Zoé", "device": "Dell\n<b>Latitude</b>", "asset_tag": "AT-1",
        "device_link": "https://relife.example/d/ABC", "buyer": "Mairie & Co", "donation": False,
        "expires_at": dt.datetime(2026, 12, 7, 23, 40, tzinfo=dt.UTC), "price": notify.Money(123_450, "EUR"),
    }  # fmt: skip
    rendered = outbox.render("reservation_made", "en", notify._localised(context, "en"))
    assert rendered.subject == "Dell <b>Latitude</b> is reserved by Mairie & Co"
    assert "<b>" not in rendered.html and "Dell\n&lt;b&gt;Latitude&lt;/b&gt;" in rendered.html.replace("<br>\n", "\n")
    assert "Mairie &amp; Co" in rendered.html
    assert "until 12:40" in rendered.text and "(Paris time)" in rendered.text  # 23:40 UTC in Paris, winter
    assert '<a href="https://relife.example/d/ABC">' in rendered.html
