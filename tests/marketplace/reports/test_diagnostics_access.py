"""Who may do what with diagnostics: each endpoint, role and other organisation."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from marketplace.reports.models import DiagnosticReport
from tests.api_helpers import auth, register
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    NVME_JSON,
    Org,
    checklist,
    count,
    make_device,
    make_staff,
    upload,
)

WHO = ("admin", "lister", "technician", "member", "bench", "other_admin", "other_bench", "outsider", "staff", "anon")


def token_of(who: str, client: FlaskClient, session: Session, org: Org, other: Org) -> str | None:
    if who in ("admin", "lister", "technician", "member"):
        return org.actor(who).token
    return {
        "bench": lambda: org.bench_token,
        "other_admin": lambda: other.admin.token,
        "other_bench": lambda: other.bench_token,
        "outsider": lambda: register(client).token,
        "staff": lambda: make_staff(client, session).token,
        "anon": lambda: None,
    }[who]()


def headers(token: str | None) -> dict[str, str]:
    return auth(token) if token else {}


PASSED = {"item": "screen", "result": "pass"}
UPLOAD = {
    "admin": 201,
    "lister": 201,
    "technician": 201,
    "member": 403,
    "bench": 201,
    "other_admin": 404,
    "other_bench": 404,
    "outsider": 404,
    "staff": 201,
    "anon": 401,
}
READ = {
    "admin": 200,
    "lister": 200,
    "technician": 200,
    "member": 200,
    "bench": 403,  # bench tokens only upload
    "other_admin": 404,
    "other_bench": 403,
    "outsider": 404,
    "staff": 200,
    "anon": 401,
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", ["upload", "checklist"])
def test_who_may_record_diagnostics(
    client: FlaskClient, db_session: Session, org: Org, other_org: Org, who: str, endpoint: str
) -> None:
    device = make_device(db_session, org.id)
    token = token_of(who, client, db_session, org, other_org)
    before = count(db_session, DiagnosticReport)
    if endpoint == "upload":
        response = (
            upload(client, device.id, token, NVME_JSON)
            if token
            else client.post(f"/api/v1/devices/{device.id}/diagnostics", data={})
        )
    else:
        response = (
            checklist(client, device.id, token)
            if token
            else client.post(
                f"/api/v1/devices/{device.id}/checklist", json={"items": [{"item": "screen", "result": "pass"}]}
            )
        )
    expected = UPLOAD[who]
    assert response.status_code == expected, response.json
    assert count(db_session, DiagnosticReport) == before + (1 if expected == 201 else 0)
    if expected >= 400:
        assert response.mimetype == "application/problem+json"


def _reads(report_id: int, device_id: int) -> dict[str, str]:
    return {
        "history": f"/api/v1/devices/{device_id}/diagnostics",
        "report": f"/api/v1/diagnostics/{report_id}",
        "file": f"/api/v1/diagnostics/{report_id}/files/1",
    }


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("what", ["history", "report", "file"])
def test_who_may_read_diagnostics(
    client: FlaskClient, db_session: Session, org: Org, other_org: Org, who: str, what: str
) -> None:
    device = make_device(db_session, org.id)
    report = upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER).json
    token = token_of(who, client, db_session, org, other_org)
    response = client.get(_reads(report["id"], device.id)[what], headers=headers(token))
    assert response.status_code == READ[who], response.data[:300]


@pytest.mark.parametrize("what", ["history", "report", "file"])
def test_missing_and_foreign_ids_look_the_same(
    client: FlaskClient, db_session: Session, org: Org, other_org: Org, what: str
) -> None:
    device = make_device(db_session, org.id)
    report = upload(client, device.id, org.bench_token, NVME_JSON).json
    foreign: TestResponse = client.get(_reads(report["id"], device.id)[what], headers=other_org.admin.headers)
    missing: TestResponse = client.get(
        _reads(report["id"] + 999, device.id + 999)[what], headers=other_org.admin.headers
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json["title"] == missing.json["title"]


def test_a_revoked_bench_token_cannot_upload(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    tokens = client.get(f"/api/v1/organisations/{org.id}/tokens", headers=org.admin.headers).json["items"]
    client.delete(f"/api/v1/organisations/{org.id}/tokens/{tokens[0]['id']}", headers=org.admin.headers)
    response = upload(client, device.id, org.bench_token, NVME_JSON)
    assert response.status_code == 401
