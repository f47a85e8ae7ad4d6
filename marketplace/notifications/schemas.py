"""API shapes of the outbox (staff only)."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.pagination import PageSchema, cursor_field, limit_field
from marketplace.api.smorest import Schema
from marketplace.notifications.models import OutboxStatus


class OutboxQueryArgsSchema(Schema):
    status = ma.fields.Enum(OutboxStatus, by_value=True, load_default=None)
    cursor = cursor_field(load_default=None)
    limit = limit_field()


class OutboxMessageSchema(Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    recipient = ma.fields.String()
    language = ma.fields.String()
    subject = ma.fields.String()
    message_id = ma.fields.String(metadata={"description": "The Message-ID header: the same on every attempt"})
    status = ma.fields.Enum(OutboxStatus, by_value=True)
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime(metadata={"description": "When a pending message is next tried"})
    last_error = ma.fields.String(allow_none=True, metadata={"description": "The last failed attempt's reason"})
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class OutboxListSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(OutboxMessageSchema))
