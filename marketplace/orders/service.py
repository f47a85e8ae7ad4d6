"""Orders: buying (card, invoice) or receiving as a donation a device held by a reservation.

State machine (``Order.status`` / ``Order.payment_status``)::

    card:     pending/pending ──webhook: PI succeeded (re-fetched)──▶ confirmed/paid
    invoice:  confirmed/pending (numbered invoice) ──staff mark-paid──▶ confirmed/paid
    donation: confirmed/none
    confirmed ──seller handover──▶ handed_over ──return accepted by the seller──▶ returned (+ refund)
    (the buyer opens a return or a warranty claim, the seller decides: ``orders.returns``)
    (at the handover the device becomes the buyer's; a return gives it back: ``devices.transfers``)
    pending | confirmed ──cancel──▶ cancelled (card: intent cancelled or refunded)

The device follows: listed → reserved (order made) → sold (paid, invoiced or donated) →
returned (return or cancellation after sale) → listed again when cancelled before handover.

Every decision about a device runs under the device's row lock (``reservations.locks``), and a
card order is paid only on Stripe's word, re-read from the API (``apply_payment_intent``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import bump_counter, utcnow
from marketplace.devices import lifecycle, passport, transfers
from marketplace.devices.models import Device, DeviceState, EventKind, TransferReason
from marketplace.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidState,
    NotFound,
    PaymentError,
    ServiceUnavailable,
    ValidationFailed,
)
from marketplace.listability.follow import follow_device
from marketplace.listability.rules import describe_problems, listing_problems
from marketplace.listings.models import DEFAULT_DONATION_KINDS, Listing, ListingMode, ListingStatus
from marketplace.loans.availability import booked_for_loan
from marketplace.members.access import INVENTORY_ROLES, Principal, require_user
from marketplace.members.models import Organisation
from marketplace.notifications import events as notify
from marketplace.orders.models import (
    InvoiceCounter,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    add_months,
)
from marketplace.pagination import Page, id_page
from marketplace.payments.gateway import PaymentGateway, PaymentIntentInfo
from marketplace.reservations import locks
from marketplace.reservations.models import Reservation, ReservationStatus

log = logging.getLogger(__name__)

#: The return window when the listing states none (DESIGN §3.4).
RETURN_WINDOW = dt.timedelta(days=30)
INVOICE_TERM = dt.timedelta(days=30)
#: Who may receive a donation when the listing does not say (DESIGN §3.4: non-profits, schools).
CARD_NOT_CONFIGURED = (
    "Card payments are not configured on this server (no STRIPE_API_KEY); pay by invoice if your "
    "organisation may, or ask the cluster staff."
)


class MissingIdempotencyKey(DomainError):
    status = 400
    title = "Idempotency-Key required"
    type_slug = "idempotency-key-required"


@dataclass(frozen=True)
class OrderResult:
    order: Order
    created: bool


def request_fingerprint(reservation_id: int, payment: str) -> str:
    body = orjson.dumps({"payment": payment, "reservation_id": reservation_id}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def _by_key(session: Session, user_id: int, key: str) -> Order | None:
    return session.scalars(
        sa.select(Order)
        .where(Order.buyer_user_id == user_id, Order.idempotency_key == key)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _replay(order: Order | None, fingerprint: str) -> OrderResult | None:
    if order is None:
        return None
    if order.request_hash != fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request body.",
            errors={"Idempotency-Key": ["Already used with another body; use a new key."]},
        )
    return OrderResult(order, created=False)


def next_invoice_number(session: Session, year: int) -> str:
    """Gap-free per year: the counter row is locked and bumped in the order's own transaction,
    so a rolled-back order gives its number back and two orders never share one."""
    number = bump_counter(session, InvoiceCounter, {"year": year}, "last_number", 1)
    return f"RLF-{year}-{number:06d}"


def create_order(
    session: Session,
    principal: Principal | None,
    *,
    idempotency_key: str | None,
    reservation_id: int,
    payment: PaymentMethod,
    gateway: PaymentGateway | None,
    platform_fee_bps: int,
    now: dt.datetime | None = None,
) -> OrderResult:
    principal = require_user(principal)
    assert principal.user_id is not None
    now = now or utcnow()
    key = (idempotency_key or "").strip()
    if not key:
        raise MissingIdempotencyKey("Send an Idempotency-Key header (e.g. a UUID) so a retried order is not doubled.")
    if len(key) > 255:
        raise ValidationFailed("The Idempotency-Key is too long.", errors={"Idempotency-Key": ["At most 255."]})
    fingerprint = request_fingerprint(reservation_id, payment.value)
    if (done := _replay(_by_key(session, principal.user_id, key), fingerprint)) is not None:
        return done

    reservation = session.get(Reservation, reservation_id)
    if reservation is None or reservation.user_id != principal.user_id:
        raise NotFound("No such reservation of yours.")
    principal.require_approved(reservation.organisation_id, "order devices")
    device, listing = locks.lock_listing(session, reservation.listing_id)
    # Under the lock: a concurrent retry of this very request may have committed meanwhile.
    if (done := _replay(_by_key(session, principal.user_id, key), fingerprint)) is not None:
        return done
    session.refresh(reservation)
    if not reservation.is_live(now):
        raise Conflict("This reservation has ended (expired, cancelled or already ordered); reserve again.")
    if listing.status is not ListingStatus.ACTIVE or device.state is not DeviceState.LISTED:
        raise Conflict("This listing is no longer available.")
    if booked_for_loan(session, device.id, now.date()):
        raise Conflict("This device is booked for a loan; it cannot be sold meanwhile.")
    buyer = session.get(Organisation, reservation.organisation_id)
    seller = session.get(Organisation, listing.organisation_id)
    assert buyer is not None and seller is not None
    # The terms the hold froze (reservations.models), not the listing's of this moment.
    amount = _check_payment(reservation, buyer, seller, payment, gateway)

    order = Order(
        reservation_id=reservation.id,
        listing_id=listing.id,
        device_id=device.id,
        buyer_organisation_id=buyer.id,
        seller_organisation_id=seller.id,
        buyer_user_id=principal.user_id,
        idempotency_key=key,
        request_hash=fingerprint,
        payment=payment,
        status=OrderStatus.PENDING,
        payment_status=PaymentStatus.PENDING,
        amount_cents=amount,
        platform_fee_cents=0,
        currency=reservation.currency,
        warranty_months=reservation.warranty_months,
        return_days=reservation.return_days,
        created_at=now,
    )
    session.add(order)
    reservation.status = ReservationStatus.CONVERTED
    reservation.ended_at = now
    previous = lifecycle.transition(device, DeviceState.RESERVED)
    passport.record_event(
        session, device, EventKind.RESERVED, principal, organisation_id=buyer.id, state_from=previous,
        data={"order_payment": payment.value}, public=False,
    )  # fmt: skip
    session.flush()

    if payment is PaymentMethod.CARD:
        assert gateway is not None and seller.stripe_account_id
        order.platform_fee_cents = amount * platform_fee_bps // 10_000
        intent = gateway.create_payment_intent(
            amount=amount,
            currency=order.currency,
            # Deterministic: a retry of this order's creation reuses the same PaymentIntent.
            idempotency_key=f"order-{order.id}-{order.reference}-pi",
            metadata={"relife_order": str(order.id), "relife_device": str(device.id)},
            destination=seller.stripe_account_id,
            application_fee=order.platform_fee_cents,
        )
        order.stripe_payment_intent_id = intent.id
        order.stripe_client_secret = intent.client_secret
    else:
        _confirm_sale(session, order, device, listing, principal, now)
        if payment is PaymentMethod.INVOICE:
            order.invoice_number = next_invoice_number(session, now.year)
            order.invoice_issued_on = now.date()
            order.invoice_due_on = now.date() + INVOICE_TERM
        else:
            order.payment_status = PaymentStatus.NONE
        session.flush()
        notify.order_confirmed(session, order)
    session.flush()
    return OrderResult(order, created=True)


def _check_payment(
    terms: Reservation,
    buyer: Organisation,
    seller: Organisation,
    payment: PaymentMethod,
    gateway: PaymentGateway | None,
) -> int:
    if payment is PaymentMethod.DONATION:
        if terms.mode is not ListingMode.DONATION:
            raise ValidationFailed(
                "Only donation listings are given away.", errors={"payment": ["This listing is for sale."]}
            )
        eligible = terms.eligible_kinds or [k.value for k in DEFAULT_DONATION_KINDS]
        if buyer.kind.value not in eligible:
            raise Forbidden(f"This donation is for {', '.join(eligible)} organisations; yours is a {buyer.kind.value}.")
        return 0
    if terms.mode is not ListingMode.SALE:
        raise ValidationFailed(
            "This listing is a donation: order it with payment 'donation'.",
            errors={"payment": ["Use 'donation' for this listing."]},
        )
    assert terms.price_cents is not None
    if payment is PaymentMethod.INVOICE:
        if not buyer.invoice_allowed:
            raise Forbidden(
                _no_invoice_detail(buyer, seller, gateway), errors={"payment": ["Not for your organisation."]}
            )
        return terms.price_cents
    if gateway is None:
        raise ServiceUnavailable(CARD_NOT_CONFIGURED)
    if terms.price_cents < 50:
        raise ValidationFailed("Card payments start at 0.50 €.", errors={"payment": ["Amount too small for a card."]})
    if not _takes_cards(seller, gateway):
        started = "has not finished" if seller.stripe_account_id else "has not started"
        raise Conflict(
            f"The seller does not take card payments yet: its admin {started} setting up its Stripe account "
            f"(POST /api/v1/organisations/{seller.id}/stripe-onboarding, then Stripe's forms). Pay by invoice if "
            "your organisation may, or ask the seller.",
            errors={"payment": ["The seller does not take cards yet."]},
        )
    return terms.price_cents


def _takes_cards(seller: Organisation, gateway: PaymentGateway) -> bool:
    """Whether Stripe takes charges for the seller: what its ``account.updated`` webhook recorded
    (``payments.connect``), or, while that says no, the account read again now (a webhook may be
    late), recorded for the next buyer."""
    if seller.stripe_account_id is None:
        return False
    if seller.accepts_card:
        return True
    account = gateway.retrieve_account(seller.stripe_account_id)
    seller.record_stripe_account(
        charges_enabled=account.charges_enabled,
        payouts_enabled=account.payouts_enabled,
        details_submitted=account.details_submitted,
    )
    return account.charges_enabled


def _no_invoice_detail(buyer: Organisation, seller: Organisation, gateway: PaymentGateway | None) -> str:
    """Why invoice payment is refused, and the ways that do exist for this buyer and this seller."""
    ways = []
    if buyer.kind in DEFAULT_DONATION_KINDS:
        ways.append("take devices given away on donation listings (mode=donation in the catalogue)")
    if gateway is None:
        ways.append("card payments are not available on this server")
    elif _takes_cards(seller, gateway):
        ways.append("pay this seller by card (payment 'card')")
    else:
        ways.append("pay by card once the seller has finished setting up its Stripe account (ask the seller)")
    ways.append("ask the cluster staff to allow your organisation to pay by invoice")
    return (
        f"Your organisation ({buyer.kind.value}) does not pay by invoice: by default only public bodies and "
        f"universities do. What you can do: {'; '.join(ways)}."
    )


def _confirm_sale(
    session: Session, order: Order, device: Device, listing: Listing, actor: Principal | None, now: dt.datetime
) -> None:
    order.status = OrderStatus.CONFIRMED
    previous = lifecycle.transition(device, DeviceState.SOLD)
    kind = EventKind.DONATED if order.payment is PaymentMethod.DONATION else EventKind.SOLD
    passport.record_event(
        session, device, kind, actor, organisation_id=order.buyer_organisation_id, state_from=previous,
        data={"order_id": order.id, "payment": order.payment.value},
    )  # fmt: skip
    listing.status = ListingStatus.CLOSED
    listing.suspended_reason = None


# -- reading ----------------------------------------------------------------------------------


def get_order(session: Session, principal: Principal | None, order_id: int) -> Order:
    """Buyer organisation, seller organisation and staff only; others are told it does not exist."""
    principal = require_user(principal)
    order = session.get(Order, order_id)
    if order is None or not (
        principal.is_staff
        or principal.is_member_of(order.buyer_organisation_id)
        or principal.is_member_of(order.seller_organisation_id)
    ):
        raise NotFound("No such order.")
    return order


@dataclass(frozen=True)
class ShownOrder:
    """An order as one caller sees it: the Stripe client secret only for the buyer's people,
    while the card payment is pending."""

    order: Order
    client_secret: str | None


def shown(order: Order, principal: Principal | None) -> ShownOrder:
    return ShownOrder(order, client_secret_for(order, principal))


def client_secret_for(order: Order, principal: Principal | None) -> str | None:
    """The PaymentIntent's client secret goes to the buyer's members only, while unpaid."""
    if principal is None or not principal.is_member_of(order.buyer_organisation_id):
        return None
    if order.payment_status not in {PaymentStatus.PENDING, PaymentStatus.FAILED}:
        return None
    return order.stripe_client_secret


def _lock_order(session: Session, order: Order) -> Device:
    device = locks.lock_device(session, order.device_id)
    session.refresh(order)
    return device


# -- fulfilment -------------------------------------------------------------------------------


def hand_over(session: Session, principal: Principal | None, order_id: int, *, now: dt.datetime | None = None) -> Order:
    now = now or utcnow()
    order = get_order(session, principal, order_id)
    principal = require_org_inventory(principal, order.seller_organisation_id, "Only the seller hands the device over.")
    device = _lock_order(session, order)
    if order.status is not OrderStatus.CONFIRMED:
        raise InvalidState(f"A {order.status.value} order cannot be handed over (it must be confirmed/paid).")
    _ensure_still_listable(session, device)
    order.status = OrderStatus.HANDED_OVER
    order.handed_over_at = now
    order.return_deadline = now + (RETURN_WINDOW if order.return_days is None else dt.timedelta(days=order.return_days))
    old_warranty = device.warranty_until
    if order.warranty_months:
        device.warranty_until = add_months(now.date(), order.warranty_months)
    passport.record_event(
        session, device, EventKind.UPDATED, principal, organisation_id=order.seller_organisation_id,
        changes={"warranty_until": [_iso(old_warranty), _iso(device.warranty_until)]},
        data={"handover": True, "order_id": order.id, "return_deadline": order.return_deadline.isoformat()},
    )  # fmt: skip
    # The device is now the receiver's: its inventory, its next life (``devices.transfers``).
    reason = TransferReason.DONATION if order.payment is PaymentMethod.DONATION else TransferReason.SALE
    transfers.hand_on(
        session, device, to_organisation_id=order.buyer_organisation_id, reason=reason, actor=principal,
        order_id=order.id,
    )  # fmt: skip
    notify.order_handed_over(session, order)
    return order


def _ensure_still_listable(session: Session, device: Device) -> None:
    """Nothing unerased or failing leaves: a device that stopped being listable after it was
    ordered (e.g. re-graded F, listability.follow.follow_device) is not handed over. The order stays,
    so the buyer keeps the choice: wait until the seller puts it right, or cancel for a full refund."""
    problems = listing_problems(session, device)
    if problems:
        raise InvalidState(
            "The device cannot be handed over: "
            + describe_problems(problems)
            + " The buyer or the seller may cancel the order for a full refund.",
            errors=problems,
        )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def require_org_inventory(principal: Principal | None, organisation_id: int, message: str) -> Principal:
    principal = require_user(principal)
    if principal.is_staff or principal.has_role(organisation_id, INVENTORY_ROLES):
        return principal
    raise Forbidden(message)


def refund_card(
    order: Order,
    gateway: PaymentGateway | None,
    *,
    amount: int,
    idempotency_key: str,
    metadata: dict[str, str],
    now: dt.datetime,
) -> None:
    """Refund ``amount`` of a paid card order through Stripe (the seller's connected account gives
    it back). Recorded at once; confirmed by Stripe's refund events (``orders.refunds.apply_refund``)."""
    if gateway is None:
        raise ServiceUnavailable(CARD_NOT_CONFIGURED)
    assert order.stripe_payment_intent_id is not None
    refund = gateway.create_refund(
        payment_intent=order.stripe_payment_intent_id,
        idempotency_key=idempotency_key,
        amount=amount,
        connect=True,
        metadata=metadata,
    )
    if refund.status in {"failed", "canceled"}:
        raise PaymentError("Stripe refused the refund; nothing was changed. Try again or contact the staff.")
    order.stripe_refund_id = refund.id
    order.refund_status = refund.status
    order.refunded_cents += amount
    order.payment_status = PaymentStatus.REFUNDED
    if refund.status == "succeeded":
        order.refund_confirmed_at = now


def _give_money_back(order: Order, gateway: PaymentGateway | None, why: str) -> None:
    if order.payment is PaymentMethod.CARD:
        if order.payment_status is PaymentStatus.PAID:
            refund_card(
                order, gateway, amount=order.amount_cents - order.refunded_cents,
                idempotency_key=f"order-{order.id}-{order.reference}-{why}-refund",
                metadata={"relife_order": str(order.id)}, now=utcnow(),
            )  # fmt: skip
        elif order.payment_status in {PaymentStatus.PENDING, PaymentStatus.FAILED}:
            order.payment_status = PaymentStatus.VOID
    elif order.payment is PaymentMethod.INVOICE:
        if order.payment_status is PaymentStatus.PAID:
            order.refunded_cents = order.amount_cents
            order.payment_status = PaymentStatus.REFUND_DUE
        else:
            order.payment_status = PaymentStatus.VOID


def _issue_credit_note(session: Session, order: Order, now: dt.datetime) -> None:
    """An issued invoice is never deleted: a cancelled or returned invoice order gets a credit
    note (avoir) for its amount, numbered in the invoices' gap-free sequence."""
    if order.invoice_number is not None and order.credit_note_number is None:
        order.credit_note_number = next_invoice_number(session, now.year)
        order.credit_note_issued_on = now.date()
        order.credit_note_cents = order.amount_cents


def cancel_order(
    session: Session,
    principal: Principal | None,
    order_id: int,
    *,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> Order:
    now = now or utcnow()
    order = get_order(session, principal, order_id)
    principal = require_user(principal)
    if not (
        principal.is_staff
        or principal.is_member_of(order.buyer_organisation_id)
        or principal.has_role(order.seller_organisation_id, INVENTORY_ROLES)
    ):
        raise Forbidden("Only the buyer or the seller's listers cancel an order.")
    device = _lock_order(session, order)
    if order.status not in {OrderStatus.PENDING, OrderStatus.CONFIRMED}:
        raise InvalidState(f"A {order.status.value} order cannot be cancelled (use a return after handover).")
    if order.payment is PaymentMethod.CARD and order.payment_status is not PaymentStatus.PAID:
        if gateway is None:
            raise ServiceUnavailable(CARD_NOT_CONFIGURED)
        # Stripe's word, not ours: the buyer may have paid a second ago.
        intent = _cancel_intent_unless_paid(order, gateway)
        if intent.status == "succeeded":
            _mark_paid_from(order, intent, now)
    _give_money_back(order, gateway, "cancel")
    _issue_credit_note(session, order, now)
    _release_device(session, order, device, principal, now)
    return order


def _cancel_intent_unless_paid(order: Order, gateway: PaymentGateway) -> PaymentIntentInfo:
    """Cancel the order's PaymentIntent at Stripe unless it has succeeded; returns its state.
    If the buyer pays between our read and our cancel, Stripe refuses the cancel: read again."""
    assert order.stripe_payment_intent_id is not None
    intent = gateway.retrieve_payment_intent(order.stripe_payment_intent_id)
    if intent.status in {"succeeded", "canceled"}:
        return intent
    try:
        return gateway.cancel_payment_intent(intent.id, idempotency_key=f"order-{order.id}-{order.reference}-cancel")
    except PaymentError:
        return gateway.retrieve_payment_intent(intent.id)


def _release_device(session: Session, order: Order, device: Device, actor: Principal | None, now: dt.datetime) -> None:
    """Cancelled before handover: the device goes back on offer, unless it stopped being listable
    meanwhile (then its listing is suspended: ``listability.follow.follow_device``)."""
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    listing = session.get(Listing, order.listing_id)
    assert listing is not None
    previous = device.state
    if device.state is DeviceState.SOLD:
        lifecycle.transition(device, DeviceState.RETURNED)
    lifecycle.transition(device, DeviceState.LISTED)
    passport.record_event(
        session, device, EventKind.RELEASED, actor, organisation_id=order.seller_organisation_id,
        state_from=previous, data={"order_id": order.id, "cancelled": True},
    )  # fmt: skip
    if listing.status is ListingStatus.CLOSED:
        listing.status = ListingStatus.ACTIVE
    session.flush()
    follow_device(session, device, actor)


def mark_paid(session: Session, principal: Principal | None, order_id: int, *, now: dt.datetime | None = None) -> Order:
    now = now or utcnow()
    order = get_order(session, principal, order_id)
    if principal is None or not principal.is_staff:
        raise Forbidden("Only cluster staff mark invoices paid.")
    _lock_order(session, order)
    if order.payment is not PaymentMethod.INVOICE:
        raise InvalidState("Only invoice orders are marked paid by hand; card payments come from Stripe.")
    if order.payment_status is not PaymentStatus.PENDING:
        raise InvalidState(f"This invoice is {order.payment_status.value}, not awaiting payment.")
    order.payment_status = PaymentStatus.PAID
    order.paid_at = now
    notify.order_paid(session, order)
    return order


def invoice_document(session: Session, principal: Principal | None, order_id: int) -> dict[str, Any]:
    order = get_order(session, principal, order_id)
    if order.payment is not PaymentMethod.INVOICE or order.invoice_number is None:
        raise NotFound("This order has no invoice (it was not paid by invoice).")
    seller = session.get(Organisation, order.seller_organisation_id)
    buyer = session.get(Organisation, order.buyer_organisation_id)
    device = session.get(Device, order.device_id)
    assert seller is not None and buyer is not None and device is not None

    def party(org: Organisation) -> dict[str, Any]:
        return {
            "organisation_id": org.id,
            "name": org.name,
            "siret": org.siret,
            "address": org.address,
            "postcode": org.postcode,
            "city": org.city,
        }

    return {
        "number": order.invoice_number,
        "order_id": order.id,
        "issued_on": order.invoice_issued_on,
        "due_on": order.invoice_due_on,
        "seller": party(seller),
        "buyer": party(buyer),
        "lines": [
            {
                "description": f"{device.make} {device.model} (asset {device.asset_tag}), used device",
                "quantity": 1,
                "amount_cents": order.amount_cents,
            }
        ],
        "total_cents": order.amount_cents,
        "currency": order.currency,
        "status": order.payment_status.value,
        "paid_at": order.paid_at,
    }


# -- Stripe's word on a card payment ------------------------------------------------------------


def _mark_paid_from(order: Order, intent: PaymentIntentInfo, now: dt.datetime) -> bool:
    """True when ``intent`` (re-read from Stripe) proves this order's amount was received."""
    if (
        intent.status == "succeeded"
        and intent.amount == order.amount_cents
        and intent.amount_received >= order.amount_cents
        and intent.currency.lower() == order.currency.lower()
    ):
        if order.payment_status in {PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.VOID}:
            order.payment_status = PaymentStatus.PAID
            order.paid_at = now
        return True
    if intent.status == "succeeded":
        log.error("order %s: PaymentIntent %s does not match the order's amount", order.id, intent.id)
    return False


def apply_payment_intent(
    session: Session, order: Order, intent: PaymentIntentInfo, gateway: PaymentGateway, now: dt.datetime | None = None
) -> str:
    """Bring ``order`` in line with its PaymentIntent as Stripe reports it now. Safe to call any
    number of times, in any order of events: only the re-read state counts."""
    now = now or utcnow()
    device = _lock_order(session, order)
    if intent.status == "succeeded":
        if order.payment_status is PaymentStatus.PAID:
            return "already paid"
        if not _mark_paid_from(order, intent, now):
            return "amount mismatch: not marked paid"
        if order.status is OrderStatus.PENDING:
            listing = session.get(Listing, order.listing_id)
            assert listing is not None
            _confirm_sale(session, order, device, listing, None, now)
            notify.order_confirmed(session, order)
            return "paid"
        if order.status is OrderStatus.CANCELLED:
            # Paid after it was cancelled: the money goes straight back, never kept or lost.
            _give_money_back(order, gateway, "late-payment")
            return "paid after cancellation: refunded"
        return "paid"
    if intent.status == "requires_payment_method" and intent.last_error and order.status is OrderStatus.PENDING:
        order.payment_status = PaymentStatus.FAILED
        return "payment failed"
    if intent.status == "canceled" and order.status is OrderStatus.PENDING:
        order.payment_status = PaymentStatus.VOID
        _release_device(session, order, device, None, now)
        return "payment cancelled: order cancelled"
    return f"no change ({intent.status})"


def order_for_intent(session: Session, intent_id: str) -> Order | None:
    return session.scalars(sa.select(Order).where(Order.stripe_payment_intent_id == intent_id)).one_or_none()


#: A card order not paid within this time gives its device back (housekeeping).
PAYMENT_WINDOW = dt.timedelta(hours=1)


def abandon_unpaid(
    session: Session,
    gateway: PaymentGateway,
    *,
    now: dt.datetime | None = None,
    older_than: dt.timedelta = PAYMENT_WINDOW,
) -> int:
    """Cancel card orders still unpaid after ``older_than``, after asking Stripe: one that was in
    fact paid is marked paid instead. Each order is re-checked under its device lock, so two
    machines running this at once do each order once; Stripe calls carry idempotency keys."""
    now = now or utcnow()
    ids = session.scalars(
        sa.select(Order.id).where(
            Order.payment == PaymentMethod.CARD,
            Order.status == OrderStatus.PENDING,
            Order.created_at < now - older_than,
        )
    ).all()
    cancelled = 0
    for order_id in ids:
        order = session.get(Order, order_id)
        assert order is not None and order.stripe_payment_intent_id is not None
        device = _lock_order(session, order)
        if order.status is not OrderStatus.PENDING:
            continue
        intent = _cancel_intent_unless_paid(order, gateway)
        if intent.status == "succeeded":
            apply_payment_intent(session, order, intent, gateway, now)
            continue
        order.payment_status = PaymentStatus.VOID
        _release_device(session, order, device, None, now)
        cancelled += 1
    return cancelled


def list_orders(
    session: Session,
    principal: Principal | None,
    *,
    role: str | None = None,
    status: OrderStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Order]:
    """Orders of the caller's organisations, as buyer or seller (staff: all), by id."""
    principal = require_user(principal)
    orgs = principal.organisation_ids
    stmt = sa.select(Order)
    if role == "buyer":
        stmt = stmt.where(Order.buyer_organisation_id.in_(orgs))
    elif role == "seller":
        stmt = stmt.where(Order.seller_organisation_id.in_(orgs))
    elif not principal.is_staff:
        stmt = stmt.where(sa.or_(Order.buyer_organisation_id.in_(orgs), Order.seller_organisation_id.in_(orgs)))
    if status is not None:
        stmt = stmt.where(Order.status == status)
    return id_page(session, stmt, Order.id, cursor=cursor, limit=limit, newest_first=False)
