"""Extension requests: the borrower asks for a later end, the lender approves or refuses.

A pending request holds the days it asks for (``Loan.pending_end``): they belong to the loan's
occupied period, which the same rule as bookings protects (``service.overlapping`` under the
device lock, and PostgreSQL's exclusion constraint ``ex_loans_device_period`` over
``[start_date, COALESCE(pending_end, end_date))``). So an extension never overlaps the next
booking, whether it is checked at the request or at the approval, and a booking racing a request
for the same days, or two requests racing, end with one winner.

Deposit: a card hold lives about 7 days after the booking (``service.HOLD_WINDOW_DAYS`` with a
margin). When the longer loan would outlast it, the request comes with a SetupIntent: the borrower
saves a card for the rest of the loan, and the lender can approve only once Stripe says the card is
saved; the approval then releases the hold and the deposit becomes a saved card charged only for
damage, as for any long loan. Loans with a saved card or without a deposit keep theirs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.errors import Conflict, Forbidden, InvalidState, NotFound, ServiceUnavailable, ValidationFailed
from marketplace.listings.models import Listing
from marketplace.loans import service
from marketplace.loans.models import (
    ACTIVE_STATUSES,
    DepositKind,
    DepositStatus,
    ExtensionStatus,
    Loan,
    LoanExtension,
)
from marketplace.members.access import Principal, require_user
from marketplace.members.models import Organisation
from marketplace.pagination import Page, id_page
from marketplace.payments.gateway import PaymentGateway
from marketplace.reservations import locks


def hold_lasts(loan: Loan, end: dt.date) -> bool:
    """Whether the loan's card hold, authorised when it was booked, still covers a loan ending on
    ``end`` (the rule ``service._secure_deposit`` applies at booking)."""
    return (end - loan.created_at.date()).days <= service.HOLD_WINDOW_DAYS


def needs_saved_card(loan: Loan, end: dt.date) -> bool:
    return loan.deposit_kind is DepositKind.HOLD and bool(loan.deposit_cents) and not hold_lasts(loan, end)


def _require_borrower(principal: Principal | None, loan: Loan) -> Principal:
    principal = require_user(principal)
    if principal.is_staff or principal.is_member_of(loan.borrower_organisation_id):
        return principal
    raise Forbidden("Only the borrowing organisation asks for an extension.")


def _check_end(session: Session, loan: Loan, end: dt.date, *, field: str = "end") -> None:
    """The longer loan within the listing's limit, and free of any other loan of the device."""
    if end <= loan.end_date:
        raise ValidationFailed(
            "An extension ends later than the loan.",
            errors={field: [f"Must be after the current end, {loan.end_date.isoformat()}."]},
        )
    listing = session.get(Listing, loan.listing_id)
    assert listing is not None
    longest = service.max_days_of(listing)
    if (end - loan.start_date).days > longest:
        raise ValidationFailed(
            "Too long for this listing.", errors={field: [f"This listing lends for at most {longest} days."]}
        )
    taken = service.overlapping(session, loan.device_id, loan.end_date, end, exclude=loan.id)
    if taken is not None:
        raise Conflict(
            f"The device is lent to someone else from {taken.start_date.isoformat()}: "
            f"the loan can be extended up to that day at most."
        )


def _pending(session: Session, loan: Loan) -> LoanExtension | None:
    return session.scalars(
        sa.select(LoanExtension).where(
            LoanExtension.loan_id == loan.id, LoanExtension.status == ExtensionStatus.PENDING
        )
    ).first()


def request_extension(
    session: Session,
    principal: Principal | None,
    loan_id: int,
    *,
    end: dt.date,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> LoanExtension:
    now = now or utcnow()
    loan = service.get_loan(session, principal, loan_id)
    principal = _require_borrower(principal, loan)
    assert principal.user_id is not None
    locks.lock_device(session, loan.device_id)
    session.refresh(loan)
    if loan.status not in ACTIVE_STATUSES:
        raise InvalidState(f"A {loan.status.value} loan cannot be extended.")
    pending = _pending(session, loan)
    if pending is not None:
        raise Conflict(
            f"Extension request {pending.id} (to {pending.requested_end.isoformat()}) is already waiting for the "
            "lender; withdraw it first to ask for another end."
        )
    _check_end(session, loan, end)
    card = needs_saved_card(loan, end)
    if card and gateway is None:
        raise ServiceUnavailable(service.DEPOSITS_NOT_CONFIGURED)
    extension = LoanExtension(
        loan_id=loan.id,
        requested_by_user_id=principal.user_id,
        previous_end=loan.end_date,
        requested_end=end,
        status=ExtensionStatus.PENDING,
        created_at=now,
    )
    session.add(extension)
    loan.pending_end = end
    session.flush()  # the exclusion constraint (PostgreSQL) and the one-pending index back the checks up
    if card:
        assert gateway is not None
        _ask_for_card(session, loan, extension, gateway)
    return extension


def _ask_for_card(session: Session, loan: Loan, extension: LoanExtension, gateway: PaymentGateway) -> None:
    borrower = session.get(Organisation, loan.borrower_organisation_id)
    assert borrower is not None
    what = f"extension-{extension.id}"
    extension.stripe_customer_id = loan.stripe_customer_id or gateway.create_customer(
        name=borrower.name,
        idempotency_key=service.key(loan, f"{what}-customer"),
        metadata={"relife_organisation": str(borrower.id)},
    )
    # No "relife_loan" key: the webhook leaves this SetupIntent alone, the approval re-reads it.
    setup = gateway.create_setup_intent(
        customer=extension.stripe_customer_id,
        idempotency_key=service.key(loan, f"{what}-setup"),
        metadata={"relife_loan_extension": str(extension.id), "relife_device": str(loan.device_id)},
    )
    extension.stripe_setup_intent_id = setup.id
    extension.stripe_client_secret = setup.client_secret


def get_extension(session: Session, principal: Principal | None, extension_id: int) -> LoanExtension:
    extension = session.get(LoanExtension, extension_id)
    if extension is None:
        raise NotFound("No such extension request.")
    try:
        service.get_loan(session, principal, extension.loan_id)
    except NotFound:
        raise NotFound("No such extension request.") from None
    return extension


def _decidable(session: Session, principal: Principal | None, extension_id: int) -> tuple[Principal, LoanExtension]:
    extension = get_extension(session, principal, extension_id)
    loan = extension.loan
    principal = service.require_lender(principal, loan)
    locks.lock_device(session, loan.device_id)
    session.refresh(loan)
    session.refresh(extension)
    if extension.status is not ExtensionStatus.PENDING:
        raise InvalidState(f"This extension request is {extension.status.value} already.")
    if loan.status not in ACTIVE_STATUSES:  # not reached: ending a loan closes its request
        raise InvalidState(f"The loan is {loan.status.value}: nothing to extend.")
    return principal, extension


def approve_extension(
    session: Session,
    principal: Principal | None,
    extension_id: int,
    *,
    gateway: PaymentGateway | None,
    now: dt.datetime | None = None,
) -> LoanExtension:
    now = now or utcnow()
    principal, extension = _decidable(session, principal, extension_id)
    loan = extension.loan
    # Checked again: the listing's limit may have changed, and the held days must still be free.
    _check_end(session, loan, extension.requested_end)
    if extension.stripe_setup_intent_id:
        _switch_to_saved_card(loan, extension, gateway)
    history: list[Any] = list(loan.extensions or [])
    history.append(
        {"from": loan.end_date.isoformat(), "to": extension.requested_end.isoformat(), "at": now.isoformat(),
         "extension_id": extension.id}
    )  # fmt: skip
    loan.extensions = history
    loan.end_date = extension.requested_end
    loan.pending_end = None
    extension.status = ExtensionStatus.APPROVED
    extension.decided_by_user_id = principal.user_id
    extension.decided_at = now
    session.flush()
    return extension


def _switch_to_saved_card(loan: Loan, extension: LoanExtension, gateway: PaymentGateway | None) -> None:
    """The hold cannot cover the longer loan: once the borrower's card is saved, release the hold
    and keep the card, charged off-session only for damage."""
    if gateway is None:
        raise ServiceUnavailable(service.DEPOSITS_NOT_CONFIGURED)
    assert extension.stripe_setup_intent_id is not None
    setup = gateway.retrieve_setup_intent(extension.stripe_setup_intent_id)
    if setup.status != "succeeded" or not setup.payment_method:
        raise InvalidState(
            "The longer loan outlasts the card hold of its deposit: the borrower must first save a card "
            "(the extension request's client_secret) before it can be approved.",
            errors={"deposit": ["The borrower's card is not saved yet."]},
        )
    if loan.stripe_payment_intent_id:
        intent = gateway.retrieve_payment_intent(loan.stripe_payment_intent_id)
        if intent.status not in {"canceled", "succeeded"}:
            gateway.cancel_payment_intent(intent.id, idempotency_key=service.key(loan, "release"))
    loan.deposit_kind = DepositKind.SAVED_CARD
    loan.deposit_status = DepositStatus.SECURED
    loan.stripe_customer_id = extension.stripe_customer_id
    loan.stripe_payment_method_id = setup.payment_method
    loan.stripe_client_secret = None


def refuse_extension(
    session: Session,
    principal: Principal | None,
    extension_id: int,
    *,
    reason: str,
    now: dt.datetime | None = None,
) -> LoanExtension:
    now = now or utcnow()
    principal, extension = _decidable(session, principal, extension_id)
    extension.loan.pending_end = None
    extension.status = ExtensionStatus.REFUSED
    extension.reason = reason
    extension.decided_by_user_id = principal.user_id
    extension.decided_at = now
    session.flush()
    return extension


def withdraw_extension(
    session: Session, principal: Principal | None, extension_id: int, *, now: dt.datetime | None = None
) -> LoanExtension:
    now = now or utcnow()
    extension = get_extension(session, principal, extension_id)
    loan = extension.loan
    principal = _require_borrower(principal, loan)
    locks.lock_device(session, loan.device_id)
    session.refresh(loan)
    session.refresh(extension)
    if extension.status is not ExtensionStatus.PENDING:
        raise InvalidState(f"This extension request is {extension.status.value} already.")
    loan.pending_end = None
    extension.status = ExtensionStatus.WITHDRAWN
    extension.decided_by_user_id = principal.user_id
    extension.decided_at = now
    session.flush()
    return extension


def list_extensions(
    session: Session, principal: Principal | None, loan_id: int, *, cursor: str | None, limit: int
) -> Page[LoanExtension]:
    loan = service.get_loan(session, principal, loan_id)
    stmt = sa.select(LoanExtension).where(LoanExtension.loan_id == loan.id)
    return id_page(session, stmt, LoanExtension.id, cursor=cursor, limit=limit, newest_first=False)


@dataclass(frozen=True)
class ShownExtension:
    """An extension request as one caller sees it: the SetupIntent's client secret only for the
    borrower's people, while the request is pending."""

    extension: LoanExtension
    client_secret: str | None


def shown(extension: LoanExtension, principal: Principal | None) -> ShownExtension:
    secret = None
    if (
        principal is not None
        and principal.is_member_of(extension.loan.borrower_organisation_id)
        and extension.status is ExtensionStatus.PENDING
    ):
        secret = extension.stripe_client_secret
    return ShownExtension(extension, secret)
