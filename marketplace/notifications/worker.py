"""Delivering the outbox over SMTP: claim one due row, send it, record the outcome.

Claiming. On PostgreSQL each message is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in its own
transaction, held while the SMTP server answers and committed with the outcome: workers on any
number of machines take different rows, and a worker that dies (SIGKILL, lost machine) loses its
connection, PostgreSQL ends the transaction and the row is due again at once for the others. SQLite
has no row locks: the row is read, the read transaction ended, the message sent, then the outcome
written in a short write transaction (so the app's writers never wait on the SMTP server). Run one
worker on SQLite: two would send the same row twice.

The one window no mail system closes: the SMTP server accepted the message and the worker died
before the outcome was committed. The row is then still pending and is sent again, with the same
``Message-ID`` (chosen when the row was written), so a receiver or a human sees a duplicate.

Outcomes. Accepted → ``sent``. A permanent refusal (5xx) → ``failed`` at once with the server's
answer. Anything else (connection refused or lost, timeout, 4xx) → retried after
``backoff(attempts)`` until ``MAX_ATTEMPTS``, then ``failed``; ``last_error`` keeps the last reason.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import SQLITE_IMMEDIATE, utcnow
from marketplace.notifications.models import OutboxMessage, OutboxStatus

#: First retry after this long, doubling each time, at most ``BACKOFF_MAX``.
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=6)
#: About 1 day 13 h of retries in all (30 s, 1, 2, 4, 8, 16, 32, 64 min, 2 h 8, 4 h 16, then 6 h each).
MAX_ATTEMPTS = 14
SMTP_TIMEOUT_SECONDS = 30.0


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1-based)."""
    exponent = max(0, min(attempts - 1, 20))
    delay: dt.timedelta = min(BACKOFF_BASE * (2**exponent), BACKOFF_MAX)
    return delay


class MailConfigError(ValueError):
    pass


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str, sender: str) -> MailSettings:
        """``smtp://host:port``, ``smtps://host:port``, ``smtp://user:password@host:587?starttls=1``."""
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise MailConfigError(f"MAIL_URL must look like smtp://host:port, not {parts.scheme or url!r}")
        implicit = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["0"])[0].lower() in {"1", "true", "yes"}
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            sender=sender,
            implicit_tls=implicit,
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpTransport:
    """One SMTP connection, opened when first needed and reused for the following messages."""

    def __init__(self, settings: MailSettings, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.implicit_tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if s.username:
            smtp.login(s.username, s.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    recipient: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    attempts: int
    created_at: dt.datetime


def build_email(row: Claimed, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = email.utils.format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer: sending the same message again would be refused again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


SessionScope = Callable[[], AbstractContextManager[Session]]


def _due(now: dt.datetime) -> sa.Select[OutboxMessage]:
    return (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )


def _claimed(row: OutboxMessage) -> Claimed:
    return Claimed(
        row.id, row.recipient, row.subject, row.text_body, row.html_body, row.message_id, row.attempts, row.created_at
    )


def _outcome(claimed: Claimed, error: BaseException | None, now: dt.datetime) -> dict[str, object]:
    attempts = claimed.attempts + 1
    if error is None:
        return {"status": OutboxStatus.SENT, "attempts": attempts, "sent_at": now, "last_error": None}
    if is_permanent(error) or attempts >= MAX_ATTEMPTS:
        return {"status": OutboxStatus.FAILED, "attempts": attempts, "last_error": describe(error)}
    return {"attempts": attempts, "last_error": describe(error), "next_attempt_at": now + backoff(attempts)}


def _record(session: Session, claimed: Claimed, values: dict[str, object]) -> None:
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(**values)
    )
    session.commit()


def deliver_one(
    session: Session, transport: SmtpTransport, *, clock: Callable[[], dt.datetime] = utcnow
) -> tuple[Claimed, BaseException | None] | None:
    """Claim, send and record one due message in ``session``; None when nothing is due."""
    postgres = session.get_bind().dialect.name == "postgresql"
    query = _due(clock())
    if postgres:
        query = query.with_for_update(skip_locked=True)
    row = session.scalars(query).first()
    if row is None:
        session.rollback()
        return None
    claimed = _claimed(row)
    if not postgres:
        session.commit()  # end the read; the outcome is written in a write transaction of its own
    error: BaseException | None = None
    try:
        transport.send(build_email(claimed, transport.settings.sender))
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        error = exc
    if not postgres:
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    _record(session, claimed, _outcome(claimed, error, clock()))
    return claimed, error


def deliver_due(
    sessions: SessionScope,
    transport: SmtpTransport,
    *,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], dt.datetime] = utcnow,
) -> DeliveryStats:
    """Deliver messages until none is due (or ``limit`` attempts, or ``should_stop()``)."""
    stats = DeliveryStats()
    while (limit is None or stats.attempted < limit) and not should_stop():
        with sessions() as session:
            result = deliver_one(session, transport, clock=clock)
        if result is None:
            break
        claimed, error = result
        if error is None:
            stats.sent += 1
        elif is_permanent(error) or claimed.attempts + 1 >= MAX_ATTEMPTS:
            stats.failed += 1
        else:
            stats.retried += 1
            # The server is likely down or busy: the next messages would fail the same way now.
            break
    return stats


def session_scope(factory: Callable[[], Session]) -> SessionScope:
    from contextlib import contextmanager

    @contextmanager
    def scope() -> Iterator[Session]:
        session = factory()
        try:
            yield session
        finally:
            session.close()

    return scope
