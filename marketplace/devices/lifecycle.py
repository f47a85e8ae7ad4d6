"""The device lifecycle: every state change goes through ``transition``.

registered → diagnosed → listed → reserved → sold | on_loan → returned → listed …,
plus in_repair and retired. A sold device handed over becomes ``registered`` for its new owner
(its next life); a buyer's return brings it back to the seller as ``returned``.
A change not in ``ALLOWED`` is an ``InvalidState`` (409).
"""

from __future__ import annotations

from marketplace.devices.models import Device, DeviceState
from marketplace.errors import InvalidState

S = DeviceState

ALLOWED: dict[DeviceState, frozenset[DeviceState]] = {
    # → returned: a buyer sends back a device handed over to it (``devices.transfers.take_back``).
    S.REGISTERED: frozenset({S.DIAGNOSED, S.IN_REPAIR, S.RETIRED, S.RETURNED}),
    S.DIAGNOSED: frozenset({S.LISTED, S.IN_REPAIR, S.RETIRED, S.RETURNED}),
    S.LISTED: frozenset({S.RESERVED, S.ON_LOAN, S.DIAGNOSED, S.IN_REPAIR, S.RETIRED}),
    S.RESERVED: frozenset({S.LISTED, S.SOLD, S.ON_LOAN}),
    # → registered: handed over, the device starts its next life with its new owner (``transfers``).
    S.SOLD: frozenset({S.RETURNED, S.REGISTERED}),
    S.ON_LOAN: frozenset({S.RETURNED}),
    S.RETURNED: frozenset({S.LISTED, S.DIAGNOSED, S.IN_REPAIR, S.RETIRED}),
    S.IN_REPAIR: frozenset({S.DIAGNOSED, S.REGISTERED, S.RETIRED}),
    S.RETIRED: frozenset(),
}

#: States in which new diagnostics may be recorded (the device is in its owner's hands).
DIAGNOSABLE = frozenset({S.REGISTERED, S.DIAGNOSED, S.LISTED, S.RETURNED, S.IN_REPAIR})


def can_transition(current: DeviceState, target: DeviceState) -> bool:
    return target in ALLOWED[current]


def allowed_from(current: DeviceState) -> str:
    """``(allowed from <state>: <targets>)``: what every refused move of a device tells its caller."""
    allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "none"
    return f"(allowed from {current.value}: {allowed})"


def transition(device: Device, target: DeviceState) -> DeviceState:
    """Move ``device`` to ``target`` or raise InvalidState; returns the previous state."""
    current = device.state
    if not can_transition(current, target):
        raise InvalidState(f"A {current.value} device cannot become {target.value} {allowed_from(current)}.")
    device.state = target
    return current


def ensure_not_sold(device: Device) -> None:
    """A sold device (a sale or donation confirmed, before or after handover) is frozen: it is what
    the buyer bought, and once handed over it is no longer its seller's. It thaws only if it comes
    back (a return or a cancelled order). Diagnostics and erasures are refused in this state too
    (``DIAGNOSABLE``), even a bench's retry of an upload already stored."""
    if device.state is DeviceState.SOLD:
        raise InvalidState(
            "This device is sold: it can no longer be changed by its former owner "
            "(it thaws only if the order is cancelled or the device is returned).",
            errors={"device": ["Sold: frozen."]},
        )


def ensure_in_hands(device: Device, refused: str) -> None:
    """The device is in its organisation's hands (``DIAGNOSABLE``), the one time diagnostics,
    erasures and disk removals are recorded; otherwise an ``InvalidState`` ending with
    ``refused`` (what cannot happen now). A sold device gets ``ensure_not_sold``'s answer."""
    ensure_not_sold(device)
    if device.state not in DIAGNOSABLE:
        raise InvalidState(f"A {device.state.value} device is not in its organisation's hands: {refused}.")
