"""``relife-bench upload`` against the real server on 127.0.0.1, with a committed database.

The app runs in a werkzeug server thread on a fresh, migrated database (no rolled-back test
session: every request commits for real), and the bench CLI sends real corpus files over HTTP with
a bench token, exactly as it would on a refurbisher's bench.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from diagnostics.cli import cli as bench_cli
from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.devices.models import Device, DeviceState
from marketplace.reports.models import DiagnosticFile, DiagnosticReport
from tests.api_helpers import PASSWORD, new_siret
from tests.dbutil import fresh_database
from tests.factories import DeviceFactory
from tests.marketplace.reports.helpers import BATTERY_UPOWER, NO_BATTERY, NVME_JSON

pytestmark = pytest.mark.concurrency


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with fresh_database(tmp_path, "bench") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="live-test"))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            app.extensions["relife.engine"].dispose()


def _bench_setup(server: LiveServer) -> tuple[str, int, int]:
    """A user, an organisation, a bench token (through the API) and a laptop (model, committed)."""
    client = server.app.test_client()
    email = "bench-admin@example.org"
    assert (
        client.post("/api/v1/users", json={"email": email, "password": PASSWORD, "display_name": "A"}).status_code
        == 201
    )
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    org = client.post(
        "/api/v1/organisations",
        json={"name": "Bench org", "kind": "refurbisher", "siret": new_siret(), "postcode": "69007"},
        headers=headers,
    ).json
    bench = client.post(f"/api/v1/organisations/{org['id']}/tokens", json={"name": "bench 1"}, headers=headers).json
    with Session(server.app.extensions["relife.engine"]) as session:
        device_id = DeviceFactory.in_session(session, organisation_id=org["id"], make="Lenovo", model="T480").id
    return bench["token"], device_id, org["id"]


def _rows(server: LiveServer) -> tuple[int, int]:
    with Session(server.app.extensions["relife.engine"]) as session:
        reports = session.scalar(sa.select(sa.func.count()).select_from(DiagnosticReport)) or 0
        files = session.scalar(sa.select(sa.func.count()).select_from(DiagnosticFile)) or 0
    return reports, files


def test_relife_bench_upload_against_the_running_server(live_server: LiveServer) -> None:
    token, device_id, _org = _bench_setup(live_server)
    runner = CliRunner()
    args = ["upload", "--api", live_server.url, "--token", token, "--device", str(device_id), "--retries", "0"]

    result = runner.invoke(bench_cli, [*args, str(NVME_JSON), str(BATTERY_UPOWER)])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert f"uploaded 2 file(s) for device {device_id}" in result.stdout
    assert "server grade: C (worn)" in result.stdout  # the battery is at 68.5 % of its design capacity
    assert _rows(live_server) == (1, 2)

    # JSON answer: the server's report, graded on the server.
    result = runner.invoke(bench_cli, [*args, "--json", str(NVME_JSON), str(BATTERY_UPOWER)])
    assert result.exit_code == 0, result.stderr
    answer = orjson.loads(result.stdout)
    assert answer["duplicate"] is True  # the same files again: the existing report, nothing stored
    assert answer["device_assessment"]["grade"] == "C"
    assert [f["filename"] for f in answer["files"]] == [NVME_JSON.name, BATTERY_UPOWER.name]
    assert _rows(live_server) == (1, 2)

    # A file the server cannot read: the CLI shows the problem naming it, and nothing is stored.
    result = runner.invoke(bench_cli, [*args, str(NVME_JSON), str(NO_BATTERY)])
    assert result.exit_code == 1
    assert "HTTP 422 Invalid input" in result.stderr
    assert f"files.2: {NO_BATTERY.name}: no battery present" in result.stderr
    assert _rows(live_server) == (1, 2)

    with Session(live_server.app.extensions["relife.engine"]) as session:
        device = session.get(Device, device_id)
        assert device is not None
        assert (device.grade, device.health, device.state) == ("C", "worn", DeviceState.REGISTERED)
        stored = session.scalars(sa.select(DiagnosticFile).order_by(DiagnosticFile.position)).all()
        assert [f.content for f in stored] == [NVME_JSON.read_bytes(), BATTERY_UPOWER.read_bytes()]


def test_a_bench_token_of_another_organisation_gets_404(live_server: LiveServer) -> None:
    token, device_id, _org = _bench_setup(live_server)
    client = live_server.app.test_client()
    client.post("/api/v1/users", json={"email": "other@example.org", "password": PASSWORD, "display_name": "O"})
    other_token = client.post("/api/v1/tokens", json={"email": "other@example.org", "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {other_token}"}
    other = client.post(
        "/api/v1/organisations",
        json={"name": "Other", "kind": "company", "siret": new_siret(), "postcode": "75001"},
        headers=headers,
    ).json
    other_bench = client.post(f"/api/v1/organisations/{other['id']}/tokens", json={"name": "b"}, headers=headers).json

    result = CliRunner().invoke(
        bench_cli,
        [
            "upload",
            "--api",
            live_server.url,
            "--token",
            other_bench["token"],
            "--device",
            str(device_id),
            "--retries",
            "0",
            str(NVME_JSON),
        ],
    )
    assert result.exit_code == 1
    assert "HTTP 404 Not found: No such device." in result.stderr
    assert _rows(live_server) == (0, 0)
    assert token  # the owner's token is untouched


def test_concurrent_uploads_for_one_device_all_succeed(live_server: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from diagnostics.upload import UploadFile, upload_reports

    token, device_id, _org = _bench_setup(live_server)
    batches = [
        [UploadFile(NVME_JSON.name, NVME_JSON.read_bytes())],
        [UploadFile(BATTERY_UPOWER.name, BATTERY_UPOWER.read_bytes())],
        [UploadFile("nvme-copy.json", NVME_JSON.read_bytes() + b"\n")],
        [UploadFile("battery-copy.txt", BATTERY_UPOWER.read_bytes() + b"\n")],
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda files: upload_reports(live_server.url, token, str(device_id), files, retries=0), batches)
        )
    assert sorted(a["duplicate"] for a in answers) == [False] * 4
    assert _rows(live_server) == (4, 4)
    with Session(live_server.app.extensions["relife.engine"]) as session:
        device = session.get(Device, device_id)
        assert device is not None and device.version == 5 and device.grade == "C"
