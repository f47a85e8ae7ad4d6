"""API shapes of devices, their lifecycle actions and their passport."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma

from marketplace.api.pagination import cursor_field, limit_field
from marketplace.api.smorest import Schema
from marketplace.devices.models import CosmeticGrade, DeviceKind, DeviceState, EventKind
from marketplace.devices.specs import DESKTOP_FORM_FACTORS, PANEL_TYPES, STORAGE_TYPES

GRADES = ("A", "B", "C", "D", "F")
DISPOSAL_METHODS = ("recycled", "destroyed", "returned_to_vendor")

SPECS_DESCRIPTION = (
    "Validated per kind; unknown keys are refused (422 on `specs.<key>`). "
    "laptop/desktop/server: cpu, cpu_cores, cpu_threads, ram_gb, storage_gb, storage_type "
    f"({'|'.join(STORAGE_TYPES)}), gpu, year, os; laptop also screen_in, resolution, keyboard_layout, webcam; "
    f"desktop also form_factor ({'|'.join(DESKTOP_FORM_FACTORS)}), optical_drive; server also form_factor, "
    "cpu_sockets, drive_bays, power_supplies, remote_management. "
    f"screen: size_in, resolution (1920x1080), panel ({'|'.join(PANEL_TYPES)}), refresh_hz, inputs, "
    "height_adjustable, year. phone/tablet: storage_gb, ram_gb, screen_in, year, os, cellular, colour. "
    "other: up to 30 flat keys of short values."
)

ETAG_HEADER = {
    "ETag": {
        "description": 'The device\'s version as an entity tag (`"3"`); send it back in `If-Match` to change it.',
        "schema": {"type": "string"},
    }
}


def _text(max_length: int, *, required: bool = False) -> ma.fields.String:
    return ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=max_length))


def _optional_text(max_length: int) -> ma.fields.String:
    return ma.fields.String(allow_none=True, validate=ma.validate.Length(max=max_length))


class DeviceCreateSchema(Schema):
    organisation_id = ma.fields.Integer(required=True, strict=True)
    kind = ma.fields.Enum(DeviceKind, by_value=True, required=True)
    make = _text(120, required=True)
    model = _text(200, required=True)
    serial = _text(120, required=True)
    asset_tag = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "Your inventory number; generated (RLF-000123) when absent. Unique per organisation."},
    )
    specs = ma.fields.Dict(keys=ma.fields.String(), allow_none=True, metadata={"description": SPECS_DESCRIPTION})
    cosmetic_grade = ma.fields.Enum(CosmeticGrade, by_value=True, allow_none=True)
    location = _optional_text(200)
    notes = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=5000),
        metadata={"description": "Internal: never public, never in the public passport."},
    )


class DeviceUpdateSchema(Schema):
    """Fields to change; absent ones stay. ``specs`` replaces the whole specs object."""

    kind = ma.fields.Enum(DeviceKind, by_value=True)
    make = _text(120)
    model = _text(200)
    serial = _text(120)
    asset_tag = _text(64)
    specs = ma.fields.Dict(keys=ma.fields.String(), allow_none=True, metadata={"description": SPECS_DESCRIPTION})
    cosmetic_grade = ma.fields.Enum(CosmeticGrade, by_value=True, allow_none=True)
    location = _optional_text(200)
    notes = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=5000))


class DeviceSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    organisation_id = ma.fields.Integer()
    kind = ma.fields.Enum(DeviceKind, by_value=True)
    make = ma.fields.String()
    model = ma.fields.String()
    serial = ma.fields.String(metadata={"description": "Shown to the owning organisation only"})
    asset_tag = ma.fields.String()
    public_code = ma.fields.String(
        dump_only=True,
        metadata={"description": "Unguessable code on the device's label; its page is /d/{public_code}"},
    )
    specs = ma.fields.Dict()
    cosmetic_grade = ma.fields.Enum(CosmeticGrade, by_value=True, allow_none=True)
    location = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    state = ma.fields.Enum(DeviceState, by_value=True)
    grade = ma.fields.String(allow_none=True, metadata={"description": "Server grade A to F from the diagnostics"})
    health = ma.fields.String(allow_none=True, metadata={"description": "healthy | worn | failing | unknown"})
    battery_health_pct = ma.fields.Float(allow_none=True)
    remaining_life = ma.fields.Dict(allow_none=True)
    grading_policy = ma.fields.String(allow_none=True)
    diagnosed_at = ma.fields.AwareDateTime(allow_none=True)
    warranty_until = ma.fields.Date(allow_none=True)
    disposal = ma.fields.Dict(allow_none=True)
    version = ma.fields.Integer(metadata={"description": "Bumped by every change; the ETag"})
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class DeviceListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(DeviceSchema))
    next_cursor = ma.fields.String(allow_none=True)


class DeviceQueryArgsSchema(Schema):
    organisation_id = ma.fields.Integer()
    kind = ma.fields.Enum(DeviceKind, by_value=True)
    state = ma.fields.Enum(DeviceState, by_value=True)
    grade = ma.fields.String(validate=ma.validate.OneOf(GRADES))
    cosmetic_grade = ma.fields.Enum(CosmeticGrade, by_value=True)
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Case-insensitive substring of make, model, serial or asset tag"},
    )
    cursor = cursor_field()
    limit = limit_field()


#: ASCII digits only: ``\d`` takes any script's digits, which ``int()`` then reads too.
_ETAG = re.compile(r'^\s*(?:W/)?"?([0-9]{1,9})"?\s*$')


class IfMatchSchema(Schema):
    """``If-Match: "<version>"`` (the ETag of GET /devices/{id})."""

    if_match = ma.fields.String(
        data_key="If-Match",
        metadata={"description": 'The ETag you read (`"3"`): a stale one is 412, none is 428.'},
    )

    @ma.post_load
    def _version(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        raw = data.get("if_match")
        if raw is None:
            return {"expected_version": None}
        match = _ETAG.match(raw)
        # An unreadable tag matches no version (versions start at 1): a 412 telling the current one.
        return {"expected_version": int(match.group(1)) if match else 0}


class RepairCreateSchema(Schema):
    parts = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        load_default=list,
        validate=ma.validate.Length(max=50),
        metadata={"description": "Parts to replace (e.g. 'battery 01AV452')"},
    )
    notes = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=2000), metadata={"description": "Internal"}
    )


class RepairCompleteSchema(RepairCreateSchema):
    return_to = ma.fields.Enum(
        DeviceState,
        by_value=True,
        allow_none=True,
        validate=ma.validate.OneOf([DeviceState.REGISTERED, DeviceState.DIAGNOSED]),
        metadata={
            "description": "registered (to be diagnosed again) or diagnosed; default: diagnosed when the "
            "device has a grade, else registered"
        },
    )


class DisposalSchema(Schema):
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(DISPOSAL_METHODS))
    recycler = _text(200, required=True)
    certificate_ref = _text(120, required=True)
    weee_category = ma.fields.Integer(
        strict=True,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=6),
        metadata={"description": "WEEE Directive 2012/19/EU Annex III category (6: small IT equipment)"},
    )


class RetireSchema(Schema):
    disposal = ma.fields.Nested(DisposalSchema, required=True)


class PassportQueryArgsSchema(Schema):
    cursor = cursor_field()
    limit = limit_field()


class PassportActorSchema(Schema):
    user_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String(allow_none=True)
    token_id = ma.fields.Integer(allow_none=True)
    bench_token = ma.fields.String(allow_none=True, metadata={"description": "Name of the bench token used"})
    organisation_id = ma.fields.Integer(allow_none=True)
    organisation_name = ma.fields.String(allow_none=True)


class PassportEventSchema(Schema):
    """One event. The public view (listed devices, for callers outside the owning organisation)
    shows, per kind of event, only the fields its allow-list names (``devices.passport.PUBLIC_VIEWS``):
    no serials, asset tag, notes, locations, operators, condition notes, photos, return reasons or
    people; the actor only as the owning organisation's name (null for a buyer or borrower)."""

    id = ma.fields.Integer()
    kind = ma.fields.Enum(EventKind, by_value=True)
    occurred_at = ma.fields.AwareDateTime()
    state_from = ma.fields.String(allow_none=True)
    state_to = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict(metadata={"description": '{"field": [from, to]}'})
    data = ma.fields.Dict()
    public = ma.fields.Boolean(metadata={"description": "Shown in the public passport (full view only)"})
    actor = ma.fields.Nested(PassportActorSchema)


class PassportPageSchema(Schema):
    view = ma.fields.String(metadata={"description": "full (owning organisation, staff) or public"})
    items = ma.fields.List(ma.fields.Nested(PassportEventSchema))
    next_cursor = ma.fields.String(allow_none=True)


class DeviceLookupArgsSchema(Schema):
    tag = ma.fields.String(validate=ma.validate.Length(min=1, max=64), metadata={"description": "Asset tag"})
    serial = ma.fields.String(validate=ma.validate.Length(min=1, max=120), metadata={"description": "Serial number"})
    code = ma.fields.String(
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "The label's code, typed (any case, spaces, dashes) or its QR content (…/d/<code>)"},
    )
    organisation_id = ma.fields.Integer(metadata={"description": "When a tag or serial names devices of several"})


class ReadinessReportSchema(Schema):
    kind = ma.fields.String(metadata={"description": "disk | battery | checklist"})
    required = ma.fields.Boolean(metadata={"description": "Needed for the device's kind"})
    present = ma.fields.Boolean()
    report_id = ma.fields.Integer(allow_none=True)
    waived_by_checklist = ma.fields.Boolean()


class ReadinessDiskSchema(Schema):
    serial = ma.fields.String(allow_none=True)
    model = ma.fields.String(allow_none=True)
    capacity_bytes = ma.fields.Integer(allow_none=True)
    erased = ma.fields.Boolean()
    erasure_id = ma.fields.Integer(allow_none=True)
    current = ma.fields.Boolean(metadata={"description": "In the device's latest disk report"})
    removed = ma.fields.String(allow_none=True, metadata={"description": "kept | destroyed | moved, when recorded"})
    status = ma.fields.String()


class ReadinessDeviceSchema(Schema):
    id = ma.fields.Integer()
    asset_tag = ma.fields.String()
    kind = ma.fields.Enum(DeviceKind, by_value=True)
    make = ma.fields.String()
    model = ma.fields.String()
    state = ma.fields.Enum(DeviceState, by_value=True)
    grade = ma.fields.String(allow_none=True)


class ReadinessSchema(Schema):
    device = ma.fields.Nested(ReadinessDeviceSchema)
    ready = ma.fields.Boolean(metadata={"description": "May be listed now"})
    verdict = ma.fields.String(metadata={"description": "In words: 'ready to list', or what is missing"})
    reports = ma.fields.List(ma.fields.Nested(ReadinessReportSchema))
    disks = ma.fields.List(ma.fields.Nested(ReadinessDiskSchema))
    problems = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "The listing rule's problems by field (diagnosis, grade, disks)"},
    )
    missing = ma.fields.List(ma.fields.String())


class SpecsMismatchSchema(Schema):
    field = ma.fields.String()
    registered = ma.fields.Raw()
    measured = ma.fields.Raw()
    message = ma.fields.String()


class SpecsCheckSchema(Schema):
    registered = ma.fields.Dict(metadata={"description": "The device's specs as registered"})
    measured = ma.fields.Dict(
        metadata={
            "description": "What the current reports measured: storage_gb, storage_type from the disks; cpu, "
            "ram_gb from the machine (dmidecode, system_profiler). The serial is compared, never accepted."
        }
    )
    mismatches = ma.fields.List(ma.fields.Nested(SpecsMismatchSchema))
    details = ma.fields.Dict(
        metadata={
            "description": "Disk models and types, battery design capacity (Wh), the machine's make, model, serial"
        }
    )
