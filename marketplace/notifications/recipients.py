"""Who is told: the one rule for every message about an organisation's business.

- **The people who handle listings** of the seller or lender (``seller_team``): its admins and
  listers, who reserve stock, hand devices over and take them back. A technician runs the bench,
  a plain member only buys: neither is told about the organisation's sales.
- **The buyer's or borrower's side** (``buyer_side``): the person who acted (reserved, ordered,
  booked) and the organisation's admins, who answer for what it owes (invoices, overdue loans).
- **The acting person alone** (``person``): what only concerns them (their hold ending).

Inactive accounts receive nothing. Each person is listed once, whatever roles they hold.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.members.models import Membership, Role, User

LISTING_ROLES = frozenset({Role.ADMIN, Role.LISTER})
ACCOUNTABLE_ROLES = frozenset({Role.ADMIN})


def _with_roles(session: Session, organisation_id: int, roles: Iterable[Role]) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role.in_(sorted(roles)),
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _unique(*groups: Iterable[User | None]) -> list[User]:
    seen: dict[int, User] = {}
    for group in groups:
        for user in group:
            if user is not None and user.is_active and user.id not in seen:
                seen[user.id] = user
    return list(seen.values())


def seller_team(session: Session, organisation_id: int) -> list[User]:
    """The seller's or lender's admins and listers."""
    return _with_roles(session, organisation_id, LISTING_ROLES)


def buyer_side(session: Session, organisation_id: int, acting_user_id: int | None) -> list[User]:
    """The person who acted for the buyer or borrower, and its admins."""
    actor = session.get(User, acting_user_id) if acting_user_id is not None else None
    return _unique([actor], _with_roles(session, organisation_id, ACCOUNTABLE_ROLES))


def person(session: Session, user_id: int) -> list[User]:
    return _unique([session.get(User, user_id)])


def everyone(*groups: Iterable[User]) -> list[User]:
    """Several audiences of one event, each person once."""
    return _unique(*groups)
