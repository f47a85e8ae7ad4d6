"""API shapes of erasure records and the erasure certificate."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.smorest import Schema
from marketplace.api.uploads import UploadedFileField
from marketplace.erasures.models import ErasureMethod, ErasureStandard, RemovalOutcome
from marketplace.reports.schemas import Text

_STANDARDS = ", ".join(s.value for s in ErasureStandard)


class ErasureCreateSchema(Schema):
    disk_serial = Text(
        required=True,
        validate=ma.validate.Length(min=1, max=120),
        metadata={"description": "Serial of a disk of the device's latest diagnostics"},
    )
    method = ma.fields.Enum(
        ErasureMethod, by_value=True, required=True, metadata={"description": "NIST SP 800-88 r1 category"}
    )
    standard = ma.fields.Enum(ErasureStandard, by_value=True, required=True, metadata={"description": _STANDARDS})
    tool = Text(required=True, validate=ma.validate.Length(min=1, max=120))
    tool_version = Text(validate=ma.validate.Length(max=64), allow_none=True)
    started_at = ma.fields.AwareDateTime(required=True)
    finished_at = ma.fields.AwareDateTime(required=True)
    verified = ma.fields.Boolean(required=True)
    verification_method = Text(
        validate=ma.validate.Length(max=200),
        allow_none=True,
        metadata={"description": "e.g. 'full read-back', '10 % sampling (NIST 800-88 §4.7.1)'"},
    )
    operator = Text(validate=ma.validate.Length(max=120), allow_none=True)


class ErasureSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    device_id = ma.fields.Integer()
    disk_serial = Text()
    disk_model = Text(allow_none=True)
    method = ma.fields.Enum(ErasureMethod, by_value=True)
    standard = ma.fields.Enum(ErasureStandard, by_value=True)
    tool = Text()
    tool_version = Text(allow_none=True)
    started_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime()
    verified = ma.fields.Boolean()
    verification_method = Text(allow_none=True)
    operator = Text(allow_none=True)
    recorded_by_user_id = ma.fields.Integer(allow_none=True)
    recorded_by_token_id = ma.fields.Integer(allow_none=True, metadata={"description": "The bench token, if one did"})
    tool_method = Text(allow_none=True, metadata={"description": "The tool's name for what it did"})
    outcome = Text(allow_none=True, metadata={"description": "The tool's own verdict, word for word"})
    evidence_filename = Text(allow_none=True)
    evidence_sha256 = Text(allow_none=True)
    evidence_format = Text(allow_none=True, metadata={"description": "nwipe | nvme-sanitize-log | hdparm"})
    report_id = ma.fields.Integer(allow_none=True, metadata={"description": "The report the disk was matched in"})
    created_at = ma.fields.AwareDateTime()


class ErasureListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(ErasureSchema))
    next_cursor = Text(allow_none=True)


class CertificateDeviceSchema(Schema):
    id = ma.fields.Integer()
    kind = Text(attribute="kind.value")
    make = Text()
    model = Text()
    serial = Text()
    asset_tag = Text()
    organisation_id = ma.fields.Integer()
    organisation_name = Text(attribute="organisation.name")


class DiskRemovalCreateSchema(Schema):
    disk_serial = Text(required=True, validate=ma.validate.Length(min=1, max=120))
    outcome = ma.fields.Enum(
        RemovalOutcome, by_value=True, required=True, metadata={"description": "kept | destroyed | moved"}
    )
    moved_to_device_id = ma.fields.Integer(
        allow_none=True, strict=True, metadata={"description": "With outcome moved: the device it went into"}
    )
    removed_at = ma.fields.AwareDateTime(metadata={"description": "Defaults to now"})
    notes = Text(validate=ma.validate.Length(max=2000), allow_none=True)


class DiskRemovalSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    device_id = ma.fields.Integer()
    disk_serial = Text()
    disk_model = Text(allow_none=True)
    outcome = ma.fields.Enum(RemovalOutcome, by_value=True)
    moved_to_device_id = ma.fields.Integer(allow_none=True)
    removed_at = ma.fields.AwareDateTime()
    notes = Text(allow_none=True)
    recorded_by_user_id = ma.fields.Integer(allow_none=True)
    recorded_by_token_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class DiskRemovalListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(DiskRemovalSchema))


class CertificateDiskSchema(Schema):
    serial = Text(allow_none=True)
    model = Text(allow_none=True)
    capacity_bytes = ma.fields.Integer(allow_none=True)
    erased = ma.fields.Boolean()
    accounted_for = ma.fields.Boolean(metadata={"description": "Erased with verification, or recorded as removed"})
    current = ma.fields.Boolean(metadata={"description": "In the device's latest disk report"})
    erasure = ma.fields.Nested(ErasureSchema, allow_none=True)
    removal = ma.fields.Nested(DiskRemovalSchema, allow_none=True)


class CertificateSchema(Schema):
    device = ma.fields.Nested(CertificateDeviceSchema)
    report_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The diagnostics report the list of disks comes from"}
    )
    disks = ma.fields.List(ma.fields.Nested(CertificateDiskSchema))
    complete = ma.fields.Boolean(
        metadata={"description": "Every disk the device held has a verified erasure or is recorded as removed"}
    )
    generated_at = ma.fields.AwareDateTime()


class EvidenceFormSchema(Schema):
    disk_serial = Text(
        validate=ma.validate.Length(min=1, max=120),
        metadata={"description": "The disk erased, when the evidence does not name it (must match when it does)"},
    )
    operator = Text(validate=ma.validate.Length(max=120), allow_none=True)


class EvidenceUploadSchema(EvidenceFormSchema):
    """One multipart request: the evidence file and, when the tool's log does not name it, the disk."""

    evidence = UploadedFileField(
        required=True,
        metadata={"description": "The wiping tool's output unchanged: nwipe log, `nvme sanitize-log`, hdparm"},
    )
