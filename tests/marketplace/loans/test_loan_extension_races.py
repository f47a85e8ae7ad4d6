"""Extension requests under real concurrency (issue #17): threads, separate connections, commits.

As in ``test_concurrency``: ``ROUNDS`` rounds, ``N`` threads released together by a barrier, each
with its own test client on a committed database (a fresh SQLite file, or a fresh PostgreSQL
database when ``DATABASE_URL`` names a server). Whatever races for the same days (two requests of
one loan, a request against new bookings, approvals of one request), exactly one wins and the
device's occupied periods never overlap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.db import make_engine
from marketplace.listings.models import ListingMode
from marketplace.loans.models import ACTIVE_STATUSES, ExtensionStatus, Loan, LoanExtension, LoanStatus, occupied_end
from tests.api_helpers import Actor, create_org, register
from tests.dbutil import fresh_database
from tests.marketplace.trade import make_listing, race

pytestmark = pytest.mark.concurrency

ROUNDS = 12
N = 6
TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@dataclass
class Committed:
    app: Flask
    engine: Engine
    seller: dict[str, Any]
    lender: Actor
    buyers: list[Actor]

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Committed]:
    with fresh_database(Path(tmp_path_factory.mktemp("extension-races")), "extension-races") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
        client = app.test_client()
        lender = register(client, "lender")
        seller = create_org(client, lender, kind="company")
        buyers = []
        for _ in range(N):
            buyer = register(client, "borrower")
            create_org(client, buyer, kind="company")
            buyers.append(buyer)
        engine = make_engine(url)
        yield Committed(app, engine, seller, lender, buyers)
        engine.dispose()
        app.extensions["relife.engine"].dispose()


def _loan(committed: Committed, borrower: Actor, start: int, end: int) -> tuple[int, dict[str, Any]]:
    with committed.session() as session:
        listing = make_listing(
            session, committed.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=30, deposit_cents=None
        )
    response = committed.app.test_client().post(
        f"/api/v1/listings/{listing.id}/loans", json={"start": day(start), "end": day(end)}, headers=borrower.headers
    )
    assert response.status_code == 201, response.get_json()
    return listing.id, response.get_json()


def _overlaps(session: Session, device_id: int) -> int:
    """Pairs of active loans of the device whose occupied periods (held days included) meet."""
    other = aliased(Loan)
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Loan)
            .join(other, sa.and_(other.device_id == Loan.device_id, other.id > Loan.id))
            .where(
                Loan.device_id == device_id,
                Loan.status.in_(ACTIVE_STATUSES),
                other.status.in_(ACTIVE_STATUSES),
                Loan.start_date < sa.func.coalesce(other.pending_end, other.end_date),
                other.start_date < occupied_end(),
            )
        )
        or 0
    )


def _end_round(committed: Committed, device_id: int) -> None:
    """Cancel the round's loans so no borrower's cap on booked loans decides a later round."""
    with committed.session() as session:
        session.execute(
            sa.update(Loan).where(Loan.device_id == device_id).values(status=LoanStatus.CANCELLED, pending_end=None)
        )
        session.execute(
            sa.update(LoanExtension)
            .where(LoanExtension.status == ExtensionStatus.PENDING)
            .values(status=ExtensionStatus.LAPSED)
        )
        session.commit()


def test_two_requests_of_one_loan_exactly_one_is_pending(committed: Committed) -> None:
    for round_no in range(ROUNDS):
        borrower = committed.buyers[round_no % N]
        _, loan = _loan(committed, borrower, 1, 4)

        def attempt(i: int, loan_id: int = loan["id"], borrower: Actor = borrower) -> int:
            response = committed.app.test_client().post(
                f"/api/v1/loans/{loan_id}/extensions", json={"end": day(5 + i)}, headers=borrower.headers
            )
            return response.status_code

        statuses = race(N, attempt)
        assert sorted(statuses) == [201] + [409] * (N - 1), statuses
        with committed.session() as session:
            pending = session.scalars(
                sa.select(LoanExtension).where(
                    LoanExtension.loan_id == loan["id"], LoanExtension.status == ExtensionStatus.PENDING
                )
            ).all()
            stored = session.get(Loan, loan["id"])
            assert len(pending) == 1 and stored is not None and stored.pending_end == pending[0].requested_end
        _end_round(committed, loan["device_id"])


def test_a_request_racing_new_bookings_for_the_same_days_one_wins(committed: Committed) -> None:
    for round_no in range(ROUNDS):
        _, loan = _loan(committed, committed.buyers[0], 1, 4)
        listing_id = loan["listing_id"]

        def attempt(i: int, loan: dict[str, Any] = loan, listing_id: int = listing_id, round_no: int = round_no) -> int:
            client = committed.app.test_client()
            if i == round_no % N:  # the request fires from a different thread each round
                response = client.post(
                    f"/api/v1/loans/{loan['id']}/extensions",
                    json={"end": day(8)},
                    headers=committed.buyers[0].headers,
                )
            else:  # every booking and the extension's [4, 8) contain day 6
                response = client.post(
                    f"/api/v1/listings/{listing_id}/loans",
                    json={"start": day(4 + i % 3), "end": day(9)},
                    headers=committed.buyers[1 + i % (N - 1)].headers,
                )
            return response.status_code

        statuses = race(N, attempt)
        assert sorted(statuses) == [201] + [409] * (N - 1), statuses
        with committed.session() as session:
            assert _overlaps(session, loan["device_id"]) == 0
            active = session.scalar(
                sa.select(sa.func.count())
                .select_from(Loan)
                .where(Loan.device_id == loan["device_id"], Loan.status.in_(ACTIVE_STATUSES))
            )
            stored = session.get(Loan, loan["id"])
            assert stored is not None
            # Either the request won (its days held) or one booking did (and the request holds nothing).
            assert (active, stored.pending_end is not None) in {(1, True), (2, False)}
        _end_round(committed, loan["device_id"])


def test_one_request_approved_at_once_by_several_listers_is_approved_once(committed: Committed) -> None:
    for round_no in range(ROUNDS):
        borrower = committed.buyers[round_no % N]
        _, loan = _loan(committed, borrower, 1, 4)
        client = committed.app.test_client()
        extension = client.post(
            f"/api/v1/loans/{loan['id']}/extensions", json={"end": day(7)}, headers=borrower.headers
        ).get_json()

        def attempt(i: int, extension_id: int = extension["id"]) -> int:
            what = "approve" if i % 2 == 0 else "refuse"
            response = committed.app.test_client().post(
                f"/api/v1/loan-extensions/{extension_id}/{what}",
                json={"reason": "taken back"} if what == "refuse" else None,
                headers=committed.lender.headers,
            )
            return response.status_code

        statuses = race(N, attempt)
        assert sorted(statuses) == [200] + [409] * (N - 1), statuses
        with committed.session() as session:
            stored = session.get(Loan, loan["id"])
            decided = session.get(LoanExtension, extension["id"])
            assert stored is not None and decided is not None and stored.pending_end is None
            expected_end = TODAY + dt.timedelta(days=7 if decided.status is ExtensionStatus.APPROVED else 4)
            assert stored.end_date == expected_end
            assert len(stored.extensions or []) == (1 if decided.status is ExtensionStatus.APPROVED else 0)
        _end_round(committed, loan["device_id"])
