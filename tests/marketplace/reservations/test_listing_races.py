"""Races on one listing or one device, against a real gunicorn (issue #20, class 3).

A module-scoped gunicorn (``--workers 2 --threads 8``, 127.0.0.1, an ephemeral port) serves a fresh,
migrated database of the run's kind (PostgreSQL with ``DATABASE_URL``, else a SQLite file). Each
test runs rounds in which threads released by a barrier send their requests over HTTP at the same
instant; then the database is asked for the invariants:

- no live hold and no booked loan on a withdrawn listing (withdrawal against reservations, loans);
- at most one active listing per device and never a 5xx (parallel ``POST /listings`` of one
  device; a listing against a diagnostics upload of the same device).

Every loser gets a 409 problem. On SQLite a writing request holds the database's write lock from
``BEGIN IMMEDIATE``; on PostgreSQL the lock order of ``reservations.locks`` decides.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from diagnostics.upload import UploadFile, encode_multipart
from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.db import make_engine
from marketplace.devices.models import Device, DeviceKind, DeviceState
from marketplace.listings.models import Listing, ListingMode, ListingStatus
from marketplace.loans.models import Loan, LoanStatus
from marketplace.reservations.models import Reservation, ReservationStatus
from marketplace.reservations.service import MAX_LIVE_HOLDS_PER_ORGANISATION
from tests.api_helpers import Actor, create_org, register
from tests.dbutil import fresh_database
from tests.listable import add_checklist
from tests.marketplace.reports.helpers import NVME_JSON
from tests.marketplace.trade import make_listing, race

pytestmark = pytest.mark.concurrency

REPO = Path(__file__).resolve().parents[3]
ROUNDS = 12
N = 8


@dataclass
class Live:
    base: str
    engine: Engine
    seller: dict[str, Any]
    seller_admin: Actor
    buyers: list[Actor]

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def call(
        self, method: str, path: str, actor: Actor, body: Any = None, *, data: bytes | None = None, ctype: str = ""
    ) -> tuple[int, Any]:
        headers = dict(actor.headers)
        if body is not None:
            data = json.dumps(body).encode()
            ctype = "application/json"
        if ctype:
            headers["Content-Type"] = ctype
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                raw, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        payload = json.loads(raw) if raw else None
        if status >= 400:
            # Every refusal is a problem document, never an HTML error page.
            assert isinstance(payload, dict) and payload.get("status") == status, (status, raw[:300])
        return status, payload


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = Path(tmp_path_factory.mktemp("listing_races"))
    with fresh_database(tmp, "races") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
        client = app.test_client()
        seller_admin = register(client, "seller")
        seller = create_org(client, seller_admin, kind="company")
        buyers = []
        for _ in range(N):
            buyer = register(client, "buyer")
            create_org(client, buyer, kind="public_body")
            buyers.append(buyer)
        app.extensions["relife.engine"].dispose()
        port = _free_port()
        log = (tmp / "gunicorn.log").open("wb")
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "race-test-secret", "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "8", "--bind", f"127.0.0.1:{port}",
             "--timeout", "60", "wsgi:app"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        engine = make_engine(url)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, "gunicorn exited at start"
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                    time.sleep(0.2)
            yield Live(f"http://127.0.0.1:{port}", engine, seller, seller_admin, buyers)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
            engine.dispose()


def _live_holds_on_withdrawn(session: Session) -> int:
    now = dt.datetime.now(dt.UTC)
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Reservation)
            .join(Listing, Listing.id == Reservation.listing_id)
            .where(
                Listing.status == ListingStatus.WITHDRAWN,
                Reservation.status == ReservationStatus.ACTIVE,
                Reservation.expires_at > now,
            )
        )
        or 0
    )


def _booked_loans_on_withdrawn(session: Session) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Loan)
            .join(Listing, Listing.id == Loan.listing_id)
            .where(Listing.status == ListingStatus.WITHDRAWN, Loan.status == LoanStatus.BOOKED)
        )
        or 0
    )


def _release_holds(live: Live, listing_id: int) -> None:
    """End this round's holds, so the members' hold caps never decide a later round."""
    with live.session() as session:
        session.execute(
            sa.update(Reservation)
            .where(Reservation.listing_id == listing_id, Reservation.status == ReservationStatus.ACTIVE)
            .values(status=ReservationStatus.CANCELLED)
        )
        session.execute(
            sa.update(Loan)
            .where(Loan.listing_id == listing_id, Loan.status == LoanStatus.BOOKED)
            .values(status=LoanStatus.CANCELLED)
        )
        session.commit()


def test_withdrawal_racing_reservations_never_leaves_a_live_hold_on_a_withdrawn_listing(live: Live) -> None:
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        with live.session() as session:
            listing = make_listing(session, live.seller["id"])

        def attempt(i: int, listing_id: int = listing.id) -> tuple[str, int]:
            if i == 0:
                return "withdraw", live.call("DELETE", f"/api/v1/listings/{listing_id}", live.seller_admin)[0]
            return "reserve", live.call("POST", f"/api/v1/listings/{listing_id}/reservations", live.buyers[i], {})[0]

        results = race(N, attempt)
        outcomes.update(f"{what} {status}" for what, status in results)
        statuses = dict(Counter(results))
        withdrawn = ("withdraw", 200) in statuses
        holds = statuses.get(("reserve", 201), 0)
        # Exactly one side wins: the withdrawal (then no hold at all) or one hold (then no withdrawal).
        assert (withdrawn, holds) in {(True, 0), (False, 1)}, results
        assert {status for _, status in results} <= {200, 201, 409}, results
        with live.session() as session:
            assert _live_holds_on_withdrawn(session) == 0
            stored = session.get(Listing, listing.id)
            assert stored is not None
            assert stored.status is (ListingStatus.WITHDRAWN if withdrawn else ListingStatus.ACTIVE)
            state = session.scalar(sa.select(Device.state).where(Device.id == listing.device_id))
            assert state is (DeviceState.DIAGNOSED if withdrawn else DeviceState.LISTED)
        _release_holds(live, listing.id)
    print("withdraw vs reserve:", dict(outcomes))


def test_withdrawal_racing_loans_never_leaves_a_booked_loan_on_a_withdrawn_listing(live: Live) -> None:
    today = dt.datetime.now(dt.UTC).date()
    outcomes: Counter[str] = Counter()
    for round_no in range(ROUNDS):
        with live.session() as session:
            listing = make_listing(
                session, live.seller["id"], mode=ListingMode.LOAN, min_days=1, max_days=30, deposit_cents=None
            )

        def attempt(i: int, listing_id: int = listing.id, round_no: int = round_no) -> tuple[str, int]:
            if i == 0:
                return "withdraw", live.call("DELETE", f"/api/v1/listings/{listing_id}", live.seller_admin)[0]
            # Disjoint periods: every loan could be booked, so only the withdrawal can refuse them.
            start = today + dt.timedelta(days=2 + 3 * i + round_no % 2)
            body = {"start": start.isoformat(), "end": (start + dt.timedelta(days=2)).isoformat()}
            return "loan", live.call("POST", f"/api/v1/listings/{listing_id}/loans", live.buyers[i], body)[0]

        results = race(4, attempt)  # one withdrawal, three bookings: either side can be first
        outcomes.update(f"{what} {status}" for what, status in results)
        assert {status for _, status in results} <= {200, 201, 409}, results
        withdrawn = ("withdraw", 200) in results
        if withdrawn:
            assert ("loan", 201) not in results, results
        with live.session() as session:
            assert _booked_loans_on_withdrawn(session) == 0
        _release_holds(live, listing.id)
    print("withdraw vs loans:", dict(outcomes))


def _listable_device(live: Live, kind: DeviceKind = DeviceKind.SCREEN) -> int:
    """A diagnosed device that needs no erasure (a checklist, no disk report): listable at once."""
    with live.session() as session:
        n = time.monotonic_ns()
        device = Device(
            organisation_id=live.seller["id"], kind=kind, make="Dell", model="P2419H", serial=f"RACE-{n}",
            asset_tag=f"RACE-{n}", state=DeviceState.DIAGNOSED, grade="B", health="healthy",
        )  # fmt: skip
        session.add(device)
        add_checklist(session, device)
        session.commit()
        return device.id


def test_twelve_parallel_listings_of_one_device_one_wins_the_others_get_409(live: Live) -> None:
    outcomes: Counter[int] = Counter()
    for round_no in range(ROUNDS):
        device_id = _listable_device(live)

        def attempt(i: int, device_id: int = device_id, round_no: int = round_no) -> int:
            body: dict[str, Any] = {"device_id": device_id, "mode": "sale", "price_cents": 1000 + i}
            if (i + round_no) % 3 == 0:
                body = {"device_id": device_id, "mode": "loan", "max_days": 10}
            return live.call("POST", "/api/v1/listings", live.seller_admin, body)[0]

        statuses = race(12, attempt)
        outcomes.update(statuses)
        assert sorted(statuses) == [201] + [409] * 11, statuses
        with live.session() as session:
            active = session.scalar(
                sa.select(sa.func.count())
                .select_from(Listing)
                .where(Listing.device_id == device_id, Listing.status == ListingStatus.ACTIVE)
            )
            assert active == 1
    assert outcomes == {201: ROUNDS, 409: 11 * ROUNDS}


def test_a_listing_racing_a_diagnostics_upload_of_its_device_is_never_a_500(live: Live) -> None:
    body, content_type = encode_multipart([UploadFile(NVME_JSON.name, NVME_JSON.read_bytes())])
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        device_id = _listable_device(live, DeviceKind.DESKTOP)

        def attempt(i: int, device_id: int = device_id) -> tuple[str, int]:
            if i % 2 == 0:
                listing = {"device_id": device_id, "mode": "sale", "price_cents": 5000}
                return "list", live.call("POST", "/api/v1/listings", live.seller_admin, listing)[0]
            path = f"/api/v1/devices/{device_id}/diagnostics"
            return "upload", live.call("POST", path, live.seller_admin, data=body, ctype=content_type)[0]

        results = race(4, attempt)
        outcomes.update(f"{what} {status}" for what, status in results)
        assert all(status < 500 for _, status in results), results
        assert Counter(status for what, status in results if what == "list") in (
            {201: 1, 409: 1},  # listed before the upload named a new disk
            {409: 2},  # the upload came first: its disk has no erasure, the device is not listable
        ), results
        assert sorted(status for what, status in results if what == "upload") in ([200, 201], [201, 200]), results
        with live.session() as session:
            active = session.scalar(
                sa.select(sa.func.count())
                .select_from(Listing)
                .where(Listing.device_id == device_id, Listing.status == ListingStatus.ACTIVE)
            )
            assert active in (0, 1)
    print("listing vs upload:", dict(outcomes))


def test_one_member_holding_many_listings_at_once_stops_at_the_cap(live: Live) -> None:
    """The cap on live holds is counted under the member organisation's lock: parallel holds of
    one organisation on different listings (different device locks) cannot overshoot it."""
    buyer = live.buyers[0]
    outcomes: Counter[int] = Counter()
    for _ in range(ROUNDS // 2):
        with live.session() as session:
            listings = [make_listing(session, live.seller["id"]).id for _ in range(MAX_LIVE_HOLDS_PER_ORGANISATION + 3)]

        def attempt(i: int, listings: list[int] = listings) -> int:
            return live.call("POST", f"/api/v1/listings/{listings[i]}/reservations", buyer, {})[0]

        statuses = race(len(listings), attempt)
        outcomes.update(statuses)
        assert sorted(statuses) == [201] * MAX_LIVE_HOLDS_PER_ORGANISATION + [409] * 3, statuses
        for listing_id in listings:
            _release_holds(live, listing_id)
    print("hold cap:", dict(outcomes))


def test_a_listing_racing_a_repair_of_its_device_one_wins_the_other_gets_409(live: Live) -> None:
    """Device lifecycle writes take the device's lock too: the later request reads the state the
    first left (409 naming it), instead of losing on the device's version column (412)."""
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        device_id = _listable_device(live)

        def attempt(i: int, device_id: int = device_id) -> tuple[str, int]:
            if i == 0:
                body = {"device_id": device_id, "mode": "sale", "price_cents": 5000}
                return "list", live.call("POST", "/api/v1/listings", live.seller_admin, body)[0]
            path = f"/api/v1/devices/{device_id}/repairs"
            return "repair", live.call("POST", path, live.seller_admin, {"parts": ["screen"]})[0]

        results = race(2, attempt)
        outcomes.update(f"{what} {status}" for what, status in results)
        assert sorted(status for _, status in results) == [201, 409], results
        with live.session() as session:
            state = session.scalar(sa.select(Device.state).where(Device.id == device_id))
            active = session.scalar(
                sa.select(sa.func.count())
                .select_from(Listing)
                .where(Listing.device_id == device_id, Listing.status == ListingStatus.ACTIVE)
            )
        assert (state, active) in {(DeviceState.LISTED, 1), (DeviceState.IN_REPAIR, 0)}, (state, active)
    print("listing vs repair:", dict(outcomes))
