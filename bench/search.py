"""Benchmark of the catalogue search (issue 6): Relife's real endpoint against a hand-written baseline.

Run: ``.venv/bin/python bench/search.py --database-url postgresql://postgres@127.0.0.1:5432/test
--rows 100000 --seconds 20``. It creates a fresh database next to the one named in the URL, fills
it with ``--rows`` realistic listings (COPY, indexes rebuilt after the load; progress on stderr),
then serves, side by side and with the same gunicorn set-up (gthread workers, keep-alive):

* Relife: ``wsgi:app``, the real application and its ``GET /api/v1/listings``;
* raw: ``bench/raw_search.py``, a minimal WSGI handler running the same SQL with psycopg + orjson.

One asyncio load generator (``--connections`` keep-alive connections on 127.0.0.1, a fixed mix of
anonymous catalogue queries: filters, the four sorts, second pages through a cursor) drives each
server in turn, alternating over ``--rounds`` rounds. Both servers must give identical bodies for
every query of the mix before timing starts. The last stdout line is one JSON object:
``{"rows", "relife_rps", "raw_rps", "ratio", "relife_p50_ms", "relife_p99_ms", "db_page_ms",
"relife_304_rps"}`` with ``ratio = relife_rps / raw_rps``, ``db_page_ms`` the median EXPLAIN ANALYZE
execution time of a filtered, sorted keyset page (not the first), and ``relife_304_rps`` Relife's
rate on the same mix when every request revalidates a page it already has (``If-None-Match`` with
the page's ``ETag``: a cache or browser coming back; answered ``304`` without a body). The database
is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import raw_search  # noqa: E402

from marketplace import migrate  # noqa: E402
from marketplace.config import normalise_database_url  # noqa: E402
from marketplace.devices.codes import new_public_code  # noqa: E402

RATIO_TARGET = 0.6
P99_TARGET_MS = 50.0
DB_PAGE_TARGET_MS = 2.0

KINDS = [("laptop", 55), ("desktop", 20), ("screen", 10), ("phone", 6), ("tablet", 4), ("server", 3), ("other", 2)]
MODELS = {
    "laptop": [
        ("Lenovo", "ThinkPad T480"),
        ("Lenovo", "ThinkPad X270"),
        ("Lenovo", "ThinkPad T14 Gen 1"),
        ("Dell", "Latitude 7490"),
        ("Dell", "Latitude 5400"),
        ("HP", "EliteBook 840 G5"),
        ("HP", "ProBook 450 G6"),
        ("Apple", "MacBook Air 2017"),
        ("Apple", "MacBook Pro 13 2019"),
        ("Fujitsu", "Lifebook U748"),
        ("Toshiba", "Tecra A50"),
        ("Acer", "TravelMate P2"),
    ],
    "desktop": [
        ("HP", "EliteDesk 800 G3"),
        ("Dell", "OptiPlex 7060"),
        ("Lenovo", "ThinkCentre M720q"),
        ("Fujitsu", "Esprimo D757"),
        ("Apple", "iMac 21.5 2017"),
    ],
    "screen": [("Dell", "P2419H"), ("HP", "E24 G4"), ("Iiyama", "ProLite XU2493HS"), ("Lenovo", "ThinkVision T24i")],
    "phone": [("Apple", "iPhone 11"), ("Samsung", "Galaxy S10"), ("Fairphone", "Fairphone 4"), ("Google", "Pixel 6")],
    "tablet": [("Apple", "iPad 9"), ("Samsung", "Galaxy Tab S6 Lite"), ("Lenovo", "Tab M10")],
    "server": [("Dell", "PowerEdge R640"), ("HP", "ProLiant DL360 Gen10"), ("Lenovo", "ThinkSystem SR650")],
    "other": [("Ubiquiti", "UniFi AP AC Pro"), ("Cisco", "Catalyst 2960")],
}
CPUS = {
    "laptop": [
        "Intel Core i5-8350U",
        "Intel Core i7-8650U",
        "Intel Core i5-10210U",
        "AMD Ryzen 5 PRO 4650U",
        "Apple M1",
        "Intel Core i5-7200U",
    ],
    "desktop": ["Intel Core i5-6500", "Intel Core i7-8700", "Intel Core i5-8500T", "AMD Ryzen 5 PRO 2400G"],
    "server": ["Intel Xeon Silver 4110", "Intel Xeon Gold 6130", "AMD EPYC 7302"],
    "phone": ["Apple A13", "Exynos 9820", "Snapdragon 750G", "Google Tensor"],
    "tablet": ["Apple A13", "Exynos 9611", "MediaTek Helio P22T"],
}
BATTERY_KINDS = {"laptop", "phone", "tablet"}
GRADES = [("A", 20), ("B", 35), ("C", 25), ("D", 15), ("F", 5)]
GRADE_RANK = {"A": 1, "B": 2, "C": 3, "D": 4, "F": 5}
COSMETIC = ["premium", "excellent", "good", "fair"]
ORG_KINDS = ["company", "university", "public_body", "nonprofit", "refurbisher"]
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]

#: The load mix: anonymous catalogue queries as a buyer browses (page 2s are added once cursors exist).
QUERIES = [
    "limit=20",
    "sort=price&kind=laptop&limit=20",
    "sort=-price&min_grade=B&limit=20",
    "sort=grade&mode=sale&limit=20",
    "sort=price&department=69&limit=20",
    "sort=price&kind=laptop&min_grade=B&price_max=30000&limit=20",
    "sort=newest&kind=desktop&mode=donation&limit=20",
    "sort=price&q=thinkpad&limit=20",
    "sort=price&mode=sale&limit=20",
    "sort=-price&kind=server&limit=20",
]
PATH = "/api/v1/listings"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


# --- the database --------------------------------------------------------------------------


def create_database(base_url: str) -> tuple[str, str]:
    url = make_url(normalise_database_url(base_url))
    name = f"relife_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return name, url.set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, name: str) -> None:
    admin = sa.create_engine(make_url(normalise_database_url(base_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def libpq_url(sa_url: str) -> str:
    return make_url(sa_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tsv(values: list[Any]) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


def fill(conninfo: str, rows: int, seed: int = 6) -> None:
    """Organisations, then ``rows`` devices and as many listings through COPY, indexes built after."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        organisations = []
        for n in range(1, 501):
            department = rng.choice(DEPARTMENTS)
            postcode = (
                ("20000" if department == "2A" else "20200")
                if department.startswith("2") and department[1].isalpha()
                else f"{department}{rng.randrange(0, 1000):03d}"
            )
            kind = rng.choice(ORG_KINDS)
            organisations.append((n, f"Organisation {n}", kind, f"{n:014d}", postcode, department))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO organisations (id, name, kind, siret, postcode, department, invoice_allowed, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, false, now())",
                organisations,
            )
        indexes: list[tuple[str, str]] = []
        for table in ("devices", "listings"):
            for name, definition in conn.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = %s"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
                (table,),
            ).fetchall():
                indexes.append((name, definition))
                conn.execute(f'DROP INDEX "{name}"')
        # Skip the foreign-key triggers during the load (ids are generated consistent below).
        conn.execute("SET session_replication_role = replica")
        start_time = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
        step = dt.timedelta(seconds=max(1, int(2 * 365 * 86400 / max(rows, 1))))
        chunk = 50_000
        with conn.cursor() as cur:
            with cur.copy(
                "COPY devices (id, organisation_id, kind, make, model, serial, asset_tag, public_code, specs,"
                " cosmetic_grade, state, health, grade, battery_health_pct, remaining_life, version, updated_at,"
                " created_at)"
                " FROM STDIN"
            ) as dcopy:
                buffer = io.StringIO()
                listing_rows = io.StringIO()
                listings_copy: list[str] = []
                for i in range(1, rows + 1):
                    org = organisations[rng.randrange(len(organisations))]
                    kind = weighted(rng, KINDS)
                    make, model = rng.choice(MODELS[kind])
                    cpu = rng.choice(CPUS[kind]) if kind in CPUS else None
                    ram = rng.choice([4, 8, 8, 16, 16, 32, 64]) if cpu else None
                    storage = rng.choice([64, 128, 256, 256, 512, 1000, 2000]) if cpu else None
                    grade = weighted(rng, GRADES)
                    health = {"A": "healthy", "B": "healthy", "C": "worn", "D": "worn", "F": "failing"}[grade]
                    battery = round(rng.uniform(40, 100), 1) if kind in BATTERY_KINDS else None
                    cosmetic = rng.choice(COSMETIC)
                    specs = {"cpu": cpu, "ram_gb": ram, "storage_gb": storage, "year": rng.randrange(2015, 2023)}
                    specs = {k: v for k, v in specs.items() if v is not None}
                    life = {
                        "basis": "battery.cycles_vs_rated" if battery else "hdd.age_vs_afr",
                        "years": round(rng.uniform(0.5, 5), 1),
                        "percent": None,
                        "detail": "",
                    }
                    findings = (
                        [
                            {
                                "code": "battery.capacity_low",
                                "severity": "warning",
                                "message": f"Battery at {battery} % of its design capacity",
                                "component": "battery",
                            }
                        ]
                        if battery is not None and battery < 80
                        else []
                    )
                    created = start_time + step * i
                    status = "active" if rng.random() < 0.9 else rng.choice(["withdrawn", "closed"])
                    state = "listed" if status == "active" else "diagnosed"
                    specs_json = orjson.dumps(specs).decode()
                    life_json = orjson.dumps(life).decode()
                    buffer.write(
                        _tsv(
                            [
                                i,
                                org[0],
                                kind,
                                make,
                                model,
                                f"SN{i:010d}",
                                f"AT{i:08d}",
                                new_public_code(),
                                specs_json,
                                cosmetic,
                                state,
                                health,
                                grade,
                                battery,
                                life_json,
                                1,
                                created.isoformat(),
                                created.isoformat(),
                            ]
                        )
                    )
                    mode = rng.choices(["sale", "loan", "donation"], weights=[70, 15, 15])[0]
                    price = rng.randrange(20, 1500) * 100 if mode == "sale" else None
                    listing = [
                        i,
                        i,
                        org[0],
                        mode,
                        status,
                        "public" if rng.random() < 0.6 else "members",
                        price,
                        "EUR",
                        rng.choice([0, 3, 6, 12]) if mode == "sale" else None,
                        7 if mode == "loan" else None,
                        90 if mode == "loan" else None,
                        rng.randrange(50, 300) * 100 if mode == "loan" else None,
                        '["nonprofit", "public_body", "university"]' if mode == "donation" else None,
                        org[4],
                        org[5],
                        None,
                        created.isoformat(),
                        created.isoformat(),
                        "{}",
                        kind,
                        make,
                        model,
                        cpu,
                        ram,
                        storage,
                        health,
                        grade,
                        GRADE_RANK[grade],
                        cosmetic,
                        battery,
                        specs_json,
                        life_json,
                        orjson.dumps(findings).decode(),
                        org[2],
                        price or 0,
                        " ".join(p for p in (make, model, cpu) if p).lower(),
                    ]
                    listing_rows.write(_tsv(listing))
                    if i % chunk == 0 or i == rows:
                        dcopy.write(buffer.getvalue())
                        listings_copy.append(listing_rows.getvalue())
                        buffer, listing_rows = io.StringIO(), io.StringIO()
                        log(f"  generated {i:,}/{rows:,} rows ({time.perf_counter() - started:.0f} s)")
            with cur.copy(
                "COPY listings (id, device_id, organisation_id, mode, status, visibility, price_cents, currency,"
                " warranty_months, min_days, max_days, deposit_cents, eligible_kinds, postcode, department,"
                " description, created_at, updated_at, extra, kind, make, model, cpu, ram_gb, storage_gb, health,"
                " grade, grade_rank, cosmetic_grade, battery_health_pct, specs, remaining_life, key_findings,"
                " organisation_kind, search_price_cents, search_text) FROM STDIN"
            ) as lcopy:
                for n, block in enumerate(listings_copy, 1):
                    lcopy.write(block)
                    log(f"  copied listings block {n}/{len(listings_copy)} ({time.perf_counter() - started:.0f} s)")
        conn.execute("SET session_replication_role = DEFAULT")
        for table in ("organisations", "devices", "listings"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        for name, definition in indexes:
            t0 = time.perf_counter()
            conn.execute(definition)
            log(f"  index {name} ({time.perf_counter() - t0:.1f} s)")
        conn.execute("VACUUM (ANALYZE) organisations")
        conn.execute("VACUUM (ANALYZE) devices")
        conn.execute("VACUUM (ANALYZE) listings")
        # Write the fill's dirty pages out now, not in the background while the servers are timed.
        conn.execute("CHECKPOINT")
    log(f"filled {rows:,} listings in {time.perf_counter() - started:.0f} s")


def db_page_ms(conninfo: str) -> tuple[float, float]:
    """Median EXPLAIN ANALYZE execution (and planning) time of a filtered, sorted keyset page:
    public laptops graded B or better under 300 EUR, by price, the page after a cursor in the middle."""
    params = {"sort": "price", "kind": "laptop", "min_grade": "B", "price_max": "30000", "limit": "20"}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        sql, args, _sort, _limit = raw_search.build(dict(params))
        middle = conn.execute(
            "SELECT search_price_cents, id FROM listings WHERE status = 'active' AND visibility = 'public'"
            " AND kind = 'laptop' AND grade_rank <= 2 AND search_price_cents <= 30000"
            " ORDER BY search_price_cents, id OFFSET (SELECT count(*) / 2 FROM listings WHERE status = 'active'"
            " AND visibility = 'public' AND kind = 'laptop' AND grade_rank <= 2 AND search_price_cents <= 30000)"
            " LIMIT 1"
        ).fetchone()
        assert middle is not None
        cursor = raw_search_cursor("price", list(middle))
        sql, args, _sort, _limit = raw_search.build({**params, "cursor": cursor})
        executions, plannings = [], []
        plan_text = ""
        for _ in range(15):
            row = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, args).fetchone()
            assert row is not None
            plan = row[0][0]
            executions.append(plan["Execution Time"])
            plannings.append(plan["Planning Time"])
            plan_text = orjson.dumps(plan["Plan"], option=orjson.OPT_INDENT_2).decode()
        log("plan of the measured page:\n" + "\n".join(plan_text.splitlines()[:40]))
        return statistics.median(executions), statistics.median(plannings)


def raw_search_cursor(sort: str, values: list[Any]) -> str:
    from marketplace.pagination import encode_cursor

    return encode_cursor([sort, *values])


# --- servers and load ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app: str, port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "75",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--pythonpath",
        str(ROOT / "bench"),
        app,
    ]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _body, _etag = asyncio.run(fetch_once(port, PATH + "?limit=1"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, str]:
    """(status, body, ETag or "") of one response; a 304 has no body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    etag = ""
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
        elif line[:5].lower() == b"etag:":
            etag = line[5:].strip().decode()
    body = await reader.readexactly(length)
    return status, body, etag


async def fetch_once(port: int, target: str) -> tuple[int, bytes, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    result = await _read_response(reader)
    writer.close()
    return result


async def load(
    port: int, targets: list[str], seconds: float, connections: int, etags: list[str] | None = None, expect: int = 200
) -> tuple[int, int, list[float]]:
    """``connections`` keep-alive clients, each sending the next query of the mix as soon as the
    previous answer is in, for ``seconds``; with ``etags``, each request revalidates its target's
    page (``If-None-Match``). Returns (answers with status ``expect``, others, latencies in s)."""
    extra = [f"If-None-Match: {etag}\r\n" for etag in etags] if etags else [""] * len(targets)
    requests = [f"GET {t} HTTP/1.1\r\nHost: 127.0.0.1\r\n{x}\r\n".encode() for t, x in zip(targets, extra, strict=True)]
    latencies: list[float] = []
    counts = [0, 0]
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = offset
        while True:
            started = time.perf_counter()
            if started >= deadline:
                break
            writer.write(requests[n % len(requests)])
            status, _body, _etag = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            counts[0 if status == expect else 1] += 1
            n += 1
        writer.close()

    await asyncio.gather(*(client(i) for i in range(connections)))
    return counts[0], counts[1], latencies


def build_targets(port: int) -> list[str]:
    targets = [f"{PATH}?{q}" for q in QUERIES]
    for q in QUERIES:  # second pages, through the cursor of the first
        _status, body, _etag = asyncio.run(fetch_once(port, f"{PATH}?{q}"))
        cursor = orjson.loads(body)["next_cursor"]
        if cursor:
            targets.append(f"{PATH}?{q}&cursor={cursor}")
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per server")
    parser.add_argument("--rounds", type=int, default=4, help="alternations relife/raw")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument("--keep", action="store_true", help="keep the database (and print its URL)")
    args = parser.parse_args(argv)
    if not normalise_database_url(args.database_url).startswith("postgresql"):
        parser.error("the benchmark needs PostgreSQL (COPY, EXPLAIN ANALYZE)")

    name, url = create_database(args.database_url)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        log(f"database {name}: migrating")
        migrate.upgrade(url)
        fill(libpq_url(url), args.rows)
        page_ms, planning_ms = db_page_ms(libpq_url(url))
        log(f"db page: {page_ms:.3f} ms execution, {planning_ms:.3f} ms planning")

        relife_port, raw_port = free_port(), free_port()
        servers.append(start_server("wsgi:app", relife_port, {"DATABASE_URL": url}, args.workers, args.threads))
        servers.append(
            start_server(
                "raw_search:make_app()", raw_port, {"RAW_DATABASE_URL": libpq_url(url)}, args.workers, args.threads
            )
        )
        wait_ready(relife_port)
        wait_ready(raw_port)
        targets = build_targets(relife_port)
        for target in targets:  # same answers, byte for byte once parsed
            relife, raw = asyncio.run(fetch_once(relife_port, target)), asyncio.run(fetch_once(raw_port, target))
            if relife[0] != 200 or orjson.loads(relife[1]) != orjson.loads(raw[1]):
                raise RuntimeError(f"the two servers disagree on {target}")
        log(f"{len(targets)} queries in the mix; both servers agree on every answer")
        for port in (relife_port, raw_port):  # warm-up: prepared statements, caches
            asyncio.run(load(port, targets, 2.0, args.connections))

        totals = {"relife": [0, 0, 0.0], "raw": [0, 0, 0.0]}
        relife_latencies: list[float] = []
        per_round = args.seconds / args.rounds
        for round_no in range(args.rounds):
            order = [("relife", relife_port), ("raw", raw_port)]
            if round_no % 2:
                order.reverse()
            for label, port in order:
                t0 = time.perf_counter()
                ok, errors, latencies = asyncio.run(load(port, targets, per_round, args.connections))
                elapsed = time.perf_counter() - t0
                totals[label][0] += ok
                totals[label][1] += errors
                totals[label][2] += elapsed
                if label == "relife":
                    relife_latencies += latencies
                log(f"  round {round_no + 1} {label}: {ok / elapsed:,.0f} req/s ({errors} errors)")
        if totals["relife"][1] or totals["raw"][1]:
            raise RuntimeError(f"errors during the load: {totals}")

        etags = [asyncio.run(fetch_once(relife_port, target))[2] for target in targets]
        revalidated_rps = None
        if all(etags):  # a version of Relife without ETags (a "before" run) has no figure here
            t0 = time.perf_counter()
            not_modified, other, _latencies = asyncio.run(
                load(relife_port, targets, args.seconds / 2, args.connections, etags=etags, expect=304)
            )
            if other:
                raise RuntimeError(f"{other} revalidations were not answered 304")
            revalidated_rps = not_modified / (time.perf_counter() - t0)
            log(f"  relife revalidations: {revalidated_rps:,.0f} req/s, all 304")
        relife_rps = totals["relife"][0] / totals["relife"][2]
        raw_rps = totals["raw"][0] / totals["raw"][2]
        relife_latencies.sort()
        result = {
            "rows": args.rows,
            "relife_rps": round(relife_rps, 1),
            "raw_rps": round(raw_rps, 1),
            "ratio": round(relife_rps / raw_rps, 3),
            "relife_p50_ms": round(relife_latencies[len(relife_latencies) // 2] * 1000, 2),
            "relife_p99_ms": round(relife_latencies[int(len(relife_latencies) * 0.99)] * 1000, 2),
            "db_page_ms": round(page_ms, 3),
            "relife_304_rps": None if revalidated_rps is None else round(revalidated_rps, 1),
        }
        log(
            f"targets: ratio >= {RATIO_TARGET} ({'met' if result['ratio'] >= RATIO_TARGET else 'NOT met'}), "
            f"p99 <= {P99_TARGET_MS} ms ({'met' if result['relife_p99_ms'] <= P99_TARGET_MS else 'NOT met'}), "
            f"db_page_ms <= {DB_PAGE_TARGET_MS} ({'met' if page_ms <= DB_PAGE_TARGET_MS else 'NOT met'})"
        )
        print(orjson.dumps(result).decode(), flush=True)
        return 0
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            log(f"kept database: {url}")
        else:
            drop_database(args.database_url, name)


if __name__ == "__main__":
    raise SystemExit(main())
