"""Returns and warranty claims of a handed-over order (issue #17 point 3).

::

    buyer opens  ──▶ open ──seller accepts (refund amount ≤ paid − refunded)──▶ accepted
                         └─seller refuses (with a reason)──────────────────▶ refused

* **Open** (buyer organisation's members): a ``return`` within the order's return window (the
  listing's ``return_days`` after handover, 30 by default), or a ``warranty`` claim within the
  warranty (the listing's warranty months from the handover). One open return per order (a unique
  partial index; the device's row lock orders concurrent requests). Refused when the device moved
  on since the handover (listed, lent, sold on): it is no longer what was bought.
* **Accept** (seller organisation's admins and listers): the device comes back to the seller
  (``devices.transfers.take_back``: a ``returned`` passport event and a transfer row, its state
  ``returned`` for re-diagnosis; ``listability.rules`` then asks a fresh erasure and checklist before
  any new listing). Money: a card payment is refunded through Stripe for the accepted amount (less
  than paid for a missing accessory), confirmed later by Stripe's refund events
  (``orders.refunds``); an invoice gets a credit note for that amount, numbered in the invoices'
  gap-free sequence. The order becomes ``returned``, so the impact report no longer counts that
  transfer (``impact.service._reuses``).
* **Refuse** (same people): with a reason; the buyer keeps the device and may claim again later
  (e.g. under the warranty).

Condition photos, uploaded first by the buyer (``POST /photos``), are claimed by the return that names them.
Every decision runs under the device's row lock (``reservations.locks``), so of two concurrent
accepts one wins and the other is told the return is already decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices import transfers
from marketplace.devices.models import Device
from marketplace.errors import (
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from marketplace.media import service as media
from marketplace.media.models import Photo, PhotoPurpose
from marketplace.members.access import Principal, require_user
from marketplace.notifications import events as notify
from marketplace.orders.models import (
    Order,
    OrderReturn,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ReturnKind,
    ReturnStatus,
)
from marketplace.orders.service import (
    get_order,
    next_invoice_number,
    refund_card,
    require_org_inventory,
)
from marketplace.payments.gateway import PaymentGateway
from marketplace.reservations import locks


def _lock(session: Session, order: Order) -> Device:
    device = locks.lock_device(session, order.device_id)
    session.refresh(order)
    return device


def _ensure_with_buyer(order: Order, device: Device) -> None:
    """The device is still the buyer's and has not moved on (listed, lent, sold on) since."""
    if device.organisation_id != order.buyer_organisation_id or device.state not in transfers.RETURNABLE_STATES:
        raise InvalidState(
            f"This device was listed, lent or passed on since it was handed over (it is {device.state.value} "
            "now): it can no longer be returned under this order.",
            errors={"device": [f"Is {device.state.value} since the handover."]},
        )


def _ensure_in_time(order: Order, kind: ReturnKind, now: dt.datetime) -> None:
    assert order.return_deadline is not None
    if kind is ReturnKind.RETURN:
        if now > order.return_deadline:
            warranty = order.warranty_until
            hint = (
                f" A warranty claim (kind 'warranty') is possible until {warranty.isoformat()}."
                if warranty is not None and now.date() <= warranty
                else ""
            )
            raise InvalidState(
                f"The return window closed on {order.return_deadline.date().isoformat()}.{hint}",
                errors={"kind": ["Return window closed."]},
            )
        return
    warranty = order.warranty_until
    if warranty is None:
        raise InvalidState(
            "This order came with no warranty: only a return within the return window is possible.",
            errors={"kind": ["No warranty on this order."]},
        )
    if now.date() > warranty:
        raise InvalidState(f"The warranty ended on {warranty.isoformat()}.", errors={"kind": ["Warranty ended."]})


def open_return(
    session: Session,
    principal: Principal | None,
    order_id: int,
    *,
    kind: ReturnKind,
    reason: str,
    condition_notes: str | None,
    photo_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> OrderReturn:
    now = now or utcnow()
    order = get_order(session, principal, order_id)
    principal = require_user(principal)
    assert principal.user_id is not None
    if not principal.is_member_of(order.buyer_organisation_id):
        raise Forbidden("Only the buyer's organisation returns an order.")
    device = _lock(session, order)
    if order.status is not OrderStatus.HANDED_OVER:
        raise InvalidState(
            f"A {order.status.value} order cannot be returned (only once handed over, and once).",
            errors={"order": [f"Is {order.status.value}."]},
        )
    current = open_return_of(session, order.id)
    if current is not None:
        raise Conflict(
            f"This order already has an open return ({current.id}); wait for the seller's answer.",
            errors={"order": [f"Return {current.id} is open."]},
        )
    _ensure_in_time(order, kind, now)
    _ensure_with_buyer(order, device)
    opened = OrderReturn(
        order_id=order.id,
        kind=kind,
        status=ReturnStatus.OPEN,
        reason=reason,
        condition_notes=condition_notes,
        photo_ids=[],
        opened_by_user_id=principal.user_id,
        created_at=now,
    )
    # The order keeps the reason of the latest return asked (the mail, the seller's view).
    order.return_reason = reason
    session.add(opened)
    session.flush()
    media.claim(
        session, principal, photo_ids, PhotoPurpose.CONDITION, media.Attachment("return", opened.id),
        organisation_id=order.buyer_organisation_id,
    )  # fmt: skip
    opened.photo_ids = list(photo_ids)
    notify.return_requested(session, order, opened)
    return opened


def open_return_of(session: Session, order_id: int) -> OrderReturn | None:
    return session.scalars(
        sa.select(OrderReturn)
        .where(OrderReturn.order_id == order_id, OrderReturn.status == ReturnStatus.OPEN)
        .execution_options(populate_existing=True)
    ).one_or_none()


def get_return_photo(
    session: Session, principal: Principal | None, order_id: int, return_id: int, photo_id: int
) -> Photo:
    """A condition photo of a return: whoever reads the return (both sides, staff) sees its photos."""
    found = get_return(session, principal, order_id, return_id)
    attached = media.attached_to(session, media.Attachment("return", found.id))
    photo = next((p for p in attached if p.id == photo_id), None)
    if photo is None:
        raise NotFound("No such photo of this return.")
    return photo


def list_returns(session: Session, principal: Principal | None, order_id: int) -> Sequence[OrderReturn]:
    order = get_order(session, principal, order_id)
    return session.scalars(
        sa.select(OrderReturn).where(OrderReturn.order_id == order.id).order_by(OrderReturn.id)
    ).all()


def get_return(session: Session, principal: Principal | None, order_id: int, return_id: int) -> OrderReturn:
    order = get_order(session, principal, order_id)
    found = session.get(OrderReturn, return_id)
    if found is None or found.order_id != order.id:
        raise NotFound("No such return of this order.")
    return found


def _decidable(
    session: Session, principal: Principal | None, order_id: int, return_id: int
) -> tuple[Order, OrderReturn, Device, Principal]:
    found = get_return(session, principal, order_id, return_id)
    order = found.order
    principal = require_org_inventory(
        principal, order.seller_organisation_id, "Only the seller's admins and listers decide on a return."
    )
    device = _lock(session, order)
    session.refresh(found)
    if found.status is not ReturnStatus.OPEN:
        raise InvalidState(
            f"This return is already {found.status.value}.", errors={"return": [f"Already {found.status.value}."]}
        )
    return order, found, device, principal


def accept_return(
    session: Session,
    principal: Principal | None,
    order_id: int,
    return_id: int,
    *,
    refund_cents: int | None,
    note: str | None,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> OrderReturn:
    now = now or utcnow()
    order, found, device, principal = _decidable(session, principal, order_id, return_id)
    assert principal.user_id is not None
    if order.status is not OrderStatus.HANDED_OVER:
        raise InvalidState(f"A {order.status.value} order cannot take a device back.")
    _ensure_with_buyer(order, device)
    refundable = order.amount_cents - order.refunded_cents
    amount = refundable if refund_cents is None else refund_cents
    if amount > refundable:
        raise ValidationFailed(
            f"At most {refundable} cents can be given back (paid {order.amount_cents}, already refunded "
            f"{order.refunded_cents}).",
            errors={"refund_cents": [f"At most {refundable}."]},
        )
    _give_back(session, order, found, amount, gateway, now)
    found.status = ReturnStatus.ACCEPTED
    found.refund_cents = amount
    found.decided_at = now
    found.decided_by_user_id = principal.user_id
    found.decision_note = note
    order.status = OrderStatus.RETURNED
    order.returned_at = now
    order.return_reason = found.reason
    # Back to the seller, for re-diagnosis and a fresh erasure and checklist (``listability.rules``).
    transfers.take_back(
        session, device, to_organisation_id=order.seller_organisation_id, actor=principal, order_id=order.id,
        data={"reason": found.reason, "return_id": found.id, "kind": found.kind.value,
              "condition": found.condition_notes},
    )  # fmt: skip
    # The mail tells both sides what was decided: refund or credit note, the device going back.
    notify.return_accepted(session, order, found)
    return found


def _give_back(
    session: Session, order: Order, found: OrderReturn, amount: int, gateway: PaymentGateway | None, now: dt.datetime
) -> None:
    """The money of an accepted return: a Stripe refund of ``amount`` for a paid card order, a
    credit note of ``amount`` for an invoice; nothing for a donation."""
    if order.payment is PaymentMethod.CARD:
        if order.payment_status is not PaymentStatus.PAID or amount == 0:
            return
        refund_card(
            order, gateway, amount=amount,
            # One refund per return: a retried accept reuses it at Stripe.
            idempotency_key=f"order-{order.id}-{order.reference}-return-{found.id}-refund",
            metadata={"relife_order": str(order.id), "relife_return": str(found.id)}, now=now,
        )  # fmt: skip
        return
    if order.payment is PaymentMethod.INVOICE and order.invoice_number is not None:
        order.credit_note_number = next_invoice_number(session, now.year)
        order.credit_note_issued_on = now.date()
        order.credit_note_cents = amount
        if order.payment_status is PaymentStatus.PAID:
            # Paid already: the seller pays the credit note back outside Stripe.
            order.refunded_cents += amount
            order.payment_status = PaymentStatus.REFUND_DUE
        elif amount == order.amount_cents:
            order.payment_status = PaymentStatus.VOID


def refuse_return(
    session: Session,
    principal: Principal | None,
    order_id: int,
    return_id: int,
    *,
    reason: str,
    now: dt.datetime | None = None,
) -> OrderReturn:
    now = now or utcnow()
    order, found, _device, principal = _decidable(session, principal, order_id, return_id)
    assert principal.user_id is not None
    found.status = ReturnStatus.REFUSED
    found.decided_at = now
    found.decided_by_user_id = principal.user_id
    found.decision_note = reason
    notify.return_refused(session, order, found)
    return found
