"""Numbers from text read ASCII digits only (no Flask here: the devices' specs schemas use it too).

marshmallow's ``Integer``/``Float``/``Decimal`` call ``int()``/``float()`` on text, which read any
script's digits: ``limit=٥``, ``organisation_id=３`` or ``"ram_gb": "٨"`` were taken as 5, 3
and 8. Identifiers and quantities in this API are written with 0-9 (issue 20, class 6), so text
holding any other character is refused as "Not a valid number/integer" like other bad input.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

#: Database ids are PostgreSQL ``integer`` keys: 1 to 2**31-1. A larger one names nothing, and
#: would overflow in the driver (a 500) if it reached a query.
MAX_ID = 2**31 - 1
#: The validator of every id a client sends (paths use ``http.IdConverter``, which reads MAX_ID).
ID_RANGE = ma.validate.Range(min=1, max=MAX_ID)
#: Amounts in cents and other non-negative quantities stored as ``integer``.
INT32_AMOUNT = ma.validate.Range(min=0, max=MAX_ID)


def ascii_digits_only(field: ma.fields.Field[Any]) -> None:
    """Make a number ``field`` refuse non-ASCII text (other fields are left as they are)."""
    if not isinstance(field, ma.fields.Number) or getattr(field, "_relife_ascii_only", False):
        return
    validated = field._validated

    def ascii_validated(value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            raise field.make_error("invalid", input=value)
        return validated(value)

    # Number._deserialize calls self._validated: the instance's wrapper now comes first.
    setattr(field, "_validated", ascii_validated)  # noqa: B010 - an instance method override
    setattr(field, "_relife_ascii_only", True)  # noqa: B010


class AsciiNumbers:
    """Schema mixin: every number field of the schema reads ASCII digits only (``on_bind_field`` is
    marshmallow's hook for adjusting a schema instance's fields; no load hook, so the query fast
    path, which reads only 0-9 itself, stays available)."""

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field[Any]) -> None:
        super().on_bind_field(field_name, field_obj)
        ascii_digits_only(field_obj)
