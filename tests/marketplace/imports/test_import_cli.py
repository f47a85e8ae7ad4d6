"""flask import-devices: summary on stdout, progress on stderr, exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, EventKind
from tests.api_helpers import register
from tests.marketplace.imports.conftest import SAMPLES, Org, device_count

GOOD = b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\nT1,SN-1,laptop,Dell,Latitude,,8,256,2018\n"


def invoke(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["import-devices", *args])


def test_cli_import_as_a_user_then_again(runner: Any, db_session: Session, org: Org) -> None:
    path = str(SAMPLES / "native.csv")
    result = invoke(runner, path, "--organisation", str(org.id), "--as", org.admin.email)
    assert result.exit_code == 1  # three rows failed
    assert "9 rows: 6 created, 0 updated, 0 unchanged, 3 failed" in result.stdout
    assert "row 7: ram_gb: Not a memory size: 'lots'" in result.stdout
    assert "'=cmd|" in result.stdout
    assert device_count(db_session, org.id) == 6
    event = db_session.scalar(
        sa.select(DeviceEvent).join(Device).where(Device.serial == "PF1ABCDE", DeviceEvent.kind == EventKind.IMPORTED)
    )
    assert event is not None and event.actor_user_id == org.admin.user_id and event.actor_token_id is None

    again = invoke(runner, path, "--organisation", str(org.id), "--json", "--quiet")
    report = json.loads(again.stdout)
    assert (report["created"], report["unchanged"], report["failed"]) == (0, 6, 3)
    assert [e["row"] for e in report["errors"]] == [7, 8, 10]


def test_cli_dry_run_and_success_exit_status(runner: Any, db_session: Session, org: Org, tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(GOOD)
    result = invoke(runner, str(path), "--organisation", str(org.id), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: 1 rows: 1 created" in result.stdout
    assert device_count(db_session, org.id) == 0
    result = invoke(runner, str(path), "--organisation", str(org.id), "--format", "native")
    assert result.exit_code == 0
    assert "Writing devices" in result.stderr
    assert device_count(db_session, org.id) == 1


def test_cli_refuses_a_user_without_rights_and_unknown_things(
    runner: Any, client: FlaskClient, db_session: Session, org: Org, tmp_path: Path
) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(GOOD)
    outsider = register(client, "outsider")
    result = invoke(runner, str(path), "--organisation", str(org.id), "--as", outsider.email)
    assert result.exit_code == 1 and "No such organisation" in result.output
    result = invoke(runner, str(path), "--organisation", str(org.id), "--as", "nobody@example.org")
    assert result.exit_code == 1 and "No active user" in result.output
    result = invoke(runner, str(path), "--organisation", "999999")
    assert result.exit_code == 1 and "No such organisation" in result.output
    path.write_bytes(b"serial\nX\n")
    result = invoke(runner, str(path), "--organisation", str(org.id))
    assert result.exit_code == 1 and "lacks the column(s)" in result.output
    result = invoke(runner, str(path), "--organisation", str(org.id), "--format", "excel")
    assert result.exit_code == 2
    assert device_count(db_session, org.id) == 0


def test_cli_has_help(runner: Any) -> None:
    result = runner.invoke(args=["import-devices", "--help"])
    assert result.exit_code == 0 and "--dry-run" in result.output and "--organisation" in result.output
