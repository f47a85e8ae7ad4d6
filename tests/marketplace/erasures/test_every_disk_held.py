"""Every disk the device has held since its last return is accounted for: a disk that disappears
from a later report still needs its erasure, and the certificate lists it (issue #19)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.marketplace.erasures.test_erasure_evidence_api import NVME_DONE, eraser_token, send
from tests.marketplace.erasures.test_erasures_api import diagnosed_laptop
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    FAILING_ATA_SERIAL,
    FAILING_ATA_TEXT,
    NVME_JSON,
    NVME_SERIAL,
    Org,
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
