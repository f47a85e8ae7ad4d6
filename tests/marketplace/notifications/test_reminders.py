"""Reminders come from ``flask --app wsgi notify-due``: each is written once however often, and
however many machines at once, the command runs; a new due moment (a loan extended) is a new one."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace import cli, create_app, migrate
from marketplace.config import Config
from marketplace.db import utcnow
from marketplace.listings.models import ListingMode
from marketplace.loans.models import Loan
from marketplace.members.models import Organisation, User
from marketplace.notifications import reminders
from marketplace.notifications.models import OutboxMessage
from marketplace.orders.models import Order
from marketplace.reservations.models import Reservation
from tests.api_helpers import Actor
from tests.dbutil import fresh_database
from tests.fakes.smtp import LocalSmtp
from tests.marketplace.trade import World, build_world, make_listing


def today() -> dt.date:
    """Read at each use: a run that crosses midnight UTC must not book loans in the past."""
    return dt.datetime.now(dt.UTC).date()


#: What ``due_now`` makes due, by kind: how many people each reminder goes to.
EXPECTED = {
    "reservation_expiring": 1,  # the holder
    "invoice_due": 2,  # the member who ordered, the buyer's admin
    "invoice_overdue": 4,  # ... and the seller's admin and lister
    "loan_starting": 3,  # the borrower, the lender's admin and lister
    "loan_due": 2,  # the borrower, the borrower's admin
    "loan_overdue": 4,  # ... and the lender's admin and lister
}


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in {200, 201}, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def _invoice_order(client: FlaskClient, session: Session, world: World, actor: Actor) -> dict[str, Any]:
    listing = make_listing(session, world.seller["id"])
    held = _ok(client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=actor.headers))
    headers = {**actor.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"reservation_id": held["id"], "payment": "invoice"}
    return _ok(client.post("/api/v1/orders", json=body, headers=headers))


def _loan(client: FlaskClient, session: Session, world: World, start: int, end: int, hand_over: bool) -> int:
    listing = make_listing(session, world.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=30)
    body = {"start": str(today() + dt.timedelta(days=start)), "end": str(today() + dt.timedelta(days=end))}
    loan = _ok(client.post(f"/api/v1/listings/{listing.id}/loans", json=body, headers=world.member.headers))
    if hand_over:
        _ok(client.post(f"/api/v1/loans/{loan['id']}/handover", headers=world.lister.headers))
    return int(loan["id"])


def due_now(client: FlaskClient, session: Session) -> World:
    """A world where one of each reminder is due now (dates moved in the database)."""
    world = build_world(client, session, None)
    buyer = session.get(Organisation, world.buyer["id"])
    lister = session.get(User, world.lister.user_id)
    assert buyer is not None and lister is not None
    buyer.invoice_allowed = True
    lister.language = "en"
    session.commit()
    due = _invoice_order(client, session, world, world.member)
    overdue = _invoice_order(client, session, world, world.member)
    _loan(client, session, world, 1, 5, hand_over=False)  # starts tomorrow
    _loan(client, session, world, 0, 2, hand_over=True)  # due back the day after tomorrow
    late = _loan(client, session, world, 0, 3, hand_over=True)
    listing = make_listing(session, world.seller["id"])
    held = _ok(client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=world.member.headers))
    session.execute(sa.update(Order).where(Order.id == due["id"]).values(invoice_due_on=today() + dt.timedelta(days=3)))
    session.execute(
        sa.update(Order).where(Order.id == overdue["id"]).values(invoice_due_on=today() - dt.timedelta(days=1))
    )
    session.execute(
        sa.update(Loan)
        .where(Loan.id == late)
        .values(start_date=today() - dt.timedelta(days=6), end_date=today() - dt.timedelta(days=1))
    )
    session.execute(
        sa.update(Reservation).where(Reservation.id == held["id"]).values(expires_at=utcnow() + dt.timedelta(minutes=5))
    )
    session.commit()
    return world


def reminder_rows(session: Session) -> Counter[str]:
    kinds = session.scalars(sa.select(OutboxMessage.kind).where(OutboxMessage.kind.in_(list(EXPECTED))))
    return Counter(kinds)


def test_notify_due_twice_writes_each_reminder_once_and_the_worker_delivers_them(
    client: FlaskClient, db_session: Session, runner: Any, smtp: LocalSmtp
) -> None:
    world = due_now(client, db_session)
    runner.invoke(args=["worker", "--once"])
    smtp.messages.clear()

    first = runner.invoke(args=["notify-due"])
    assert first.exit_code == 0, first.output
    assert f"reminders written: {sum(EXPECTED.values())}" in first.output
    second = runner.invoke(args=["notify-due"])
    assert "reminders written: 0" in second.output
    assert reminder_rows(db_session) == Counter(EXPECTED)

    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    received: dict[str, list[EmailMessage]] = {}
    for message in smtp.received():
        received.setdefault(str(message["To"]), []).append(message)
    assert len(smtp.received()) == sum(EXPECTED.values())
    # The member reserved, ordered and borrowed: every reminder but none of the lender's own.
    assert len(received[world.member.email]) == 6
    lister_subjects = sorted(str(m["Subject"]).strip() for m in received[world.lister.email])
    assert [s.split(" ")[0] for s in lister_subjects] == ["Invoice", "Loan", "The"]
    assert any("unpaid: it was due on" in s for s in lister_subjects)  # English, the lister's language
    member_subjects = {str(m["Subject"]).strip() for m in received[world.member.email]}
    assert any(s.startswith("Votre réservation de") for s in member_subjects)
    assert any(s.startswith("Rappel : facture") for s in member_subjects)


def test_a_new_due_moment_is_a_new_reminder_and_opt_out_is_respected(client: FlaskClient, db_session: Session) -> None:
    world = due_now(client, db_session)
    reminders.enqueue_due(db_session)
    # The borrower asks to extend the loan due soon, the lender approves: a new end, a new "due"
    # reminder when it comes near.
    loan = db_session.scalar(sa.select(Loan).where(Loan.end_date == today() + dt.timedelta(days=2)))
    assert loan is not None
    asked = client.post(
        f"/api/v1/loans/{loan.id}/extensions", json={"end": (today() + dt.timedelta(days=10)).isoformat()},
        headers=world.member.headers,
    )  # fmt: skip
    assert asked.status_code == 201, asked.get_json()
    extended = client.post(f"/api/v1/loan-extensions/{asked.get_json()['id']}/approve", headers=world.lister.headers)
    assert extended.status_code == 200, extended.get_json()
    assert reminders.enqueue_due(db_session) == Counter()
    later = utcnow() + dt.timedelta(days=9)
    # The buyer's admin turned loan reminders off: only the member (who booked) hears of it.
    response = client.patch("/api/v1/me/notifications", json={"categories": {"loans": False}},
                            headers=world.buyer_admin.headers)  # fmt: skip
    assert response.status_code == 200
    written = reminders.enqueue_due(db_session, now=later)
    assert written["loan_due"] == 1


def _thread_run(app: Flask, barrier: threading.Barrier, out: list[dict[str, int]]) -> None:
    with app.app_context():
        barrier.wait(timeout=30)
        out.append(cli.enqueue_reminders())


def test_concurrent_notify_due_writes_each_reminder_once(tmp_path: Path, smtp: LocalSmtp) -> None:
    with fresh_database(tmp_path, "reminders") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="s", mail_url=smtp.url))
        try:
            with app.app_context():
                session = app.extensions["relife.db"].factory()
                try:
                    due_now(app.test_client(), session)
                finally:
                    session.close()
            for _round in range(2):
                barrier = threading.Barrier(4)
                results: list[dict[str, int]] = []
                threads = [threading.Thread(target=_thread_run, args=(app, barrier, results)) for _ in range(4)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=60)
                assert len(results) == 4
                total: Counter[str] = Counter()
                for result in results:
                    total.update(result)
                assert total == (Counter(EXPECTED) if _round == 0 else Counter())
            with app.app_context():
                session = app.extensions["relife.db"].factory()
                try:
                    assert reminder_rows(session) == Counter(EXPECTED)
                finally:
                    session.close()
        finally:
            app.extensions["relife.engine"].dispose()
