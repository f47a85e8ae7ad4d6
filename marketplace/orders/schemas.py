"""API shapes of orders and invoices."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from marketplace.api.fields import ID_RANGE
from marketplace.api.pagination import PageSchema, cursor_field, limit_field
from marketplace.api.smorest import Schema
from marketplace.orders.models import OrderStatus, PaymentMethod, PaymentStatus, ReturnKind, ReturnStatus


class OrderCreateSchema(Schema):
    reservation_id = ma.fields.Integer(
        required=True,
        validate=ID_RANGE,
        metadata={"description": "Your live reservation"},
    )
    payment = ma.fields.Enum(PaymentMethod, by_value=True, required=True)


class _RequiredHeader(ma.fields.String):
    """A header the operation requires, documented ``required: true``, whose absence the service
    answers itself: a 400 problem, as the IETF Idempotency-Key draft asks, rather than webargs'
    422. A missing header is simply left out of the loaded arguments."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=True, **kwargs)

    def _validate_missing(self, value: Any) -> None:
        if value is not ma.missing:
            super()._validate_missing(value)


class IdempotencyHeaderSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = _RequiredHeader(
        data_key="Idempotency-Key",
        validate=ma.validate.Length(max=255),
        metadata={
            "description": "Required (a missing one is a 400 problem): a unique key per order, e.g. a UUID, "
            "at most 255 characters. The same key and body again → the same order (200, "
            "Idempotent-Replayed: true); the same key with another body → 422."
        },
    )


class OrderDeviceSchema(Schema):
    """What the order is for, readable by both sides (the device itself: ``GET /devices/{id}``, its
    owner's, the buyer's once handed over)."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    make = ma.fields.String()
    model = ma.fields.String()


class OrderSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    reservation_id = ma.fields.Integer()
    listing_id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    device = ma.fields.Nested(OrderDeviceSchema, dump_only=True)
    buyer_organisation_id = ma.fields.Integer()
    seller_organisation_id = ma.fields.Integer()
    payment = ma.fields.Enum(PaymentMethod, by_value=True)
    status = ma.fields.Enum(OrderStatus, by_value=True)
    payment_status = ma.fields.Enum(PaymentStatus, by_value=True)
    amount_cents = ma.fields.Integer()
    platform_fee_cents = ma.fields.Integer()
    currency = ma.fields.String()
    warranty_months = ma.fields.Integer(allow_none=True)
    return_days = ma.fields.Integer(allow_none=True, metadata={"description": "The listing's return window (null: 30)"})
    warranty_until = ma.fields.Date(
        allow_none=True, metadata={"description": "The listing's warranty months from the handover"}
    )
    stripe_payment_intent_id = ma.fields.String(allow_none=True)
    refund_status = ma.fields.String(
        allow_none=True, metadata={"description": "A card refund as Stripe last confirmed it: pending, succeeded …"}
    )
    refund_confirmed_at = ma.fields.AwareDateTime(allow_none=True)
    refunded_cents = ma.fields.Integer(metadata={"description": "Given back so far (card refunds, paid credit notes)"})
    client_secret = ma.fields.String(
        allow_none=True,
        metadata={"description": "For the buyer's Stripe.js confirmation, while the card payment is pending"},
    )
    invoice_number = ma.fields.String(allow_none=True)
    invoice_due_on = ma.fields.Date(allow_none=True)
    credit_note_number = ma.fields.String(
        allow_none=True, metadata={"description": "The credit note that cancelled the invoice (GET …/credit-note.pdf)"}
    )
    credit_note_cents = ma.fields.Integer(allow_none=True, metadata={"description": "The credit note's amount"})
    paid_at = ma.fields.AwareDateTime(allow_none=True)
    handed_over_at = ma.fields.AwareDateTime(allow_none=True)
    return_deadline = ma.fields.AwareDateTime(allow_none=True)
    returned_at = ma.fields.AwareDateTime(allow_none=True)
    return_reason = ma.fields.String(allow_none=True)
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Dumps a ``service.ShownOrder``: the client secret as decided for the caller, the rest
        from the order."""
        source = obj if attr == "client_secret" else obj.order
        return super().get_attribute(source, attr, default)


class OrderQueryArgsSchema(Schema):
    role = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["buyer", "seller"]))
    status = ma.fields.Enum(OrderStatus, by_value=True, load_default=None)
    cursor = cursor_field(load_default=None)
    limit = limit_field()


class OrderListSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(OrderSchema))


class ReturnCreateSchema(Schema):
    kind = ma.fields.Enum(
        ReturnKind,
        by_value=True,
        load_default=ReturnKind.RETURN,
        metadata={
            "description": "return: within the return window (the listing's return_days after handover, "
            "30 by default); warranty: a claim within the warranty (the listing's warranty months from the handover)"
        },
    )
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    condition_notes = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=4000),
        metadata={"description": "The device's condition as the buyer sends it back (accessories, marks …)"},
    )
    photo_ids = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1)),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={
            "description": "Condition photos, uploaded first by the buyer's people (`POST /photos`, "
            "purpose=condition); attached to the return all or none. Both sides read them under the return."
        },
    )


class ReturnAcceptSchema(Schema):
    refund_cents = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Range(min=0, max=2**31 - 1),
        metadata={
            "description": "What is given back (card refund or credit note); default: all that was paid and "
            "not refunded yet. Less for a missing accessory; never more than paid minus already refunded."
        },
    )
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class ReturnRefuseSchema(Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class ReturnSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    order_id = ma.fields.Integer()
    kind = ma.fields.Enum(ReturnKind, by_value=True)
    status = ma.fields.Enum(ReturnStatus, by_value=True)
    reason = ma.fields.String()
    condition_notes = ma.fields.String(allow_none=True)
    photo_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "Condition photos (photo store ids)"})
    created_at = ma.fields.AwareDateTime()
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    decision_note = ma.fields.String(
        allow_none=True, metadata={"description": "The seller's reason for refusing, or its note when accepting"}
    )
    refund_cents = ma.fields.Integer(allow_none=True, metadata={"description": "Accepted: what is given back"})


class ReturnListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(ReturnSchema))


class InvoicePartySchema(Schema):
    organisation_id = ma.fields.Integer()
    name = ma.fields.String()
    siret = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    postcode = ma.fields.String()
    city = ma.fields.String(allow_none=True)


class InvoiceLineSchema(Schema):
    description = ma.fields.String()
    quantity = ma.fields.Integer()
    amount_cents = ma.fields.Integer()


class InvoiceSchema(Schema):
    number = ma.fields.String(metadata={"description": "RLF-<year>-<6 digits>, gap-free per year"})
    order_id = ma.fields.Integer()
    issued_on = ma.fields.Date()
    due_on = ma.fields.Date()
    seller = ma.fields.Nested(InvoicePartySchema)
    buyer = ma.fields.Nested(InvoicePartySchema)
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineSchema))
    total_cents = ma.fields.Integer()
    currency = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending, paid, refund_due or void"})
    paid_at = ma.fields.AwareDateTime(allow_none=True)
