"""Pre-serialised JSON responses for hot read paths.

flask-smorest passes a returned ``Response`` through ``@blp.response`` untouched, so a view can
keep its response schema for the OpenAPI document while serialising plain dicts with orjson
(enums, aware datetimes and nested dicts natively) instead of a marshmallow dump. Use it only
where the service already returns exactly the documented shape.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response


def json_response(payload: Any, status: int = 200) -> Response:
    # content_type rather than mimetype: werkzeug then has no content type to work out per response.
    return Response(orjson.dumps(payload), status=status, content_type="application/json")
