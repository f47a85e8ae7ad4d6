"""Ownership follows the device: the handover of a sale or a donation makes the receiving
organisation its owner (its inventory, its whole passport, diagnostics and erasure records), and
a return gives it back to the seller. A loan never moves ownership.

Each move is one ``DeviceTransfer`` row next to one passport event, in the caller's transaction,
under the device's row lock the caller holds (``reservations.locks``):

- ``transferred`` (sale or donation handed over): the device becomes ``registered`` for its new
  owner, who diagnoses it, erases it and may list it again (its second, third … life). Erasures
  recorded before the transfer no longer count (``erasures.service.disk_statuses``). Public view:
  the mode (sale, donation) and, for each side, the organisation kind and department, never names nor prices.
- ``returned`` (a sale or donation returned by its buyer): back to the seller, ``returned``, for
  re-diagnosis; a new erasure is required before it is listed again.

A former owner keeps read access to the history up to its departure, not after
(``members.access.former_owner_history_end``, fed by ``departures``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from marketplace.devices import lifecycle, passport
from marketplace.devices.models import Device, DeviceState, DeviceTransfer, EventKind, TransferReason
from marketplace.devices.passport import departures as departures  # read by the services, kept here too
from marketplace.members.access import Principal
from marketplace.members.models import Organisation


def _side(session: Session, organisation_id: int) -> dict[str, Any]:
    organisation = session.get(Organisation, organisation_id)
    assert organisation is not None
    return {"kind": organisation.kind.value, "department": organisation.department}


def _move(
    session: Session,
    device: Device,
    *,
    to_organisation_id: int,
    reason: TransferReason,
    event_kind: EventKind,
    target: DeviceState,
    actor: Principal | None,
    order_id: int | None,
    data: Mapping[str, Any],
) -> DeviceTransfer:
    # Imported here: the devices service imports the catalogue, which the orders service imports.
    from marketplace.devices.service import asset_tag_for_newcomer

    from_organisation_id = device.organisation_id
    changes: dict[str, list[Any]] = {"organisation_id": [from_organisation_id, to_organisation_id]}
    tag = asset_tag_for_newcomer(session, device, to_organisation_id)
    if tag != device.asset_tag:
        changes["asset_tag"] = [device.asset_tag, tag]
        device.asset_tag = tag
    device.organisation_id = to_organisation_id
    previous = lifecycle.transition(device, target)
    event = passport.record_event(
        session, device, event_kind, actor, organisation_id=from_organisation_id, state_from=previous,
        changes=changes,
        data={
            "mode": reason.value,
            "order_id": order_id,
            "from": _side(session, from_organisation_id),
            "to": _side(session, to_organisation_id),
            **data,
        },
    )  # fmt: skip
    session.flush()
    move = DeviceTransfer(
        device_id=device.id,
        from_organisation_id=from_organisation_id,
        to_organisation_id=to_organisation_id,
        reason=reason,
        order_id=order_id,
        event_id=event.id,
        occurred_at=event.occurred_at,
    )
    session.add(move)
    session.flush()
    return move


def hand_on(
    session: Session,
    device: Device,
    *,
    to_organisation_id: int,
    reason: TransferReason,
    actor: Principal | None,
    order_id: int | None,
) -> DeviceTransfer:
    """A sold or donated device handed over: it is now ``to_organisation_id``'s, ``registered``
    for its next life."""
    return _move(
        session, device, to_organisation_id=to_organisation_id, reason=reason, event_kind=EventKind.TRANSFERRED,
        target=DeviceState.REGISTERED, actor=actor, order_id=order_id, data={},
    )  # fmt: skip


#: States in which a buyer may still send a device back: not offered, lent or sold on meanwhile.
RETURNABLE_STATES = frozenset({DeviceState.REGISTERED, DeviceState.DIAGNOSED})


def take_back(
    session: Session,
    device: Device,
    *,
    to_organisation_id: int,
    actor: Principal | None,
    order_id: int,
    data: Mapping[str, Any],
) -> DeviceTransfer:
    """A handed-over device returned to its seller: ``returned`` (re-diagnosis, fresh erasure)."""
    return _move(
        session, device, to_organisation_id=to_organisation_id, reason=TransferReason.RETURN,
        event_kind=EventKind.RETURNED, target=DeviceState.RETURNED, actor=actor, order_id=order_id, data=data,
    )  # fmt: skip
