"""Writing the passport: one event per change, in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
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
