"""Erasure from the bench with the wiping tool's evidence: the server re-reads it, keeps it, and
refuses a failed, truncated, foreign or repeated one (nothing stored)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from diagnostics.upload import UploadFile, encode_multipart
from marketplace.devices.models import Device, DeviceEvent
from marketplace.erasures.models import Erasure
from tests.api_helpers import auth
from tests.corpus_path import CORPUS
from tests.marketplace.erasures.test_erasures_api import diagnosed_laptop
from tests.marketplace.reports.helpers import NVME_SERIAL, Org, count

NWIPE_OK = CORPUS / "erasure/nwipe/pr325-loop44-erased.log"  # names no serial (a loop device)
NWIPE_FAILED = CORPUS / "erasure/nwipe/pr722-sdc-write-error.log"
NWIPE_TRUNCATED = CORPUS / "erasure/nwipe/pr722-sdb-truncated.log"
NVME_IN_PROGRESS = CORPUS / "erasure/nvme/issue1784-sanitize-in-progress.txt"
NVME_DONE = CORPUS / "erasure/nvme/handmade-sanitize-completed.txt"


def eraser_token(
    client: FlaskClient, org: Org, scopes: tuple[str, ...] = ("diagnostics:upload", "erasures:write")
) -> str:
    response = client.post(
        f"/api/v1/organisations/{org.id}/tokens",
        json={"name": "wiping bench", "scopes": list(scopes)},
        headers=org.admin.headers,
    )
    assert response.status_code == 201, response.json
    token: str = response.json["token"]
    return token


def send(
    client: FlaskClient, device_id: int, token: str | None, content: bytes, name: str = "nwipe.log", **fields: str
) -> TestResponse:
    body, content_type = encode_multipart([UploadFile(name, content)], field="evidence", fields=fields)
    headers: dict[str, Any] = {"Content-Type": content_type, **(auth(token) if token else {})}
    return client.post(f"/api/v1/devices/{device_id}/erasures/evidence", data=body, headers=headers)


def _nothing_stored(session: Session, device: Device, erasures: int, events: int) -> None:
    session.expire_all()
    assert count(session, Erasure) == erasures
    assert count(session, DeviceEvent) == events


def test_a_bench_token_records_an_nwipe_erasure_with_its_evidence(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = diagnosed_laptop(client, db_session, org)
    token = eraser_token(client, org)
    raw = NWIPE_OK.read_bytes()
    response = send(client, device.id, token, raw, disk_serial=NVME_SERIAL.lower(), operator="J. Martin")
    assert response.status_code == 201, response.json
    record = response.json
    assert record["disk_serial"] == NVME_SERIAL and record["tool"] == "nwipe"
    assert record["method"] == "clear" and record["verified"] is True
    assert record["started_at"] == "2021-06-04T21:41:12+00:00" and record["finished_at"] == "2021-06-04T21:41:13+00:00"
    assert record["outcome"] == "Drive Status: loop44 | Erased" and record["evidence_format"] == "nwipe"
    assert record["recorded_by_token_id"] is not None and record["recorded_by_user_id"] is None

    stored = client.get(f"/api/v1/erasures/{record['id']}/evidence", headers=org.member.headers)
    assert stored.status_code == 200 and stored.data == raw
    assert client.get(f"/api/v1/erasures/{record['id']}/evidence", headers=auth(token)).status_code == 403

    certificate = client.get(f"/api/v1/devices/{device.id}/erasure-certificate", headers=org.member.headers).json
    assert certificate["complete"] is True
    assert certificate["disks"][0]["erasure"]["outcome"] == "Drive Status: loop44 | Erased"


@pytest.mark.parametrize(
    ("path", "fields", "status", "field", "words"),
    [
        (
            NWIPE_FAILED,
            {"disk_serial": NVME_SERIAL},
            422,
            "evidence",
            "giving up write() on '/dev/sdc' after 3 attempts",
        ),
        (NWIPE_TRUNCATED, {"disk_serial": NVME_SERIAL}, 422, "evidence", "the log stops before the wipe"),
        (NVME_IN_PROGRESS, {"disk_serial": NVME_SERIAL}, 422, "evidence", "a sanitize operation is in progress"),
        (NVME_DONE, {}, 422, "disk_serial", "does not name the disk it erased"),
        (NVME_DONE, {"disk_serial": "NOT-ON-THIS-DEVICE"}, 422, "disk_serial", "known disks: " + NVME_SERIAL),
        (CORPUS / "smart/scrutiny/smart-nvme.json", {"disk_serial": NVME_SERIAL}, 422, "evidence", "not the output"),
    ],
)
def test_bad_evidence_is_refused_naming_the_cause(
    client: FlaskClient, db_session: Session, org: Org, path: Any, fields: dict[str, str], status: int, field: str,
    words: str,
) -> None:  # fmt: skip
    device = diagnosed_laptop(client, db_session, org)
    token = eraser_token(client, org)
    erasures, events = count(db_session, Erasure), count(db_session, DeviceEvent)
    response = send(client, device.id, token, path.read_bytes(), **fields)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert words in response.json["detail"]
    _nothing_stored(db_session, device, erasures, events)


def test_a_log_naming_another_disk_is_refused(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = diagnosed_laptop(client, db_session, org)
    token = eraser_token(client, org)
    other = NWIPE_OK.read_bytes().replace(b"Loopback device/", b"INTEL SSDPEKNW010T8/" + NVME_SERIAL.encode())
    elsewhere = NWIPE_OK.read_bytes().replace(b"Loopback device/", b"ST1000DM003/Z1D5K8QH")
    refused = send(client, device.id, token, elsewhere, disk_serial=NVME_SERIAL)
    assert refused.status_code == 422
    assert refused.json["detail"].startswith("The nwipe log is about disk Z1D5K8QH, not " + NVME_SERIAL)
    unknown = send(client, device.id, token, elsewhere)  # the log's disk is not one of the device's
    assert unknown.status_code == 422 and "Z1D5K8QH" in unknown.json["detail"]
    named = send(client, device.id, token, other)  # the log names the disk: no --disk needed
    assert named.status_code == 201, named.json
    assert named.json["disk_serial"] == NVME_SERIAL


def test_the_same_evidence_twice_is_a_conflict(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = diagnosed_laptop(client, db_session, org)
    token = eraser_token(client, org)
    first = send(client, device.id, token, NWIPE_OK.read_bytes(), disk_serial=NVME_SERIAL)
    assert first.status_code == 201
    erasures, events = count(db_session, Erasure), count(db_session, DeviceEvent)
    again = send(client, device.id, token, NWIPE_OK.read_bytes(), disk_serial=NVME_SERIAL)
    assert again.status_code == 409
    assert f"erasure {first.json['id']}" in again.json["detail"]
    _nothing_stored(db_session, device, erasures, events)


def test_who_may_send_evidence(client: FlaskClient, db_session: Session, org: Org, other_org: Org) -> None:
    device = diagnosed_laptop(client, db_session, org)
    raw = NVME_DONE.read_bytes()
    erasures = count(db_session, Erasure)
    assert send(client, device.id, None, raw, disk_serial=NVME_SERIAL).status_code == 401
    upload_only = send(client, device.id, org.bench_token, raw, disk_serial=NVME_SERIAL)
    assert upload_only.status_code == 403 and "erasures:write" in upload_only.json["detail"]
    assert send(client, device.id, org.member.token, raw, disk_serial=NVME_SERIAL).status_code == 403
    assert send(client, device.id, eraser_token(client, other_org), raw, disk_serial=NVME_SERIAL).status_code == 404
    assert send(client, device.id, other_org.admin.token, raw, disk_serial=NVME_SERIAL).status_code == 404
    assert count(db_session, Erasure) == erasures
    assert send(client, device.id, org.technician.token, raw, disk_serial=NVME_SERIAL).status_code == 201


def test_a_bench_token_cannot_carry_an_unknown_scope(client: FlaskClient, org: Org) -> None:
    response = client.post(
        f"/api/v1/organisations/{org.id}/tokens",
        json={"name": "x", "scopes": ["erasures:delete"]},
        headers=org.admin.headers,
    )
    assert response.status_code == 422
    assert "erasures:write" in str(response.json["errors"])
