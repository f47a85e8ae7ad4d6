"""The production setup as real processes, for the tests beside this file and ``bench/slow_clients.py``.

gunicorn runs with the repository's ``deploy/gunicorn.conf.py``; nginx runs with
``deploy/nginx/relife.conf`` rendered into a temporary folder and wrapped in a minimal main
configuration of its own (prefix, pid, logs and temporary files in that folder; a foreground process,
not a daemon). Everything listens on 127.0.0.1 on free ports. ``SlowClients`` plays the attack:
connections that send a request a byte at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
NGINX_SITE = REPO / "deploy" / "nginx" / "relife.conf"
PLACEHOLDERS = ("RELIFE_LISTEN", "RELIFE_SERVER_NAME", "RELIFE_UPSTREAM")
# What a slow client sends, one byte per tick: a well-formed request that never finishes.
SLOW_REQUEST = b"GET /api/v1/health HTTP/1.1\r\nHost: relife.test\r\nUser-Agent: slow\r\n" + b"X-Slow: " + b"a" * 4096
# A slow upload: complete headers at once, then a body one byte per tick.
SLOW_BODY_HEAD = (
    b"POST /api/v1/users HTTP/1.1\r\nHost: relife.test\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n"
)
SLOW_BODY = b'{"email": "' + b"a" * 99000


def nginx_binary() -> str | None:
    """nginx from Debian's package (``/usr/sbin``, which a non-root PATH may lack), or None."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render_site(values: Mapping[str, str]) -> str:
    """The site template with its placeholders filled, as ``envsubst '${RELIFE_LISTEN} …'`` does."""
    text = NGINX_SITE.read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        text = text.replace("${" + name + "}", values[name])
    if unknown := re.findall(r"\$\{RELIFE_[A-Z_]+\}", text):
        raise ValueError(f"the nginx template has placeholders this renderer does not know: {unknown}")
    return text


def template_seconds(directive: str) -> float:
    """The value, in seconds, of a ``directive 10s;`` line of the nginx template."""
    text = NGINX_SITE.read_text(encoding="utf-8")
    match = re.search(rf"^\s*{directive} (\d+)s;", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"the nginx template sets no {directive} in seconds")
    return float(match.group(1))


def nginx_main_config(prefix: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site, with every path in ``prefix``."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        f"    access_log {prefix}/access.log;\n"
        f"    client_body_temp_path {prefix}/client_body;\n"
        f"    proxy_temp_path {prefix}/proxy;\n"
        f"    fastcgi_temp_path {prefix}/fastcgi;\n"
        f"    uwsgi_temp_path {prefix}/uwsgi;\n"
        f"    scgi_temp_path {prefix}/scgi;\n"
        f"    include {site};\n"
        "}\n"
    )


def get(url: str, timeout: float) -> tuple[int | None, float]:
    """(status, seconds) of one GET; status None when no answer came within ``timeout``."""
    started = time.monotonic()
    status, _headers, _body = call("GET", url, timeout=timeout)
    return status, time.monotonic() - started


def call(
    method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int | None, Mapping[str, str], Any]:
    """(status, headers, JSON body or None) of one request; status None when no answer came."""
    all_headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310 - ours
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw, status, answer_headers = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, answer_headers = error.read(), error.code, error.headers
    except (TimeoutError, urllib.error.URLError, ConnectionError):
        return None, {}, None
    try:
        return status, dict(answer_headers), json.loads(raw) if raw else None
    except ValueError:
        return status, dict(answer_headers), None


def start(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in the repository, its output to ``log``."""
    with log.open("wb") as log_file:
        return subprocess.Popen(command, cwd=REPO, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT)


def wait_ready(what: str, proc: subprocess.Popen[bytes], log: Path, url: str, seconds: float = 60) -> None:
    """Wait until ``url`` answers (any status); RuntimeError with the log's end if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}) at start:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer {url} within {seconds:.0f} s:\n{_tail(log)}")
        status, _ = get(url, timeout=2)
        if status is not None:
            return
        time.sleep(0.2)


def stop(*procs: subprocess.Popen[bytes]) -> None:
    """SIGTERM to all at once (gunicorn and nginx both shut down gracefully on it), SIGKILL after 15 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextlib.contextmanager
def running(
    what: str, command: list[str], env: Mapping[str, str], log: Path, ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command``, wait until ``ready_url`` answers, stop it at exit."""
    proc = start(command, env, log)
    try:
        wait_ready(what, proc, log, ready_url)
        yield proc
    finally:
        stop(proc)


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process: the caller's, the database, and a real secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONCURRENCY"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="production-stack-test-secret", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def gunicorn_command(port: int) -> list[str]:
    """gunicorn with the repository's configuration, bound to a loopback port."""
    return [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}"]


def plain_gunicorn_command(port: int, workers: int = 2) -> list[str]:
    """The command the README used to give: default (sync) workers, nothing in front."""
    return [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"]


@dataclass
class Nginx:
    port: int
    prefix: Path
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def nginx(binary: str, prefix: Path, upstream: str) -> Iterator[Nginx]:
    """nginx in the foreground with the rendered repository site in front of ``upstream``."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    site = prefix / "relife.conf"
    site.write_text(
        render_site(
            {"RELIFE_LISTEN": f"127.0.0.1:{port}", "RELIFE_SERVER_NAME": "relife.test", "RELIFE_UPSTREAM": upstream}
        ),
        encoding="utf-8",
    )
    main = prefix / "nginx.conf"
    main.write_text(nginx_main_config(prefix, site), encoding="utf-8")
    command = [binary, "-p", str(prefix), "-c", str(main), "-e", str(prefix / "error.log"), "-g", "daemon off;"]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused the rendered configuration:\n{check.stderr}")
    url = f"http://127.0.0.1:{port}"
    with running("nginx", command, os.environ, prefix / "nginx.out", url + "/api/v1/health") as proc:
        yield Nginx(port=port, prefix=prefix, proc=proc)


@dataclass
class _Slow:
    sock: socket.socket
    opened_at: float
    sent: int = 0


@dataclass
class SlowClients:
    """``count`` connections to ``port``. Each sends ``head`` at once, then ``trickle`` one byte
    every ``interval`` seconds, all from one background thread. ``cuts`` holds, for each connection
    the server closed (or answered), how long it had been open. With ``reconnect``, a connection cut
    off is replaced by a new one at once, as a determined attacker does."""

    port: int
    count: int
    interval: float = 1.0
    head: bytes = b""
    trickle: bytes = SLOW_REQUEST
    reconnect: bool = False
    cuts: list[float] = field(default_factory=list)
    _slots: list[_Slow | None] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def __enter__(self) -> SlowClients:
        self._slots = [self._connect(index) for index in range(self.count)]
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for slot in self._slots:
            if slot is not None:
                slot.sock.close()
        self._selector.close()

    @property
    def still_open(self) -> int:
        return sum(1 for slot in self._slots if slot is not None)

    def wait_all_closed(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.still_open and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.still_open == 0

    def _connect(self, index: int) -> _Slow:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if self.head:
            sock.sendall(self.head)
        sock.setblocking(False)
        self._selector.register(sock, selectors.EVENT_READ, index)
        return _Slow(sock, time.monotonic())

    def _run(self) -> None:
        while not self._stop.is_set():
            for index, slot in enumerate(self._slots):
                if slot is None or slot.sent >= len(self.trickle):
                    continue
                try:
                    slot.sock.send(self.trickle[slot.sent : slot.sent + 1])
                    slot.sent += 1
                except OSError:
                    self._cut(index)
            # Wait for the next tick, noticing at once any connection the server closes or answers.
            deadline = time.monotonic() + self.interval
            while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
                for key, _ in self._selector.select(timeout=min(left, 0.1)):
                    try:
                        data = key.fileobj.recv(4096)  # type: ignore[union-attr]
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    # An answer (nginx's 408) or the end of the connection: either way, cut off.
                    if not data or data.startswith(b"HTTP/"):
                        self._cut(key.data)

    def _cut(self, index: int) -> None:
        slot = self._slots[index]
        if slot is None:
            return
        self.cuts.append(time.monotonic() - slot.opened_at)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(slot.sock)
        slot.sock.close()
        self._slots[index] = None
        if self.reconnect and not self._stop.is_set():
            with contextlib.suppress(OSError):
                self._slots[index] = self._connect(index)
