"""The passport: writing it (one event per change, in the same transaction as the change) and its
public view (an allow-list per kind of event, below)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, DeviceTransfer, EventKind
from marketplace.members.access import Principal


def record_event(
    session: Session,
    device: Device,
    kind: EventKind,
    actor: Principal | None,
    *,
    organisation_id: int | None = None,
    changes: Mapping[str, tuple[Any, Any] | list[Any]] | None = None,
    data: Mapping[str, Any] | None = None,
    state_from: DeviceState | None = None,
    public: bool = True,
) -> DeviceEvent:
    event = DeviceEvent(
        device=device,
        kind=kind,
        actor_user_id=actor.user_id if actor else None,
        actor_token_id=actor.token_id if actor else None,
        actor_organisation_id=organisation_id if organisation_id is not None else device.organisation_id,
        state_from=state_from.value if state_from is not None else None,
        state_to=device.state.value if state_from is not None else None,
        changes={k: list(v) for k, v in (changes or {}).items()},
        data=dict(data or {}),
        public=public,
    )
    session.add(event)
    return event


# --- the public view -------------------------------------------------------------------------------
#
# What anyone who may see a device's listing reads of its passport (``devices.service.get_passport``
# for callers outside the owning organisation). An allow-list, in this one place: per kind of
# event, the ``changes`` fields and the ``data`` keys shown; anything not named here is left out,
# so a key some code adds to an event later (a note, a photo URL, a buyer's reason) stays private
# until someone decides here that it is public. Every event also shows its id, kind, time and
# state change. The actor is shown as an organisation name only when it is the device's owner,
# whose name its listing shows anyway: a buyer or borrower is never named.

#: A ``data`` shape: each allowed key maps to None (a plain value: text, number, boolean, null, or
#: a list of them) or to the shape of the object (or list of objects) it holds.
Shape = Mapping[str, "Shape | None"]

#: Device fields a buyer sees in the catalogue card, and their changes in the passport.
PUBLIC_DEVICE_FIELDS = frozenset({"kind", "make", "model", "specs", "cosmetic_grade"})
#: The server's grading of the device (``reports.service.device_fields``).
PUBLIC_GRADE_FIELDS = frozenset({"grade", "health", "battery_health_pct", "remaining_life", "grading_policy"})
#: A listing's terms as its public card shows them (not its free-text description, nor postcode).
PUBLIC_LISTING_FIELDS = frozenset(
    {
        "price_cents",
        "warranty_months",
        "return_days",
        "min_days",
        "max_days",
        "deposit_cents",
        "eligible_kinds",
        "visibility",
    }
)
_ASSESSMENT: Shape = {
    "grade": None,
    "health": None,
    "policy": None,
    "findings": None,  # finding codes only (``reports.service._event_data``)
}


@dataclass(frozen=True)
class PublicView:
    changes: frozenset[str] = frozenset()
    data: Shape = field(default_factory=dict)


_REPORT_VIEW = PublicView(
    changes=PUBLIC_GRADE_FIELDS,
    data={
        **_ASSESSMENT,
        "report_kind": None,
        "diagnosis_complete": None,
        "components": {"component": None, "grade": None, "health": None},
    },
)

PUBLIC_VIEWS: Mapping[EventKind, PublicView] = {
    EventKind.REGISTERED: PublicView(changes=PUBLIC_DEVICE_FIELDS),
    EventKind.IMPORTED: PublicView(changes=PUBLIC_DEVICE_FIELDS),
    EventKind.UPDATED: PublicView(
        changes=PUBLIC_DEVICE_FIELDS | PUBLIC_LISTING_FIELDS | {"warranty_until", "department"},
        data={"listing_id": None, "handover": None},
    ),
    EventKind.DIAGNOSED: _REPORT_VIEW,
    EventKind.CHECKED: _REPORT_VIEW,  # a checklist is a report of kind manual
    EventKind.REGRADED: PublicView(changes=PUBLIC_GRADE_FIELDS, data=_ASSESSMENT),
    EventKind.ERASED: PublicView(data={"method": None, "standard": None, "verified": None, "tool": None}),
    EventKind.LISTED: PublicView(
        data={"listing_id": None, "mode": None, "price_cents": None, "visibility": None, "department": None}
    ),
    EventKind.UNLISTED: PublicView(data={"listing_id": None}),
    EventKind.RESERVED: PublicView(),
    EventKind.RELEASED: PublicView(),
    EventKind.SOLD: PublicView(),
    EventKind.DONATED: PublicView(),
    EventKind.LENT: PublicView(data={"start": None, "end": None}),
    # A return shows the inspection's verdict on a loan (condition, what became of the deposit) and,
    # for a device sent back by its buyer, the move like a transfer (organisation kinds and
    # departments); never an amount, the lender's notes and photos, a buyer's reason, nor names.
    EventKind.RETURNED: PublicView(
        data={
            "inspection": {"condition": None, "deposit": None},
            "mode": None,
            "kind": None,
            "from": {"kind": None, "department": None},
            "to": {"kind": None, "department": None},
        }
    ),
    # A change of owner: the kind of organisation and its department on each side, never a name,
    # an order or a price.
    EventKind.TRANSFERRED: PublicView(
        data={"mode": None, "from": {"kind": None, "department": None}, "to": {"kind": None, "department": None}}
    ),
    EventKind.REPAIR_STARTED: PublicView(data={"parts": None}),
    EventKind.REPAIRED: PublicView(data={"parts": None}),
    EventKind.RETIRED: PublicView(),
    # Recorded private (serials, the owner's inventory); nothing of them would show if made public.
    EventKind.DISK_REMOVED: PublicView(),
    EventKind.SPECS_MISMATCH: PublicView(),
}

#: Spec keys never shown publicly, at any depth: identifiers of the hardware.
PRIVATE_SPEC_KEY = re.compile(r"serial|asset|uuid|mac_?addr|imei|wwn", re.IGNORECASE)

_DROP = object()


def public_specs(value: Any) -> Any:
    """Specs without hardware identifiers (the free-form specs of ``other`` devices may hold one)."""
    if isinstance(value, Mapping):
        return {k: public_specs(v) for k, v in value.items() if not PRIVATE_SPEC_KEY.search(str(k))}
    if isinstance(value, list):
        return [public_specs(v) for v in value]
    return value


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _keep(value: Any, shape: Shape | None) -> Any:
    if shape is None:
        if _plain(value):
            return value
        if isinstance(value, list) and all(_plain(v) for v in value):
            return list(value)
        return _DROP
    if isinstance(value, Mapping):
        return _pick(value, shape)
    if isinstance(value, list):
        return [_pick(v, shape) for v in value if isinstance(v, Mapping)]
    return _DROP


def _pick(data: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, inner in shape.items():
        if key in data and (value := _keep(data[key], inner)) is not _DROP:
            kept[key] = value
    return kept


def _public_change(name: str, change: Any) -> Any:
    if not isinstance(change, list) or len(change) != 2:
        return _DROP
    if name == "specs":
        return [public_specs(v) if isinstance(v, Mapping) else None for v in change]
    if name == "remaining_life":
        return [_pick(v, dict.fromkeys(v)) if isinstance(v, Mapping) else None for v in change]
    return change if all(_plain(v) for v in change) else _DROP


def public_event(event: DeviceEvent, owner_id: int, owner_name: str | None) -> dict[str, Any]:
    """The public view of ``event`` of a device owned by organisation ``owner_id``."""
    view = PUBLIC_VIEWS.get(event.kind, PublicView())
    changes = {}
    for name, change in event.changes.items():
        if name in view.changes and (value := _public_change(name, change)) is not _DROP:
            changes[name] = value
    return {
        "id": event.id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "state_from": event.state_from,
        "state_to": event.state_to,
        "changes": changes,
        "data": _pick(event.data, view.data),
        "actor": {"organisation_name": owner_name if event.actor_organisation_id == owner_id else None},
    }


def departures(session: Session, device_id: int) -> dict[int, int]:
    """Organisation id → id of the passport event of its latest departure from the device (the
    transfers ``devices.transfers`` records): how far each former owner reads its history."""
    rows = session.execute(
        sa.select(DeviceTransfer.from_organisation_id, sa.func.max(DeviceTransfer.event_id))
        .where(DeviceTransfer.device_id == device_id)
        .group_by(DeviceTransfer.from_organisation_id)
    ).all()
    return {int(organisation_id): int(event_id) for organisation_id, event_id in rows}
