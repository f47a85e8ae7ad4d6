"""HTTP route of the bulk import: parse, call the service, return its report."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint, OrjsonFlaskParser
from marketplace.imports import export, schemas, service


class MultipartParser(OrjsonFlaskParser):
    """``location="files"`` reads the whole multipart body (files and form fields), so that one
    schema validates it and the OpenAPI document shows one ``multipart/form-data`` request body
    (flask-smorest documents a ``form`` and a ``files`` argument as two bodies, which is invalid)."""

    def load_files(self, req: Any, schema: Any) -> Any:
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class MultipartBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()


blp = MultipartBlueprint("imports", __name__, url_prefix="/api/v1", description="Bulk import of devices from CSV files")


@blp.route("/devices/import")
class DeviceImport(MethodView):
    @blp.arguments(schemas.ImportQueryArgsSchema, location="query")
    @blp.arguments(schemas.ImportFormSchema, location="files")
    @blp.response(200, schemas.ImportReportSchema)
    @blp.alt_response(403, description="Your role in the organisation does not allow imports")
    @blp.alt_response(404, description="No such organisation (or not yours)")
    @blp.alt_response(413, description="File larger than the configured request size limit")
    @blp.alt_response(422, description="The file cannot be read (encoding, header, missing columns)")
    def post(self, query: dict[str, Any], form: dict[str, Any]) -> service.ImportReport:
        """Import devices from a CSV file (native, GLPI or Snipe-IT export), with a per-row report

        Upsert on serial, then asset tag, in the organisation; `dry_run=true` checks and reports
        without writing. Rows with errors are skipped and listed; the others are imported.
        """
        return service.import_devices(
            current_session(),
            current_principal(),
            organisation_id=form["organisation_id"],
            data=form["file"].read(),
            fmt=form["format"],
            dry_run=query["dry_run"],
        )


@blp.route("/devices/export")
class DeviceExport(MethodView):
    @blp.arguments(schemas.ExportQueryArgsSchema, location="query")
    @blp.response(200, description="The inventory as a native CSV (re-imports unchanged)", content_type="text/csv")
    @blp.alt_response(403, description="Your role in the organisation does not allow exports")
    @blp.alt_response(404, description="No such organisation (or not yours)")
    def get(self, args: dict[str, Any]) -> Response:
        """Export an organisation's devices as CSV (cells neutralised against formula injection)"""
        text = export.export_devices_csv(current_session(), current_principal(), args["organisation_id"])
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="relife-devices-{args["organisation_id"]}.csv"'},
        )
