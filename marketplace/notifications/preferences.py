"""What each user receives: categories of email, which are essential, and who turned what off.

Essential (cannot be turned off), because they secure the account or carry legal or financial weight:

- ``account``: email verification, password reset, invitations, an organisation's approval or refusal;
- ``invoices``: an invoice issued (the buyer's legal document) and an invoice overdue (a debt);
- ``returns``: a return opened (it refunds the buyer and issues a credit note);
- ``overdue_loans``: a device not returned on time (the lender may charge the deposit).

Optional (on by default): ``reservations`` (made, expiring), ``orders`` (confirmed, sold, paid, handed
over), ``invoice_reminders`` (an invoice due soon), ``loans`` (starting, due soon, returned).

An opted-out category is not written to the outbox for that user (``events.send``); an unknown kind
counts as essential, so a new message is never silently dropped before it is given a category.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import insert_ignore, utcnow
from marketplace.errors import ValidationFailed
from marketplace.notifications.models import NotificationOptOut


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    essential: bool
    kinds: tuple[str, ...]
    description: str


CATEGORIES: tuple[Category, ...] = (
    Category(
        "account", True,
        ("email_verification", "password_reset", "invitation", "organisation_approved", "organisation_refused"),
        "Your account's security and your organisations' membership and approval.",
    ),
    Category("invoices", True, ("invoice_issued", "invoice_overdue"), "Invoices issued to you, and unpaid past due."),
    Category(
        "returns", True, ("return_requested", "return_accepted", "return_refused"),
        "Returns and warranty claims: asked, accepted (refund or credit note) or refused.",
    ),
    Category("overdue_loans", True, ("loan_overdue",), "A lent device not returned on time."),
    Category("reservations", False, ("reservation_made", "reservation_expiring"), "Holds on devices: made, ending."),
    Category(
        "orders", False, ("order_confirmed", "listing_sold", "order_paid", "order_handed_over"),
        "Orders confirmed, paid and handed over; your listings sold or given.",
    ),
    Category("invoice_reminders", False, ("invoice_due",), "An invoice of yours due soon."),
    Category("loans", False, ("loan_starting", "loan_due", "loan_returned"), "Loans starting, due soon, returned."),
)  # fmt: skip
BY_NAME: Mapping[str, Category] = {c.name: c for c in CATEGORIES}
CATEGORY_OF_KIND: Mapping[str, Category] = {kind: c for c in CATEGORIES for kind in c.kinds}


def category_of(kind: str) -> Category | None:
    return CATEGORY_OF_KIND.get(kind)


def opted_out(session: Session, user_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(user id, category) pairs turned off among ``user_ids``."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    rows = session.execute(
        sa.select(NotificationOptOut.user_id, NotificationOptOut.category).where(NotificationOptOut.user_id.in_(ids))
    )
    return {(user_id, category) for user_id, category in rows}


def wants(kind: str, user_id: int, off: set[tuple[int, str]]) -> bool:
    category = category_of(kind)
    return category is None or category.essential or (user_id, category.name) not in off


def settings_of(session: Session, user_id: int) -> list[dict[str, object]]:
    off = {category for _, category in opted_out(session, [user_id])}
    return [
        {
            "category": c.name,
            "essential": c.essential,
            "enabled": c.essential or c.name not in off,
            "kinds": list(c.kinds),
            "description": c.description,
        }
        for c in CATEGORIES
    ]


def update(session: Session, user_id: int, changes: Mapping[str, bool]) -> list[dict[str, object]]:
    """Turn categories on or off; an unknown or essential category turned off is refused, nothing changed."""
    errors: dict[str, list[str]] = {}
    for name, enabled in changes.items():
        category = BY_NAME.get(name)
        if category is None:
            errors[name] = [f"No such category; one of {', '.join(BY_NAME)}."]
        elif category.essential and not enabled:
            errors[name] = ["Essential: this email cannot be turned off (account security, legal or financial)."]
    if errors:
        raise ValidationFailed("Some of these notifications cannot be changed.", errors=errors)
    for name, enabled in sorted(changes.items()):
        if BY_NAME[name].essential:
            continue
        if enabled:
            session.execute(
                sa.delete(NotificationOptOut).where(
                    NotificationOptOut.user_id == user_id, NotificationOptOut.category == name
                )
            )
        else:
            insert_ignore(session, NotificationOptOut, {"user_id": user_id, "category": name, "created_at": utcnow()})
    session.flush()
    return settings_of(session, user_id)
