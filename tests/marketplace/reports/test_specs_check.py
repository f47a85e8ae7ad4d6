"""Registered specs against what was measured: the issue's 256 GB SSD that reports as a 1 TB NVMe
drive gives a finding in the report, a private passport event, and one call takes the measured
values into the specs."""

from __future__ import annotations

import itertools

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, EventKind
from tests.api_helpers import auth
from tests.marketplace.reports.helpers import BATTERY_UPOWER, NVME_JSON, Org, upload

_serials = itertools.count(1)


def _laptop(client: FlaskClient, org: Org, **specs: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": org.id, "kind": "laptop", "make": "Dell", "model": "Latitude 7490",
              "serial": f"SPEC-{next(_serials)}", "specs": specs},
        headers=org.admin.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.json
    device: dict = response.json  # type: ignore[type-arg]
    return device


def _events(session: Session, device_id: int) -> list[DeviceEvent]:
    session.expire_all()
    device = session.get(Device, device_id)
    assert device is not None
    return [e for e in device.events if e.kind is EventKind.SPECS_MISMATCH]


def test_a_1tb_nvme_registered_as_a_256gb_ssd(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = _laptop(client, org, storage_gb=256, storage_type="ssd", ram_gb=16)
    response = upload(client, device["id"], org.bench_token, NVME_JSON, BATTERY_UPOWER)
    assert response.status_code == 201, response.json
    findings = [f for f in response.json["device_assessment"]["findings"] if f["code"] == "specs_mismatch"]
    assert [f["field"] for f in findings] == ["storage_gb", "storage_type"]
    assert findings[0]["message"] == "Registered 256 GB of storage; the disks report 1024 GB."
    events = _events(db_session, device["id"])
    assert len(events) == 1 and events[0].public is False
    assert [m["measured"] for m in events[0].data["mismatches"]] == [1024, "nvme"]

    # The same mismatch again: no second event.
    assert upload(client, device["id"], org.bench_token, NVME_JSON).status_code == 201
    assert len(_events(db_session, device["id"])) == 1

    check = client.get(f"/api/v1/devices/{device['id']}/specs-check", headers=auth(org.bench_token)).json
    assert check["measured"] == {"storage_gb": 1024, "storage_type": "nvme"}
    assert check["details"]["battery_design_wh"] == 48.8
    assert check["details"]["disks"][0]["model"] == "INTEL SSDPEKNW010T8"

    current = client.get(f"/api/v1/devices/{device['id']}", headers=org.admin.headers)
    url = f"/api/v1/devices/{device['id']}/specs-check/accept"
    assert client.post(url, headers=org.admin.headers).status_code == 428
    assert client.post(url, headers={**auth(org.bench_token), "If-Match": current.headers["ETag"]}).status_code == 403
    accepted = client.post(url, headers={**org.admin.headers, "If-Match": current.headers["ETag"]})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["specs"] == {"storage_gb": 1024, "storage_type": "nvme", "ram_gb": 16}
    assert (
        client.get(f"/api/v1/devices/{device['id']}/specs-check", headers=org.member.headers).json["mismatches"] == []
    )


def test_a_1tb_label_matches_1024_gb(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = _laptop(client, org, storage_gb=1000, storage_type="nvme")
    response = upload(client, device["id"], org.bench_token, NVME_JSON)
    assert response.status_code == 201
    assert not [f for f in response.json["device_assessment"]["findings"] if f["code"] == "specs_mismatch"]
    assert _events(db_session, device["id"]) == []
