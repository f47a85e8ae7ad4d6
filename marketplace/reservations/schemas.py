"""API shapes of reservations."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.smorest import Schema
from marketplace.reservations.models import ReservationStatus


class ReservationCreateSchema(Schema):
    organisation_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The buying organisation; needed only when you belong to several."},
    )


class ReservationSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    listing_id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    status = ma.fields.Method("_status", metadata={"description": "active, converted, cancelled or expired"})
    expires_at = ma.fields.AwareDateTime()
    created_at = ma.fields.AwareDateTime()

    def _status(self, reservation: object) -> str:
        from marketplace.reservations.service import effective_status

        return effective_status(reservation).value  # type: ignore[arg-type]


__all__ = ["ReservationCreateSchema", "ReservationSchema", "ReservationStatus"]
