"""The API side of keyset pagination: the ``cursor`` and ``limit`` query fields, their OpenAPI
text, and the page shape. Cursors themselves: ``marketplace.pagination``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from marketplace.pagination import MAX_CURSOR_LENGTH

DEFAULT_PAGE_SIZE = 50
#: Largest page of every list but the catalogue's (``listings.search.MAX_PAGE_SIZE``).
MAX_PAGE_SIZE = 200

CURSOR_DESCRIPTION = (
    "Opaque keyset cursor: the `next_cursor` of the previous page, passed back unchanged with the "
    f"same filters and sort (at most {MAX_CURSOR_LENGTH} characters). A cursor that was not made by "
    "this endpoint is a 422 problem on `cursor`."
)


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
