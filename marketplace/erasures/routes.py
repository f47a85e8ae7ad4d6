"""HTTP routes of data erasure: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.erasures import schemas, service
from marketplace.erasures.models import Erasure

blp = Blueprint("erasures", __name__, url_prefix="/api/v1", description="Data erasure records and certificates")


@blp.route("/devices/<int:device_id>/erasures")
class DeviceErasures(MethodView):
    @blp.response(200, schemas.ErasureListSchema)
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, device_id: int) -> dict[str, Any]:
        """The device's erasure records, oldest first"""
        return {"items": service.list_erasures(current_session(), current_principal(), device_id), "next_cursor": None}

    @blp.arguments(schemas.ErasureCreateSchema)
    @blp.response(201, schemas.ErasureSchema)
    @blp.alt_response(403, description="Your role does not record erasures (lister, technician, admin do)")
    @blp.alt_response(404, description="No such device (or not yours)")
    @blp.alt_response(409, description="The device is not in its organisation's hands (sold: frozen)")
    @blp.alt_response(422, description="Unknown disk serial (the known ones are named) or bad times")
    def post(self, data: dict[str, Any], device_id: int) -> Erasure:
        """Record the erasure of one disk (matched by serial to the device's latest diagnostics)"""
        return service.record_erasure(current_session(), current_principal(), device_id, data)


@blp.route("/devices/<int:device_id>/erasure-certificate")
class ErasureCertificate(MethodView):
    @blp.response(200, schemas.CertificateSchema)
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, device_id: int) -> service.Certificate:
        """The device's erasure certificate: each disk with its verified erasure; complete when all are"""
        return service.certificate(current_session(), current_principal(), device_id)


@blp.route("/devices/<int:device_id>/erasure-certificate.pdf")
class ErasureCertificatePdf(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The certificate as PDF, French by default (?lang=en or Accept-Language); "
                "private: it carries serials",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, device_id: int) -> Response:
        """The device's erasure certificate as a PDF: numbered, sealed by a digest, with a QR code to
        its public verification page /verify/<number> (issued now, or the latest one if unchanged)"""
        from marketplace.documents.routes import certificate_pdf

        return certificate_pdf(device_id)
