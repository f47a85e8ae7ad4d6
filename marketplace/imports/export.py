"""Inventory export: an organisation's devices as a native CSV that re-imports unchanged.

Every text cell goes through ``formats.neutralise`` (CSV/formula injection, OWASP): a make, model
or location typed as ``=HYPERLINK(…)`` opens as text in a spreadsheet, not as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device
from marketplace.errors import NotFound
from marketplace.imports.formats import NATIVE_REQUIRED, neutralise
from marketplace.members.access import INVENTORY_ROLES, Principal, require_org_role
from marketplace.members.models import Organisation

#: The native import's columns, then what only the export knows (ignored on re-import).
EXPORT_COLUMNS = (*NATIVE_REQUIRED, "cosmetic_grade", "location", "storage_type", "screen_in", "state", "grade")
_SPEC_COLUMNS = {
    "cpu": "cpu",
    "ram_gb": "ram_gb",
    "storage_gb": "storage_gb",
    "year": "year",
    "storage_type": "storage_type",
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "value"):  # enums
        value = value.value
    return neutralise(str(value))


def _row(device: Device) -> list[str]:
    specs = device.specs or {}
    values: dict[str, Any] = {
        "asset_tag": device.asset_tag,
        "serial": device.serial,
        "kind": device.kind,
        "make": device.make,
        "model": device.model,
        "cosmetic_grade": device.cosmetic_grade,
        "location": device.location,
        "screen_in": specs.get("screen_in", specs.get("size_in")),
        "state": device.state,
        "grade": device.grade,
    }
    values |= {column: specs.get(key) for column, key in _SPEC_COLUMNS.items()}
    return [_cell(values.get(column)) for column in EXPORT_COLUMNS]


def export_devices_csv(session: Session, principal: Principal | None, organisation_id: int) -> str:
    """The organisation's whole inventory, oldest first (admins and listers, staff)."""
    if session.get(Organisation, organisation_id) is None:
        raise NotFound("No such organisation.")
    require_org_role(principal, organisation_id, INVENTORY_ROLES)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    devices = session.scalars(
        sa.select(Device)
        .where(Device.organisation_id == organisation_id)
        .order_by(Device.id)
        .execution_options(yield_per=1000)
    )
    for device in devices:
        writer.writerow(_row(device))
    return buffer.getvalue()
