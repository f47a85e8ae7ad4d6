"""The outbox seen by cluster staff: what waits, what failed and why, what was sent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import Forbidden, InvalidState, NotFound
from marketplace.members.access import Principal, require_user
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from marketplace.pagination import Page, id_page


def _require_staff(principal: Principal | None) -> Principal:
    principal = require_user(principal)
    if not principal.is_staff:
        raise Forbidden("Only cluster staff see the outbox.")
    return principal


def list_outbox(
    session: Session,
    principal: Principal | None,
    *,
    status: OutboxStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[OutboxMessage]:
    """Messages, newest first, one page (``marketplace.pagination``: a bad cursor is a 422)."""
    _require_staff(principal)
    stmt = sa.select(OutboxMessage)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return id_page(session, stmt, OutboxMessage.id, cursor=cursor, limit=limit)


def retry(session: Session, principal: Principal | None, message_id: int) -> OutboxMessage:
    """Send a failed message again (after its address or the relay was fixed); same Message-ID."""
    _require_staff(principal)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("No such message.")
    if message.status != OutboxStatus.FAILED:
        raise InvalidState(f"Only a failed message is retried; this one is {message.status.value}.")
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    session.flush()
    return message
