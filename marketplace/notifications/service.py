"""The outbox seen by cluster staff: what waits, what failed and why, what was sent."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import Forbidden, InvalidState, NotFound
from marketplace.members.access import Principal, require_user
from marketplace.notifications.models import OutboxMessage, OutboxStatus


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
    before_id: int | None = None,
    limit: int = 50,
) -> Sequence[OutboxMessage]:
    """Messages, newest first."""
    _require_staff(principal)
    stmt = sa.select(OutboxMessage)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    if before_id is not None:
        stmt = stmt.where(OutboxMessage.id < before_id)
    return session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)).all()


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
