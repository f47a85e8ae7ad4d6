"""The production setup survives slow clients (issue 20, class 10), and shares the login throttle.

Real processes on 127.0.0.1, on a fresh migrated database of the kind under test (SQLite file, or
PostgreSQL with DATABASE_URL): gunicorn with ``deploy/gunicorn.conf.py`` behind nginx with
``deploy/nginx/relife.conf``, a second gunicorn sharing the throttle through Redis, and for contrast
the plain ``gunicorn -w 2`` command. Needs the nginx binary (Debian package ``nginx``; skipped
without it) and Redis (``REDIS_URL``, default 127.0.0.1:6379; a failure without it).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from marketplace import migrate
from tests.dbutil import fresh_database
from tests.production import stack

pytestmark = pytest.mark.production

# The template's client_header_timeout: a request's headers must all arrive within it.
HEADER_TIMEOUT = stack.template_seconds("client_header_timeout")
# More slow connections than gunicorn has threads (2 workers × 8): straight to gunicorn, they would
# take every thread.
SLOW_CLIENTS = 24
WORKERS = 2


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    binary = stack.nginx_binary()
    if binary is None:
        pytest.skip("no nginx binary: install Debian's package (apt-get install nginx) to run the production stack")
    return binary


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {url} does not answer ({error}); the production stack shares its throttle there")
    finally:
        client.close()
    return url


@dataclass
class Servers:
    app: int  # gunicorn with the repository configuration, the one nginx fronts
    other: int  # a second gunicorn (another machine, say) sharing Redis and the database
    plain: int  # ``gunicorn -w 2 wsgi:app``: sync workers, nothing in front


@pytest.fixture(scope="module")
def servers(
    nginx_binary: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Servers, Path]]:
    """The three gunicorns, started side by side (each takes seconds to import the app)."""
    tmp = tmp_path_factory.mktemp("production")
    with fresh_database(tmp, "production") as url:
        ports = Servers(app=stack.free_port(), other=stack.free_port(), plain=stack.free_port())
        common = {"REDIS_URL": redis_url, "TRUSTED_PROXIES": "1", "RELIFE_LOG_LEVEL": "warning"}
        commands = {
            "app": (stack.gunicorn_command(ports.app), stack.app_env(url, WEB_CONCURRENCY=str(WORKERS), **common)),
            "other": (stack.gunicorn_command(ports.other), stack.app_env(url, WEB_CONCURRENCY="1", **common)),
            "plain": (stack.plain_gunicorn_command(ports.plain, WORKERS), stack.app_env(url)),
        }
        # The app touches the database only when asked: the workers load it while the schema is built.
        procs = {name: stack.start(cmd, env, tmp / f"{name}.log") for name, (cmd, env) in commands.items()}
        try:
            migrate.upgrade(url)
            for name, proc in procs.items():
                port = getattr(ports, name)
                stack.wait_ready(
                    f"gunicorn ({name})", proc, tmp / f"{name}.log", f"http://127.0.0.1:{port}/api/v1/health"
                )
            yield ports, tmp
        finally:
            stack.stop(*procs.values())


@pytest.fixture(scope="module")
def front(nginx_binary: str, servers: tuple[Servers, Path]) -> Iterator[stack.Nginx]:
    ports, tmp = servers
    with stack.nginx(nginx_binary, tmp / "nginx", f"127.0.0.1:{ports.app}") as proxy:
        yield proxy


def test_slow_clients_leave_the_proxied_app_answering(front: stack.Nginx) -> None:
    """Slow headers and slow uploads, each group alone more than gunicorn's threads, while normal
    requests go through nginx."""
    uploads = stack.SlowClients(front.port, SLOW_CLIENTS, head=stack.SLOW_BODY_HEAD, trickle=stack.SLOW_BODY)
    with stack.SlowClients(front.port, SLOW_CLIENTS, interval=1.0) as slow, uploads:
        time.sleep(1.5)
        probes = [
            (path, *stack.get(front.url + path, timeout=5))
            for _ in range(10)
            for path in ("/api/v1/health", "/api/v1/listings?limit=5")
        ]
        # nginx still holds every slow connection while the probes pass.
        assert (slow.still_open, uploads.still_open) == (SLOW_CLIENTS, SLOW_CLIENTS)
        assert [p for p in probes if p[1] != 200] == []
        assert max(took for _, _, took in probes) < 2.0, probes

        # ... and cuts each slow header off once it has taken client_header_timeout in all, although
        # a byte arrives every second (the timeout is not restarted by each read).
        assert slow.wait_all_closed(HEADER_TIMEOUT + 5)
        assert len(slow.cuts) == SLOW_CLIENTS
        assert min(slow.cuts) >= HEADER_TIMEOUT - 1 and max(slow.cuts) <= HEADER_TIMEOUT + 3, slow.cuts
        # A slow upload that keeps sending stays in nginx (client_body_timeout is between two reads);
        # gunicorn never sees it: the app still answers.
        assert uploads.still_open == SLOW_CLIENTS
        status, _ = stack.get(front.url + "/api/v1/health", timeout=5)
        assert status == 200


def test_the_plain_sync_command_is_what_slow_clients_take_down(servers: tuple[Servers, Path]) -> None:
    """The contrast, so the attack above is known to bite: 4 slow clients, 2 sync workers."""
    url = f"http://127.0.0.1:{servers[0].plain}/api/v1/health"
    with stack.SlowClients(servers[0].plain, 2 * WORKERS, interval=1.0):
        time.sleep(1.5)
        status, _ = stack.get(url, timeout=3)
        assert status is None
    # Once the slow clients hang up, the workers are free again: it was them.
    status, _ = stack.get(url, timeout=10)
    assert status == 200


def test_failed_logins_on_two_processes_share_one_limit_through_redis(
    front: stack.Nginx, servers: tuple[Servers, Path]
) -> None:
    """Five failures, alternately on two gunicorns (the second has a single process, which saw
    two of them): the account's budget is spent, so even the right password gets 429."""
    ports = servers[0]
    email, password = f"throttle-{uuid.uuid4().hex[:10]}@relife.example", "right-password-2026"
    status, _, body = stack.call(
        "POST", front.url + "/api/v1/users", {"email": email, "password": password, "display_name": "Throttled"}
    )
    assert status == 201, body
    # A client address of its own (as nginx would pass it on), so that reruns of this test within the
    # throttle window do not spend one shared per-address budget in Redis.
    address = {"X-Forwarded-For": f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"}
    bases = [f"http://127.0.0.1:{ports.app}", f"http://127.0.0.1:{ports.other}"]
    failures = [
        stack.call("POST", bases[n % 2] + "/api/v1/tokens", {"email": email, "password": "wrong"}, address)[0]
        for n in range(5)
    ]
    assert failures == [401] * 5
    status, headers, body = stack.call(
        "POST", bases[1] + "/api/v1/tokens", {"email": email, "password": password}, address
    )
    assert status == 429, body
    assert int(headers["Retry-After"]) > 0
    # Another account from the same address is not affected: the limit is per account.
    other = stack.call("POST", bases[1] + "/api/v1/tokens", {"email": "nobody-" + email, "password": "wrong"}, address)[
        0
    ]
    assert other == 401
