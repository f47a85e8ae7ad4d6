"""Benchmark: emails per second one outbox worker delivers to a local SMTP server (issue 16).

Run: ``.venv/bin/python bench/mail.py [--messages N] [--workers K]``; ``DATABASE_URL`` as for the tests
(unset: a SQLite file; a PostgreSQL server URL: a throwaway database on it). ``--messages`` rows are
written to the outbox, then ``--workers`` processes of ``flask --app wsgi worker --once`` (the real
command) deliver them to an aiosmtpd server on 127.0.0.1 (a port the OS picks) that parses and keeps
every message. More than one worker needs PostgreSQL (SQLite: one worker). Progress goes to stderr;
the last line on stdout is one JSON object: ``emails_per_s`` (messages / wall time from the workers'
start to the last one's exit, start-up of the Python processes included; ``in_process_emails_per_s``
leaves it out: ``deliver_due`` timed in this process, on a second batch).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from marketplace import migrate  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.notifications import outbox, worker  # noqa: E402
from marketplace.notifications.models import OutboxMessage, OutboxStatus  # noqa: E402
from tests.dbutil import fresh_database  # noqa: E402
from tests.fakes.smtp import LocalSmtp  # noqa: E402

SENDER = "Relife <no-reply@relife.example>"


def log(message: str) -> None:
    print(f"[mail {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fill(engine: sa.Engine, count: int, offset: int = 0) -> None:
    with Session(engine) as session:
        for n in range(offset, offset + count):
            outbox.enqueue(
                session, kind="test", recipient=f"bench{n}@mail.example", language="fr" if n % 2 else "en",
                context={"number": n}, sender_domain="relife.example",
            )  # fmt: skip
        session.commit()


def sent(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).where(OutboxMessage.status == OutboxStatus.SENT)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp), "mailbench") as url, LocalSmtp() as smtp:
        if args.workers > 1 and url.startswith("sqlite"):
            parser.error("several workers need PostgreSQL (DATABASE_URL)")
        migrate.upgrade(url)
        engine = make_engine(url)
        fill(engine, args.messages)
        log(f"{args.messages} messages queued on {engine.dialect.name}; {args.workers} worker process(es)")
        env = {**os.environ, "DATABASE_URL": url, "MAIL_URL": smtp.url, "MAIL_FROM": SENDER}
        start = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"], cwd=REPO, env=env)
            for _ in range(args.workers)
        ]
        for proc in procs:
            proc.wait()
        wall = time.perf_counter() - start
        delivered = sent(engine)
        assert delivered == args.messages == len(smtp.received()), (delivered, len(smtp.received()))

        fill(engine, args.messages, offset=args.messages)
        transport = worker.SmtpTransport(worker.MailSettings.from_url(smtp.url, SENDER))

        def scope() -> Session:
            return Session(engine)

        start = time.perf_counter()
        stats = worker.deliver_due(worker.session_scope(scope), transport)
        in_process = time.perf_counter() - start
        transport.close()
        assert stats.sent == args.messages, stats
        engine.dispose()
    result = {
        "database": engine.dialect.name,
        "messages": args.messages,
        "workers": args.workers,
        "emails_per_s": round(args.messages / wall, 1),
        "in_process_emails_per_s": round(args.messages / in_process, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
