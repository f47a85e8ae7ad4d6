"""HTTP routes of notifications: the outbox (cluster staff) and each user's email settings."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.members.access import require_user
from marketplace.notifications import preferences, schemas, service
from marketplace.notifications.models import OutboxMessage

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Emails waiting, failed and sent")


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.arguments(schemas.OutboxQueryArgsSchema, location="query")
    @blp.response(200, schemas.OutboxListSchema)
    @blp.alt_response(403, description="Cluster staff only")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The outbox, newest first: pending (with the last error of a retry), failed, sent (staff)"""
        page = service.list_outbox(
            current_session(), current_principal(), status=args["status"], cursor=args["cursor"], limit=args["limit"]
        )
        return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/outbox/<int:message_id>/retry")
class OutboxRetry(MethodView):
    @blp.response(200, schemas.OutboxMessageSchema)
    @blp.alt_response(403, description="Cluster staff only")
    @blp.alt_response(404, description="No such message")
    @blp.alt_response(409, description="The message has not failed")
    def post(self, message_id: int) -> OutboxMessage:
        """Send a failed message again, with the same Message-ID (staff)"""
        return service.retry(current_session(), current_principal(), message_id)


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @blp.response(200, schemas.NotificationSettingsSchema)
    @blp.alt_response(401, description="Sign in first")
    def get(self) -> dict[str, Any]:
        """The categories of email you receive, which are essential, and whether each is on"""
        principal = require_user(current_principal())
        assert principal.user_id is not None
        return {"categories": preferences.settings_of(current_session(), principal.user_id)}

    @blp.arguments(schemas.NotificationChangesSchema)
    @blp.response(200, schemas.NotificationSettingsSchema)
    @blp.alt_response(401, description="Sign in first")
    @blp.alt_response(422, description="An unknown category, or an essential one turned off: nothing changed")
    def patch(self, body: dict[str, Any]) -> dict[str, Any]:
        """Turn categories of non-essential email on or off"""
        principal = require_user(current_principal())
        assert principal.user_id is not None
        return {"categories": preferences.update(current_session(), principal.user_id, body["categories"])}
