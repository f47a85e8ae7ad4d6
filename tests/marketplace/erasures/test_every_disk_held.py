"""Every disk the device has held since its last return is accounted for: a disk that disappears
from a later report still needs its erasure, and the certificate lists it (issue #19)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.erasures.models import DiskRemoval
from tests.api_helpers import auth
from tests.marketplace.erasures.test_erasure_evidence_api import NVME_DONE, eraser_token, send
from tests.marketplace.erasures.test_erasures_api import diagnosed_laptop
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    FAILING_ATA_SERIAL,
    FAILING_ATA_TEXT,
    NVME_JSON,
    NVME_SERIAL,
    Org,
    count,
    make_staff,
    upload,
)


def test_a_disk_missing_from_a_later_report_still_needs_its_erasure(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = diagnosed_laptop(client, db_session, org, NVME_JSON, FAILING_ATA_TEXT, BATTERY_UPOWER)
    token = eraser_token(client, org)
    assert send(client, device.id, token, NVME_DONE.read_bytes(), disk_serial=NVME_SERIAL).status_code == 201
    # The next scan sees one disk only (the other was pulled, or failed to answer).
    response = upload(client, device.id, org.bench_token, NVME_JSON)
    assert response.status_code == 201, response.json

    certificate = client.get(f"/api/v1/devices/{device.id}/erasure-certificate", headers=org.member.headers).json
    disks = [(d["serial"], d["erased"]) for d in certificate["disks"]]
    assert disks == [(NVME_SERIAL, True), (FAILING_ATA_SERIAL, False)]
    assert certificate["complete"] is False

    readiness = client.get(f"/api/v1/devices/{device.id}/readiness", headers=org.member.headers).json
    assert readiness["ready"] is False
    assert [d["serial"] for d in readiness["disks"] if not d["erased"]] == [FAILING_ATA_SERIAL]
    assert any(FAILING_ATA_SERIAL in message for message in readiness["problems"]["disks"])
    # The disk no longer in the latest report can still be erased on this device.
    hdparm = b'security_password: "p"\n\n/dev/sdb:\n Issuing SECURITY_ERASE_ENHANCED command, password="p", user=user\n'
    erased = send(client, device.id, token, hdparm, disk_serial=FAILING_ATA_SERIAL)
    assert erased.status_code == 201, erased.json


def _two_disks_then_one(client: FlaskClient, db_session: Session, org: Org) -> int:
    device = diagnosed_laptop(client, db_session, org, NVME_JSON, FAILING_ATA_TEXT, BATTERY_UPOWER)
    assert upload(client, device.id, org.bench_token, NVME_JSON).status_code == 201
    return device.id


def test_a_disk_recorded_as_removed_no_longer_blocks_and_stays_on_the_certificate(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device_id = _two_disks_then_one(client, db_session, org)
    other = diagnosed_laptop(client, db_session, org).id
    token = eraser_token(client, org)
    assert send(client, device_id, token, NVME_DONE.read_bytes(), disk_serial=NVME_SERIAL).status_code == 201
    url = f"/api/v1/devices/{device_id}/disk-removals"

    bad = [
        ({"disk_serial": "NOT-HERE", "outcome": "kept"}, 422, "disk_serial"),
        ({"disk_serial": FAILING_ATA_SERIAL, "outcome": "moved"}, 422, "moved_to_device_id"),
        ({"disk_serial": FAILING_ATA_SERIAL, "outcome": "moved", "moved_to_device_id": device_id}, 422,
         "moved_to_device_id"),
        ({"disk_serial": FAILING_ATA_SERIAL, "outcome": "kept", "moved_to_device_id": other}, 422,
         "moved_to_device_id"),
        ({"disk_serial": FAILING_ATA_SERIAL, "outcome": "shredded"}, 422, "outcome"),
    ]  # fmt: skip
    for body, status, field in bad:
        response = client.post(url, json=body, headers=auth(token))
        assert response.status_code == status, (body, response.json)
        assert field in response.json["errors"], (body, response.json)
    assert client.get(url, headers=org.member.headers).json["items"] == []
    assert client.post(url, json={"disk_serial": FAILING_ATA_SERIAL, "outcome": "kept"},
                       headers=org.member.headers).status_code == 403  # fmt: skip

    moved = client.post(
        url,
        json={"disk_serial": FAILING_ATA_SERIAL.lower(), "outcome": "moved", "moved_to_device_id": other,
              "notes": "into the spare"},
        headers=auth(token),
    )  # fmt: skip
    assert moved.status_code == 201, moved.json
    assert moved.json["disk_serial"] == FAILING_ATA_SERIAL and moved.json["recorded_by_token_id"] is not None
    again = client.post(url, json={"disk_serial": FAILING_ATA_SERIAL, "outcome": "kept"}, headers=auth(token))
    assert again.status_code == 409 and "already recorded as removed (moved" in again.json["detail"]

    certificate = client.get(f"/api/v1/devices/{device_id}/erasure-certificate", headers=org.member.headers).json
    assert certificate["complete"] is True
    rows = [(d["serial"], d["erased"], d["current"], (d["removal"] or {}).get("outcome")) for d in certificate["disks"]]
    assert rows == [(NVME_SERIAL, True, True, None), (FAILING_ATA_SERIAL, False, False, "moved")]
    readiness = client.get(f"/api/v1/devices/{device_id}/readiness", headers=auth(token)).json
    assert readiness["ready"] is True and readiness["verdict"] == "ready to list"
    assert readiness["disks"][1]["status"] == "removed (moved)"

    # Seen in the device again after its removal: it needs its erasure again.
    assert upload(client, device_id, org.bench_token, FAILING_ATA_TEXT).status_code == 201
    readiness = client.get(f"/api/v1/devices/{device_id}/readiness", headers=auth(token)).json
    assert readiness["ready"] is False
    assert [d["serial"] for d in readiness["disks"] if d["status"] == "needs a verified erasure"] == [
        FAILING_ATA_SERIAL
    ]


@pytest.mark.parametrize(
    ("who", "post", "get"),
    [
        ("admin", 201, 200),
        ("lister", 201, 200),
        ("technician", 201, 200),
        ("member", 403, 200),
        ("bench", 403, 403),  # diagnostics:upload only
        ("eraser_bench", 201, 403),  # erasures:write: records, does not read lists
        ("other_admin", 404, 404),
        ("staff", 201, 200),
        ("anonymous", 401, 401),
    ],
)
def test_who_may_record_and_read_disk_removals(
    client: FlaskClient, db_session: Session, org: Org, other_org: Org, who: str, post: int, get: int
) -> None:
    device_id = _two_disks_then_one(client, db_session, org)
    headers = {
        "admin": lambda: org.admin.headers,
        "lister": lambda: org.lister.headers,
        "technician": lambda: org.technician.headers,
        "member": lambda: org.member.headers,
        "bench": lambda: auth(org.bench_token),
        "eraser_bench": lambda: auth(eraser_token(client, org)),
        "other_admin": lambda: other_org.admin.headers,
        "staff": lambda: make_staff(client, db_session).headers,
        "anonymous": lambda: {},
    }[who]()
    url = f"/api/v1/devices/{device_id}/disk-removals"
    before = count(db_session, DiskRemoval)
    response = client.post(url, json={"disk_serial": FAILING_ATA_SERIAL, "outcome": "destroyed"}, headers=headers)
    assert response.status_code == post, response.json
    assert count(db_session, DiskRemoval) == before + (1 if post == 201 else 0)
    assert client.get(url, headers=headers).status_code == get
