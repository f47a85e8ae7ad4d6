"""Crash safety: a process killed with SIGKILL mid-work leaves no half-written row, and the
work re-runs cleanly (imports and diagnostics uploads), on the database under test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.db import make_engine
from tests.api_helpers import Actor, add_member, create_org, register
from tests.corpus_path import CORPUS
from tests.dbutil import fresh_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def committed_db(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    with fresh_database(tmp_path, "crash") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        yield url, engine
        engine.dispose()


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


@pytest.fixture
def setup(committed_db: tuple[str, Engine]) -> Iterator[tuple[Actor, int, Flask]]:
    """An admin and an organisation, committed through the real API (each request commits)."""
    app = create_app(Config.from_env({**os.environ, "DATABASE_URL": committed_db[0]}))
    client = app.test_client()
    admin = register(client, "admin")
    org = create_org(client, admin)
    yield admin, int(org["id"]), app
    app.extensions["relife.engine"].dispose()


def _kill(proc: subprocess.Popen[bytes], what: str) -> None:
    if proc.poll() is not None:
        pytest.fail(f"{what} finished (status {proc.returncode}) before it could be killed: make the work bigger")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


# -- (a) import killed mid-run -------------------------------------------------------------------

ROWS = 30000


def _native_csv(path: Path, rows: int) -> None:
    lines = ["asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year"]
    lines += [f"CR-{i:06d},CRSN{i:08d},laptop,Lenovo,ThinkPad T480,i5-8350U,16,256,2018" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _import_cmd(path: Path, org_id: int, email: str) -> list[str]:
    return [
        sys.executable, "-m", "flask", "--app", "wsgi", "import-devices", str(path),
        "--organisation", str(org_id), "--format", "native", "--as", email,
    ]  # fmt: skip


def _wait_for_stage(proc: subprocess.Popen[bytes], label: bytes) -> None:
    """Read the CLI's progress on stderr until the stage ``label`` starts (20 s at most)."""
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    seen = b""
    deadline = time.monotonic() + 20
    while label not in seen:
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the import never reached {label!r}: {seen[-500:]!r}")
        chunk = proc.stderr.read(65536)
        seen += chunk or b""
        if not chunk:
            time.sleep(0.02)


def _assert_whole(engine: Engine) -> tuple[int, int]:
    devices = _count(engine, "SELECT count(*) FROM devices")
    events = _count(engine, "SELECT count(*) FROM device_events WHERE kind = 'imported'")
    assert devices == events
    assert (
        _count(
            engine,
            "SELECT count(*) FROM devices d WHERE NOT EXISTS "
            "(SELECT 1 FROM device_events e WHERE e.device_id = d.id AND e.kind = 'imported')",
        )
        == 0
    )
    assert (
        _count(
            engine,
            "SELECT count(*) FROM device_events e WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = e.device_id)",
        )
        == 0
    )
    return devices, events


def test_import_killed_mid_run_leaves_no_half_written_row_and_reruns_cleanly(
    committed_db: tuple[str, Engine], setup: tuple[Actor, int, Flask], tmp_path: Path
) -> None:
    url, engine = committed_db
    admin, org_id, _app = setup
    csv = tmp_path / "devices.csv"
    _native_csv(csv, ROWS)

    proc = subprocess.Popen(
        _import_cmd(csv, org_id, admin.email),
        cwd=REPO,
        env=_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_stage(proc, b"Writing devices")
        time.sleep(0.1)  # inside the write stage (a first batch is flushed, nothing committed; ~1 s left)
        _kill(proc, "the import")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()

    devices, _ = _assert_whole(engine)
    assert devices in {0, ROWS}  # the CLI commits once: all or nothing
    assert devices == 0, "the import finished its commit before the kill: make the file bigger"

    done = subprocess.run(
        _import_cmd(csv, org_id, admin.email), cwd=REPO, env=_env(url), capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert _assert_whole(engine) == (ROWS, ROWS)
    assert (
        _count(engine, "SELECT count(*) FROM (SELECT serial FROM devices GROUP BY serial HAVING count(*) > 1) d") == 0
    )
    assert _count(engine, "SELECT count(DISTINCT serial) FROM devices") == ROWS


# -- (b) diagnostics upload killed mid-body ------------------------------------------------------


class Server:
    def __init__(self, url: str, port: int) -> None:
        self.url, self.port = url, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(self.port), "--no-reload"],
            cwd=REPO, env=_env(self.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                assert self.proc.poll() is None, "the server exited at start"
                time.sleep(0.1)
        pytest.fail("the server did not start in 20 s")

    def kill(self) -> None:
        assert self.proc is not None
        _kill(self.proc, "the server")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def server(committed_db: tuple[str, Engine]) -> Iterator[Server]:
    srv = Server(committed_db[0], _free_port())
    srv.start()
    yield srv
    srv.stop()


def _corpus_files() -> list[Path]:
    files = sorted((CORPUS / "smart" / "smartctl_exporter").glob("*.json"))
    assert files, f"no corpus files under {CORPUS}"
    return files[:3]


def _multipart(files: list[Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b""
    for path in files:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
                "Content-Type: application/json\r\n\r\n"
            ).encode()
            + path.read_bytes()
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return body, boundary


def _start_upload(port: int, device_id: int, token: str, files: list[Path]) -> tuple[socket.socket, bytes]:
    """Send the headers and half of the body, slowly; return the socket and the rest."""
    body, boundary = _multipart(files)
    head = (
        f"POST /api/v1/devices/{device_id}/diagnostics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head)
    half = len(body) // 2
    for start in range(0, half, 4096):
        sock.sendall(body[start : min(start + 4096, half)])
        time.sleep(0.02)
    return sock, body[half:]


def _device_snapshot(engine: Engine, device_id: int) -> tuple[Any, ...]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT state, health, grade, version, diagnosed_at FROM devices WHERE id = :id"), {"id": device_id}
        ).one()
        events = conn.execute(sa.text("SELECT count(*) FROM device_events WHERE device_id = :id"), {"id": device_id})
        return (*tuple(row), events.scalar_one())


def _create_device(app: Any, admin: Actor, org_id: int) -> int:
    client = app.test_client()
    response = client.post(
        "/api/v1/devices",
        json={
            "organisation_id": org_id,
            "kind": "desktop",
            "make": "Dell",
            "model": "OptiPlex 7050",
            "serial": "CRASH-1",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _assert_nothing_stored(engine: Engine, device_id: int, before: tuple[Any, ...]) -> None:
    assert _count(engine, "SELECT count(*) FROM diagnostic_reports") == 0
    assert _count(engine, "SELECT count(*) FROM diagnostic_files") == 0
    assert _device_snapshot(engine, device_id) == before


def _clean_upload(port: int, device_id: int, token: str, files: list[Path]) -> int:
    sock, rest = _start_upload(port, device_id, token, files)
    with sock:
        sock.sendall(rest)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


@pytest.mark.parametrize("how", ["server killed", "client gone"])
def test_diagnostics_upload_cut_mid_body_stores_nothing_and_a_clean_upload_works(
    committed_db: tuple[str, Engine], setup: tuple[Actor, int, Flask], server: Server, how: str
) -> None:
    engine = committed_db[1]
    admin, org_id, app = setup
    technician = add_member(app.test_client(), admin, org_id, "technician")
    device_id = _create_device(app, admin, org_id)
    before = _device_snapshot(engine, device_id)
    files = _corpus_files()

    sock, _rest = _start_upload(server.port, device_id, technician.token, files)
    if how == "server killed":
        server.kill()
        sock.close()
        _assert_nothing_stored(engine, device_id, before)
        server.start()
    else:
        sock.close()  # the client goes away mid-body; the server survives
        time.sleep(0.5)
        _assert_nothing_stored(engine, device_id, before)
        assert server.proc is not None and server.proc.poll() is None

    assert _clean_upload(server.port, device_id, technician.token, files) == 201
    assert _count(engine, "SELECT count(*) FROM diagnostic_reports") == 1
    assert _count(engine, "SELECT count(*) FROM diagnostic_files") == len(files)
