"""API shapes of the impact report and its factors."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.fields import ID_RANGE
from marketplace.api.smorest import Schema


class ImpactQueryArgsSchema(Schema):
    organisation_id = ma.fields.Integer(
        validate=ID_RANGE, metadata={"description": "One organisation (as provider or recipient)"}
    )
    from_ = ma.fields.Date(data_key="from", metadata={"description": "Start of the period (inclusive)"})
    to = ma.fields.Date(metadata={"description": "End of the period (exclusive)"})
    version = ma.fields.String(metadata={"description": "Factor table version (default: the newest)"})


class ReusedCountsSchema(Schema):
    total = ma.fields.Integer()
    sold = ma.fields.Integer()
    donated = ma.fields.Integer()
    lent = ma.fields.Integer()


class ImpactFiguresSchema(Schema):
    devices_reused = ma.fields.Nested(ReusedCountsSchema)
    life_years_added = ma.fields.Float()
    kg_co2e_avoided = ma.fields.Float()
    kg_ewaste_avoided = ma.fields.Float()


class ImpactKindSchema(ImpactFiguresSchema):
    kind = ma.fields.String()


class ImpactScopeSchema(Schema):
    organisation_id = ma.fields.Integer(allow_none=True)
    from_ = ma.fields.String(data_key="from", attribute="from", allow_none=True)
    to = ma.fields.String(allow_none=True)


class ImpactReportSchema(ImpactFiguresSchema):
    scope = ma.fields.Nested(ImpactScopeSchema)
    factors_version = ma.fields.String()
    by_kind = ma.fields.List(ma.fields.Nested(ImpactKindSchema))
    method = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class ImpactFactorSchema(Schema):
    device_kind = ma.fields.String()
    manufacturing_kg_co2e = ma.fields.Float()
    manufacturing_source = ma.fields.String()
    manufacturing_year = ma.fields.Integer()
    reference_life_years = ma.fields.Float()
    reference_life_source = ma.fields.String()
    avoided_kg_co2e_per_year = ma.fields.Float()
    avoided_source = ma.fields.String()
    mass_kg = ma.fields.Float()
    mass_source = ma.fields.String()
    default_extra_life_years = ma.fields.Float()
    extra_life_source = ma.fields.String()


class ImpactFactorSetSchema(Schema):
    version = ma.fields.String()
    published_on = ma.fields.Date()
    method = ma.fields.String()
    factors = ma.fields.List(ma.fields.Nested(ImpactFactorSchema))
