"""Schemas of the fleet forecast."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.smorest import Schema


class DeviceForecastSchema(Schema):
    device_id = ma.fields.Integer()
    asset_tag = ma.fields.String()
    kind = ma.fields.String()
    make = ma.fields.String()
    model = ma.fields.String()
    state = ma.fields.String()
    health = ma.fields.String(allow_none=True, metadata={"description": "null: not diagnosed"})
    grade = ma.fields.String(allow_none=True)
    battery_health_pct = ma.fields.Float(allow_none=True)
    remaining_years = ma.fields.Float(allow_none=True, metadata={"description": "From the device's diagnostics"})
    remaining_life_basis = ma.fields.String(allow_none=True)
    end_of_life = ma.fields.Date(allow_none=True, metadata={"description": "as_of + remaining_years"})
    end_of_life_quarter = ma.fields.String(allow_none=True, metadata={"example": "2028-Q3"})
    recommendation = ma.fields.String(
        metadata={"description": "keep, reuse_in_cluster, repair_first, recycle or diagnose"}
    )
    repair = ma.fields.String(allow_none=True, metadata={"description": "for repair_first: battery, disk or part"})
    reason = ma.fields.String()


class QuarterSchema(Schema):
    quarter = ma.fields.String(metadata={"example": "2028-Q3"})
    devices = ma.fields.Integer()
    device_ids = ma.fields.List(ma.fields.Integer())


class FleetHealthSchema(Schema):
    organisation_id = ma.fields.Integer()
    as_of = ma.fields.Date()
    devices_total = ma.fields.Integer()
    by_health = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    by_grade = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    by_recommendation = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    end_of_life_by_quarter = ma.fields.List(ma.fields.Nested(QuarterSchema))
    without_estimate = ma.fields.Integer(metadata={"description": "Devices whose diagnostics give no years left"})
    reuse_in_cluster = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "Devices to list for the cluster's other members"}
    )
    policy = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={"description": "The recommendation thresholds (rationale: docs/guides/it-department.md)"},
    )
    devices = ma.fields.List(ma.fields.Nested(DeviceForecastSchema))
