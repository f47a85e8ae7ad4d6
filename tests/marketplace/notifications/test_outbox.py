"""The outbox end to end: a change writes its message in its own transaction, the worker delivers it
over SMTP to a real server, retries what the server defers, gives up on what it refuses, and staff
see all of it through the API."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.cli import command_session
from marketplace.db import utcnow
from marketplace.members.models import User
from marketplace.notifications import outbox, worker
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from tests.api_helpers import auth
from tests.fakes.smtp import LocalSmtp

PASSWORD = "a long enough passphrase"


def _register(client: FlaskClient, email: str, language: str | None = None) -> Any:
    body = {"email": email, "password": PASSWORD, "display_name": "Zoé Martin"}
    if language:
        body["language"] = language
    return client.post("/api/v1/users", json=body)


def _rows(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _staff(client: FlaskClient, session: Session) -> dict[str, str]:
    _register(client, "staff@outbox.example")
    session.execute(sa.update(User).where(User.email == "staff@outbox.example").values(is_staff=True))
    token = client.post("/api/v1/tokens", json={"email": "staff@outbox.example", "password": PASSWORD}).json
    return auth(token["token"])


def _deliver(app: Flask, clock: Any = utcnow) -> worker.DeliveryStats:
    settings = worker.MailSettings.from_url(app.config["RELIFE"].mail_url, app.config["RELIFE"].mail_from)
    transport = worker.SmtpTransport(settings)
    try:
        with app.app_context():
            return worker.deliver_due(command_session, transport, clock=clock)
    finally:
        transport.close()


def test_registration_writes_its_email_in_its_transaction(client: FlaskClient, db_session: Session) -> None:
    assert _register(client, "fr@outbox.example").status_code == 201
    assert _register(client, "en@outbox.example", "en").status_code == 201
    # Refused registrations (taken address, weak password) write nothing, their email included.
    assert _register(client, "fr@outbox.example").status_code == 409
    bad = client.post("/api/v1/users", json={"email": "x@outbox.example", "password": "short", "display_name": "X"})
    assert bad.status_code == 422
    rows = _rows(db_session)
    assert [(r.recipient, r.language, r.status) for r in rows] == [
        ("fr@outbox.example", "fr", OutboxStatus.PENDING),
        ("en@outbox.example", "en", OutboxStatus.PENDING),
    ]
    assert rows[0].subject == "Confirmez votre adresse email Relife"
    assert rows[1].subject == "Confirm your Relife email address"
    assert rows[0].message_id != rows[1].message_id


def test_worker_delivers_in_the_users_language_then_the_link_confirms_once(
    app: Flask, client: FlaskClient, runner: Any, db_session: Session, smtp: LocalSmtp
) -> None:
    _register(client, "fr@outbox.example")
    _register(client, "en@outbox.example", "en")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent: 2" in result.output
    received = {m["To"]: m for m in smtp.received()}
    assert set(received) == {"fr@outbox.example", "en@outbox.example"}
    rows = {r.recipient: r for r in _rows(db_session)}
    for address, message in received.items():
        assert message["Message-ID"] == rows[address].message_id
        assert message["From"] == "Relife <no-reply@relife.example>"
        assert rows[address].status == OutboxStatus.SENT and rows[address].sent_at is not None
    fr_text, fr_html = _parts(received["fr@outbox.example"])
    en_text, en_html = _parts(received["en@outbox.example"])
    assert "Bonjour Zoé Martin" in fr_text and 'lang="fr"' in fr_html
    assert "Hello Zoé Martin" in en_text and 'lang="en"' in en_html
    link = re.search(r"https://relife\.example/account/verify-email\?token=(\S+)", fr_text)
    assert link is not None
    token = link.group(1)
    assert f"token={token}" in fr_html  # the HTML part carries the same link
    # Nothing left: a second run sends nothing again.
    assert "sent: 0" in runner.invoke(args=["worker", "--once"]).output
    assert len(smtp.received()) == 2

    confirmed = client.post("/api/v1/email-verifications/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["email_verified"] is True
    again = client.post("/api/v1/email-verifications/confirm", json={"token": token})
    assert again.status_code == 409
    assert "already confirmed" in again.json["detail"]


def test_tampered_and_expired_links_are_refused_and_change_nothing(
    client: FlaskClient, runner: Any, db_session: Session, smtp: LocalSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from itsdangerous.timed import TimestampSigner

    from marketplace.members import accounts

    _register(client, "zoe@outbox.example")
    runner.invoke(args=["worker", "--once"])
    text, _ = _parts(smtp.received()[0])
    token = re.search(r"token=(\S+)", text).group(1)  # type: ignore[union-attr]
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    response = client.post("/api/v1/email-verifications/confirm", json={"token": tampered})
    assert response.status_code == 422 and "token" in response.json["errors"]
    assert "not valid" in response.json["detail"]

    user = db_session.scalar(sa.select(User).where(User.email == "zoe@outbox.example"))
    assert user is not None
    old = int(utcnow().timestamp()) - (accounts.VERIFICATION_HOURS * 3600 + 60)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: old)
    settings = accounts.LinkSettings("test-secret", "https://relife.example", "relife.example")
    expired = settings.serializer(accounts.VERIFICATION_SALT).dumps({"u": user.id, "e": user.email})
    monkeypatch.undo()
    response = client.post("/api/v1/email-verifications/confirm", json={"token": expired})
    assert response.status_code == 422 and "expired" in response.json["detail"]
    # Signed with another key (another deployment): refused too.
    foreign = accounts.LinkSettings("other-secret", "", "").serializer(accounts.VERIFICATION_SALT)
    response = client.post(
        "/api/v1/email-verifications/confirm", json={"token": foreign.dumps({"u": user.id, "e": user.email})}
    )
    assert response.status_code == 422
    db_session.refresh(user)
    assert user.email_verified_at is None


def test_deferred_message_is_retried_with_backoff_and_the_same_message_id(
    app: Flask, client: FlaskClient, db_session: Session, smtp: LocalSmtp
) -> None:
    _register(client, "zoe@outbox.example")
    smtp.refuse_next(451, "4.3.0 try again later", times=2)
    start = utcnow()
    first = _deliver(app, clock=lambda: start)
    assert (first.sent, first.retried) == (0, 1)
    (row,) = _rows(db_session)
    db_session.refresh(row)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.last_error is not None and row.last_error.startswith("451")
    assert row.next_attempt_at == start + worker.BACKOFF_BASE
    # Not due before its backoff: nothing is attempted.
    assert _deliver(app, clock=lambda: start + worker.BACKOFF_BASE / 2).attempted == 0
    second = _deliver(app, clock=lambda: start + worker.BACKOFF_BASE)
    assert second.retried == 1
    db_session.refresh(row)
    assert row.attempts == 2 and row.next_attempt_at == start + worker.BACKOFF_BASE + 2 * worker.BACKOFF_BASE
    third = _deliver(app, clock=lambda: row.next_attempt_at)
    assert third.sent == 1
    db_session.refresh(row)
    assert row.status == OutboxStatus.SENT and row.attempts == 3
    (message,) = smtp.received()
    assert message["Message-ID"] == row.message_id


def test_backoff_doubles_up_to_its_ceiling() -> None:
    delays = [worker.backoff(n) for n in range(1, worker.MAX_ATTEMPTS + 1)]
    assert delays[0] == worker.BACKOFF_BASE and delays[1] == 2 * worker.BACKOFF_BASE
    assert all(b >= a for a, b in itertools.pairwise(delays))
    assert delays[-1] == worker.BACKOFF_MAX


def test_refused_message_fails_at_once_staff_see_why_and_can_send_it_again(
    app: Flask, client: FlaskClient, db_session: Session, smtp: LocalSmtp
) -> None:
    staff = _staff(client, db_session)
    _deliver(app)  # the staff account's own verification email goes out
    _register(client, "gone@outbox.example", "en")
    smtp.refuse_next(550, "5.1.1 mailbox unavailable")
    stats = _deliver(app)
    assert (stats.sent, stats.failed) == (0, 1)

    failed = client.get("/api/v1/outbox?status=failed", headers=staff).json["items"]
    assert [(m["recipient"], m["attempts"]) for m in failed] == [("gone@outbox.example", 1)]
    assert failed[0]["last_error"].startswith("550 5.1.1")
    sent = client.get("/api/v1/outbox?status=sent", headers=staff).json["items"]
    assert [m["recipient"] for m in sent] == ["staff@outbox.example"]
    assert client.get("/api/v1/outbox?status=pending", headers=staff).json["items"] == []

    # Retrying a sent one is refused; the failed one goes back to pending and is delivered.
    assert client.post(f"/api/v1/outbox/{sent[0]['id']}/retry", headers=staff).status_code == 409
    retried = client.post(f"/api/v1/outbox/{failed[0]['id']}/retry", headers=staff)
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    assert _deliver(app).sent == 1
    assert [m["To"] for m in smtp.received()] == ["staff@outbox.example", "gone@outbox.example"]
    assert smtp.received()[1]["Message-ID"] == failed[0]["message_id"]


def test_a_message_deferred_every_time_fails_after_the_last_attempt(
    app: Flask, client: FlaskClient, db_session: Session, smtp: LocalSmtp
) -> None:
    _register(client, "busy@outbox.example")
    smtp.refuse_next(421, "4.7.0 busy", times=worker.MAX_ATTEMPTS)
    (row,) = _rows(db_session)
    for _ in range(worker.MAX_ATTEMPTS):
        db_session.refresh(row)
        due = row.next_attempt_at
        _deliver(app, clock=lambda due=due: due)
    db_session.refresh(row)
    assert row.status == OutboxStatus.FAILED and row.attempts == worker.MAX_ATTEMPTS
    assert row.last_error is not None and row.last_error.startswith("421")
    assert smtp.received() == []


def test_unreachable_server_is_a_retry_not_a_loss(app: Flask, client: FlaskClient, db_session: Session) -> None:
    _register(client, "zoe@outbox.example")
    settings = worker.MailSettings.from_url("smtp://127.0.0.1:9", "Relife <no-reply@relife.example>")
    with app.app_context():
        stats = worker.deliver_due(command_session, worker.SmtpTransport(settings, timeout=2))
    assert stats.retried == 1
    (row,) = _rows(db_session)
    db_session.refresh(row)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and row.last_error


def test_outbox_is_for_staff_only(client: FlaskClient, db_session: Session) -> None:
    assert client.get("/api/v1/outbox").status_code == 401
    _register(client, "someone@outbox.example")
    token = client.post("/api/v1/tokens", json={"email": "someone@outbox.example", "password": PASSWORD}).json
    assert client.get("/api/v1/outbox", headers=auth(token["token"])).status_code == 403
    assert client.post("/api/v1/outbox/1/retry", headers=auth(token["token"])).status_code == 403


def test_outbox_pages_newest_first(client: FlaskClient, db_session: Session) -> None:
    staff = _staff(client, db_session)
    for n in range(5):
        outbox.enqueue(
            db_session, kind="test", recipient=f"p{n}@outbox.example", language="en",
            context={"number": n}, sender_domain="relife.example",
        )  # fmt: skip
    seen: list[str] = []
    url = "/api/v1/outbox?limit=2"
    while url:
        page = client.get(url, headers=staff).json
        seen += [m["recipient"] for m in page["items"]]
        url = f"/api/v1/outbox?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == [f"p{n}@outbox.example" for n in range(4, -1, -1)] + ["staff@outbox.example"]


def test_mail_url_forms() -> None:
    plain = worker.MailSettings.from_url("smtp://mail.example:2525", "a@b.example")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == ("mail.example", 2525, False, False)
    secure = worker.MailSettings.from_url("smtps://u%40x:p%3Aw@mail.example", "a@b.example")
    assert (secure.port, secure.implicit_tls, secure.username, secure.password) == (465, True, "u@x", "p:w")
    assert worker.MailSettings.from_url("smtp://m.example:587?starttls=1", "a@b.example").starttls
    with pytest.raises(worker.MailConfigError):
        worker.MailSettings.from_url("http://mail.example", "a@b.example")


def test_worker_without_mail_url_says_what_is_missing(app: Flask, runner: Any) -> None:
    app.config["RELIFE"] = app.config["RELIFE"].replace(mail_url=None)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code != 0 and "MAIL_URL" in result.output


def test_unknown_language_falls_back_to_french() -> None:
    rendered = outbox.render("test", "de", {"number": 7})
    assert rendered.subject == "Message de test Relife" and "n° 7" in rendered.text
    assert dt.timedelta(0) < worker.backoff(1)
