"""Fleet forecast (issue 18, point 6): devices by health and grade, end of life by quarter, and a
recommendation with its reason per device; JSON or CSV; members of the organisation only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceKind, DeviceState
from marketplace.fleet import service
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    FAILING_ATA_TEXT,
    NVME_JSON,
    Org,
    make_device,
    make_org,
    upload,
)


@pytest.fixture
def org(client: FlaskClient) -> Org:
    return make_org(client)


def graded(
    session: Session, org_id: int, grade: str | None, health: str | None, years: float | None, **kw: Any
) -> Device:
    device = make_device(session, org_id, kw.pop("kind", DeviceKind.LAPTOP))
    device.grade, device.health = grade, health
    device.remaining_life = {"basis": "test", "years": years} if years is not None else None
    for name, value in kw.items():
        setattr(device, name, value)
    session.flush()
    return device


def fleet(client: FlaskClient, org: Org, **headers: str) -> Any:
    response = client.get(f"/api/v1/organisations/{org.id}/fleet-health", headers={**org.member.headers, **headers})
    assert response.status_code == 200, response.data
    return response


def test_real_uploads_give_a_repair_and_a_keep_with_their_reasons(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    failing = make_device(db_session, org.id)  # a failing, replaceable ATA drive + a worn battery
    assert upload(client, failing.id, org.bench_token, FAILING_ATA_TEXT, BATTERY_UPOWER).status_code == 201
    healthy = make_device(db_session, org.id, DeviceKind.DESKTOP)  # a healthy NVMe drive
    assert upload(client, healthy.id, org.bench_token, NVME_JSON).status_code == 201
    never = make_device(db_session, org.id)

    body = fleet(client, org).json
    by_id = {d["device_id"]: d for d in body["devices"]}
    assert body["devices_total"] == 3
    assert (by_id[failing.id]["recommendation"], by_id[failing.id]["repair"]) == ("repair_first", "disk")
    assert "disk" in by_id[failing.id]["reason"]
    assert by_id[healthy.id]["recommendation"] == "keep"
    # 0 % of endurance used: no rate of wear yet, so no end of life in sight.
    assert by_id[healthy.id]["end_of_life_quarter"] is None
    assert "no end of life in sight" in by_id[healthy.id]["reason"]
    # Once its disk is replaced, the worn battery (68.5 %) limits it: an estimate, never "0 years".
    assert by_id[failing.id]["remaining_life_basis"] == "battery.fade_to_failing"
    assert by_id[failing.id]["remaining_years"] > 0
    assert by_id[never.id]["recommendation"] == "diagnose"
    assert body["by_health"]["not_diagnosed"] == 1
    assert body["by_grade"]["D"] == 1
    assert body["policy"] == service.POLICY


def test_recommendations_follow_the_named_thresholds(client: FlaskClient, db_session: Session, org: Org) -> None:
    keep = graded(db_session, org.id, "B", "healthy", service.KEEP_MIN_YEARS + 1)
    short = graded(db_session, org.id, "A", "healthy", service.KEEP_MIN_YEARS - 0.5)
    worn = graded(db_session, org.id, "C", "worn", 3.0)
    battery = graded(db_session, org.id, "C", "worn", 1.5, battery_health_pct=service.BATTERY_SWAP_BELOW_PERCENT - 12)
    spent = graded(db_session, org.id, "B", "healthy", service.RECYCLE_BELOW_YEARS / 2)
    dead = graded(db_session, org.id, "F", "failing", 0.0)
    graded(db_session, org.id, "B", "healthy", 4.0).state = DeviceState.SOLD  # no longer in the fleet
    db_session.flush()

    body = fleet(client, org).json
    got = {d["device_id"]: (d["recommendation"], d["repair"]) for d in body["devices"]}
    assert got == {
        keep.id: ("keep", None),
        short.id: ("reuse_in_cluster", None),
        worn.id: ("reuse_in_cluster", None),
        battery.id: ("repair_first", "battery"),
        spent.id: ("recycle", None),
        dead.id: ("recycle", None),
    }
    assert body["reuse_in_cluster"] == [short.id, worn.id]
    assert body["by_recommendation"] == {
        "keep": 1,
        "reuse_in_cluster": 2,
        "repair_first": 1,
        "recycle": 2,
        "diagnose": 0,
    }
    assert all(d["reason"] for d in body["devices"])


def test_end_of_life_by_quarter(client: FlaskClient, db_session: Session, org: Org) -> None:
    today = dt.datetime.now(dt.UTC).date()
    soon = graded(db_session, org.id, "C", "worn", 0.5)
    later = graded(db_session, org.id, "B", "healthy", 3.0)
    same = graded(db_session, org.id, "C", "worn", 0.5)
    graded(db_session, org.id, "B", "healthy", None)

    body = fleet(client, org).json
    assert body["as_of"] == today.isoformat()
    q_soon = service.quarter_of(today + dt.timedelta(days=round(0.5 * 365.25)))
    q_later = service.quarter_of(today + dt.timedelta(days=round(3.0 * 365.25)))
    assert body["end_of_life_by_quarter"] == [
        {"quarter": q_soon, "devices": 2, "device_ids": [soon.id, same.id]},
        {"quarter": q_later, "devices": 1, "device_ids": [later.id]},
    ]
    assert body["without_estimate"] == 1


def test_csv_on_request_with_one_row_per_device_and_no_formula(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = graded(db_session, org.id, "C", "worn", 1.0)
    device.model = "=HYPERLINK(1)"
    db_session.flush()
    response = fleet(client, org, Accept="text/csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [r["device_id"] for r in rows] == [str(device.id)]
    assert rows[0]["recommendation"] == "reuse_in_cluster"
    assert rows[0]["model"] == "'=HYPERLINK(1)"
    assert tuple(rows[0]) == service.CSV_COLUMNS
    assert fleet(client, org).mimetype == "application/json"


def test_only_members_and_staff_read_it(client: FlaskClient, db_session: Session, org: Org) -> None:
    other = make_org(client)
    path = f"/api/v1/organisations/{org.id}/fleet-health"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=other.admin.headers).status_code == 403
    assert client.get(path, headers={"Authorization": f"Bearer {org.bench_token}"}).status_code == 403
    for role in ("member", "technician", "lister", "admin"):
        assert client.get(path, headers=org.actor(role).headers).status_code == 200, role
    missing = client.get("/api/v1/organisations/999999/fleet-health", headers=other.admin.headers)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
