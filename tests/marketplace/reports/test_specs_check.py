"""Registered specs against what was measured: the issue's 256 GB SSD that reports as a 1 TB NVMe
drive gives a finding in the report, a private passport event, and one call takes the measured
values into the specs."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, EventKind
from marketplace.reports.models import DiagnosticReport
from tests.api_helpers import auth
from tests.corpus_path import CORPUS
from tests.marketplace.reports.helpers import BATTERY_UPOWER, NVME_JSON, Org, upload

DMIDECODE = CORPUS / "machine/dmidecode/linux-1"  # Core 2 Duo E8400, 4 x 1 GB, no serial (placeholder)
MAC_FULL = CORPUS / "battery/macos_system_profiler/glpi_11.0_apple_M1_full.txt"  # M1, 16 GB, E9O1Q6W5FAKE

_serials = itertools.count(1)


def _laptop(client: FlaskClient, org: Org, kind: str = "laptop", **specs: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": org.id, "kind": kind, "make": "Dell", "model": "Latitude 7490",
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


def _mismatches(response: object) -> list[str]:
    findings = response.json["device_assessment"]["findings"]  # type: ignore[attr-defined]
    return [f["field"] for f in findings if f["code"] == "specs_mismatch"]


def test_dmidecode_ram_differs_cpu_is_the_same_and_accept_takes_both(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = _laptop(client, org, "desktop", storage_gb=1000, storage_type="nvme", ram_gb=8, cpu="Core 2 Duo E8400")
    response = upload(client, device["id"], org.bench_token, NVME_JSON, DMIDECODE)
    assert response.status_code == 201, response.json
    # "Core 2 Duo E8400" is the firmware's "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz"; the RAM is 4 GB.
    assert _mismatches(response) == ["ram_gb"]
    (event,) = _events(db_session, device["id"])
    assert event.data["mismatches"][0]["registered"] == 8 and event.data["mismatches"][0]["measured"] == 4
    # Grading ignores the machine's identity: the same grade as the disk alone.
    alone = _laptop(client, org, "desktop")
    assert (
        response.json["device"]["grade"]
        == upload(client, alone["id"], org.bench_token, NVME_JSON).json["device"]["grade"]
    )

    check = client.get(f"/api/v1/devices/{device['id']}/specs-check", headers=org.member.headers).json
    assert check["measured"]["ram_gb"] == 4 and check["measured"]["cpu"].startswith("Intel(R) Core(TM)2 Duo")
    assert check["details"]["machine"] == {"make": None, "model": None, "serial": None}
    current = client.get(f"/api/v1/devices/{device['id']}", headers=org.admin.headers)
    accepted = client.post(
        f"/api/v1/devices/{device['id']}/specs-check/accept",
        headers={**org.admin.headers, "If-Match": current.headers["ETag"]},
    )
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["specs"]["ram_gb"] == 4
    assert accepted.json["specs"]["cpu"] == "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz"


def test_a_machine_serial_that_differs_is_reported_never_accepted(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = _laptop(client, org, ram_gb=16, cpu="Apple M1")
    response = upload(client, device["id"], org.bench_token, NVME_JSON, MAC_FULL)
    assert response.status_code == 201, response.json
    assert _mismatches(response) == ["serial"]
    (event,) = _events(db_session, device["id"])
    assert event.public is False and event.data["mismatches"][0]["measured"] == "E9O1Q6W5FAKE"
    current = client.get(f"/api/v1/devices/{device['id']}", headers=org.admin.headers)
    accepted = client.post(
        f"/api/v1/devices/{device['id']}/specs-check/accept",
        headers={**org.admin.headers, "If-Match": current.headers["ETag"]},
    )
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["serial"] == device["serial"] and "serial" not in accepted.json["specs"]
    check = client.get(f"/api/v1/devices/{device['id']}/specs-check", headers=org.member.headers).json
    assert [m["field"] for m in check["mismatches"]] == ["serial"]


def test_a_machine_identity_alone_is_refused_and_nothing_stored(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = _laptop(client, org, "desktop")
    response = upload(client, device["id"], org.bench_token, DMIDECODE)
    assert response.status_code == 422, response.json
    assert "identity" in response.json["detail"]
    db_session.expire_all()
    stored = db_session.scalar(
        sa.select(sa.func.count()).select_from(DiagnosticReport).where(DiagnosticReport.device_id == device["id"])
    )
    assert stored == 0


def test_processor_names_compare_without_trademarks_and_clock() -> None:
    from marketplace.devices.reconcile import same_cpu

    firmware = "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz"  # tests/corpus/machine/dmidecode/linux-1
    assert same_cpu("Intel Core 2 Duo E8400", firmware) and same_cpu(firmware, firmware)
    assert not same_cpu("Intel Core 2 Duo E7500", firmware) and not same_cpu("Apple M1", firmware)
