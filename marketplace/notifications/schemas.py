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


class NotificationCategorySchema(Schema):
    category = ma.fields.String(metadata={"description": "The category's name (use it in PATCH)"})
    essential = ma.fields.Boolean(metadata={"description": "Account security, legal or financial: always sent"})
    enabled = ma.fields.Boolean()
    kinds = ma.fields.List(ma.fields.String(), metadata={"description": "The messages in this category"})
    description = ma.fields.String()


class NotificationSettingsSchema(Schema):
    categories = ma.fields.List(ma.fields.Nested(NotificationCategorySchema))


class NotificationChangesSchema(Schema):
    categories = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(min=1, max=32)),
        values=ma.fields.Boolean(),
        required=True,
        validate=ma.validate.Length(min=1, max=20),
        metadata={
            "description": "Category name → on (true) or off (false). Turning off an essential one is a 422.",
            "example": {"reservations": False, "loans": True},
        },
    )
