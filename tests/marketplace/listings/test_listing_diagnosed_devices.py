"""End to end with the reports domain: a device graded from real reports is listable only once
every disk has a verified erasure, and its card shows the findings but never a serial."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import DeviceState
from marketplace.listings.models import Listing
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    NVME_JSON,
    NVME_SERIAL,
    checklist,
    make_device,
    make_org,
    upload,
)


def test_listing_needs_every_disk_erased_and_shows_findings_without_serials(
    client: FlaskClient, db_session: Session
) -> None:
    org = make_org(client)
    device = make_device(db_session, org.id)
    assert upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER).status_code == 201
    assert checklist(client, device.id, org.technician.token).status_code == 201
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED

    body = {"device_id": device.id, "mode": "sale", "price_cents": 30000, "visibility": "public"}
    refused = client.post("/api/v1/listings", json=body, headers=org.lister.headers)
    assert refused.status_code == 409, refused.json
    assert refused.json["type"].endswith("invalid-state") and "disks" in refused.json["errors"]
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0

    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    erasure = {
        "disk_serial": NVME_SERIAL,
        "method": "purge",
        "standard": "nist-sp-800-88-r1",
        "tool": "nvme-cli sanitize",
        "tool_version": "2.8",
        "started_at": start.isoformat(),
        "finished_at": (start + dt.timedelta(minutes=4)).isoformat(),
        "verified": True,
        "verification_method": "full read-back of zeroes",
        "operator": "J. Martin",
    }
    response = client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure, headers=org.lister.headers)
    assert response.status_code == 201, response.json

    listed = client.post("/api/v1/listings", json=body, headers=org.lister.headers)
    assert listed.status_code == 201, listed.json
    card = listed.json["device"]
    assert card["grade"] == device.grade and card["battery_health_pct"] == device.battery_health_pct
    codes = [f["code"] for f in card["key_findings"]]
    assert any(code.startswith("battery.") for code in codes), codes
    assert all(set(f) == {"code", "severity", "message", "component"} for f in card["key_findings"])
    for response in (listed, client.get(f"/api/v1/listings/{listed.json['id']}"), client.get("/api/v1/listings")):
        assert NVME_SERIAL.encode() not in response.data and device.serial.encode() not in response.data
