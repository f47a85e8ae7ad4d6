"""Loans: a device lent for ``[start, end)`` within the listing's limits, with a card deposit.

No two active loans of one device overlap: the device row is locked while the period is checked
and written (PostgreSQL; SQLite holds its write lock from BEGIN IMMEDIATE), and PostgreSQL's
exclusion constraint ``ex_loans_device_period`` backs it up.

Deposit (DESIGN §3.4): a card authorisation only lives a few days, so when the loan ends within
``HOLD_WINDOW_DAYS`` the deposit is a manual-capture PaymentIntent (captured, partly captured or
released on return); for longer loans the card is saved with a SetupIntent and charged
off-session only if the device comes back damaged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices import lifecycle, passport
from marketplace.devices.models import DeviceState, EventKind
from marketplace.errors import (
    Conflict,
    Forbidden,
    InvalidState,
    LimitReached,
    NotFound,
    PaymentError,
    ServiceUnavailable,
    ValidationFailed,
)
from marketplace.listability.follow import follow_device
from marketplace.listings.models import Listing, ListingMode, ListingStatus
from marketplace.loans.models import (
    ACTIVE_STATUSES,
    DepositDecision,
    DepositKind,
    DepositStatus,
    ExtensionStatus,
    Loan,
    LoanExtension,
    LoanInspection,
    LoanStatus,
    ReturnCondition,
    occupied_end,
)
from marketplace.members.access import INVENTORY_ROLES, Principal, require_user
from marketplace.members.models import Organisation
from marketplace.notifications import events as notify
from marketplace.orders.models import LIVE_STATUSES as ORDER_LIVE
from marketplace.orders.models import Order
from marketplace.pagination import Page, id_page
from marketplace.payments.gateway import PaymentGateway, PaymentIntentInfo, SetupIntentInfo
from marketplace.reservations import locks
from marketplace.reservations.service import acting_organisation, visible_listing

log = logging.getLogger(__name__)

#: Card authorisations expire after about 7 days (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method);
#: a hold is used only when the loan ends within this many days, leaving a margin for late returns.
HOLD_WINDOW_DAYS = 5

# -- What one member may take (issue #20). Each limit is refused with a problem that names it. ----
#: The longest loan of a listing that sets no ``max_days`` (a listing may set up to 365).
DEFAULT_MAX_LOAN_DAYS = 90
#: How far ahead a loan may start: a booking further out keeps a device's calendar from everyone
#: for no present need (and 9999-12-31 is not a date anyone will return a laptop on).
MAX_BOOKING_LEAD_DAYS = 180
#: Loans booked and not yet handed over that one member organisation may have at once.
MAX_BOOKED_LOANS_PER_ORGANISATION = 10
DEPOSITS_NOT_CONFIGURED = (
    "This loan needs a card deposit, and card payments are not configured on this server (no STRIPE_API_KEY)."
)


def max_days_of(listing: Listing) -> int:
    """The longest loan the listing allows: its own ``max_days``, else ``DEFAULT_MAX_LOAN_DAYS``."""
    return listing.max_days if listing.max_days is not None else DEFAULT_MAX_LOAN_DAYS


def _check_period(listing: Listing, start: dt.date, end: dt.date, today: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    if start < today:
        errors["start"] = ["The loan cannot start in the past."]
    elif (start - today).days > MAX_BOOKING_LEAD_DAYS:
        errors["start"] = [f"A loan starts at most {MAX_BOOKING_LEAD_DAYS} days ahead."]
    if end <= start:
        errors["end"] = ["The end (exclusive) must be after the start."]
    else:
        days = (end - start).days
        longest = max_days_of(listing)
        if listing.min_days is not None and days < listing.min_days:
            errors["end"] = [f"This listing lends for at least {listing.min_days} days."]
        if days > longest:
            errors["end"] = [f"This listing lends for at most {longest} days."]
    if errors:
        raise ValidationFailed("The loan period is not possible for this listing.", errors=errors)


def overlapping(
    session: Session, device_id: int, start: dt.date, end: dt.date, exclude: int | None = None
) -> Loan | None:
    """An active loan whose occupied period (``models.occupied_end``: the days a pending extension
    holds count) meets ``[start, end)``: the rule of the exclusion constraint, checked first."""
    stmt = sa.select(Loan).where(
        Loan.device_id == device_id,
        Loan.status.in_(ACTIVE_STATUSES),
        Loan.start_date < end,
        occupied_end() > start,
    )
    if exclude is not None:
        stmt = stmt.where(Loan.id != exclude)
    return session.scalars(stmt.limit(1)).first()


def create_loan(
    session: Session,
    principal: Principal | None,
    listing_id: int,
    *,
    start: dt.date,
    end: dt.date,
    gateway: PaymentGateway | None,
    organisation_id: int | None = None,
    now: dt.datetime | None = None,
) -> Loan:
    principal = require_user(principal)
    assert principal.user_id is not None
    now = now or utcnow()
    today = now.date()
    listing = visible_listing(session, principal, listing_id)
    borrower = acting_organisation(principal, organisation_id, other_than=listing.organisation_id)
    if listing.mode is not ListingMode.LOAN:
        raise ValidationFailed(
            "This listing is not offered for loan; reserve it instead.", errors={"listing_id": ["Not a loan listing."]}
        )
    _check_period(listing, start, end, today)
    deposit = listing.deposit_cents or 0
    if deposit and gateway is None:
        raise ServiceUnavailable(DEPOSITS_NOT_CONFIGURED)

    device, listing = locks.lock_listing(session, listing.id)
    if listing.status is not ListingStatus.ACTIVE or device.state not in {DeviceState.LISTED, DeviceState.ON_LOAN}:
        raise Conflict("This listing is no longer available.")
    if session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(Order.device_id == device.id, Order.status.in_(ORDER_LIVE))
    ):
        raise Conflict("This device is being sold; it cannot be lent.")
    taken = overlapping(session, device.id, start, end)
    if taken is not None:
        raise Conflict(
            f"The device is already lent from {taken.start_date.isoformat()} to "
            f"{taken.occupied_until.isoformat()} (end exclusive); choose another period."
        )
    _check_booking_cap(session, borrower)
    loan = Loan(
        listing_id=listing.id,
        device_id=device.id,
        borrower_organisation_id=borrower,
        lender_organisation_id=listing.organisation_id,
        borrower_user_id=principal.user_id,
        start_date=start,
        end_date=end,
        status=LoanStatus.BOOKED,
        deposit_cents=deposit,
        currency=listing.currency,
        created_at=now,
    )
    session.add(loan)
    session.flush()
    if deposit:
        assert gateway is not None
        _secure_deposit(session, loan, gateway, today)
    session.flush()
    return loan


def _check_booking_cap(session: Session, borrower: int) -> None:
    """Under the borrower organisation's lock, taken after the device's and the listing's
    (``reservations.locks``): parallel bookings of one member are counted one after the other."""
    locks.lock_member(session, borrower)
    booked = session.scalar(
        sa.select(sa.func.count())
        .select_from(Loan)
        .where(Loan.borrower_organisation_id == borrower, Loan.status == LoanStatus.BOOKED)
    )
    if (booked or 0) >= MAX_BOOKED_LOANS_PER_ORGANISATION:
        raise LimitReached(
            f"Your organisation already has {booked} loans booked and not yet handed over, the most one "
            f"member may have at once ({MAX_BOOKED_LOANS_PER_ORGANISATION}); cancel one or wait for a handover.",
            errors={"organisation_id": [f"At most {MAX_BOOKED_LOANS_PER_ORGANISATION} booked loans at once."]},
        )


def key(loan: Loan, what: str) -> str:
    # Deterministic per loan, so a retried call reuses Stripe's object; unique across databases.
    return f"loan-{loan.id}-{loan.reference}-{what}"


def _secure_deposit(session: Session, loan: Loan, gateway: PaymentGateway, today: dt.date) -> None:
    metadata = {"relife_loan": str(loan.id), "relife_device": str(loan.device_id)}
    loan.deposit_status = DepositStatus.PENDING
    if (loan.end_date - today).days <= HOLD_WINDOW_DAYS:
        loan.deposit_kind = DepositKind.HOLD
        intent = gateway.create_payment_intent(
            amount=loan.deposit_cents,
            currency=loan.currency,
            idempotency_key=key(loan, "deposit-hold"),
            metadata=metadata,
            capture_manual=True,
        )
        loan.stripe_payment_intent_id = intent.id
        loan.stripe_client_secret = intent.client_secret
        return
    loan.deposit_kind = DepositKind.SAVED_CARD
    borrower = session.get(Organisation, loan.borrower_organisation_id)
    assert borrower is not None
    loan.stripe_customer_id = gateway.create_customer(
        name=borrower.name, idempotency_key=key(loan, "customer"), metadata={"relife_organisation": str(borrower.id)}
    )
    setup = gateway.create_setup_intent(
        customer=loan.stripe_customer_id, idempotency_key=key(loan, "deposit-setup"), metadata=metadata
    )
    loan.stripe_setup_intent_id = setup.id
    loan.stripe_client_secret = setup.client_secret


# -- reading ----------------------------------------------------------------------------------


def get_loan(session: Session, principal: Principal | None, loan_id: int) -> Loan:
    principal = require_user(principal)
    loan = session.get(Loan, loan_id)
    if loan is None or not (
        principal.is_staff
        or principal.is_member_of(loan.borrower_organisation_id)
        or principal.is_member_of(loan.lender_organisation_id)
    ):
        raise NotFound("No such loan.")
    return loan


@dataclass(frozen=True)
class ShownLoan:
    """A loan as one caller sees it: the Stripe client secret only for the borrower's people,
    while the deposit is pending."""

    loan: Loan
    client_secret: str | None


def shown(loan: Loan, principal: Principal | None) -> ShownLoan:
    return ShownLoan(loan, client_secret_for(loan, principal))


def client_secret_for(loan: Loan, principal: Principal | None) -> str | None:
    if principal is None or not principal.is_member_of(loan.borrower_organisation_id):
        return None
    return loan.stripe_client_secret if loan.deposit_status is DepositStatus.PENDING else None


def list_loans(
    session: Session,
    principal: Principal | None,
    *,
    overdue: bool = False,
    role: str | None = None,
    status: LoanStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
    today: dt.date | None = None,
) -> Page[Loan]:
    """The caller's organisations' loans (as lender, borrower, or both), by id; ``overdue``: on
    loan past their end date (the device was due back on ``end``)."""
    principal = require_user(principal)
    today = today or utcnow().date()
    orgs = principal.organisation_ids
    stmt = sa.select(Loan)
    if role == "lender":
        stmt = stmt.where(Loan.lender_organisation_id.in_(orgs))
    elif role == "borrower":
        stmt = stmt.where(Loan.borrower_organisation_id.in_(orgs))
    elif not principal.is_staff:
        stmt = stmt.where(sa.or_(Loan.lender_organisation_id.in_(orgs), Loan.borrower_organisation_id.in_(orgs)))
    if overdue:
        stmt = stmt.where(Loan.status == LoanStatus.ON_LOAN, Loan.end_date < today)
    if status is not None:
        stmt = stmt.where(Loan.status == status)
    return id_page(session, stmt, Loan.id, cursor=cursor, limit=limit, newest_first=False)


def overdue_count(session: Session, today: dt.date | None = None) -> int:
    today = today or utcnow().date()
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(Loan).where(Loan.status == LoanStatus.ON_LOAN, Loan.end_date < today)
        )
        or 0
    )


# -- deposit state from Stripe ------------------------------------------------------------------


def _lock_loan(session: Session, loan: Loan) -> None:
    locks.lock_device(session, loan.device_id)
    session.refresh(loan)


def apply_deposit_intent(session: Session, loan: Loan, intent: PaymentIntentInfo) -> str:
    """A hold's PaymentIntent as Stripe reports it now (re-read, never the webhook payload)."""
    _lock_loan(session, loan)
    if loan.deposit_status is not DepositStatus.PENDING:
        return f"no change (deposit {loan.deposit_status.value})"
    if intent.status == "requires_capture" and intent.amount_capturable >= loan.deposit_cents:
        loan.deposit_status = DepositStatus.SECURED
        return "deposit held"
    if intent.status == "canceled":
        loan.deposit_status = DepositStatus.FAILED
        return "deposit hold cancelled"
    return f"no change ({intent.status})"


def apply_setup_intent(session: Session, loan: Loan, setup: SetupIntentInfo) -> str:
    _lock_loan(session, loan)
    if loan.deposit_status is not DepositStatus.PENDING:
        return f"no change (deposit {loan.deposit_status.value})"
    if setup.status == "succeeded" and setup.payment_method:
        loan.deposit_status = DepositStatus.SECURED
        loan.stripe_payment_method_id = setup.payment_method
        return "card saved"
    return f"no change ({setup.status})"


def _refresh_deposit(session: Session, loan: Loan, gateway: PaymentGateway | None) -> None:
    """Before refusing a handover for want of a deposit, ask Stripe (a webhook may be late)."""
    if loan.deposit_status is not DepositStatus.PENDING or gateway is None:
        return
    if loan.stripe_payment_intent_id:
        apply_deposit_intent(session, loan, gateway.retrieve_payment_intent(loan.stripe_payment_intent_id))
    elif loan.stripe_setup_intent_id:
        apply_setup_intent(session, loan, gateway.retrieve_setup_intent(loan.stripe_setup_intent_id))


def loan_for_intent(session: Session, intent_id: str) -> Loan | None:
    return session.scalars(sa.select(Loan).where(Loan.stripe_payment_intent_id == intent_id)).one_or_none()


def loan_for_setup(session: Session, setup_id: str) -> Loan | None:
    return session.scalars(sa.select(Loan).where(Loan.stripe_setup_intent_id == setup_id)).one_or_none()


# -- handover, return and inspection, cancellation --------------------------------------------------


def require_lender(principal: Principal | None, loan: Loan) -> Principal:
    principal = require_user(principal)
    if principal.is_staff or principal.has_role(loan.lender_organisation_id, INVENTORY_ROLES):
        return principal
    raise Forbidden("Only the lending organisation's listers do this.")


def hand_over(
    session: Session,
    principal: Principal | None,
    loan_id: int,
    *,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> Loan:
    now = now or utcnow()
    loan = get_loan(session, principal, loan_id)
    principal = require_lender(principal, loan)
    device = locks.lock_device(session, loan.device_id)
    session.refresh(loan)
    if loan.status is not LoanStatus.BOOKED:
        raise InvalidState(f"A {loan.status.value} loan cannot be handed over.")
    listing = session.get(Listing, loan.listing_id)
    if listing is not None and listing.status is ListingStatus.SUSPENDED:
        # The loan stays booked: if the device is listable again before the period ends, it goes ahead.
        raise InvalidState(
            f"The device cannot be lent now: {listing.suspended_reason}",
            errors={"listing": ["Suspended."]},
        )
    if not loan.start_date <= now.date() < loan.end_date:
        raise InvalidState(f"This loan runs from {loan.start_date.isoformat()} to {loan.end_date.isoformat()}.")
    _refresh_deposit(session, loan, gateway)
    if loan.deposit_cents and loan.deposit_status is not DepositStatus.SECURED:
        raise InvalidState("The borrower's deposit is not secured yet (their card has not been confirmed).")
    previous = lifecycle.transition(device, DeviceState.ON_LOAN)
    loan.status = LoanStatus.ON_LOAN
    loan.handed_over_at = now
    passport.record_event(
        session, device, EventKind.LENT, principal, organisation_id=loan.lender_organisation_id, state_from=previous,
        data={"loan_id": loan.id, "start": loan.start_date.isoformat(), "end": loan.end_date.isoformat()},
    )  # fmt: skip
    return loan


@dataclass(frozen=True)
class Inspection:
    """What the lender found when the device came back, and what it decides for the deposit."""

    condition: ReturnCondition
    decision: DepositDecision = DepositDecision.RELEASED
    capture_cents: int | None = None
    accessories: list[dict[str, Any]] = field(default_factory=list)
    notes: str | None = None
    photo_ids: list[int] = field(default_factory=list)


def return_loan(
    session: Session,
    principal: Principal | None,
    loan_id: int,
    *,
    inspection: Inspection,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> Loan:
    """The lender receives the device back and inspects it: the inspection decides the deposit
    (released, partly or wholly captured), once. Checked in full before Stripe is asked anything."""
    now = now or utcnow()
    loan = get_loan(session, principal, loan_id)
    principal = require_lender(principal, loan)
    assert principal.user_id is not None
    device = locks.lock_device(session, loan.device_id)
    session.refresh(loan)
    if loan.status is not LoanStatus.ON_LOAN:
        raise InvalidState(f"A {loan.status.value} loan cannot be returned.")
    damage_cents = capture_amount(loan, inspection)
    check_photos(session, loan, inspection.photo_ids)
    if damage_cents and loan.deposit_status is not DepositStatus.SECURED:
        raise InvalidState(
            f"The deposit is {loan.deposit_status.value}: nothing can be captured from it.",
            errors={"decision": ["The deposit is not secured."]},
        )
    if loan.deposit_cents and loan.deposit_status is DepositStatus.SECURED:
        if gateway is None:
            raise ServiceUnavailable(DEPOSITS_NOT_CONFIGURED)
        _settle_deposit(loan, damage_cents, gateway)
    close_pending_extension(session, loan, ExtensionStatus.LAPSED, now)
    session.add(
        LoanInspection(
            loan=loan,
            inspector_user_id=principal.user_id,
            condition=inspection.condition,
            accessories=list(inspection.accessories),
            notes=inspection.notes,
            photo_ids=list(inspection.photo_ids),
            decision=inspection.decision,
            captured_cents=damage_cents,
            created_at=now,
        )
    )
    missing = [a["name"] for a in inspection.accessories if not a["present"]]
    loan.status = LoanStatus.RETURNED
    loan.returned_at = now
    loan.condition_notes = inspection.notes
    loan.photos = []
    loan.damage_cents = damage_cents
    previous = lifecycle.transition(device, DeviceState.RETURNED)
    passport.record_event(
        session, device, EventKind.RETURNED, principal, organisation_id=loan.lender_organisation_id,
        state_from=previous,
        data={
            "loan_id": loan.id, "damage_cents": damage_cents, "notes": inspection.notes,
            "photo_ids": list(inspection.photo_ids), "accessories_missing": missing,
            # The public view shows only this part (``passport.PUBLIC_VIEWS``): no amount, no name.
            "inspection": {"condition": inspection.condition.value, "deposit": inspection.decision.value},
        },
    )  # fmt: skip
    listing = session.get(Listing, loan.listing_id)
    if damage_cents == 0 and listing is not None and listing.status is ListingStatus.ACTIVE:
        # Undamaged and still on offer: lendable again at once.
        previous = lifecycle.transition(device, DeviceState.LISTED)
        passport.record_event(
            session, device, EventKind.LISTED, principal, organisation_id=loan.lender_organisation_id,
            state_from=previous, data={"listing_id": listing.id, "after_loan": loan.id},
        )  # fmt: skip
    # Back from a borrower: its disks need an erasure recorded since (listability.rules.listing_problems), so
    # a listing with disks is suspended until the lender records one.
    session.flush()
    follow_device(session, device, principal)
    notify.loan_returned(session, loan)
    return loan


def capture_amount(loan: Loan, inspection: Inspection) -> int:
    """What the decision takes from the deposit: never more than the deposit (422 otherwise)."""
    decision, amount = inspection.decision, inspection.capture_cents
    if decision is DepositDecision.RELEASED:
        if amount:
            raise ValidationFailed(
                "A released deposit captures nothing.", errors={"capture_cents": ["Must be 0 or absent."]}
            )
        return 0
    if not loan.deposit_cents:
        raise ValidationFailed(
            "This loan has no deposit: nothing can be captured.",
            errors={"decision": ["No deposit: only 'released'."]},
        )
    if amount is not None and amount > loan.deposit_cents:
        raise ValidationFailed(
            "A capture cannot exceed the deposit.",
            errors={"capture_cents": [f"At most the deposit, {loan.deposit_cents}."]},
        )
    if decision is DepositDecision.CAPTURED:
        if amount is not None and amount != loan.deposit_cents:
            raise ValidationFailed(
                "Capturing the whole deposit takes all of it; use 'partly_captured' for less.",
                errors={"capture_cents": [f"The whole deposit is {loan.deposit_cents}."]},
            )
        return loan.deposit_cents
    if amount is None or not 0 < amount < loan.deposit_cents:
        raise ValidationFailed(
            "A partial capture takes an amount above 0 and below the deposit.",
            errors={"capture_cents": [f"Between 1 and {loan.deposit_cents - 1}."]},
        )
    return amount


def check_photos(session: Session, loan: Loan, photo_ids: list[int]) -> None:
    """Inspection photos are referred to by id once the photo storage exists (issue #17 point 5);
    until then no id names a photo."""
    if photo_ids:
        raise ValidationFailed(
            "No such photo: upload inspection photos first.",
            errors={"photo_ids": [f"No photo {photo_ids[0]}."]},
        )


def _settle_deposit(loan: Loan, damage: int, gateway: PaymentGateway) -> None:
    if loan.deposit_kind is DepositKind.HOLD:
        assert loan.stripe_payment_intent_id is not None
        if damage == 0:
            gateway.cancel_payment_intent(loan.stripe_payment_intent_id, idempotency_key=key(loan, "release"))
            loan.deposit_status = DepositStatus.RELEASED
            return
        # amount_to_capture below the authorised amount releases the rest
        # (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method#capture-funds).
        intent = gateway.capture_payment_intent(
            loan.stripe_payment_intent_id, amount=damage, idempotency_key=key(loan, f"capture-{damage}")
        )
        loan.captured_cents = intent.amount_received
        loan.deposit_status = (
            DepositStatus.CAPTURED if damage >= loan.deposit_cents else DepositStatus.PARTIALLY_CAPTURED
        )
        return
    if damage == 0:
        loan.deposit_status = DepositStatus.RELEASED
        return
    assert loan.stripe_customer_id and loan.stripe_payment_method_id
    try:
        intent = gateway.create_payment_intent(
            amount=damage,
            currency=loan.currency,
            idempotency_key=key(loan, f"damage-{damage}"),
            metadata={"relife_loan": str(loan.id), "relife_damage": "1"},
            customer=loan.stripe_customer_id,
            payment_method=loan.stripe_payment_method_id,
            off_session=True,
        )
    except PaymentError:
        # The return itself stands: the damage is recorded and the deposit marked failed for
        # the staff to follow up; refusing the return would keep the device "on loan".
        log.warning("loan %s: off-session damage charge refused", loan.id)
        loan.deposit_status = DepositStatus.FAILED
        return
    loan.stripe_damage_intent_id = intent.id
    loan.captured_cents = damage if intent.status == "succeeded" else 0
    loan.deposit_status = DepositStatus.CHARGED if intent.status == "succeeded" else DepositStatus.FAILED


def close_pending_extension(session: Session, loan: Loan, status: ExtensionStatus, now: dt.datetime) -> None:
    """End the loan's pending extension request, if any, and free the days it held."""
    pending = session.scalars(
        sa.select(LoanExtension).where(
            LoanExtension.loan_id == loan.id, LoanExtension.status == ExtensionStatus.PENDING
        )
    ).first()
    loan.pending_end = None
    if pending is not None:
        pending.status = status
        pending.decided_at = now


def cancel_loan(
    session: Session,
    principal: Principal | None,
    loan_id: int,
    *,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> Loan:
    now = now or utcnow()
    loan = get_loan(session, principal, loan_id)
    principal = require_user(principal)
    if not (
        principal.is_staff
        or principal.is_member_of(loan.borrower_organisation_id)
        or principal.has_role(loan.lender_organisation_id, INVENTORY_ROLES)
    ):
        raise Forbidden("Only the borrower or the lender's listers cancel a loan.")
    locks.lock_device(session, loan.device_id)
    session.refresh(loan)
    if loan.status is not LoanStatus.BOOKED:
        raise InvalidState(f"A {loan.status.value} loan cannot be cancelled.")
    if loan.stripe_payment_intent_id and gateway is not None:
        intent = gateway.retrieve_payment_intent(loan.stripe_payment_intent_id)
        if intent.status not in {"canceled", "succeeded"}:
            gateway.cancel_payment_intent(intent.id, idempotency_key=key(loan, "release"))
    if loan.deposit_cents:
        loan.deposit_status = DepositStatus.RELEASED
    close_pending_extension(session, loan, ExtensionStatus.LAPSED, now)
    loan.status = LoanStatus.CANCELLED
    loan.cancelled_at = now
    return loan
