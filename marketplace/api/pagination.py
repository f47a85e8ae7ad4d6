"""Opaque keyset cursors: the one place where they are made, read and documented.

A cursor is the sort key of the last item of a page, JSON-encoded then base64url'd; clients
treat it as opaque. Every list endpoint reads its cursor through ``decode_cursor`` (or
``decode_id_cursor``), which checks the whole shape: a JSON array of exactly the expected
length, the expected tag first when there is one (the catalogue's sort name), then integers
within PostgreSQL's ``integer`` range (``true`` is not an integer here, though Python says so).
Anything else (bad base64, other JSON, a tampered or stale-format cursor) is a 422 problem on
the ``cursor`` field, never a value that reaches the database.
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
#: Longer than any cursor we hand out (the catalogue's: a sort name and three keys).
MAX_CURSOR_LENGTH = 500
#: Keys are database integers (ids, prices, ranks): PostgreSQL's ``integer``.
KEY_MIN = -(2**31)
KEY_MAX = 2**31 - 1

CURSOR_DESCRIPTION = (
    "Opaque keyset cursor: the `next_cursor` of the previous page, passed back unchanged with the "
    f"same filters and sort (at most {MAX_CURSOR_LENGTH} characters). A cursor that was not made by "
    "this endpoint is a 422 problem on `cursor`."
)


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def _invalid(message: str = "Invalid cursor.", detail: str = "The cursor is not valid.") -> ValidationFailed:
    return ValidationFailed(detail, errors={"cursor": [message]})


def _is_key(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and KEY_MIN <= value <= KEY_MAX


def decode_cursor(cursor: str, *, keys: int, tag: str | None = None) -> list[int]:
    """The integer keys of ``cursor`` (``[tag, *keys]`` when ``tag`` is given), or a 422."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):  # orjson.JSONDecodeError is a ValueError
        raise _invalid() from None
    if not isinstance(values, list):
        raise _invalid()
    if tag is not None:
        head = values.pop(0) if values else None
        if head != tag:
            made_for = head if isinstance(head, str) and len(head) <= 40 else "another sort"
            raise _invalid(f"Made for sort={made_for}.", "The cursor belongs to another sort order.")
    if len(values) != keys or not all(_is_key(v) for v in values):
        raise _invalid()
    return values


def decode_id_cursor(cursor: str) -> int:
    """The id of the last item of the previous page (a positive database id), or a 422."""
    (last_id,) = decode_cursor(cursor, keys=1)
    if last_id < 1:
        raise _invalid()
    return last_id


def cursor_field(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(max=MAX_CURSOR_LENGTH), metadata={"description": CURSOR_DESCRIPTION}, **kwargs
    )


def limit_field(max_size: int = MAX_PAGE_SIZE, default: int = DEFAULT_PAGE_SIZE) -> ma.fields.Integer:
    return ma.fields.Integer(
        load_default=default,
        validate=ma.validate.Range(min=1, max=max_size),
        metadata={"description": f"Page size, 1 to {max_size} (default {default}); above → 422."},
    )


class PageSchema(ma.Schema):
    next_cursor = ma.fields.String(allow_none=True)
