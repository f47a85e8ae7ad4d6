"""Issue #19's "done when", against the real server on 127.0.0.1: with only a bench token and the
label in hand, a technician scans a laptop (a stand-in ``smartctl`` on PATH replaying a real NVMe
output), uploads, records the checklist and the nwipe erasure, sees ``status`` say "ready to list",
and the certificate lists every disk the laptop reported."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from diagnostics.cli import cli as bench_cli
from diagnostics.manual import checklist_template
from tests import stand_in_smartctl
from tests.api_helpers import PASSWORD, new_siret
from tests.corpus_path import CORPUS
from tests.marketplace.reports.helpers import BATTERY_UPOWER, NVME_JSON, NVME_SERIAL
from tests.marketplace.reports.test_bench_upload_live import LiveServer, live_server  # noqa: F401 - fixture

pytestmark = pytest.mark.concurrency

NWIPE_LOG = CORPUS / "erasure/nwipe/pr325-loop44-erased.log"


def _setup(server: LiveServer) -> tuple[str, dict[str, str], str]:
    """An organisation whose admin registers a laptop (label RLF-…) and issues a bench token that
    uploads and records erasures."""
    client = server.app.test_client()
    email = "e2e-admin@example.org"
    client.post("/api/v1/users", json={"email": email, "password": PASSWORD, "display_name": "A"})
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    org = client.post(
        "/api/v1/organisations",
        json={"name": "Atelier", "kind": "refurbisher", "siret": new_siret(), "postcode": "69007"},
        headers=headers,
    ).json
    device = client.post(
        "/api/v1/devices",
        json={"organisation_id": org["id"], "kind": "laptop", "make": "Dell", "model": "Latitude 7490",
              "serial": "7XFJJA2"},
        headers=headers,
    ).json  # fmt: skip
    bench = client.post(
        f"/api/v1/organisations/{org['id']}/tokens",
        json={"name": "bench", "scopes": ["diagnostics:upload", "erasures:write"]},
        headers=headers,
    ).json
    return bench["token"], device, token


def test_done_when(live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bench_token, device, admin_token = _setup(live_server)
    tag = device["asset_tag"]
    stand_in_smartctl.install(
        tmp_path,
        monkeypatch,
        {
            "--scan-open": (CORPUS / "smart/pysmart/listingtests/linux_01/_--scan-open").read_bytes(),
            "-d nvme -x -j /dev/nvme0": NVME_JSON.read_bytes(),
        },
    )
    runner = CliRunner()
    api = ["--api", live_server.url, "--token", bench_token]

    saved = tmp_path / "scan"
    scanned = runner.invoke(bench_cli, ["scan", "--no-battery", "--json", "--save", str(saved)])
    assert scanned.exit_code == 0, (scanned.stdout, scanned.stderr)
    lines = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert [(line["component"], line["identity"]["serial"]) for line in lines] == [("disk", NVME_SERIAL)]
    assert sorted(p.name for p in saved.iterdir()) == [Path(lines[0]["raw_file"]).name]

    uploaded = runner.invoke(bench_cli, ["upload", *api, "--tag", tag, str(saved), str(BATTERY_UPOWER)])
    assert uploaded.exit_code == 0, (uploaded.stdout, uploaded.stderr)
    assert f"uploaded 2 file(s) for device {device['id']}" in uploaded.stdout
    assert "  checklist: MISSING" in uploaded.stdout
    assert f"  disk {NVME_SERIAL} (INTEL SSDPEKNW010T8): needs a verified erasure" in uploaded.stdout
    assert "NOT READY: not ready: Every disk needs a verified erasure" in uploaded.stdout

    again = runner.invoke(bench_cli, ["upload", *api, "--serial", "7XFJJA2", str(saved), str(BATTERY_UPOWER)])
    assert again.exit_code == 0, again.stderr
    assert "already sent: these 2 file(s) are report" in again.stdout and "nothing new was stored" in again.stdout

    checklist = checklist_template("laptop")
    for item in checklist["items"]:
        item["result"] = "pass"
    checklist_file = tmp_path / "checklist.json"
    checklist_file.write_bytes(orjson.dumps(checklist))
    checked = runner.invoke(bench_cli, ["upload", *api, "--tag", tag, str(checklist_file)])
    assert checked.exit_code == 0, (checked.stdout, checked.stderr)
    assert "  checklist: in (report" in checked.stdout

    erased = runner.invoke(
        bench_cli,
        ["erase", *api, "--tag", tag, "--disk", NVME_SERIAL, "--evidence", str(NWIPE_LOG), "--operator", "Sam"],
    )
    assert erased.exit_code == 0, (erased.stdout, erased.stderr)
    assert f"recorded for disk {NVME_SERIAL}: clear (nwipe), verified" in erased.stdout

    status = runner.invoke(bench_cli, ["status", *api, "--tag", tag])
    assert status.exit_code == 0, status.stderr
    assert "READY TO LIST: ready to list" in status.stdout
    as_json = json.loads(runner.invoke(bench_cli, ["status", *api, "--tag", tag, "--json"]).stdout)
    assert as_json["ready"] is True and as_json["problems"] == {} and as_json["device"]["state"] == "diagnosed"

    client = live_server.app.test_client()
    certificate = client.get(
        f"/api/v1/devices/{device['id']}/erasure-certificate", headers={"Authorization": f"Bearer {admin_token}"}
    ).json
    assert certificate["complete"] is True
    assert [(d["serial"], d["erasure"]["tool"], d["erasure"]["outcome"]) for d in certificate["disks"]] == [
        (NVME_SERIAL, "nwipe", "Drive Status: loop44 | Erased")
    ]


def test_status_and_erase_say_what_is_wrong(live_server: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    bench_token, device, _admin = _setup(live_server)
    runner = CliRunner()
    api = ["--api", live_server.url, "--token", bench_token]
    unknown = runner.invoke(bench_cli, ["status", *api, "--tag", "RLF-999999"])
    assert unknown.exit_code == 1 and "cannot find the device: HTTP 404" in unknown.stderr
    both = runner.invoke(bench_cli, ["status", *api, "--tag", device["asset_tag"], "--device", str(device["id"])])
    assert both.exit_code == 2 and "exactly one of --device, --tag, --serial" in both.stderr
    failed = runner.invoke(
        bench_cli,
        [
            "erase",
            *api,
            "--tag",
            device["asset_tag"],
            "--evidence",
            str(CORPUS / "erasure/nwipe/pr722-sdc-write-error.log"),
        ],
    )
    assert failed.exit_code == 1
    assert "giving up write() on '/dev/sdc' after 3 attempts" in failed.stderr
    words = runner.invoke(bench_cli, ["status", *api, "--serial", "7XFJJA2"])
    assert words.exit_code == 0
    assert "  disk: MISSING" in words.stdout and "  checklist: MISSING" in words.stdout
    assert "disks: none reported" in words.stdout
