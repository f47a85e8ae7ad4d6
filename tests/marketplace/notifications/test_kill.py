"""SIGKILL during delivery loses nothing, and a message sent twice carries the same Message-ID.

A real worker process (``flask --app wsgi worker``) delivers a batch to a real SMTP server; each
round kills it with SIGKILL right after the server accepted a message (a random moment within
the next few milliseconds: inside a send, between the server's 250 and the commit, or between
messages), then starts a new one. At the end every row is sent, every message arrived, and any
message that arrived twice (the accepted-but-not-recorded window) arrived with one Message-ID,
the row's. The number of repeats is printed (``pytest -s``) and is not asserted: it depends on
where the kills land.
"""

from __future__ import annotations

import collections
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace import migrate
from marketplace.db import make_engine
from marketplace.notifications import outbox
from marketplace.notifications.models import OutboxMessage, OutboxStatus
from tests.dbutil import fresh_database
from tests.fakes.smtp import LocalSmtp

REPO = Path(__file__).resolve().parents[3]
MESSAGES = 150
ROUNDS = 8


def _worker(url: str, smtp: LocalSmtp, *extra: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "MAIL_URL": smtp.url, "MAIL_FROM": "Relife <no-reply@relife.example>"}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", "0.1", *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def _pending(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).where(OutboxMessage.status != OutboxStatus.SENT)) or 0)


def test_sigkill_mid_delivery_loses_nothing_and_repeats_keep_their_message_id(tmp_path: Path) -> None:
    rng = random.Random(16)  # noqa: S311 - where to kill, not a secret
    with fresh_database(tmp_path, "kill") as url, LocalSmtp() as smtp:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                for n in range(MESSAGES):
                    outbox.enqueue(
                        session, kind="test", recipient=f"n{n}@kill.example", language="en",
                        context={"number": n}, sender_domain="relife.example",
                    )  # fmt: skip
                session.commit()
            smtp.delay = 0.002  # a relay that takes a little time to answer DATA
            kills = 0
            for _ in range(ROUNDS):
                if _pending(engine) == 0:
                    break
                before = len(smtp.received())
                proc = _worker(url, smtp)
                # Kill only once the worker is delivering (a message arrived since it started).
                smtp.wait_for(before + 1, timeout=60)
                time.sleep(rng.uniform(0, 0.02))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                assert proc.returncode == -signal.SIGKILL
                kills += 1
            smtp.delay = 0
            final = _worker(url, smtp, "--once", stderr=subprocess.PIPE)
            _, err = final.communicate(timeout=120)
            assert final.returncode == 0, err.decode()

            with Session(engine) as session:
                rows = {r.message_id: r for r in session.scalars(sa.select(OutboxMessage))}
            assert len(rows) == MESSAGES
            assert all(r.status == OutboxStatus.SENT for r in rows.values())
            received = smtp.received()
            by_number: dict[int, set[str]] = collections.defaultdict(set)
            copies: collections.Counter[int] = collections.Counter()
            for message in received:
                text = message.get_body(preferencelist=("plain",))
                assert text is not None
                number = int(re.search(r"number (\d+)", text.get_content()).group(1))  # type: ignore[union-attr]
                by_number[number].add(message["Message-ID"])
                copies[number] += 1
            # Nothing lost: every message arrived; each one always with its row's Message-ID.
            assert sorted(by_number) == list(range(MESSAGES))
            for number, ids in by_number.items():
                assert len(ids) == 1, f"message {number} arrived with several Message-IDs: {ids}"
                (only,) = ids
                assert rows[only].recipient == f"n{number}@kill.example"
            repeats = sum(c - 1 for c in copies.values())
            print(f"\nkill test: {kills} SIGKILLs, {MESSAGES} messages, {repeats} repeats (same Message-ID)")
            # A repeat is only possible once per kill (the one message in flight).
            assert repeats <= kills
        finally:
            engine.dispose()
