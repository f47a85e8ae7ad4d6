"""HTTP routes of devices and their passport: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.devices import lookup, readiness, schemas, service, specs_check
from marketplace.devices.models import Device
from marketplace.pagination import Page

blp = Blueprint("devices", __name__, url_prefix="/api/v1", description="Devices, their lifecycle and passport")


def _etag(device: Device) -> dict[str, str]:
    return {"ETag": f'"{device.version}"'}


@blp.route("/devices")
class Devices(MethodView):
    @blp.arguments(schemas.DeviceQueryArgsSchema, location="query")
    @blp.response(200, schemas.DeviceListSchema)
    @blp.alt_response(401, description="No token")
    @blp.alt_response(403, description="Bench token, or not a member of the organisation asked for")
    def get(self, args: dict[str, Any]) -> Page[Device]:
        """The devices of the caller's organisations (all for staff), newest first"""
        return service.list_devices(current_session(), current_principal(), **args)

    @blp.arguments(schemas.DeviceCreateSchema)
    @blp.response(201, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(403, description="Not an admin or lister of the organisation, or a bench token")
    @blp.alt_response(409, description="Asset tag or serial already used in the organisation")
    @blp.alt_response(422, description="Invalid fields, including specs.<key> for the device kind")
    def post(self, data: dict[str, Any]) -> tuple[Device, dict[str, str]]:
        """Register a device (asset tag generated when absent)"""
        device = service.create_device(current_session(), current_principal(), **data)
        return device, _etag(device)


@blp.route("/devices/lookup")
class DeviceLookup(MethodView):
    @blp.arguments(schemas.DeviceLookupArgsSchema, location="query")
    @blp.response(200, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(401, description="No token")
    @blp.alt_response(404, description="No device with this tag, serial or code in your organisations")
    @blp.alt_response(409, description="The tag or serial names devices of several of your organisations")
    @blp.alt_response(422, description="Not exactly one of tag, serial, code; or not a device code")
    def get(self, args: dict[str, Any]) -> tuple[Device, dict[str, str]]:
        """Find a device by asset tag, serial or its label's code (members and bench tokens)"""
        device = lookup.lookup_device(current_session(), current_principal(), **args)
        return device, _etag(device)


@blp.route("/devices/<int:device_id>/readiness")
class DeviceReadiness(MethodView):
    @blp.response(200, schemas.ReadinessSchema)
    @blp.alt_response(401, description="No token")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    def get(self, device_id: int) -> readiness.Readiness:
        """What the device still needs to be listed: reports by kind, checklist, erasure of each disk"""
        return readiness.readiness(current_session(), current_principal(), device_id)


@blp.route("/devices/<int:device_id>/specs-check")
class DeviceSpecsCheck(MethodView):
    @blp.response(200, schemas.SpecsCheckSchema)
    @blp.alt_response(401, description="No token")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    def get(self, device_id: int) -> Any:
        """The registered specs against what the diagnostics measured, with each mismatch"""
        return specs_check.specs_check(current_session(), current_principal(), device_id)


@blp.route("/devices/<int:device_id>/specs-check/accept")
class DeviceSpecsAccept(MethodView):
    @blp.arguments(schemas.IfMatchSchema, location="headers")
    @blp.response(200, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(403, description="Your role does not allow changing devices, or a bench token")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    @blp.alt_response(409, description="Nothing measured yet, or the device cannot change (sold, retired)")
    @blp.alt_response(412, description="If-Match is stale: the device changed since you read it")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, precondition: dict[str, Any], device_id: int) -> Any:
        """Take the measured values (storage size and type) into the device's specs; needs `If-Match`"""
        device = specs_check.accept_measured(
            current_session(), current_principal(), device_id, expected_version=precondition["expected_version"]
        )
        return device, _etag(device)


@blp.route("/devices/<int:device_id>")
class DeviceById(MethodView):
    @blp.response(200, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(404, description="No such device, or not in your organisations")
    def get(self, device_id: int) -> tuple[Device, dict[str, str]]:
        """A device of one of the caller's organisations; its ETag is its version"""
        device = service.get_device(current_session(), current_principal(), device_id)
        return device, _etag(device)

    @blp.arguments(schemas.IfMatchSchema, location="headers")
    @blp.arguments(schemas.DeviceUpdateSchema)
    @blp.response(200, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(403, description="Your role does not allow changing devices")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    @blp.alt_response(
        409, description="Asset tag or serial already used; retired or sold device; kind of a listed device"
    )
    @blp.alt_response(412, description="If-Match is stale: the device changed since you read it")
    @blp.alt_response(428, description="If-Match missing")
    def patch(self, precondition: dict[str, Any], changes: dict[str, Any], device_id: int) -> Any:
        """Change a device; needs `If-Match` with the ETag read (lost updates are refused)"""
        device = service.update_device(
            current_session(),
            current_principal(),
            device_id,
            changes,
            expected_version=precondition["expected_version"],
        )
        return device, _etag(device)


@blp.route("/devices/<int:device_id>/passport")
class DevicePassport(MethodView):
    @blp.arguments(schemas.PassportQueryArgsSchema, location="query")
    @blp.response(200, schemas.PassportPageSchema)
    @blp.alt_response(403, description="Bench token")
    @blp.alt_response(404, description="No such device, or not listed where you can see it")
    def get(self, args: dict[str, Any], device_id: int) -> service.PassportPage:
        """The device's history: in full for its organisation and staff, the public part for a listed device"""
        return service.get_passport(current_session(), current_principal(), device_id, **args)


@blp.route("/devices/<int:device_id>/repairs")
class DeviceRepairs(MethodView):
    @blp.arguments(schemas.IfMatchSchema, location="headers")
    @blp.arguments(schemas.RepairCreateSchema)
    @blp.response(201, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(403, description="Your role does not allow recording repairs")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    @blp.alt_response(409, description="The device cannot go to repair from its state (allowed states named)")
    @blp.alt_response(412, description="If-Match given and stale")
    def post(self, precondition: dict[str, Any], data: dict[str, Any], device_id: int) -> Any:
        """Send the device to repair (→ in_repair); technicians too. If-Match optional"""
        device = service.start_repair(current_session(), current_principal(), device_id, **data, **precondition)
        return device, _etag(device)


@blp.route("/devices/<int:device_id>/repairs/complete")
class DeviceRepairComplete(MethodView):
    @blp.arguments(schemas.IfMatchSchema, location="headers")
    @blp.arguments(schemas.RepairCompleteSchema)
    @blp.response(200, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(403, description="Your role does not allow recording repairs")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    @blp.alt_response(409, description="The device is not in repair")
    @blp.alt_response(412, description="If-Match given and stale")
    def post(self, precondition: dict[str, Any], data: dict[str, Any], device_id: int) -> Any:
        """End the repair with a `repaired` event (→ diagnosed or registered)"""
        device = service.complete_repair(current_session(), current_principal(), device_id, **data, **precondition)
        return device, _etag(device)


@blp.route("/devices/<int:device_id>/retire")
class DeviceRetire(MethodView):
    @blp.arguments(schemas.IfMatchSchema, location="headers")
    @blp.arguments(schemas.RetireSchema)
    @blp.response(200, schemas.DeviceSchema, headers=schemas.ETAG_HEADER)
    @blp.alt_response(403, description="Only admins and listers retire devices")
    @blp.alt_response(404, description="No such device, or not in your organisations")
    @blp.alt_response(409, description="The device cannot be retired from its state (allowed states named)")
    @blp.alt_response(412, description="If-Match given and stale")
    def post(self, precondition: dict[str, Any], data: dict[str, Any], device_id: int) -> Any:
        """Retire the device (→ retired) with its disposal record"""
        device = service.retire_device(
            current_session(), current_principal(), device_id, disposal=data["disposal"], **precondition
        )
        return device, _etag(device)
