"""Soak test (issue 8): a bounded mixed load against gunicorn + PostgreSQL, then the invariants.

Run: ``.venv/bin/python bench/soak.py --database-url postgresql://postgres@127.0.0.1:5432/test
--seconds 60 --workers 2``. It creates a fresh database next to the one named in the URL (dropped at
the end), migrates it, starts the local fake Stripe (``tests/fakes/stripe.py``) and gunicorn
(``wsgi:app``, ``--workers`` sync workers on 127.0.0.1) with STRIPE_API_KEY / STRIPE_API_BASE /
STRIPE_WEBHOOK_SECRET set, seeds a few organisations, devices (graded from real corpus reports,
checklist, erasure of each disk) and listings of each mode through the real API, then runs
``--clients`` client threads for ``--seconds``: catalogue search, reserve (409 when held is a
normal outcome) then order (invoice, donation, or card paid through the fake's signed webhook) or
release, loans of random periods (409 on overlap), diagnostics uploads of corpus files, new disks
reported by listed devices (their listing is suspended until the disk's erasure is recorded),
sellers withdrawing an offer (409 while held or booked) and listing the device again, and handovers
after which buyers open returns or warranty claims that sellers accept (in full or in part: card
refunds at the fake Stripe, credit notes), refuse, or try to over-refund (422), several clients
deciding one return at once (409 for all but one).

Progress on stderr. The last stdout line is one JSON object:
``{"seconds","requests","errors","conflicts","p50_ms","p99_ms","by_kind":{...},"invariants":{...}}``
— errors are 5xx and unexpected statuses (must be 0), conflicts the expected 409s; the invariants
are counted afterwards in SQL (each must be 0): a device sold twice, overlapping loans, a device
both sold and on loan, a paid card order without exactly one processed ``payment_intent.succeeded``
event, a live hold or a booked loan on a withdrawn listing, a device owned by two organisations (a
fork in its transfers), a refund larger than what was paid (on the order, over its accepted returns,
at Stripe), a Stripe refund total differing from the order's; and, with the service's own rules, an
active listing whose device is not listable, a card whose grade, kind or specs differ from its
device's (issue 20). Exit status 1 on any error or broken
invariant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from diagnostics.manual import EXPECTED_ITEMS  # noqa: E402
from diagnostics.upload import UploadFile, encode_multipart  # noqa: E402
from marketplace import migrate  # noqa: E402
from marketplace.members.identifiers import luhn_complete  # noqa: E402
from tests.corpus_path import CORPUS  # noqa: E402
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe  # noqa: E402

PASSWORD = "soak-password-2026"  # noqa: S105
_sirets = itertools.count(1)


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Http:
    """Plain urllib against the server; returns (status, parsed JSON or None)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def ok(self, method: str, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Any:
        status, payload = self.call(method, path, token, body, **kw)
        if status >= 400:
            raise RuntimeError(f"seeding: {method} {path} → {status} {payload}")
        return payload


# -- set-up -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def siret() -> str:
    n = next(_sirets) + (os.getpid() % 1000) * 100
    return luhn_complete(luhn_complete(f"{(810000 + n * 7919) % 100000000:08d}") + f"{n % 10000:04d}")


def disk_reports() -> list[Path]:
    """Corpus smartctl JSON reports with a serial number (each device gets its own disk)."""
    found = []
    for path in sorted((CORPUS / "smart").rglob("*.json")):
        try:
            doc = json.loads(path.read_bytes())
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("serial_number") and (doc.get("smart_status") or {}).get("passed"):
            found.append(path)
    return found


class World:
    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.orgs: dict[str, int] = {}
        self.listings: dict[str, list[int]] = defaultdict(list)
        #: Devices that get diagnostics uploads during the run, with their owner's key.
        self.inventory: list[tuple[int, str]] = []
        #: Listings someone has held: once sold they leave the catalogue (404 to other buyers).
        self.held: set[int] = set()
        #: Listed devices (device id, owner key): the bench uploads a disk they never had to some,
        #: which takes their listing out of the catalogue until that disk's erasure is recorded.
        self.listed_devices: list[tuple[int, str]] = []
        #: Returns opened by buyers and not decided yet: (order id, return id, amount, seller key).
        #: Several clients may pick one at once: of concurrent decisions one counts (409 for the others).
        self.open_returns: list[tuple[int, int, int, str]] = []
        self.lock = threading.Lock()


def user(http: Http, world: World, key: str) -> str:
    email = f"{key}-{uuid.uuid4().hex[:6]}@soak.example"
    http.ok("POST", "/api/v1/users", body={"email": email, "password": PASSWORD, "display_name": key})
    world.tokens[key] = http.ok("POST", "/api/v1/tokens", body={"email": email, "password": PASSWORD})["token"]
    return email


def seed(http: Http, world: World, engine: sa.Engine, fake: FakeStripe, devices: int) -> None:
    for key, kind, extra in (
        ("seller", "refurbisher", {}),
        ("univ", "university", {}),
        ("mairie", "public_body", {"invoice_allowed": True}),
        ("acme", "company", {}),
        ("asso", "nonprofit", {}),
    ):
        user(http, world, key)
        body = {"name": f"Soak {key}", "kind": kind, "siret": siret(), "postcode": "69007", **extra}
        world.orgs[key] = http.ok("POST", "/api/v1/organisations", world.tokens[key], body)["id"]
    # The seller's Stripe Connect account comes from Stripe onboarding, not from the API.
    account = fake.add_account()
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE organisations SET stripe_account_id = :a WHERE id IN (:s, :u)"),
            {"a": account, "s": world.orgs["seller"], "u": world.orgs["univ"]},
        )
    reports = disk_reports()
    log(f"seeding {devices} devices from {len(reports)} corpus disk reports")
    modes = ["sale"] * 6 + ["loan"] * 2 + ["donation"] * 2
    now = dt.datetime.now(dt.UTC)
    for index in range(devices):
        owner = "seller" if index % 3 else "univ"
        token = world.tokens[owner]
        report_file = reports[index % len(reports)]
        device = http.ok(
            "POST",
            "/api/v1/devices",
            token,
            {
                "organisation_id": world.orgs[owner],
                "kind": "desktop",
                "make": "Dell",
                "model": f"OptiPlex {7000 + index}",
                "serial": f"SOAK-{index:05d}",
            },
        )
        body, content_type = encode_multipart([UploadFile(report_file.name, report_file.read_bytes())])
        report = http.ok(
            "POST", f"/api/v1/devices/{device['id']}/diagnostics", token, data=body,
            headers={"Content-Type": content_type},
        )  # fmt: skip
        items = [{"item": name, "result": "pass"} for name in EXPECTED_ITEMS["desktop"]]
        http.ok("POST", f"/api/v1/devices/{device['id']}/checklist", token, {"items": items})
        for file in report.get("files", []):
            for component in file.get("components", []):
                serial = (component.get("identity") or {}).get("serial")
                if component.get("component") == "disk" and serial:
                    http.ok(
                        "POST",
                        f"/api/v1/devices/{device['id']}/erasures",
                        token,
                        {
                            "disk_serial": serial,
                            "method": "purge",
                            "standard": "nist-sp-800-88-r1",
                            "tool": "nwipe",
                            "started_at": (now - dt.timedelta(hours=2)).isoformat(),
                            "finished_at": (now - dt.timedelta(hours=1)).isoformat(),
                            "verified": True,
                        },
                    )
        if index % 7 == 6:
            world.inventory.append((device["id"], owner))
            continue
        mode = modes[index % len(modes)]
        listing: dict[str, Any] = {"device_id": device["id"], "mode": mode, "visibility": "public"}
        if mode == "sale":
            listing["price_cents"] = 5_000 + 1_000 * (index % 30)
        status, created = http.call("POST", "/api/v1/listings", token, listing)
        if status == 201:
            world.listings[mode].append(created["id"])
            world.listed_devices.append((device["id"], owner))
        if index % 10 == 9:
            log(f"seeded {index + 1}/{devices} devices")
    log("listings: " + ", ".join(f"{mode} {len(ids)}" for mode, ids in world.listings.items()))


# -- load -------------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        self.errors: list[str] = []
        self.conflicts = 0
        self.gone = 0

    def record(self, kind: str, started: float, status: int, expected: set[int], detail: Any = None) -> bool:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies.append(elapsed)
            self.by_kind[kind][str(status)] += 1
            if status == 409 and 409 in expected:
                self.conflicts += 1
            if status not in expected:
                self.errors.append(f"{kind}: {status} {str(detail)[:300]}")
                return False
        return True


class Client(threading.Thread):
    def __init__(self, n: int, http: Http, world: World, fake: FakeStripe, stats: Stats, until: float) -> None:
        super().__init__(name=f"client-{n}", daemon=True)
        self.n, self.http, self.world, self.fake, self.stats, self.until = n, http, world, fake, stats, until
        self.random = random.Random(n)
        self.uploads = disk_reports()

    def timed(self, kind: str, expected: set[int], method: str, path: str, token: str | None = None,
              body: Any = None, **kw: Any) -> tuple[int, Any]:  # fmt: skip
        started = time.perf_counter()
        status, payload = self.http.call(method, path, token, body, **kw)
        self.stats.record(kind, started, status, expected, payload)
        return status, payload

    def run(self) -> None:
        actions = (
            [self.search] * 5
            + [self.buy] * 3
            + [self.borrow, self.upload, self.new_disk, self.withdraw_and_relist, self.hand_over]
            + [self.decide_return] * 2
        )
        while time.monotonic() < self.until:
            self.random.choice(actions)()

    def search(self) -> None:
        query = self.random.choice(
            [
                "?sort=price&limit=20",
                "?kind=desktop&min_grade=C",
                "?mode=sale&price_max=20000&sort=-price",
                "?q=optiplex&limit=5",
                "?mode=loan",
                "?sort=newest&department=69",
            ]
        )
        token = self.random.choice([None, self.world.tokens["acme"]])
        self.timed("search", {200}, "GET", "/api/v1/listings" + query, token)

    def buy(self) -> None:
        payment, buyer, pool = self.random.choice(
            [("invoice", "mairie", "sale"), ("card", "acme", "sale"), ("donation", "asso", "donation")]
        )
        if not self.world.listings[pool]:
            return
        with self.world.lock:
            if not self.world.listings[pool]:
                return
            listing = self.random.choice(self.world.listings[pool])
        token = self.world.tokens[buyer]
        started = time.perf_counter()
        status, held = self.http.call("POST", f"/api/v1/listings/{listing}/reservations", token, {})
        with self.world.lock:
            # 404: sold meanwhile by another client (a sold listing leaves the catalogue).
            gone = status == 404 and listing in self.world.held
            if status == 201:
                self.world.held.add(listing)
        self.stats.record("reserve", started, status, {201, 409, 404} if gone else {201, 409}, held)
        if gone:
            with self.stats.lock:
                self.stats.gone += 1
            return
        if status != 201:
            return
        if self.random.random() < 0.2:  # changed their mind
            self.timed("release", {204}, "DELETE", f"/api/v1/reservations/{held['id']}", token)
            return
        # 409: the listing was suspended meanwhile (a new unerased disk), which ends its holds.
        status, order = self.timed(
            "order", {201, 409}, "POST", "/api/v1/orders", token, {"reservation_id": held["id"], "payment": payment},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        if status == 201:
            with self.world.lock:  # sold: no longer worth picking (others may still race for it: 404)
                if listing in self.world.listings[pool]:
                    self.world.listings[pool].remove(listing)
        if status == 201 and payment == "card":
            event = self.fake.confirm_payment_intent(order["stripe_payment_intent_id"])
            started = time.perf_counter()
            self.stats.record("webhook", started, self.fake.send(event), {200})

    def borrow(self) -> None:
        if not self.world.listings["loan"]:
            return
        listing = self.random.choice(self.world.listings["loan"])
        start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=self.random.randint(1, 60))
        end = start + dt.timedelta(days=self.random.randint(1, 10))
        token = self.world.tokens[self.random.choice(["asso", "mairie"])]
        status, loan = self.timed(
            "loan", {201, 409}, "POST", f"/api/v1/listings/{listing}/loans", token,
            {"start": start.isoformat(), "end": end.isoformat()},
        )  # fmt: skip
        if status != 201 or self.random.random() < 0.5:
            return
        # Issue 17: the borrower asks to keep it longer (409: the days are another loan's; 422: past
        # the listing's max_days), and the lender decides, while other members book the same days.
        later = end + dt.timedelta(days=self.random.randint(1, 5))
        status, extension = self.timed(
            "extension", {201, 409, 422}, "POST", f"/api/v1/loans/{loan['id']}/extensions", token,
            {"end": later.isoformat()},
        )  # fmt: skip
        if status != 201:
            return
        owners = {org_id: key for key, org_id in self.world.orgs.items()}
        lender = self.world.tokens[owners[loan["lender_organisation_id"]]]
        if self.random.random() < 0.7:
            self.timed("approve", {200, 409, 422}, "POST", f"/api/v1/loan-extensions/{extension['id']}/approve", lender)
        else:
            self.timed(
                "refuse", {200, 409}, "POST", f"/api/v1/loan-extensions/{extension['id']}/refuse", lender,
                {"reason": "Booked for maintenance."},
            )  # fmt: skip

    def withdraw_and_relist(self) -> None:
        """The seller takes an offer back while members may be holding or booking it (409 when one
        is), then lists the device again: the race behind the withdrawn-listing invariant."""
        pool = self.random.choice(["sale", "loan"])
        with self.world.lock:
            if not self.world.listings[pool]:
                return
            listing = self.random.choice(self.world.listings[pool])
            self.world.listings[pool].remove(listing)
        status, card = self.http.call("GET", f"/api/v1/listings/{listing}")
        owners = {org_id: key for key, org_id in self.world.orgs.items()}
        token = self.world.tokens[owners[card["organisation"]["id"]]] if status == 200 else None
        if token is not None:
            status, card = self.timed("withdraw", {200, 409}, "DELETE", f"/api/v1/listings/{listing}", token)
        if token is None or status != 200:  # sold meanwhile, or held / booked: stays on offer
            with self.world.lock:
                self.world.listings[pool].append(listing)
            return
        body = {"device_id": card["device_id"], "mode": pool, "visibility": "public"}
        body["price_cents"] = card["price_cents"]
        status, created = self.timed("relist", {201}, "POST", "/api/v1/listings", token, body)
        if status == 201:
            with self.world.lock:
                self.world.listings[pool].append(created["id"])

    def hand_over(self) -> None:
        """A seller hands a confirmed order over: the device becomes its buyer's (issue 17). A third
        of the time the buyer opens a return at once (or a warranty claim), which ``decide_return``
        settles. 409: handed over or cancelled by another client meanwhile, or a new unerased disk
        keeps it (issue 20)."""
        seller = self.random.choice(["seller", "univ"])
        token = self.world.tokens[seller]
        status, page = self.timed("orders", {200}, "GET", "/api/v1/orders?role=seller&status=confirmed&limit=20", token)
        if status != 200 or not page["items"]:
            return
        order = self.random.choice(page["items"])
        status, _ = self.timed("handover", {200, 409}, "POST", f"/api/v1/orders/{order['id']}/handover", token)
        if status != 200 or self.random.random() >= 0.35:
            return
        owners = {org_id: key for key, org_id in self.world.orgs.items()}
        buyer = self.world.tokens[owners[order["buyer_organisation_id"]]]
        kind = "warranty" if order.get("warranty_months") and self.random.random() < 0.3 else "return"
        status, opened = self.timed(
            "return", {201}, "POST", f"/api/v1/orders/{order['id']}/returns", buyer, {"reason": "soak", "kind": kind}
        )
        if status == 201:
            with self.world.lock:
                self.world.open_returns.append((order["id"], opened["id"], order["amount_cents"], seller))

    def decide_return(self) -> None:
        """The seller accepts an open return (in full, for part of the price: a missing accessory,
        or, now and then, for more than was paid: 422) or refuses it. Another client may decide the
        same return at once: 409 for the later one. An accepted card return is refunded at the fake
        Stripe, whose refund events come back signed."""
        with self.world.lock:
            if not self.world.open_returns:
                return
            order_id, return_id, amount, seller = self.random.choice(self.world.open_returns)
        token = self.world.tokens[seller]
        path = f"/api/v1/orders/{order_id}/returns/{return_id}"
        roll = self.random.random()
        if roll < 0.25:
            self.timed("return_refuse", {200, 409}, "POST", f"{path}/refuse", token, {"reason": "soak"})
        elif roll < 0.3:
            self.timed("return_overpay", {409, 422}, "POST", f"{path}/accept", token,
                                   {"refund_cents": amount + 1})  # fmt: skip
            return
        else:
            body = {"refund_cents": self.random.randint(amount // 2, amount)} if roll < 0.6 else {}
            # 409: decided by another client meanwhile, or the device moved on.
            self.timed("return_accept", {200, 409}, "POST", f"{path}/accept", token, body)
        with self.world.lock:
            if (order_id, return_id, amount, seller) in self.world.open_returns:
                self.world.open_returns.remove((order_id, return_id, amount, seller))

    def upload(self) -> None:
        device, owner = self.random.choice(self.world.inventory)
        files = self.random.sample(self.uploads, 2)
        body, content_type = encode_multipart([UploadFile(p.name, p.read_bytes()) for p in files])
        self.timed(
            "upload", {200, 201}, "POST", f"/api/v1/devices/{device}/diagnostics", self.world.tokens[owner],
            data=body, headers={"Content-Type": content_type},
        )  # fmt: skip

    def new_disk(self) -> None:
        """A listed device reports a disk it never had (its listing is suspended: issue 20), and half
        the time its owner then records that disk's erasure (the listing comes back by itself).
        409: the device was sold or is reserved meanwhile (it is no longer in its owner's hands);
        404: it was handed over to its buyer meanwhile (issue 17)."""
        if not self.world.listed_devices:
            return
        device, owner = self.random.choice(self.world.listed_devices)
        disk = self.random.choice(self.uploads)
        body, content_type = encode_multipart([UploadFile(disk.name, disk.read_bytes())])
        status, report = self.timed(
            "new_disk", {200, 201, 404, 409}, "POST", f"/api/v1/devices/{device}/diagnostics", self.world.tokens[owner],
            data=body, headers={"Content-Type": content_type},
        )  # fmt: skip
        if status not in {200, 201} or self.random.random() < 0.5:
            return
        now = dt.datetime.now(dt.UTC)
        for file in report.get("files", []):
            for component in file.get("components", []):
                serial = (component.get("identity") or {}).get("serial")
                if component.get("component") == "disk" and serial:
                    # 409: sold or reserved meanwhile; 422: another upload replaced the disks meanwhile;
                    # 404: handed over to its buyer meanwhile (no longer this owner's, issue 17).
                    self.timed(
                        "erase", {201, 404, 409, 422}, "POST", f"/api/v1/devices/{device}/erasures",
                        self.world.tokens[owner],
                        {"disk_serial": serial, "method": "purge", "standard": "nist-sp-800-88-r1", "tool": "nwipe",
                         "started_at": (now - dt.timedelta(minutes=30)).isoformat(),
                         "finished_at": (now - dt.timedelta(minutes=1)).isoformat(), "verified": True},
                    )  # fmt: skip


# -- invariants --------------------------------------------------------------------------------

INVARIANTS = {
    # A device may be sold again by its buyer once handed over (issue 17), never twice by one owner:
    # no seller has two orders of one device that were neither cancelled nor returned.
    "devices_sold_twice": """
        SELECT count(*) FROM (SELECT device_id FROM orders WHERE status NOT IN ('cancelled', 'returned')
                              GROUP BY device_id, seller_organisation_id HAVING count(*) > 1) d""",
    "overlapping_loans": """
        SELECT count(*) FROM loans a JOIN loans b ON a.device_id = b.device_id AND a.id < b.id
        WHERE a.status NOT IN ('cancelled') AND b.status NOT IN ('cancelled')
          AND a.start_date < COALESCE(b.pending_end, b.end_date)
          AND b.start_date < COALESCE(a.pending_end, a.end_date)""",
    # Issue 17: at most one pending extension request per loan, holding exactly the days it asks
    # for, and only on a loan that has not ended; nothing captured beyond a deposit.
    "extension_holds_out_of_step": """
        SELECT count(*) FROM loans l WHERE (l.pending_end IS NOT NULL AND l.status NOT IN ('booked', 'on_loan'))
           OR (SELECT count(*) FROM loan_extensions e WHERE e.loan_id = l.id AND e.status = 'pending') > 1
           OR l.pending_end IS DISTINCT FROM (SELECT e.requested_end FROM loan_extensions e
                                              WHERE e.loan_id = l.id AND e.status = 'pending')""",
    "captured_beyond_deposit": """
        SELECT count(*) FROM loans l LEFT JOIN loan_inspections i ON i.loan_id = l.id
        WHERE l.captured_cents > l.deposit_cents OR i.captured_cents > l.deposit_cents""",
    "sold_and_on_loan": """
        SELECT count(*) FROM orders o JOIN loans l ON l.device_id = o.device_id
        WHERE o.status NOT IN ('cancelled', 'returned') AND l.status IN ('booked', 'on_loan')
          AND l.lender_organisation_id = o.seller_organisation_id""",
    # Issue 17: a device is owned by one organisation at a time, the one its last transfer gave it
    # to; every handover moved it, every return brought it back.
    "devices_not_owned_by_their_last_receiver": """
        SELECT count(*) FROM devices d JOIN device_transfers t ON t.device_id = d.id
        WHERE t.id = (SELECT max(id) FROM device_transfers WHERE device_id = d.id)
          AND t.to_organisation_id <> d.organisation_id""",
    "handovers_or_returns_without_their_transfer": """
        SELECT count(*) FROM orders o
        WHERE (o.status IN ('handed_over', 'returned') AND NOT EXISTS
               (SELECT 1 FROM device_transfers t WHERE t.order_id = o.id AND t.reason IN ('sale', 'donation')))
           OR (o.status = 'returned' AND NOT EXISTS
               (SELECT 1 FROM device_transfers t WHERE t.order_id = o.id AND t.reason = 'return'))""",
    # Issue 17: a device is owned by one organisation at a time: its transfers form one chain
    # (each leaves from where the previous one arrived), never a fork.
    "devices_owned_by_two_organisations": """
        SELECT count(*) FROM device_transfers t JOIN device_transfers p ON p.device_id = t.device_id
        WHERE p.id = (SELECT max(id) FROM device_transfers WHERE device_id = t.device_id AND id < t.id)
          AND p.to_organisation_id <> t.from_organisation_id""",
    # No refund larger than what was paid: on the order, and over its accepted returns.
    "refunds_larger_than_paid_on_orders": """
        SELECT count(*) FROM orders o
        WHERE o.refunded_cents > o.amount_cents OR o.credit_note_cents > o.amount_cents
           OR (SELECT coalesce(sum(r.refund_cents), 0) FROM order_returns r
               WHERE r.order_id = o.id AND r.status = 'accepted') > o.amount_cents""",
    "orders_with_two_open_or_accepted_returns": """
        SELECT count(*) FROM (SELECT order_id FROM order_returns WHERE status IN ('open', 'accepted')
                              GROUP BY order_id HAVING count(*) > 1) d""",
    "accepted_returns_without_their_order_returned": """
        SELECT count(*) FROM order_returns r JOIN orders o ON o.id = r.order_id
        WHERE (r.status = 'accepted') <> (o.status = 'returned')
          AND (r.status = 'accepted' OR NOT EXISTS
               (SELECT 1 FROM order_returns a WHERE a.order_id = o.id AND a.status = 'accepted'))""",
    "refunded_orders_never_paid": """
        SELECT count(*) FROM orders WHERE payment_status IN ('refunded', 'refund_due') AND paid_at IS NULL""",
    "paid_card_orders_without_exactly_one_event": """
        SELECT count(*) FROM orders o
        WHERE o.payment = 'card' AND o.payment_status IN ('paid', 'refunded') AND o.paid_at IS NOT NULL
          AND (SELECT count(*) FROM stripe_events e WHERE e.object_id = o.stripe_payment_intent_id
               AND e.type = 'payment_intent.succeeded') <> 1""",
    "processed_events_without_their_order_paid": """
        SELECT count(*) FROM stripe_events e
        WHERE e.type = 'payment_intent.succeeded' AND NOT EXISTS
          (SELECT 1 FROM orders o WHERE o.stripe_payment_intent_id = e.object_id
           AND o.payment_status IN ('paid', 'refunded'))""",
    # Issue 20, class 3: a withdrawal and a hold or a booking of one listing are decided under the
    # device-then-listing lock order, so a withdrawn listing never keeps a taker.
    "live_hold_or_booked_loan_on_withdrawn_listing": """
        SELECT (SELECT count(*) FROM reservations r JOIN listings li ON li.id = r.listing_id
                WHERE li.status = 'withdrawn' AND r.status = 'active' AND r.expires_at > now())
             + (SELECT count(*) FROM loans l JOIN listings li ON li.id = l.listing_id
                WHERE li.status = 'withdrawn' AND l.status = 'booked')""",
}


def check_invariants(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: int(conn.execute(sa.text(sql)).scalar_one()) for name, sql in INVARIANTS.items()}


def refund_invariants(engine: sa.Engine, fake: FakeStripe) -> dict[str, int]:
    """Stripe's side of the money given back (issue 17): no order refunded more than it was paid,
    and no refund at Stripe that the order does not record."""
    refunded: Counter[str] = Counter()
    with fake.lock:
        for obj in fake.objects.values():
            if obj.get("object") == "refund" and obj.get("status") == "succeeded":
                refunded[obj["payment_intent"]] += int(obj["amount"])
    with engine.connect() as conn:
        orders = {
            intent: (amount, status, recorded)
            for intent, amount, status, recorded in conn.execute(
                sa.text("SELECT stripe_payment_intent_id, amount_cents, payment_status, refunded_cents FROM orders "
                        "WHERE stripe_payment_intent_id IS NOT NULL")
            )
        }  # fmt: skip
    larger = sum(1 for intent, cents in refunded.items() if intent in orders and cents > orders[intent][0])
    unrecorded = sum(1 for intent in refunded if intent not in orders or orders[intent][1] != "refunded")
    # What Stripe gave back is what the order says it gave back (a partial refund included).
    differing = sum(1 for intent, cents in refunded.items() if intent in orders and cents != orders[intent][2])
    return {
        "refunds_larger_than_paid": larger,
        "refunds_not_recorded_on_their_order": unrecorded,
        "stripe_refunds_differing_from_the_order": differing,
    }


#: Card fields that must equal what ``listability.follow.sync_from_device`` makes of the device now.
CARD_FIELDS = (
    "kind", "make", "model", "cpu", "ram_gb", "storage_gb", "health", "grade", "grade_rank",
    "cosmetic_grade", "battery_health_pct", "specs", "remaining_life", "search_text",
)  # fmt: skip


def catalogue_invariants(url: str) -> dict[str, int]:
    """Issue 20's catalogue invariants, checked with the service's own code rather than a second
    copy of its rules in SQL (listability reads the stored diagnostics files):

    * ``active_listings_not_listable``: active listings whose device ``listability.rules.listing_problems``
      finds fault with (an unerased disk, an F grade, incomplete diagnostics);
    * ``cards_differing_from_device``: active or suspended listings whose card (grade, kind, specs,
      make, model …) differs from what its device makes of it now.
    """
    from sqlalchemy.orm import Session

    from marketplace.db import make_engine
    from marketplace.devices.models import Device
    from marketplace.listability.follow import sync_from_device
    from marketplace.listability.rules import listing_problems
    from marketplace.listings.models import OPEN_STATUSES, Listing, ListingStatus

    engine = make_engine(url)
    not_listable = differing = 0
    try:
        with Session(engine) as session:
            listings = session.scalars(sa.select(Listing).where(Listing.status.in_(OPEN_STATUSES))).all()
            for listing in listings:
                device = session.get(Device, listing.device_id)
                assert device is not None
                if listing.status is ListingStatus.ACTIVE and listing_problems(session, device):
                    not_listable += 1
                expected = Listing(mode=listing.mode, price_cents=listing.price_cents)
                sync_from_device(expected, device, listing.organisation, [])
                if any(getattr(expected, name) != getattr(listing, name) for name in CARD_FIELDS):
                    differing += 1
    finally:
        engine.dispose()
    return {"active_listings_not_listable": not_listable, "cards_differing_from_device": differing}


def totals(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.execute(sa.text(sql)).scalar_one())

        return {
            "orders": count("SELECT count(*) FROM orders"),
            "paid_card_orders": count("SELECT count(*) FROM orders WHERE payment='card' AND payment_status='paid'"),
            "loans": count("SELECT count(*) FROM loans"),
            "handed_over": count("SELECT count(*) FROM orders WHERE handed_over_at IS NOT NULL"),
            "returned": count("SELECT count(*) FROM orders WHERE status = 'returned'"),
            "returns_opened": count("SELECT count(*) FROM order_returns"),
            "returns_accepted": count("SELECT count(*) FROM order_returns WHERE status = 'accepted'"),
            "returns_refused": count("SELECT count(*) FROM order_returns WHERE status = 'refused'"),
            "partial_refunds": count("SELECT count(*) FROM orders WHERE refunded_cents BETWEEN 1 AND amount_cents - 1"),
            "transfers": count("SELECT count(*) FROM device_transfers"),
            "diagnostic_reports": count("SELECT count(*) FROM diagnostic_reports"),
        }


# -- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL (a database is created on it)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--devices", type=int, default=60)
    args = parser.parse_args()

    base = make_url(args.database_url)
    if not base.drivername.startswith("postgresql"):
        parser.error("the soak runs on PostgreSQL")
    name = f"relife_soak_{os.getpid()}"
    base = base.set(drivername="postgresql+psycopg")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    fake = FakeStripe().serve()
    server: subprocess.Popen[bytes] | None = None
    engine = sa.create_engine(url)
    try:
        log(f"database {name}: migrating")
        migrate.upgrade(url)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "STRIPE_API_KEY": API_KEY,
            "STRIPE_API_BASE": fake.base_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--workers", str(args.workers),
             "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning"],
            cwd=REPO, env=env,
        )  # fmt: skip
        wait_port(port, server)
        http = Http(f"http://127.0.0.1:{port}")
        fake.deliver = lambda payload, headers: http.call(
            "POST", "/api/v1/webhooks/stripe", data=payload, headers=headers
        )[0]
        world = World()
        seed(http, world, engine, fake, args.devices)

        stats = Stats()
        log(f"load: {args.clients} clients for {args.seconds:.0f} s against {args.workers} gunicorn workers")
        started = time.monotonic()
        clients = [Client(n, http, world, fake, stats, started + args.seconds) for n in range(args.clients)]
        for client in clients:
            client.start()
        while any(client.is_alive() for client in clients):
            time.sleep(5)
            with stats.lock:
                log(f"{time.monotonic() - started:5.0f} s: {len(stats.latencies)} requests, "
                    f"{len(stats.errors)} errors, {stats.conflicts} conflicts")  # fmt: skip
        elapsed = time.monotonic() - started
        for error in stats.errors[:20]:
            log(f"ERROR {error}")
        invariants = {**check_invariants(engine), **refund_invariants(engine, fake), **catalogue_invariants(url)}
        latencies = sorted(stats.latencies)
        result = {
            "seconds": round(elapsed, 1),
            "requests": len(latencies),
            "errors": len(stats.errors),
            "conflicts": stats.conflicts,
            "sold_meanwhile_404": stats.gone,
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1) if latencies else None,
            "by_kind": {kind: dict(counts) for kind, counts in sorted(stats.by_kind.items())},
            "invariants": invariants,
            "totals": totals(engine),
        }
        print(json.dumps(result), flush=True)
        return 1 if stats.errors or any(invariants.values()) else 0
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        fake.close()
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
