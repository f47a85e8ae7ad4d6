"""API shapes of reservations."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.fields import ID_RANGE
from marketplace.api.smorest import Schema
from marketplace.listings.models import ListingMode
from marketplace.reservations.models import Reservation, ReservationStatus
from marketplace.reservations.service import effective_status


class ReservationCreateSchema(Schema):
    organisation_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ID_RANGE,
        metadata={"description": "The buying organisation; needed only when you belong to several."},
    )


class HeldTermsSchema(Schema):
    """The listing's terms when the hold was taken: the order made from it uses these."""

    mode = ma.fields.Enum(ListingMode, by_value=True)
    price_cents = ma.fields.Integer(allow_none=True, metadata={"description": "sale: the price the order charges"})
    currency = ma.fields.String()
    warranty_months = ma.fields.Integer(allow_none=True)
    return_days = ma.fields.Integer(allow_none=True)
    eligible_kinds = ma.fields.List(ma.fields.String(), allow_none=True)


class ReservationSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    listing_id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    status = ma.fields.Method("_status", metadata={"description": "active, converted, cancelled or expired"})
    expires_at = ma.fields.AwareDateTime()
    created_at = ma.fields.AwareDateTime()
    terms = ma.fields.Nested(
        HeldTermsSchema,
        dump_only=True,
        metadata={"description": "The terms this hold froze: a later change of the listing does not apply to it"},
    )

    def _status(self, reservation: Reservation) -> str:
        return effective_status(reservation).value


__all__ = ["ReservationCreateSchema", "ReservationSchema", "ReservationStatus"]
