"""Benchmark: bulk import of devices through the real import service (issue 5, item 5).

Run: ``.venv/bin/python bench/import.py [--rows 100000] [--repeat 3] [--database-url postgresql://…]
[--profile FILE]``

1. Builds ``--rows`` rows of realistic native CSV (makes, models, CPUs, RAM/storage sizes with
   units, years, cosmetic grades, locations; one in 50 rows with a ``notes`` cell).
2. On a fresh database (a SQLite file in a temporary folder by default; with ``--database-url``
   a new database created on that PostgreSQL server and dropped afterwards), migrated with Alembic,
   imports the file with ``marketplace.imports.service.import_devices`` as an organisation admin,
   and commits: parsing, checks, planning, device rows and passport events included (closing the
   connection is not timed, on either side).
   The first round then imports the same file again, untimed, and checks that it changes nothing.
3. On another fresh database, inserts the same device rows (already converted to column values)
   with one DBAPI ``executemany`` of a plain INSERT into ``devices``, and commits.
4. Repeats 2 and 3 in turn ``--repeat`` times and keeps the best time of each side: on a shared
   machine a single round of either side can be slowed down by other work by 20 % or more.

Progress goes to stderr; the last line on stdout is one JSON object:
``{"rows", "import_seconds", "rows_per_second", "raw_seconds", "raw_rows_per_second", "ratio"}``
with ``ratio = raw_seconds / import_seconds`` (target ≥ 0.3).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import datetime as dt
import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from marketplace import migrate
from marketplace.config import normalise_database_url
from marketplace.db import make_engine
from marketplace.devices.codes import new_public_code
from marketplace.imports import service
from marketplace.imports.formats import ImportFormat
from marketplace.members.access import SCOPE_API, Principal
from marketplace.members.models import Membership, Organisation, OrganisationKind, Role, TokenKind, User

TARGET_RATIO = 0.3
RAW_INSERT = (
    "INSERT INTO devices (organisation_id, kind, make, model, serial, asset_tag, public_code, specs, cosmetic_grade, "
    "location, notes, state, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
HEADER = (
    "asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year,cosmetic_grade,location,screen_in,storage_type,notes"
)
LAPTOPS = [
    ("Lenovo", "ThinkPad T480", "Intel Core i5-8350U", 14),
    ("Lenovo", "ThinkPad X1 Carbon Gen 6", "Intel Core i7-8650U", 14),
    ("Dell", "Latitude 5490", "Intel Core i5-8250U", 14),
    ("Dell", "Latitude 7400", "Intel Core i7-8665U", 14),
    ("HP", "EliteBook 840 G5", "Intel Core i5-8350U", 14),
    ("HP", "ProBook 450 G6", "Intel Core i5-8265U", 15.6),
    ("Apple", "MacBook Pro 13 2019", "Intel Core i5-8279U", 13.3),
]
DESKTOPS = [
    ("HP", "EliteDesk 800 G4 SFF", "Intel Core i5-8500"),
    ("Dell", "OptiPlex 7060", "Intel Core i7-8700"),
    ("Lenovo", "ThinkCentre M720q", "Intel Core i5-8400T"),
]
SCREENS = [("Dell", "P2419H", 24), ("Iiyama", "ProLite XU2493HS", 24), ("HP", "E243", 23.8)]
LOCATIONS = ["Lyon 7e - stock", "Villeurbanne - salle 12", "Grenoble - magasin", "Saint-Étienne - IUT", ""]
GRADES = ["premium", "excellent", "good", "fair", ""]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_csv(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    out.write(HEADER + "\n")
    for n in range(rows):
        roll = rng.random()
        tag = f"INV-{n:07d}"
        serial = f"{rng.choice('CDFHJPR')}{n:09d}{rng.choice('ABXZ')}"
        year = rng.randint(2014, 2022)
        grade = rng.choice(GRADES)
        location = rng.choice(LOCATIONS)
        notes = "Chargeur manquant" if n % 50 == 0 else ""
        if roll < 0.6:
            make, model, cpu, screen = rng.choice(LAPTOPS)
            ram = rng.choice(["8", "16", "8 GB", "16 GB", "8192 MB"])
            storage = rng.choice(["256", "512 GB", "1 TB"])
            row = [tag, serial, "laptop", make, model, cpu, ram, storage, year, grade, location, screen, "ssd", notes]
        elif roll < 0.9:
            make, model, cpu = rng.choice(DESKTOPS)
            ram = rng.choice(["8", "16", "32 GB"])
            row = [tag, serial, "desktop", make, model, cpu, ram, "512", year, grade, location, "", "hdd", notes]
        else:
            make, model, size = rng.choice(SCREENS)
            row = [tag, serial, "screen", make, model, "", "", "", year, grade, location, size, "", notes]
        writer.writerow(row)
    return out.getvalue().encode()


@contextlib.contextmanager
def fresh_database(base_url: str | None, label: str) -> Iterator[str]:
    if base_url is None or base_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{label}.db"
        return
    url = make_url(normalise_database_url(base_url))
    name = f"relife_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def seed_organisation(session: Session) -> tuple[int, Principal]:
    user = User(email="bench@example.org", display_name="Bench", password_hash="x")  # noqa: S106 - never logs in
    organisation = Organisation(
        name="Bench org", kind=OrganisationKind.UNIVERSITY, siret="73282932000074", postcode="69007", department="69"
    )
    session.add_all([user, organisation])
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=Role.ADMIN))
    session.commit()
    principal = Principal(
        token_id=0,
        token_kind=TokenKind.PERSONAL,
        scopes=frozenset({SCOPE_API}),
        user_id=user.id,
        roles={organisation.id: Role.ADMIN},
    )
    return organisation.id, principal


def run_import(
    url: str, data: bytes, profile: str | None, *, reimport: bool = False
) -> tuple[float, service.ImportReport]:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            organisation_id, principal = seed_organisation(session)
        # The connection is closed after the clock stops, as the raw side's is: with SQLite's
        # NullPool, Session.commit would otherwise close it inside the timed section, and closing
        # the last connection of a WAL database also removes the WAL file.
        with engine.connect() as connection, Session(bind=connection) as session:
            profiler = cProfile.Profile() if profile else None
            last = [time.perf_counter()]

            def progress(stage: str, advance: int, total: int | None) -> None:
                if time.perf_counter() - last[0] > 2:
                    last[0] = time.perf_counter()
                    say(f"  {stage}: +{advance}")

            start = time.perf_counter()
            cpu = time.process_time()
            if profiler:
                profiler.enable()
            report = service.import_devices(
                session,
                principal,
                organisation_id=organisation_id,
                data=data,
                fmt=ImportFormat.NATIVE,
                dry_run=False,
                progress=progress,
            )
            session.commit()
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - start
            say(f"  import: {elapsed:.2f} s wall, {time.process_time() - cpu:.2f} s CPU in this process")
        if reimport:
            with Session(engine) as session:
                start = time.perf_counter()
                again = service.import_devices(
                    session,
                    principal,
                    organisation_id=organisation_id,
                    data=data,
                    fmt=ImportFormat.NATIVE,
                    dry_run=False,
                )
                session.commit()
                say(
                    f"  re-import of the same file: {time.perf_counter() - start:.2f} s, {again.created} created, "
                    f"{again.updated} updated, {again.unchanged} unchanged"
                )
                if again.created or again.updated:
                    raise SystemExit("re-import changed devices")
        return elapsed, report
    finally:
        engine.dispose()


def raw_rows(data: bytes, organisation_id: int, now: dt.datetime, postgres: bool) -> list[tuple[object, ...]]:
    """The same devices as column values, converted outside the timed section."""
    reader = csv.DictReader(io.StringIO(data.decode()))
    rows = []
    stamp: object = now if postgres else now.replace(tzinfo=None).isoformat(sep=" ")
    for r in reader:
        specs = {"year": int(r["year"])}
        if r["cpu"]:
            specs["cpu"] = r["cpu"]  # type: ignore[assignment]
        if r["ram_gb"]:
            specs["ram_gb"] = int(r["ram_gb"].split()[0]) // (1024 if "MB" in r["ram_gb"] else 1)
        if r["storage_gb"]:
            specs["storage_gb"] = 1000 if r["storage_gb"] == "1 TB" else int(r["storage_gb"].split()[0])
        rows.append(
            (
                organisation_id,
                r["kind"],
                r["make"],
                r["model"],
                r["serial"],
                r["asset_tag"],
                new_public_code(),
                json.dumps(specs),
                r["cosmetic_grade"] or None,
                r["location"] or None,
                r["notes"] or None,
                "registered",
                1,
                stamp,
                stamp,
            )
        )
    return rows


def run_raw(url: str, data: bytes) -> float:
    migrate.upgrade(url)
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    try:
        with Session(engine) as session:
            organisation_id, _ = seed_organisation(session)
        rows = raw_rows(data, organisation_id, dt.datetime.now(dt.UTC), postgres)
        sql = RAW_INSERT.replace("?", "%s") if postgres else RAW_INSERT
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            start = time.perf_counter()
            cpu = time.process_time()
            if not postgres:
                cursor.execute("BEGIN")
            cursor.executemany(sql, rows)
            connection.commit()
            elapsed = time.perf_counter() - start
            say(f"  raw: {elapsed:.2f} s wall, {time.process_time() - cpu:.2f} s CPU in this process")
            cursor.close()
        finally:
            connection.close()
        return elapsed
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--profile", help="Write cProfile stats of the import to this file.")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Rounds of each side, taken in turn; the best of each is kept (the least disturbed by other work "
        "on the machine, as timeit does).",
    )
    args = parser.parse_args(argv)

    say(f"building {args.rows} CSV rows")
    data = build_csv(args.rows, args.seed)
    say(f"  {len(data) / 1e6:.1f} MB")
    import_seconds = raw_seconds = float("inf")
    for round_number in range(1, args.repeat + 1):
        with fresh_database(args.database_url, "import") as url:
            say(f"[{round_number}] importing through the service into {make_url(url).get_backend_name()}")
            seconds, report = run_import(url, data, args.profile, reimport=round_number == 1)
        say(
            f"  {report.rows} rows: {report.created} created, {report.updated} updated, {report.failed} failed "
            f"in {seconds:.2f} s"
        )
        if report.created != args.rows:
            say(f"unexpected: {report.errors[:5]}")
            return 1
        import_seconds = min(import_seconds, seconds)
        with fresh_database(args.database_url, "raw") as url:
            say(f"[{round_number}] raw executemany INSERT of the same rows")
            seconds = run_raw(url, data)
        say(f"  {seconds:.2f} s")
        raw_seconds = min(raw_seconds, seconds)
    ratio = raw_seconds / import_seconds
    say(f"ratio {ratio:.2f} (target ≥ {TARGET_RATIO})")
    print(
        json.dumps(
            {
                "rows": args.rows,
                "import_seconds": round(import_seconds, 3),
                "rows_per_second": round(args.rows / import_seconds),
                "raw_seconds": round(raw_seconds, 3),
                "raw_rows_per_second": round(args.rows / raw_seconds),
                "ratio": round(ratio, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
