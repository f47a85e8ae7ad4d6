"""API shapes of loans."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

from marketplace.api.fields import ID_RANGE, INT32_AMOUNT
from marketplace.api.pagination import PageSchema, cursor_field, limit_field
from marketplace.api.smorest import Schema
from marketplace.loans import calendar
from marketplace.loans.models import (
    DepositDecision,
    DepositKind,
    DepositStatus,
    ExtensionStatus,
    LoanStatus,
    ReturnCondition,
)


class LoanCreateSchema(Schema):
    start = ma.fields.Date(required=True, metadata={"description": "First day of the loan"})
    end = ma.fields.Date(required=True, metadata={"description": "Day the device is due back (exclusive)"})
    organisation_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=ID_RANGE,
        metadata={"description": "Borrowing organisation, if you have several"},
    )


class AccessorySchema(Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    present = ma.fields.Boolean(required=True)


class LoanReturnSchema(Schema):
    """The return inspection: what came back, and the deposit decision (final)."""

    condition = ma.fields.Enum(ReturnCondition, by_value=True, required=True)
    accessories = ma.fields.List(
        ma.fields.Nested(AccessorySchema),
        load_default=list,
        validate=ma.validate.Length(max=30),
        metadata={"description": "The accessories lent with the device, each present or missing"},
    )
    notes = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=5000), metadata={"description": "Private"}
    )
    photo_ids = ma.fields.List(
        ma.fields.Integer(validate=ID_RANGE),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={"description": "Inspection photos, uploaded first (photo storage)"},
    )
    decision = ma.fields.Enum(
        DepositDecision,
        by_value=True,
        load_default=DepositDecision.RELEASED,
        metadata={
            "description": "What becomes of the deposit: released, partly_captured (capture_cents) or captured "
            "(all of it). Final. A loan without a deposit can only be released."
        },
    )
    capture_cents = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=INT32_AMOUNT,
        metadata={"description": "For partly_captured: above 0 and below the deposit; never above it (422)"},
    )


class ExtensionCreateSchema(Schema):
    end = ma.fields.Date(required=True, metadata={"description": "New end asked for (exclusive)"})


class ExtensionRefuseSchema(Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class ExtensionQueryArgsSchema(Schema):
    cursor = cursor_field(load_default=None)
    limit = limit_field()


class ExtensionSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    loan_id = ma.fields.Integer()
    previous_end = ma.fields.Date()
    requested_end = ma.fields.Date()
    status = ma.fields.Enum(ExtensionStatus, by_value=True)
    reason = ma.fields.String(allow_none=True, metadata={"description": "The lender's reason for a refusal"})
    needs_card = ma.fields.Function(
        lambda shown: shown.extension.stripe_setup_intent_id is not None,
        metadata={
            "description": "The longer loan outlasts the deposit's card hold: the borrower saves a card "
            "(client_secret, Stripe.js confirmCardSetup) before the lender can approve; the hold is then released"
        },
    )
    client_secret = ma.fields.String(allow_none=True, metadata={"description": "The borrower's, while pending"})
    created_at = ma.fields.AwareDateTime()
    decided_at = ma.fields.AwareDateTime(allow_none=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Dumps an ``extensions.ShownExtension``."""
        source = obj if attr == "client_secret" else obj.extension
        return super().get_attribute(source, attr, default)


class ExtensionListSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ExtensionSchema))


#: Calendar windows stay within dates a loan can have (and far from the calendar's limits).
_CALENDAR_DATES = ma.validate.Range(min=dt.date(2000, 1, 1), max=dt.date(2200, 1, 1))


class CalendarArgsSchema(Schema):
    from_ = ma.fields.Date(
        data_key="from",
        load_default=None,
        validate=_CALENDAR_DATES,
        metadata={"description": "First day of the window (default today)"},
    )
    to = ma.fields.Date(
        load_default=None,
        validate=_CALENDAR_DATES,
        metadata={
            "description": f"End of the window, exclusive (default from + {calendar.DEFAULT_DAYS} days, "
            f"at most {calendar.MAX_DAYS})"
        },
    )


class TakenRangeSchema(Schema):
    start = ma.fields.Date()
    end = ma.fields.Date(metadata={"description": "Exclusive"})
    status = ma.fields.String(
        metadata={"description": "booked, on_loan, or tentative (days held by a pending extension request)"}
    )
    loan_id = ma.fields.Integer(allow_none=True, metadata={"description": "For the lender and the borrower"})
    borrower_organisation_id = ma.fields.Integer(allow_none=True, metadata={"description": "For the lender only"})
    mine = ma.fields.Boolean(metadata={"description": "A loan of your organisation"})


class CalendarSchema(Schema):
    listing_id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    from_ = ma.fields.Date(data_key="from", attribute="start")
    to = ma.fields.Date(attribute="end")
    ranges = ma.fields.List(ma.fields.Nested(TakenRangeSchema))


class InspectionSchema(Schema):
    condition = ma.fields.Enum(ReturnCondition, by_value=True)
    accessories = ma.fields.List(ma.fields.Nested(AccessorySchema))
    notes = ma.fields.String(allow_none=True)
    photo_ids = ma.fields.List(ma.fields.Integer())
    decision = ma.fields.Enum(DepositDecision, by_value=True)
    captured_cents = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()


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
    extensions = ma.fields.List(ma.fields.Dict(), allow_none=True, metadata={"description": "Approved extensions"})
    pending_end = ma.fields.Date(
        allow_none=True, metadata={"description": "The end a pending extension request asks for (days held)"}
    )
    inspection = ma.fields.Function(
        lambda shown: InspectionSchema().dump(shown.loan.inspection) if shown.loan.inspection else None,
        allow_none=True,
        metadata={"description": "The return inspection and deposit decision"},
    )
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Dumps a ``service.ShownLoan`` (``deposit`` receives all of it)."""
        return super().get_attribute(obj.loan, attr, default)


class LoanListSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(LoanSchema))
