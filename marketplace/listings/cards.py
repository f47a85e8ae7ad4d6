"""A listing as the API shows it: one Core select of exactly the columns a card shows (no ORM
objects, no serial, no asset tag), each labelled with the name it takes in the JSON.

Core, not ORM attributes: no ORM compile or loading step per query, and the search endpoint
serialises the dicts straight to JSON (``schemas.ListingSchema`` documents the shape).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.listings.models import Listing
from marketplace.media.models import Photo
from marketplace.members.models import Organisation

_L = Listing.__table__.c
_O = Organisation.__table__.c
_P = Photo.__table__.c


def text_column(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """An enum column read as its stored string: the JSON needs the value, not an Enum object."""
    return sa.type_coerce(column, sa.String).label(column.name)


#: The card's own fields, in JSON order; each column's label is its key.
_LISTING = (
    _L.id,
    _L.device_id,
    text_column(_L.status),
    _L.suspended_reason.label("status_reason"),
    text_column(_L.mode),
    text_column(_L.visibility),
    _L.price_cents,
    _L.currency,
    _L.warranty_months,
    _L.return_days,
    _L.min_days,
    _L.max_days,
    _L.deposit_cents,
    _L.eligible_kinds,
    _L.postcode,
    _L.department,
    _L.description,
    _L.created_at,
    _L.updated_at,
)
#: ``device``: the listing's snapshot of it (``listability.follow.sync_from_device``).
_DEVICE = (
    text_column(_L.kind),
    _L.make,
    _L.model,
    _L.specs,
    _L.health,
    _L.grade,
    text_column(_L.cosmetic_grade),
    _L.battery_health_pct,
    _L.key_findings,
    _L.remaining_life,
)
#: ``organisation``: its public face; labels carry the prefix so they stay unique in the select.
_ORGANISATION_PREFIX = "organisation_"
_ORGANISATION = (
    _L.organisation_id,
    _O.name.label("organisation_name"),
    text_column(_L.organisation_kind),
    _O.department.label("organisation_department"),
)

CARD_COLUMNS: tuple[sa.ColumnElement[Any], ...] = (*_LISTING, *_DEVICE, *_ORGANISATION)
CARD_FROM = sa.join(Listing.__table__, Organisation.__table__, _O.id == _L.organisation_id)

_LISTING_KEYS = tuple(str(c.key) for c in _LISTING)
_DEVICE_KEYS = tuple(str(c.key) for c in _DEVICE)
_ORGANISATION_KEYS = tuple(str(c.key).removeprefix(_ORGANISATION_PREFIX) for c in _ORGANISATION)


def card(row: Iterable[Any]) -> dict[str, Any]:
    """The card of a row that starts with ``CARD_COLUMNS`` (the search appends its sort keys).

    Each group of values is paired with its labels in order: the keys come first in each ``zip``,
    so a group takes exactly its own columns from the row and leaves the next group's."""
    values = iter(row)
    out = dict(zip(_LISTING_KEYS, values, strict=False))
    out["device"] = dict(zip(_DEVICE_KEYS, values, strict=False))
    out["organisation"] = dict(zip(_ORGANISATION_KEYS, values, strict=False))
    return out


def read_card(session: Session, listing_id: int) -> dict[str, Any]:
    """The card of one listing, with its photos (the search's cards leave them out: one more
    query per card; a client reads them here or at ``/listings/{id}/photos``)."""
    statement = sa.select(*CARD_COLUMNS).select_from(CARD_FROM).where(_L.id == listing_id)
    out = card(session.connection().execute(statement).one())
    out["photos"] = listing_photos(session, listing_id)
    return out


def listing_photos(session: Session, listing_id: int) -> list[dict[str, Any]]:
    """The listing's photos as the card shows them: where to fetch each and its size."""
    rows = session.connection().execute(
        sa.select(_P.id, _P.width, _P.height, _P.content_type)
        .where(_P.attached_type == "listing", _P.attached_id == listing_id)
        .order_by(_P.id)
    )
    base = f"/api/v1/listings/{listing_id}/photos"
    return [
        {
            "id": row.id,
            "url": f"{base}/{row.id}",
            "thumbnail_url": f"{base}/{row.id}/thumbnail",
            "width": row.width,
            "height": row.height,
            "content_type": row.content_type,
        }
        for row in rows
    ]
