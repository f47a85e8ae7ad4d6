"""API shapes of loans."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from marketplace.api.fields import ID_RANGE, INT32_AMOUNT
from marketplace.api.pagination import PageSchema, cursor_field, limit_field
from marketplace.api.smorest import Schema
from marketplace.loans.models import DepositKind, DepositStatus, LoanStatus
from marketplace.loans.service import MAX_DAMAGE_WITHOUT_DEPOSIT_CENTS


class LoanCreateSchema(Schema):
    start = ma.fields.Date(required=True, metadata={"description": "First day of the loan"})
    end = ma.fields.Date(required=True, metadata={"description": "Day the device is due back (exclusive)"})
    organisation_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ID_RANGE,
        metadata={"description": "Borrowing organisation, if you have several"},
    )


class LoanReturnSchema(Schema):
    condition_notes = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=5000))
    photos = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=500)),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={"description": "References (URLs or storage keys) of photos of the returned device"},
    )
    damage_cents = ma.fields.Integer(
        load_default=0,
        validate=INT32_AMOUNT,
        metadata={
            "description": "Damage to charge on the deposit: 0 releases it, up to the deposit; without a deposit "
            f"it is recorded only, up to {MAX_DAMAGE_WITHOUT_DEPOSIT_CENTS}"
        },
    )


class LoanExtendSchema(Schema):
    end = ma.fields.Date(required=True, metadata={"description": "New end (exclusive)"})


class LoanQueryArgsSchema(Schema):
    overdue = ma.fields.Boolean(load_default=False, metadata={"description": "Only loans past their end, not returned"})
    role = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["lender", "borrower"]))
    status = ma.fields.Enum(LoanStatus, by_value=True, load_default=None)
    cursor = cursor_field(load_default=None)
    limit = limit_field()


class DepositSchema(Schema):
    cents = ma.fields.Integer(attribute="deposit_cents")
    currency = ma.fields.String()
    kind = ma.fields.Enum(DepositKind, by_value=True, attribute="deposit_kind")
    status = ma.fields.Enum(DepositStatus, by_value=True, attribute="deposit_status")
    captured_cents = ma.fields.Integer()
    client_secret = ma.fields.String(
        allow_none=True,
        metadata={"description": "For the borrower's Stripe.js (PaymentIntent or SetupIntent), while pending"},
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Dumps a ``service.ShownLoan``: the client secret as decided for the caller, the rest
        from the loan."""
        source = obj if attr == "client_secret" else obj.loan
        return super().get_attribute(source, attr, default)


class LoanSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    listing_id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    borrower_organisation_id = ma.fields.Integer()
    lender_organisation_id = ma.fields.Integer()
    start = ma.fields.Date(attribute="start_date")
    end = ma.fields.Date(attribute="end_date")
    status = ma.fields.Enum(LoanStatus, by_value=True)
    deposit = ma.fields.Function(lambda loan: DepositSchema().dump(loan))
    handed_over_at = ma.fields.AwareDateTime(allow_none=True)
    returned_at = ma.fields.AwareDateTime(allow_none=True)
    condition_notes = ma.fields.String(allow_none=True)
    photos = ma.fields.List(ma.fields.String(), allow_none=True)
    damage_cents = ma.fields.Integer(allow_none=True)
    extensions = ma.fields.List(ma.fields.Dict(), allow_none=True)
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Dumps a ``service.ShownLoan`` (``deposit`` receives all of it)."""
        return super().get_attribute(obj.loan, attr, default)


class LoanListSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(LoanSchema))
