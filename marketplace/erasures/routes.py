"""HTTP routes of data erasure: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.erasures import evidence, removals, schemas, service
from marketplace.erasures.models import DiskRemoval, Erasure

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


@blp.route("/devices/<int:device_id>/erasures/evidence")
class DeviceErasureEvidence(MethodView):
    @blp.arguments(schemas.EvidenceUploadSchema, location="multipart")
    @blp.response(201, schemas.ErasureSchema)
    @blp.alt_response(403, description="Your role does not record erasures, or a bench token without erasures:write")
    @blp.alt_response(404, description="No such device (or not yours)")
    @blp.alt_response(409, description="This evidence was already recorded, or the device is not in its owner's hands")
    @blp.alt_response(413, description="The evidence file is too large")
    @blp.alt_response(
        422, description="Unreadable or truncated evidence, a failed wipe (quoted), another or an unknown disk"
    )
    def post(self, form: dict[str, Any], device_id: int) -> Erasure:
        """Record one disk's erasure from the wiping tool's own output, re-read by the server"""
        upload = form["evidence"]
        return evidence.record_from_evidence(
            current_session(),
            current_principal(),
            device_id,
            filename=upload.filename,
            content=upload.content,
            disk_serial=form.get("disk_serial"),
            operator=form.get("operator"),
        )


@blp.route("/devices/<int:device_id>/disk-removals")
class DeviceDiskRemovals(MethodView):
    @blp.response(200, schemas.DiskRemovalListSchema)
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, device_id: int) -> dict[str, Any]:
        """The disks recorded as taken out of the device, oldest first"""
        return {"items": removals.list_removals(current_session(), current_principal(), device_id)}

    @blp.arguments(schemas.DiskRemovalCreateSchema)
    @blp.response(201, schemas.DiskRemovalSchema)
    @blp.alt_response(403, description="Your role does not record this, or a bench token without erasures:write")
    @blp.alt_response(404, description="No such device (or not yours)")
    @blp.alt_response(409, description="The disk is already recorded as removed, or the device is not in hand")
    @blp.alt_response(422, description="Not a disk of this device (the known ones are named), or a bad target")
    def post(self, data: dict[str, Any], device_id: int) -> DiskRemoval:
        """Record a disk as taken out of the device: kept, destroyed, or moved into another device"""
        return removals.record_removal(current_session(), current_principal(), device_id, data)


@blp.route("/erasures/<int:erasure_id>/evidence")
class ErasureEvidenceFile(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The wiping tool's output as it was sent (private: it names serials)",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    @blp.alt_response(404, description="No such erasure evidence (or not yours)")
    def get(self, erasure_id: int) -> Response:
        """The raw evidence stored with an erasure record"""
        erasure = evidence.get_evidence(current_session(), current_principal(), erasure_id)
        filename = erasure.evidence_filename or f"erasure-{erasure.id}-evidence.txt"
        return Response(
            erasure.evidence or b"",
            mimetype="text/plain",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


@blp.route("/devices/<int:device_id>/erasure-certificate")
class ErasureCertificate(MethodView):
    @blp.response(200, schemas.CertificateSchema)
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, device_id: int) -> service.Certificate:
        """The device's erasure certificate: each disk with its verified erasure; complete when all are"""
        return service.certificate(current_session(), current_principal(), device_id)
