"""``flask regrade``: every stored raw file re-read with the current policy, changes recorded once."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import diagnostics
from marketplace.devices.models import DeviceEvent, EventKind
from marketplace.reports.models import DiagnosticReport
from tests.marketplace.reports.helpers import BATTERY_UPOWER, NVME_JSON, Org, checklist, count, make_device, upload


def test_regrade_is_idempotent_and_records_what_a_policy_change_changes(
    client: FlaskClient, runner: Any, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    first = upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER).json
    checklist(client, device.id, org.technician.token)
    other = make_device(db_session, org.id)
    upload(client, other.id, org.bench_token, NVME_JSON)

    result = runner.invoke(args=["regrade"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"policy {diagnostics.POLICY_VERSION}: 3 reports, 0 changed, 3 unchanged; 0 devices regraded"
    )
    assert "re-grading devices" in result.stderr  # the progress bar, on stderr

    # Pretend the first report and the device were graded by an older, laxer policy.
    report = db_session.get(DiagnosticReport, first["id"])
    assert report is not None
    report.assessment = {**report.assessment, "grade": "A", "health": "healthy", "findings": []}
    report.grade, report.policy = "A", "2020.1"
    db_session.refresh(device)
    device.grade, device.grading_policy = "A", "2020.1"
    db_session.commit()
    events = count(db_session, DeviceEvent)

    result = runner.invoke(args=["regrade", "--device", str(device.id)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"policy {diagnostics.POLICY_VERSION}: 2 reports, 1 changed, 1 unchanged; 1 devices regraded"
    )
    db_session.refresh(report)
    db_session.refresh(device)
    assert (report.grade, report.policy) == ("C", diagnostics.POLICY_VERSION)
    assert report.regraded_at is not None
    assert [(h["grade"], h["policy"]) for h in report.history] == [("A", "2020.1")]
    assert (device.grade, device.grading_policy) == ("C", diagnostics.POLICY_VERSION)
    (event,) = [e for e in device.events if e.kind is EventKind.REGRADED]
    assert event.changes["grade"] == ["A", "C"] and event.data["grade"] == "C"
    assert count(db_session, DeviceEvent) == events + 1

    again = runner.invoke(args=["regrade"])
    assert again.exit_code == 0
    assert "0 changed, 3 unchanged; 0 devices regraded" in again.stdout
    assert count(db_session, DeviceEvent) == events + 1
    db_session.refresh(report)
    assert len(report.history) == 1


def test_regrade_of_a_device_without_reports_says_so(runner: Any, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    result = runner.invoke(args=["regrade", "--device", str(device.id), "--quiet"])
    assert result.exit_code == 1
    assert f"Device {device.id} has no diagnostics report." in result.stderr
