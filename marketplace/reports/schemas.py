"""API shapes of diagnostics reports, their files and the functional checklist."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from marketplace.api.pagination import cursor_field, limit_field
from marketplace.api.smorest import Schema
from marketplace.api.uploads import UploadedFileField
from marketplace.reports import service
from marketplace.reports.models import DiagnosticFile, ReportKind

RESULTS = ("pass", "fail", "na")


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")


class Text(ma.fields.String):
    """A string without NUL characters (PostgreSQL text and JSONB cannot store them)."""

    def __init__(self, **kwargs: Any) -> None:
        validators = kwargs.pop("validate", None)
        chain = [validators] if callable(validators) else list(validators or [])
        super().__init__(validate=[_no_nul, *chain], **kwargs)


class DiagnosticsUploadSchema(Schema):
    files = ma.fields.List(
        UploadedFileField(),
        load_default=list,
        metadata={
            "description": f"Raw smartctl (JSON or text) and battery reports, unchanged; at most "
            f"{service.MAX_FILES} files of {service.MAX_FILE_BYTES // (1024 * 1024)} MiB each. Any media type "
            "(the server recognises each format from the content, not from its type or name); the type "
            "given is stored and served back with the raw file."
        },
    )


class ChecklistItemSchema(Schema):
    item = Text(required=True, validate=ma.validate.Length(min=1, max=64))
    result = Text(required=True, validate=ma.validate.OneOf(RESULTS))
    note = Text(validate=ma.validate.Length(max=2000), allow_none=True)


class ChecklistCreateSchema(Schema):
    """The technician's functional checklist (``diagnostics.manual``): each item pass / fail / na."""

    device_kind = Text(
        metadata={"description": "Defaults to the device's kind; must match it when given"},
        validate=ma.validate.Length(max=16),
    )
    technician = Text(validate=ma.validate.Length(max=120), allow_none=True)
    checked_at = ma.fields.AwareDateTime(allow_none=True)
    items = ma.fields.List(
        ma.fields.Nested(ChecklistItemSchema), required=True, validate=ma.validate.Length(min=1, max=200)
    )

    @ma.post_load
    def _to_document(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if data.get("checked_at") is not None:
            data["checked_at"] = data["checked_at"].isoformat()
        data["items"] = [{k: v for k, v in item.items() if v is not None} for item in data["items"]]
        return {k: v for k, v in data.items() if v is not None}


class DiagnosticFileSchema(Schema):
    position = ma.fields.Integer(metadata={"description": "n in /diagnostics/{id}/files/{n}"})
    filename = Text()
    content_type = Text()
    size = ma.fields.Integer()
    sha256 = Text()
    format = Text()
    components = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Each component read from the file, graded on the server (findings included)"},
    )
    url = ma.fields.Method("_url")

    def _url(self, stored: DiagnosticFile) -> str:
        return f"/api/v1/diagnostics/{stored.report_id}/files/{stored.position}"


class DiagnosticFileSummarySchema(Schema):
    position = ma.fields.Integer()
    filename = Text()
    size = ma.fields.Integer()
    format = Text()


class DiagnosticReportSummarySchema(Schema):
    id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    kind = ma.fields.Enum(ReportKind, by_value=True)
    created_at = ma.fields.AwareDateTime()
    uploaded_by_user_id = ma.fields.Integer(allow_none=True)
    uploaded_by_token_id = ma.fields.Integer(allow_none=True)
    policy = Text(metadata={"description": "Grading policy version of the current assessment"})
    grade = Text(metadata={"description": "The device's grade with this report (A-F)"})
    health = Text()
    regraded_at = ma.fields.AwareDateTime(allow_none=True)
    files = ma.fields.List(ma.fields.Nested(DiagnosticFileSummarySchema))


class DiagnosisSchema(Schema):
    complete = ma.fields.Boolean(metadata={"description": "Automatic reports and checklist are in"})
    missing = ma.fields.List(Text())


class DeviceGradeSchema(Schema):
    id = ma.fields.Integer()
    state = Text(attribute="state.value")
    grade = Text(allow_none=True)
    health = Text(allow_none=True)
    battery_health_pct = ma.fields.Float(allow_none=True)
    remaining_life = ma.fields.Dict(allow_none=True)
    grading_policy = Text(allow_none=True)
    diagnosed_at = ma.fields.AwareDateTime(allow_none=True)


class DiagnosticReportSchema(DiagnosticReportSummarySchema):
    files = ma.fields.List(ma.fields.Nested(DiagnosticFileSchema))
    findings = ma.fields.List(
        ma.fields.Dict(),
        metadata={
            "description": "Every finding of this report's components, with its file, component and "
            "`explanation` (`fr`, `en`: what the code means in plain words)"
        },
    )
    device_assessment = ma.fields.Dict(
        attribute="assessment",
        metadata={"description": "The device's assessment over its current components when this report came in"},
    )
    history = ma.fields.List(ma.fields.Dict(), metadata={"description": "Assessments replaced by re-grades"})
    duplicate = ma.fields.Boolean(
        metadata={"description": "True when these exact files were already uploaded: this is that report"}
    )
    diagnosis = ma.fields.Nested(DiagnosisSchema, allow_none=True)
    device = ma.fields.Nested(DeviceGradeSchema, allow_none=True)

    #: Fields of the ``service.ReportResult`` itself; the others are its report's columns.
    RESULT_FIELDS = frozenset({"findings", "duplicate", "diagnosis", "device"})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        source = obj if attr in self.RESULT_FIELDS else obj.report
        return super().get_attribute(source, attr, default)


class DiagnosticReportListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(DiagnosticReportSummarySchema))
    next_cursor = Text(allow_none=True)


class ReportQueryArgsSchema(Schema):
    limit = limit_field()
    cursor = cursor_field()
