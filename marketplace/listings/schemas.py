"""API shapes of listings, the catalogue search and its facets."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from marketplace.api.fields import ID_RANGE, INT32_AMOUNT
from marketplace.api.pagination import cursor_field
from marketplace.api.smorest import Schema
from marketplace.devices.models import CosmeticGrade, DeviceKind
from marketplace.listings import search
from marketplace.listings.models import GRADE_RANKS, ListingMode, ListingStatus, Visibility
from marketplace.members.models import OrganisationKind

_MAX_CENTS = 100_000_000  # one million euros: anything above is a typo
#: Database ids are PostgreSQL ``integer``s: a larger number is no id, and a 422 rather than a 500.
#: Search text: printable characters only (a NUL cannot reach PostgreSQL or SQLite's FTS5 parser).
_TEXT = ma.validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Control characters are not allowed.")
DONATION_KINDS_DOC = "donation: organisation kinds it may go to (default: nonprofit, public_body, university)"
#: ASCII digits: ``\d`` would also take other scripts' digits (``٦٩٠٠٧``), which no postcode has.
_POSTCODE = ma.validate.Regexp(r"^[0-9]{5}$", error="Five digits (0-9).")


class _ListingTermsSchema(Schema):
    visibility = ma.fields.Enum(
        Visibility, by_value=True, metadata={"description": "members (cluster members only, default) or public"}
    )
    postcode = ma.fields.String(
        validate=_POSTCODE, allow_none=True, metadata={"description": "Pickup postcode (default: the organisation's)"}
    )
    description = ma.fields.String(validate=ma.validate.Length(max=4000), allow_none=True)
    price_cents = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=_MAX_CENTS), allow_none=True, metadata={"description": "sale: EUR cents"}
    )
    warranty_months = ma.fields.Integer(validate=ma.validate.Range(min=0, max=60), allow_none=True)
    return_days = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=365),
        allow_none=True,
        metadata={"description": "sale: days after handover the buyer may return it (default 30)"},
    )
    min_days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365), allow_none=True)
    max_days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365), allow_none=True)
    deposit_cents = ma.fields.Integer(validate=ma.validate.Range(min=0, max=_MAX_CENTS), allow_none=True)
    eligible_kinds = ma.fields.List(
        ma.fields.Enum(OrganisationKind, by_value=True),
        validate=ma.validate.Length(min=1),
        allow_none=True,
        metadata={"description": DONATION_KINDS_DOC},
    )


class ListingCreateSchema(_ListingTermsSchema):
    device_id = ma.fields.Integer(required=True, validate=ID_RANGE)
    mode = ma.fields.Enum(ListingMode, by_value=True, required=True)


class ListingUpdateSchema(_ListingTermsSchema):
    """Any subset of the terms; mode and device are fixed (withdraw and list again)."""


class ListingDeviceSchema(Schema):
    """The device as the catalogue shows it: never its serial or asset tag."""

    kind = ma.fields.String(validate=ma.validate.OneOf([e.value for e in DeviceKind]))
    make = ma.fields.String()
    model = ma.fields.String()
    specs = ma.fields.Dict(metadata={"description": "CPU, RAM, storage, screen, year… (hardware identifiers removed)"})
    health = ma.fields.String(allow_none=True, metadata={"description": "healthy | worn | failing | unknown"})
    grade = ma.fields.String(allow_none=True, metadata={"description": "A (like new) … F (not reusable)"})
    cosmetic_grade = ma.fields.String(validate=ma.validate.OneOf([e.value for e in CosmeticGrade]), allow_none=True)
    battery_health_pct = ma.fields.Float(allow_none=True)
    key_findings = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "The diagnostics findings worth reading (code, severity, …)"}
    )
    remaining_life = ma.fields.Dict(allow_none=True, metadata={"description": "Estimate and its basis"})


class ListingOrganisationSchema(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String(validate=ma.validate.OneOf([e.value for e in OrganisationKind]))
    department = ma.fields.String()


class ListingPhotoSchema(Schema):
    id = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "The photo's bytes (re-encoded, no metadata)"})
    thumbnail_url = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    content_type = ma.fields.String(metadata={"description": "image/jpeg, image/png or image/webp"})


class ListingSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    device_id = ma.fields.Integer()
    status = ma.fields.String(validate=ma.validate.OneOf([e.value for e in ListingStatus]))
    mode = ma.fields.String(validate=ma.validate.OneOf([e.value for e in ListingMode]))
    visibility = ma.fields.String(validate=ma.validate.OneOf([e.value for e in Visibility]))
    price_cents = ma.fields.Integer(allow_none=True)
    currency = ma.fields.String()
    warranty_months = ma.fields.Integer(allow_none=True)
    return_days = ma.fields.Integer(allow_none=True, metadata={"description": "null: 30 days"})
    min_days = ma.fields.Integer(allow_none=True)
    max_days = ma.fields.Integer(allow_none=True)
    deposit_cents = ma.fields.Integer(allow_none=True)
    eligible_kinds = ma.fields.List(ma.fields.String(), allow_none=True)
    postcode = ma.fields.String()
    department = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    device = ma.fields.Nested(ListingDeviceSchema)
    organisation = ma.fields.Nested(ListingOrganisationSchema)
    status_reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why a suspended listing is out of the catalogue (seen by its organisation only: "
            "others do not see suspended listings); null otherwise"
        },
    )
    photos = ma.fields.List(
        ma.fields.Nested(ListingPhotoSchema),
        metadata={
            "description": "The listing's photos, oldest first: in the listing itself (GET /listings/{id} and "
            "the answers of its changes), not in the search results (GET /listings/{id}/photos lists them too)"
        },
    )


class ListingPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(ListingSchema))
    next_cursor = ma.fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page"})


class ListingFilterArgsSchema(Schema):
    kind = ma.fields.Enum(DeviceKind, by_value=True)
    mode = ma.fields.Enum(ListingMode, by_value=True)
    min_grade = ma.fields.String(
        validate=ma.validate.OneOf(sorted(GRADE_RANKS)), metadata={"description": "This grade or better (A best)"}
    )
    cosmetic_grade = ma.fields.Enum(CosmeticGrade, by_value=True)
    price_min = ma.fields.Integer(
        validate=INT32_AMOUNT,
        metadata={"description": "Cents; loans and donations count as 0"},
    )
    price_max = ma.fields.Integer(validate=INT32_AMOUNT)
    ram_min = ma.fields.Float(validate=ma.validate.Range(min=0), metadata={"description": "GB"})
    storage_min = ma.fields.Float(validate=ma.validate.Range(min=0), metadata={"description": "GB"})
    cpu = ma.fields.String(
        validate=[ma.validate.Length(min=1, max=100), _TEXT], metadata={"description": "Text in the CPU"}
    )
    battery_min = ma.fields.Float(validate=ma.validate.Range(min=0, max=100), metadata={"description": "%"})
    department = ma.fields.String(
        validate=ma.validate.Regexp(r"^([0-9]{2,3}|2[AB])$", error="A French department code (69, 2A, 974)."),
    )
    organisation_kind = ma.fields.Enum(OrganisationKind, by_value=True)
    organisation_id = ma.fields.Integer(validate=ID_RANGE)
    q = ma.fields.String(
        validate=[ma.validate.Length(min=1, max=200), _TEXT],
        metadata={"description": "Words found in make, model or CPU"},
    )
    status = ma.fields.Enum(
        ListingStatus,
        by_value=True,
        metadata={"description": "active (default); others only with your own organisation_id"},
    )

    @ma.post_load
    def make_filters(self, data: dict[str, Any], **_kwargs: Any) -> search.SearchFilters:
        return search.SearchFilters(**data)


class ListingQueryArgsSchema(ListingFilterArgsSchema):
    sort = ma.fields.String(
        load_default="newest",
        validate=ma.validate.OneOf(sorted(search.SORTS)),
        metadata={"description": "price, -price, grade (best first, then longest listed) or newest (default)"},
    )
    cursor = cursor_field()
    limit = ma.fields.Integer(
        load_default=search.DEFAULT_PAGE_SIZE,
        validate=ma.validate.Range(min=1, max=search.MAX_PAGE_SIZE),
        metadata={
            "description": f"Page size, 1 to {search.MAX_PAGE_SIZE} (default {search.DEFAULT_PAGE_SIZE}); above → 422."
        },
    )

    @ma.post_load
    def make_filters(self, data: dict[str, Any], **_kwargs: Any) -> search.SearchQuery:
        return search.SearchQuery(**data)


class FacetsSchema(Schema):
    total = ma.fields.Integer()
    kind = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    mode = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    grade = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    department = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
