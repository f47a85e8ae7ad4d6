"""Messages about what happens to reservations, orders, invoices, loans and returns.

Each function is called by the domain service that makes the change, in its transaction, after the
change (``reservations.service``, ``orders.service``, ``loans.service``): the message exists if and
only if the change commits. Recipients follow ``recipients``; opted-out categories are skipped
(``preferences``); each message has a dedupe key (kind, object, recipient), so an event replayed
(a webhook delivered twice) writes it once. Links start at the one ``PUBLIC_URL`` (``links``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device
from marketplace.loans.models import Loan
from marketplace.members.models import Organisation, User
from marketplace.notifications import links, outbox, preferences, recipients
from marketplace.notifications.models import OutboxMessage
from marketplace.orders.models import Order, OrderReturn, PaymentMethod, PaymentStatus
from marketplace.reservations.models import Reservation


@dataclass(frozen=True, slots=True)
class Money:
    cents: int
    currency: str


def _localised(context: Mapping[str, Any], language: str) -> dict[str, Any]:
    """Each date, time and amount of ``context`` also as ``<name>_text``, written for ``language``."""
    values = dict(context)
    for name, value in context.items():
        if isinstance(value, Money):
            values[f"{name}_text"] = outbox.money(value.cents, value.currency, language)
        elif isinstance(value, dt.datetime):
            values[f"{name}_text"] = outbox.moment(value, language)
        elif isinstance(value, dt.date):
            values[f"{name}_text"] = outbox.day(value, language)
    return values


def send(session: Session, kind: str, people: Sequence[User], key: str, context: Mapping[str, Any]) -> int:
    """Write ``kind`` to each of ``people`` who wants it, in their language; returns how many were written."""
    mail = links.of(session)
    off = preferences.opted_out(session, [p.id for p in people])
    keys = {user.id: f"{kind}:{key}:u{user.id}"[:200] for user in people}
    # Already written (a reminder seen by an earlier run): skip the rendering. The insert below
    # stays the guarantee when two transactions get here at once.
    done = set(session.scalars(sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))))
    rows = []
    for user in people:
        if keys[user.id] in done or not preferences.wants(kind, user.id, off):
            continue
        values = _localised({**context, "display_name": user.display_name}, outbox.language_of(user.language))
        rows.append(
            outbox.once(
                dedupe_key=keys[user.id],
                kind=kind,
                recipient=user.email,
                language=user.language,
                user_id=user.id,
                sender_domain=mail.sender_domain,
                context=values,
            )
        )
    return outbox.enqueue_once(session, rows)


# -- what the messages say about their objects -------------------------------------------------


def _org_name(session: Session, organisation_id: int) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation is not None else ""


def device_context(session: Session, device_id: int) -> dict[str, Any]:
    device = session.get(Device, device_id)
    assert device is not None
    return {
        "device": f"{device.make} {device.model}".strip(),
        "asset_tag": device.asset_tag,
        "device_link": links.of(session).url(f"/d/{device.public_code}"),
    }


def _order(session: Session, order: Order) -> dict[str, Any]:
    return {
        **device_context(session, order.device_id),
        "order_id": order.id,
        "order_link": links.of(session).url(f"/api/v1/orders/{order.id}"),
        "buyer": _org_name(session, order.buyer_organisation_id),
        "seller": _org_name(session, order.seller_organisation_id),
        "payment": order.payment.value,
        "paid": order.payment_status is PaymentStatus.PAID,
        "amount": Money(order.amount_cents, order.currency),
        "invoice_number": order.invoice_number or "",
        "invoice_link": links.of(session).url(f"/api/v1/orders/{order.id}/invoice.pdf"),
        "due_on": order.invoice_due_on,
        "return_deadline": order.return_deadline.date() if order.return_deadline else None,
    }


def _loan(session: Session, loan: Loan) -> dict[str, Any]:
    return {
        **device_context(session, loan.device_id),
        "loan_id": loan.id,
        "loan_link": links.of(session).url(f"/api/v1/loans/{loan.id}"),
        "borrower": _org_name(session, loan.borrower_organisation_id),
        "lender": _org_name(session, loan.lender_organisation_id),
        "start": loan.start_date,
        "end": loan.end_date,
        "deposit": Money(loan.deposit_cents, loan.currency),
        "damage": Money(loan.damage_cents or 0, loan.currency),
        "captured": Money(loan.captured_cents, loan.currency),
    }


# -- reservations ------------------------------------------------------------------------------


def reservation_made(session: Session, reservation: Reservation) -> None:
    """To the people who handle the seller's listings."""
    listing = reservation.listing
    context = {
        **device_context(session, reservation.device_id),
        "buyer": _org_name(session, reservation.organisation_id),
        "expires_at": reservation.expires_at,
        "price": Money(reservation.price_cents or 0, reservation.currency),
        "donation": reservation.price_cents is None,
    }
    send(session, "reservation_made", recipients.seller_team(session, listing.organisation_id),
         f"reservation:{reservation.id}", context)  # fmt: skip


# -- orders and invoices -----------------------------------------------------------------------


def order_confirmed(session: Session, order: Order) -> None:
    """A sale or donation is confirmed (invoice or donation at once, card once paid): the buyer's side
    is told its order stands, the seller's listers what was sold and how it is paid; an invoice is
    issued to the buyer's side."""
    context = _order(session, order)
    buyers = recipients.buyer_side(session, order.buyer_organisation_id, order.buyer_user_id)
    send(session, "order_confirmed", buyers, f"order:{order.id}", context)
    send(session, "listing_sold", recipients.seller_team(session, order.seller_organisation_id),
         f"order:{order.id}", context)  # fmt: skip
    if order.payment is PaymentMethod.INVOICE and order.invoice_number:
        send(session, "invoice_issued", buyers, f"order:{order.id}:{order.invoice_number}", context)


def order_paid(session: Session, order: Order) -> None:
    """An invoice is paid after its order was confirmed (a card payment is the confirmation itself,
    told by ``order_confirmed``): both sides are told."""
    context = _order(session, order)
    people = recipients.everyone(
        recipients.buyer_side(session, order.buyer_organisation_id, order.buyer_user_id),
        recipients.seller_team(session, order.seller_organisation_id),
    )
    send(session, "order_paid", people, f"order:{order.id}", context)


def order_handed_over(session: Session, order: Order) -> None:
    """The buyer's side now owns the device: until when it may return it."""
    people = recipients.buyer_side(session, order.buyer_organisation_id, order.buyer_user_id)
    send(session, "order_handed_over", people, f"order:{order.id}", _order(session, order))


def _return(session: Session, order: Order, found: OrderReturn) -> dict[str, Any]:
    return {
        **_order(session, order),
        "kind": found.kind.value,
        "reason": found.reason,
        "condition": found.condition_notes or "",
        "refund": Money(found.refund_cents or 0, order.currency),
        "payment_status": order.payment_status.value,
        "credit_note_number": order.credit_note_number or "",
        "decision_note": found.decision_note or "",
    }


def _return_people(session: Session, order: Order, found: OrderReturn) -> list[User]:
    """The seller's team (who decides, and gets the device back) and the buyer's side (who asked)."""
    return recipients.everyone(
        recipients.seller_team(session, order.seller_organisation_id),
        recipients.buyer_side(session, order.buyer_organisation_id, found.opened_by_user_id),
    )


def return_requested(session: Session, order: Order, found: OrderReturn) -> None:
    """A return or warranty claim is asked: the seller's team decides, the buyer's side has a receipt."""
    send(session, "return_requested", _return_people(session, order, found), f"return:{found.id}",
         _return(session, order, found))  # fmt: skip


def return_accepted(session: Session, order: Order, found: OrderReturn) -> None:
    """Both sides: what is refunded or credited, and the device going back to the seller."""
    send(session, "return_accepted", _return_people(session, order, found), f"return:{found.id}",
         _return(session, order, found))  # fmt: skip


def return_refused(session: Session, order: Order, found: OrderReturn) -> None:
    """The buyer's side, with the seller's reason (the seller's team decided it)."""
    people = recipients.buyer_side(session, order.buyer_organisation_id, found.opened_by_user_id)
    send(session, "return_refused", people, f"return:{found.id}", _return(session, order, found))


# -- loans -------------------------------------------------------------------------------------


def loan_returned(session: Session, loan: Loan) -> None:
    """The borrower's side: the loan is over, with any damage recorded and what the deposit became."""
    people = recipients.buyer_side(session, loan.borrower_organisation_id, loan.borrower_user_id)
    context = {**_loan(session, loan), "deposit_status": loan.deposit_status.value}
    send(session, "loan_returned", people, f"loan:{loan.id}", context)


def context_for_order(session: Session, order: Order) -> dict[str, Any]:
    return _order(session, order)


def context_for_loan(session: Session, loan: Loan) -> dict[str, Any]:
    return _loan(session, loan)
