"""HTTP routes of diagnostics: parse, call one service function, return."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from flask import Response, send_file
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.pagination import Page
from marketplace.reports import schemas, service
from marketplace.reports.models import DiagnosticReport

blp = Blueprint("diagnostics", __name__, url_prefix="/api/v1", description="Diagnostics reports graded on the server")


@blp.route("/devices/<int:device_id>/diagnostics")
class DeviceDiagnostics(MethodView):
    @blp.arguments(schemas.ReportQueryArgsSchema, location="query")
    @blp.response(200, schemas.DiagnosticReportListSchema)
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, args: dict[str, Any], device_id: int) -> Page[DiagnosticReport]:
        """The device's diagnostics history, newest first"""
        return service.list_reports(
            current_session(), current_principal(), device_id, limit=args["limit"], cursor=args.get("cursor")
        )

    @blp.arguments(schemas.DiagnosticsUploadSchema, location="files", required=False)
    @blp.response(201, schemas.DiagnosticReportSchema)
    @blp.alt_response(
        200,
        schema=schemas.DiagnosticReportSchema,
        description="These files were already uploaded for this device: that report, duplicate=true",
    )
    @blp.alt_response(404, description="No such device (or not yours, or another organisation's bench token)")
    @blp.alt_response(
        409, description="The device is not in its organisation's hands (reserved, sold, on loan, retired)"
    )
    @blp.alt_response(413, description=f"A file is larger than {service.MAX_FILE_BYTES} bytes; nothing stored")
    @blp.alt_response(
        422, description="A file cannot be read (errors['files.<n>'] names it) or too many files; nothing stored"
    )
    def post(self, data: dict[str, Any], device_id: int) -> tuple[service.ReportResult, int]:
        """Upload raw smartctl/battery reports (multipart field `files`, several); graded on the server"""
        result = service.upload_files(current_session(), current_principal(), device_id, data["files"])
        return result, 200 if result.duplicate else 201


@blp.route("/devices/<int:device_id>/checklist")
class DeviceChecklist(MethodView):
    @blp.arguments(schemas.ChecklistCreateSchema)
    @blp.response(201, schemas.DiagnosticReportSchema)
    @blp.alt_response(
        200,
        schema=schemas.DiagnosticReportSchema,
        description="The same checklist was already recorded (duplicate=true)",
    )
    @blp.alt_response(404, description="No such device (or not yours)")
    @blp.alt_response(409, description="The device is not in its organisation's hands (sold: frozen, even for a retry)")
    def post(self, data: dict[str, Any], device_id: int) -> tuple[service.ReportResult, int]:
        """Record the technician's functional checklist (a report of kind manual, graded on the server)"""
        result = service.record_checklist(current_session(), current_principal(), device_id, data)
        return result, 200 if result.duplicate else 201


@blp.route("/diagnostics/<int:report_id>")
class DiagnosticReportById(MethodView):
    @blp.response(200, schemas.DiagnosticReportSchema)
    @blp.alt_response(404, description="No such report (or not yours)")
    def get(self, report_id: int) -> service.ReportResult:
        """One report with its files, findings and the device assessment"""
        return service.get_report(current_session(), current_principal(), report_id)


@blp.route("/diagnostics/<int:report_id>/files/<int:position>")
class DiagnosticFileById(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The raw file, byte-identical to the upload, always as an attachment "
                "(`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, "
                "`Content-Security-Policy: sandbox`). `Content-Type` is the media type the file was "
                "uploaded with (`application/octet-stream` when it had none): typically "
                "`application/json` (smartctl -j), `text/plain` (smartctl text, battery reports), "
                "`text/html` or `application/xml` (Windows battery reports). `ETag` and `Repr-Digest` "
                "carry its SHA-256.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    @blp.alt_response(404, description="No such report or file (or not yours)")
    def get(self, report_id: int, position: int) -> Response:
        """A raw file of a report, exactly as uploaded (Content-Disposition: attachment)"""
        stored = service.get_file(current_session(), current_principal(), report_id, position)
        response = send_file(
            io.BytesIO(stored.content),
            mimetype="application/octet-stream",
            as_attachment=True,
            download_name=stored.filename,
            etag=stored.sha256,
            max_age=0,
        )
        response.headers["Content-Type"] = stored.content_type
        # Whatever its type (an uploaded HTML battery report), nothing of it ever runs from our origin.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["Repr-Digest"] = f"sha-256=:{_b64(stored.sha256)}:"
        return response


def _b64(hex_digest: str) -> str:
    try:
        return base64.b64encode(binascii.unhexlify(hex_digest)).decode()
    except binascii.Error:
        return ""
