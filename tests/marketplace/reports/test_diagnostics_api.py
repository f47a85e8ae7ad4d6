"""Diagnostics upload through the API: real corpus files graded on the server, refusals that store
nothing, duplicates, limits, raw downloads, the checklist and the diagnosed state."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import diagnostics
from diagnostics.manual import EXPECTED_ITEMS
from marketplace.devices.models import Device, DeviceEvent, DeviceKind, DeviceState, EventKind
from marketplace.pagination import encode_cursor
from marketplace.reports import service
from marketplace.reports.models import DiagnosticFile, DiagnosticReport
from tests.api_helpers import auth
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    FAILING_ATA_SERIAL,
    FAILING_ATA_TEXT,
    NO_BATTERY,
    NVME_JSON,
    NVME_SERIAL,
    Org,
    checklist,
    count,
    make_device,
    upload,
)


def library(*paths: Path) -> list[dict[str, Any]]:
    """What the diagnostics library itself makes of the files (the server must agree)."""
    return [c.to_dict() for p in paths for c in diagnostics.read_report(p.read_bytes(), p.name)]


def rows(session: Session) -> tuple[int, int, int]:
    return count(session, DiagnosticReport), count(session, DiagnosticFile), count(session, DeviceEvent)


def test_upload_of_real_reports_grades_them_on_the_server(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    response = upload(client, device.id, org.bench_token, NVME_JSON, FAILING_ATA_TEXT, BATTERY_UPOWER)
    assert response.status_code == 201, response.json
    report = response.json

    expected = library(NVME_JSON, FAILING_ATA_TEXT, BATTERY_UPOWER)
    assert [f["components"] for f in report["files"]] == [[expected[0]], [expected[1]], [expected[2]]]
    nvme, ata, battery = (f["components"][0] for f in report["files"])
    assert (nvme["component"], nvme["format"], nvme["identity"]["serial"]) == ("disk", "smartctl-json", NVME_SERIAL)
    assert (ata["format"], ata["health"], ata["grade"]) == ("smartctl-text", "failing", "F")
    assert {"smart.overall_failed", "ata.pending_sectors", "selftest.read_failure"} <= {
        f["code"] for f in ata["findings"]
    }
    assert (battery["component"], battery["health"], battery["grade"]) == ("battery", "worn", "C")

    assert [(f["position"], f["filename"], f["size"]) for f in report["files"]] == [
        (1, NVME_JSON.name, NVME_JSON.stat().st_size),
        (2, FAILING_ATA_TEXT.name, FAILING_ATA_TEXT.stat().st_size),
        (3, BATTERY_UPOWER.name, BATTERY_UPOWER.stat().st_size),
    ]
    assert report["files"][0]["sha256"] == hashlib.sha256(NVME_JSON.read_bytes()).hexdigest()
    assert report["files"][1]["url"] == f"/api/v1/diagnostics/{report['id']}/files/2"

    # A failing 2.5"/M.2 drive is a part swap: the device is D, with what to replace.
    assessment = report["device_assessment"]
    assert (assessment["grade"], assessment["health"]) == ("D", "failing")
    replace = [f for f in assessment["findings"] if f["code"] == "device.replace_part"]
    assert replace and FAILING_ATA_SERIAL in str(replace[0]["evidence"])
    assert assessment["policy"] == diagnostics.POLICY_VERSION
    assert (report["grade"], report["health"], report["kind"]) == ("D", "failing", "auto")
    assert {(f["file"], f["code"]) for f in report["findings"]} >= {(2, "ata.pending_sectors")}
    assert report["uploaded_by_token_id"] is not None and report["uploaded_by_user_id"] is None
    assert report["duplicate"] is False
    assert report["diagnosis"] == {"complete": False, "missing": ["checklist"]}

    db_session.refresh(device)
    assert (device.grade, device.health, device.battery_health_pct) == ("D", "failing", 68.5)
    assert device.grading_policy == diagnostics.POLICY_VERSION and device.diagnosed_at is not None
    assert device.state is DeviceState.REGISTERED  # the checklist is not in yet
    assert report["device"]["grade"] == "D" and report["device"]["state"] == "registered"
    (event,) = [e for e in device.events if e.kind is EventKind.DIAGNOSED]
    assert event.data["grade"] == "D" and event.data["report_id"] == report["id"]
    assert {"device.replace_part", "ata.pending_sectors", "battery.capacity_worn"} <= set(event.data["findings"])
    assert event.changes["grade"] == [None, "D"]
    assert NVME_SERIAL not in str(event.data)  # the passport never carries serials
    assert event.actor_token_id is not None and event.state_from is None


def test_the_checklist_completes_the_diagnosis(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER)
    response = checklist(client, device.id, org.technician.token)
    assert response.status_code == 201, response.json
    report = response.json
    assert report["kind"] == "manual"
    assert report["files"][0]["filename"] == "checklist.json"
    assert report["files"][0]["components"][0]["grade"] == "A"
    assert report["diagnosis"] == {"complete": True, "missing": []}
    # Disk B, battery C (worn), checklist A: the device is C.
    assert report["device_assessment"]["grade"] == "C"
    assert len(report["device_assessment"]["components"]) == 3
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED and device.grade == "C"
    (event,) = [e for e in device.events if e.kind is EventKind.CHECKED]
    assert (event.state_from, event.state_to) == ("registered", "diagnosed")
    assert event.actor_user_id == org.technician.user_id

    # The stored checklist is a file like the others: the raw JSON the server graded.
    raw = client.get(f"/api/v1/diagnostics/{report['id']}/files/1", headers=org.member.headers)
    assert diagnostics.read_report(raw.data, "checklist.json")[0].assessment.grade.value == "A"


def test_a_failed_part_on_the_checklist_makes_the_device_d(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER)
    response = checklist(client, device.id, org.lister.token, keyboard="fail")
    assert response.status_code == 201, response.json
    codes = {f["code"] for f in response.json["findings"]}
    assert "manual.replace_part" in codes
    assert response.json["device_assessment"]["grade"] == "D"
    assert "keyboard" in str(response.json["device_assessment"]["findings"])


def test_a_screen_is_diagnosed_by_its_checklist_alone(client: FlaskClient, db_session: Session, org: Org) -> None:
    screen = make_device(db_session, org.id, DeviceKind.SCREEN)
    response = checklist(client, screen.id, org.technician.token, kind="screen")
    assert response.status_code == 201, response.json
    assert response.json["diagnosis"]["complete"] is True
    db_session.refresh(screen)
    assert (screen.state, screen.grade, screen.health) == (DeviceState.DIAGNOSED, "A", "healthy")


def test_a_laptop_needs_its_disk_and_battery_unless_the_checklist_records_them(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    laptop = make_device(db_session, org.id)
    response = checklist(client, laptop.id, org.technician.token)
    assert response.json["diagnosis"] == {"complete": False, "missing": ["battery", "disk"]}
    response = upload(client, laptop.id, org.bench_token, NVME_JSON)
    assert response.json["diagnosis"] == {"complete": False, "missing": ["battery"]}
    db_session.refresh(laptop)
    assert laptop.state is DeviceState.REGISTERED
    # The battery was removed: the technician records it (fail), which stands for the report.
    response = checklist(client, laptop.id, org.technician.token, battery="fail")
    assert response.json["diagnosis"] == {"complete": True, "missing": []}
    assert response.json["device_assessment"]["grade"] == "D"
    db_session.refresh(laptop)
    assert laptop.state is DeviceState.DIAGNOSED


def test_a_thin_client_without_storage_is_diagnosed_with_storage_na(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    desktop = make_device(db_session, org.id, DeviceKind.DESKTOP)
    response = checklist(client, desktop.id, org.technician.token, kind="desktop", storage="na")
    assert response.json["diagnosis"] == {"complete": True, "missing": []}


def test_one_unreadable_file_refuses_the_whole_upload_and_stores_nothing(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    before = rows(db_session)
    response = upload(client, device.id, org.bench_token, NVME_JSON, NO_BATTERY, ("garbage.bin", b"\x00\x01garbage"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert NO_BATTERY.name in problem["detail"] and "Nothing was stored" in problem["detail"]
    with pytest.raises(diagnostics.ParseError) as library_says:
        diagnostics.read_report(NO_BATTERY.read_bytes(), NO_BATTERY.name)
    assert library_says.value.reason.startswith("no battery present")
    assert problem["errors"] == {"files.2": [f"{NO_BATTERY.name}: {library_says.value.reason}"]}
    assert rows(db_session) == before
    db_session.refresh(device)
    assert (device.grade, device.health, device.diagnosed_at, device.version) == (None, None, None, 1)


def test_an_empty_file_is_refused_by_name(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    response = upload(client, device.id, org.bench_token, ("empty.txt", b""))
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["files.1"] and response.json["errors"]["files.1"][0].startswith(
        "empty.txt: "
    )


def test_the_same_files_again_return_the_existing_report(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    first = upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER)
    assert first.status_code == 201
    before = rows(db_session)
    version = device.version
    again = upload(client, device.id, org.lister.token, BATTERY_UPOWER, NVME_JSON)  # order does not matter
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["duplicate"] is True
    assert rows(db_session) == before
    db_session.refresh(device)
    assert device.version == version
    # The same files for another device are a new report.
    other = make_device(db_session, org.id)
    assert upload(client, other.id, org.bench_token, NVME_JSON, BATTERY_UPOWER).status_code == 201


def test_size_and_count_limits(
    client: FlaskClient, db_session: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = make_device(db_session, org.id)
    before = rows(db_session)
    big = NVME_JSON.read_bytes() + b" " * (service.MAX_FILE_BYTES + 1 - NVME_JSON.stat().st_size)
    response = upload(client, device.id, org.bench_token, NVME_JSON, ("big.json", big))
    assert response.status_code == 413
    assert response.json["errors"] == {"files.2": [f"big.json: {len(big)} bytes, limit {service.MAX_FILE_BYTES}"]}
    # Exactly at the limit is fine.
    at_limit = big[:-1]
    assert upload(client, device.id, org.bench_token, ("ok.json", at_limit)).status_code == 201
    assert count(db_session, DiagnosticReport) == before[0] + 1

    monkeypatch.setattr(service, "MAX_FILES", 2)
    response = upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER, FAILING_ATA_TEXT)
    assert response.status_code == 422
    assert response.json["errors"] == {"files": ["At most 2 files per upload."]}


def test_no_files_is_422(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    response = client.post(
        f"/api/v1/devices/{device.id}/diagnostics",
        data={},
        headers=auth(org.bench_token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"files": ["No file."]}


def test_raw_files_come_back_byte_identical(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    latin1 = ("old-smartctl.txt", FAILING_ATA_TEXT.read_bytes() + "\n# Modèle\n".encode("latin-1"))
    report = upload(client, device.id, org.bench_token, NVME_JSON, latin1).json
    for position, content in ((1, NVME_JSON.read_bytes()), (2, latin1[1])):
        response = client.get(f"/api/v1/diagnostics/{report['id']}/files/{position}", headers=org.member.headers)
        assert response.status_code == 200
        assert response.data == content
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        # Whatever type it was uploaded with (an HTML battery report), it never runs as our page.
        assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response.headers["Cache-Control"] == "no-store"  # a member's file
        assert hashlib.sha256(response.data).hexdigest() == report["files"][position - 1]["sha256"]
    response = client.get(f"/api/v1/diagnostics/{report['id']}/files/1", headers=org.member.headers)
    assert response.headers["Content-Type"] == "application/json"
    assert NVME_JSON.name in response.headers["Content-Disposition"]
    missing = client.get(f"/api/v1/diagnostics/{report['id']}/files/3", headers=org.member.headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_history_is_keyset_paginated_newest_first(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    ids = [
        upload(client, device.id, org.bench_token, path).json["id"]
        for path in (NVME_JSON, BATTERY_UPOWER, FAILING_ATA_TEXT)
    ]
    url = f"/api/v1/devices/{device.id}/diagnostics"
    page = client.get(url, query_string={"limit": 2}, headers=org.member.headers).json
    assert [r["id"] for r in page["items"]] == ids[::-1][:2]
    assert page["items"][0]["files"] == [
        {
            "position": 1,
            "filename": FAILING_ATA_TEXT.name,
            "size": FAILING_ATA_TEXT.stat().st_size,
            "format": "smartctl-text",
        }
    ]
    rest = client.get(url, query_string={"limit": 2, "cursor": page["next_cursor"]}, headers=org.member.headers).json
    assert [r["id"] for r in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert client.get(url, query_string={"limit": 201}, headers=org.member.headers).status_code == 422
    for cursor in ("nope", encode_cursor([2**40]), encode_cursor(["1"]), encode_cursor([True])):
        bad = client.get(url, query_string={"cursor": cursor}, headers=org.member.headers)
        assert bad.status_code == 422 and "cursor" in bad.json["errors"]

    one = client.get(f"/api/v1/diagnostics/{ids[2]}", headers=org.member.headers).json
    # The device assessment at that time: the failing drive (a part swap) and the earlier battery.
    assert (one["grade"], one["health"]) == ("D", "failing")
    assert {f["code"] for f in one["findings"]} >= {"ata.pending_sectors"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"item": "screen", "result": "maybe"}]}, "items"),
        ({"items": []}, "items"),
        ({"items": [{"item": "screen", "result": "pass", "colour": "red"}]}, "items"),
        ({"device_kind": "phone", "items": [{"item": "screen", "result": "pass"}]}, "device_kind"),
        ({"items": [{"item": "screen", "result": "pass"}, {"item": "screen", "result": "fail"}]}, "items"),
        ({"score": "A", "items": [{"item": "screen", "result": "pass"}]}, "score"),
    ],
)
def test_invalid_checklists_are_422_and_store_nothing(
    client: FlaskClient, db_session: Session, org: Org, body: dict[str, Any], field: str
) -> None:
    device = make_device(db_session, org.id)
    before = rows(db_session)
    response = client.post(f"/api/v1/devices/{device.id}/checklist", json=body, headers=org.technician.headers)
    assert response.status_code == 422, response.json
    assert any(key.startswith(field) for key in response.json["errors"]), response.json
    assert rows(db_session) == before


def test_no_diagnostics_for_a_device_out_of_its_owners_hands(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    device.state = DeviceState.SOLD
    db_session.commit()
    before = rows(db_session)
    response = upload(client, device.id, org.bench_token, NVME_JSON)
    assert response.status_code == 409
    assert "sold" in response.json["detail"]
    assert rows(db_session) == before


def test_a_device_is_reassessed_over_its_latest_disks(client: FlaskClient, db_session: Session, org: Org) -> None:
    """A new disk scan replaces the old disk set (the failing drive was swapped out)."""
    device = make_device(db_session, org.id)
    upload(client, device.id, org.bench_token, FAILING_ATA_TEXT, BATTERY_UPOWER)
    db_session.refresh(device)
    assert device.grade == "D"
    response = upload(client, device.id, org.bench_token, NVME_JSON)
    assert response.status_code == 201
    assessed = response.json["device_assessment"]
    assert [c["component"] for c in assessed["components"]] == ["disk", "battery"]
    assert assessed["components"][0]["identity"]["serial"] == NVME_SERIAL
    db_session.refresh(device)
    assert device.grade == "C"  # battery worn; the failing drive is gone
    assert db_session.get(Device, device.id) is device


def test_a_checklist_file_sent_by_the_bench_counts_as_the_checklist(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    doc = {
        "kind": "relife-checklist",
        "device_kind": "laptop",
        "items": [{"item": name, "result": "pass"} for name in EXPECTED_ITEMS["laptop"]],
    }
    response = upload(
        client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER, ("checklist.json", orjson.dumps(doc))
    )
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "auto" and response.json["diagnosis"]["complete"] is True
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED

    # Alone, it is a manual report, like POST /checklist.
    other = make_device(db_session, org.id)
    alone = upload(client, other.id, org.bench_token, ("checklist.json", orjson.dumps(doc)))
    assert alone.status_code == 201 and alone.json["kind"] == "manual"


def test_a_checklist_file_for_another_kind_of_device_is_refused(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    doc = {"kind": "relife-checklist", "device_kind": "phone", "items": [{"item": "screen", "result": "pass"}]}
    before = rows(db_session)
    response = upload(client, device.id, org.bench_token, NVME_JSON, ("phone.json", orjson.dumps(doc)))
    assert response.status_code == 422
    assert response.json["errors"] == {"files.2": ["phone.json: checklist for a phone"]}
    assert rows(db_session) == before


def test_nul_characters_never_reach_the_database(client: FlaskClient, db_session: Session, org: Org) -> None:
    """PostgreSQL text and JSONB cannot hold U+0000: raw bytes keep it, parsed JSON does not."""
    device = make_device(db_session, org.id)
    raw = NVME_JSON.read_bytes().replace(b'"model_name": "', b'"model_name": "\\u0000', 1)
    response = upload(client, device.id, org.bench_token, ("nul.json", raw))
    assert response.status_code == 201, response.json
    assert "\x00" not in str(response.json["files"][0]["components"])
    download = client.get(f"/api/v1/diagnostics/{response.json['id']}/files/1", headers=org.member.headers)
    assert download.data == raw

    response = client.post(
        f"/api/v1/devices/{device.id}/checklist",
        json={"technician": "a\x00b", "items": [{"item": "screen", "result": "pass", "note": "x\x00"}]},
        headers=org.technician.headers,
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"technician", "items.0.note"}


UEVENT = """POWER_SUPPLY_NAME=BAT0
POWER_SUPPLY_TYPE=Battery
POWER_SUPPLY_PRESENT=1
POWER_SUPPLY_TECHNOLOGY=Li-poly
POWER_SUPPLY_CHARGE_FULL_DESIGN=4474000
POWER_SUPPLY_CHARGE_FULL=3750000
POWER_SUPPLY_CHARGE_NOW=3692000
POWER_SUPPLY_CAPACITY={capacity}
POWER_SUPPLY_VOLTAGE_MIN_DESIGN=11400000
"""


@pytest.mark.parametrize("capacity", ["1" * 400, "9" * 310 + ".5"])
def test_a_battery_value_beyond_any_float_is_refused_naming_the_file(
    client: FlaskClient, db_session: Session, org: Org, capacity: str
) -> None:
    """Issue 20, class 7: ``POWER_SUPPLY_CAPACITY`` with 400 digits read as infinity; PostgreSQL's
    JSONB refused it with a 422 that could not name the file (SQLite stored "Infinity")."""
    device = make_device(db_session, org.id)
    before = rows(db_session)
    content = UEVENT.format(capacity=capacity).encode()
    response = upload(client, device.id, org.bench_token, NVME_JSON, ("BAT0-uevent.txt", content))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "BAT0-uevent.txt" in response.json["detail"] and "Nothing was stored" in response.json["detail"]
    assert response.json["errors"] == {
        "files.2": ["BAT0-uevent.txt: a value is out of range (battery measurements.charge_percent)"]
    }
    assert rows(db_session) == before
    # The same report with a plausible capacity is read and stored.
    assert (
        upload(
            client, device.id, org.bench_token, ("BAT0-uevent.txt", UEVENT.format(capacity="98").encode())
        ).status_code
        == 201
    )
