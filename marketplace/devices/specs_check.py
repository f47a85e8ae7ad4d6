"""Read the specs check of a device, and take the measured values into its specs in one call
(``reconcile`` decides what differs; ``service.update_device`` applies the change with its rules:
admins and listers, If-Match, an ``updated`` passport event)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.devices import reconcile, service
from marketplace.devices.lookup import read_device
from marketplace.devices.models import Device
from marketplace.errors import InvalidState
from marketplace.listability.current import current_components
from marketplace.members.access import INVENTORY_ROLES, Principal


def specs_check(session: Session, principal: Principal | None, device_id: int) -> reconcile.SpecsCheck:
    device = read_device(session, principal, device_id)
    return reconcile.check(device, current_components(session, device).reports)


def accept_measured(
    session: Session, principal: Principal | None, device_id: int, *, expected_version: int | None
) -> Device:
    device = service.get_device(session, principal, device_id)
    assert principal is not None  # get_device refused anonymous callers
    service._require_role(principal, device.organisation_id, INVENTORY_ROLES, "change devices")
    result = reconcile.check(device, current_components(session, device).reports)
    if not result.measured:
        raise InvalidState(
            "Nothing measured to accept: upload the device's disk reports (and dmidecode or system_profiler) first."
        )
    specs = {**(device.specs or {}), **result.measured}
    return service.update_device(session, principal, device_id, {"specs": specs}, expected_version=expected_version)
