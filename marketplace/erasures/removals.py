"""Disks taken out of a device: kept, destroyed, or moved into another device, with who and when.

A disk the device has held (``listability.rules.held_disks``) needs its verified erasure on the device until
such a removal is recorded; a removal of a disk the device never had, or recorded twice, is refused.
A disk seen in the device again after its removal needs its erasure again. Same callers as erasures
from the bench (``evidence._device_for_erasure``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices import lifecycle
from marketplace.devices.models import Device, EventKind
from marketplace.devices.passport import record_event
from marketplace.erasures.evidence import _device_for_erasure
from marketplace.erasures.models import DiskRemoval, RemovalOutcome
from marketplace.errors import Conflict, ValidationFailed
from marketplace.listability.follow import follow_device
from marketplace.listability.rules import disk_statuses, normalise_serial
from marketplace.members.access import Principal
from marketplace.reports import service as reports
from marketplace.reservations import locks


def record_removal(
    session: Session, principal: Principal | None, device_id: int, data: Mapping[str, Any]
) -> DiskRemoval:
    principal, device = _device_for_erasure(session, principal, device_id)
    device = locks.lock_device(session, device.id)
    lifecycle.ensure_in_hands(device, "no change now")
    outcome = RemovalOutcome(data["outcome"])
    target_id = data.get("moved_to_device_id")
    if outcome is RemovalOutcome.MOVED:
        target = session.get(Device, target_id) if target_id is not None else None
        if target is None or target.id == device.id or target.organisation_id != device.organisation_id:
            raise ValidationFailed(
                "A moved disk names the other device of the organisation it went into.",
                errors={"moved_to_device_id": ["Another device of the same organisation is required."]},
            )
    elif target_id is not None:
        raise ValidationFailed(
            "Only a moved disk names another device.", errors={"moved_to_device_id": ["Only with outcome moved."]}
        )
    removed_at: dt.datetime = data.get("removed_at") or utcnow()
    if removed_at > utcnow() + dt.timedelta(minutes=5):
        raise ValidationFailed("A removal cannot be in the future.", errors={"removed_at": ["In the future."]})
    _report_id, statuses = disk_statuses(session, device)
    wanted = normalise_serial(data["disk_serial"])
    status = next((d for d in statuses if d.serial and normalise_serial(d.serial) == wanted), None)
    if status is None:
        known = sorted(d.serial for d in statuses if d.serial)
        raise ValidationFailed(
            f"No disk with serial {data['disk_serial']!r} in this device since its last handover; known disks: "
            f"{', '.join(known) or 'none'}. Nothing was stored.",
            errors={"disk_serial": [f"Not a disk of this device; known serials: {known}"]},
        )
    if status.removal is not None:
        raise Conflict(
            f"Disk {status.serial} is already recorded as removed ({status.removal.outcome.value}, "
            f"removal {status.removal.id}); nothing was stored.",
            errors={"disk_serial": ["Already removed."]},
        )
    removal = DiskRemoval(
        device_id=device.id,
        disk_serial=str(status.serial),
        disk_model=status.model,
        outcome=outcome,
        moved_to_device_id=target_id if outcome is RemovalOutcome.MOVED else None,
        removed_at=removed_at,
        notes=(data.get("notes") or "").strip() or None,
        recorded_by_user_id=principal.user_id,
        recorded_by_token_id=principal.token_id if principal.user_id is None else None,
    )
    session.add(removal)
    session.flush()
    record_event(
        session,
        device,
        EventKind.DISK_REMOVED,
        principal,
        data={
            "removal_id": removal.id,
            "disk_serial": removal.disk_serial,
            "outcome": outcome.value,
            "moved_to_device_id": removal.moved_to_device_id,
        },
        public=False,
    )
    session.flush()

    follow_device(session, device, principal)
    return removal


def list_removals(session: Session, principal: Principal | None, device_id: int) -> list[DiskRemoval]:
    device = reports.device_for_reading(session, principal, device_id)
    return list(
        session.scalars(sa.select(DiskRemoval).where(DiskRemoval.device_id == device.id).order_by(DiskRemoval.id))
    )
