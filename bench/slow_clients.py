"""Slow clients (issue 20, class 10): does the server still answer while connections trickle in?

Run: ``.venv/bin/python bench/slow_clients.py --setup production --slow 16 --seconds 20``.

Setups (all on 127.0.0.1, on a fresh migrated SQLite file, or a database created on the PostgreSQL
server of ``--database-url`` and dropped at the end):
- ``plain``: ``gunicorn -w 2 wsgi:app``, the command the README used to give (sync workers);
- ``gthread``: gunicorn with ``deploy/gunicorn.conf.py`` (2 workers × 8 threads) and nothing in front;
- ``production``: the same gunicorn behind nginx with ``deploy/nginx/relife.conf``.

``--slow`` connections send a request one byte every ``--interval`` seconds; meanwhile one client
asks ``GET /api/v1/health`` then ``/api/v1/listings`` in turn for ``--seconds`` (each with a 2 s
timeout, then 0.25 s apart). Progress on stderr; the last stdout line is one JSON object:
``{"setup","slow","reconnect","probes","answered","timeouts","p50_ms","max_ms","slow_cut_off","slow_cut_after_s"}``
(``slow_cut_off``: slow connections the server closed; ``slow_cut_after_s``: the shortest and
longest time one had been open then). ``--reconnect`` replaces each one cut off by a new one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from marketplace import migrate  # noqa: E402
from tests.dbutil import fresh_database  # noqa: E402
from tests.production import stack  # noqa: E402

PROBE_TIMEOUT = 2.0


def log(message: str) -> None:
    print(f"[slow {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(
    url: str, attack_port: int, slow: int, interval: float, seconds: float, reconnect: bool
) -> dict[str, object]:
    latencies: list[float] = []
    timeouts = 0
    paths = ("/api/v1/health", "/api/v1/listings?limit=5")
    with stack.SlowClients(attack_port, slow, interval=interval, reconnect=reconnect) as clients:
        time.sleep(min(2.0, interval * 2))  # let every slow connection reach a worker, if it can
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            status, took = stack.get(url + paths[n % 2], timeout=PROBE_TIMEOUT)
            n += 1
            if status == 200:
                latencies.append(took)
            else:
                timeouts += 1
            if n % 10 == 0:
                log(f"{n} probes: {len(latencies)} answered, {timeouts} not; slow still open: {clients.still_open}")
            time.sleep(0.25)
        cut = list(clients.cuts)
    return {
        "probes": n,
        "answered": len(latencies),
        "timeouts": timeouts,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "slow_cut_off": len(cut),
        "slow_cut_after_s": [round(min(cut), 1), round(max(cut), 1)] if cut else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", choices=("plain", "gthread", "production"), default="production")
    parser.add_argument("--slow", type=int, default=16, help="slow connections")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between two bytes of a slow client")
    parser.add_argument("--seconds", type=float, default=20, help="how long to probe (at most 120)")
    parser.add_argument("--reconnect", action="store_true", help="replace each slow client cut off by a new one")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a fresh SQLite file when absent")
    args = parser.parse_args()
    seconds = min(args.seconds, 120.0)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory(prefix="relife-slow-") as tmp, fresh_database(Path(tmp), "slow") as url:
        log("migrating")
        migrate.upgrade(url)
        port = stack.free_port()
        target = f"http://127.0.0.1:{port}"
        env = stack.app_env(url, WEB_CONCURRENCY="2", TRUSTED_PROXIES="1", RELIFE_LOG_LEVEL="warning")
        command = stack.plain_gunicorn_command(port) if args.setup == "plain" else stack.gunicorn_command(port)
        log(f"starting {' '.join(command[1:])}")
        with stack.running("gunicorn", command, env, Path(tmp) / "gunicorn.log", target + "/api/v1/health"):
            if args.setup == "production":
                binary = stack.nginx_binary()
                if binary is None:
                    parser.error("nginx is not installed (apt-get install nginx)")
                with stack.nginx(binary, Path(tmp) / "nginx", f"127.0.0.1:{port}") as front:
                    log(f"nginx on {front.url}; {args.slow} slow clients, one byte every {args.interval} s")
                    result = measure(front.url, front.port, args.slow, args.interval, seconds, args.reconnect)
            else:
                log(f"{args.slow} slow clients straight to gunicorn, one byte every {args.interval} s")
                result = measure(target, port, args.slow, args.interval, seconds, args.reconnect)
    print(
        json.dumps(
            {"setup": args.setup, "slow": args.slow, "interval_s": args.interval, "reconnect": args.reconnect, **result}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
