"""Keyset pagination: the one place where cursors are made and read, and pages cut.

A cursor is the sort key of the last item of a page, JSON-encoded then base64url'd; clients
treat it as opaque. Every list endpoint reads its cursor through ``decode_cursor`` (or
``decode_id_cursor``), which checks the whole shape: a JSON array of exactly the expected
length, the expected tag first when there is one (the catalogue's sort name), then integers
within PostgreSQL's ``integer`` range (``true`` is not an integer here, though Python says so).
Anything else (bad base64, other JSON, a tampered or stale-format cursor) is a 422 problem on
the ``cursor`` field, never a value that reaches the database.

``id_page`` is the page of every list ordered by id (devices, reports, orders, loans, the
passport); the catalogue keys on its sort columns with ``decode_cursor`` itself. The API side
(the ``cursor`` and ``limit`` fields, their OpenAPI text) is ``api.pagination``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.errors import ValidationFailed

#: Longer than any cursor we hand out (the catalogue's: a sort name and three keys).
MAX_CURSOR_LENGTH = 500
#: Keys are database integers (ids, prices, ranks): PostgreSQL's ``integer``.
KEY_MIN = -(2**31)
KEY_MAX = 2**31 - 1


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


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def id_page(
    session: Session,
    query: sa.Select[T],
    id_column: sa.ColumnElement[int] | Any,
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = True,
) -> Page[T]:
    """One page of ``query`` ordered by ``id_column``: after the cursor's id (a bad cursor is a
    422), at most ``limit`` items, and the cursor of the next page when there is one."""
    if cursor is not None:
        last = decode_id_cursor(cursor)
        query = query.where(id_column < last if newest_first else id_column > last)
    order = id_column.desc() if newest_first else id_column.asc()
    rows = list(session.scalars(query.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([_id_of(rows[-1], id_column)]) if more else None
    return Page(rows, next_cursor)


def _id_of(row: Any, id_column: Any) -> int:
    return int(getattr(row, id_column.key))
