"""Opaque keyset cursors.

A cursor is the sort key of the last item of a page, JSON-encoded then base64url'd; clients
treat it as opaque. A tampered or stale-format cursor is a 422 on the ``cursor`` field.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import marshmallow as ma
import orjson

from marketplace.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Invalid cursor."]})
    return values


def limit_field(max_size: int = MAX_PAGE_SIZE, default: int = DEFAULT_PAGE_SIZE) -> ma.fields.Integer:
    return ma.fields.Integer(
        load_default=default,
        validate=ma.validate.Range(min=1, max=max_size),
        metadata={"description": f"Page size, 1 to {max_size} (default {default}); above → 422."},
    )


class PageSchema(ma.Schema):
    next_cursor = ma.fields.String(allow_none=True)
