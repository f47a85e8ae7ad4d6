"""POST /api/v1/devices/import: dry run, real import, re-import, upsert, errors, access."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, EventKind
from tests.api_helpers import add_member, create_org, register
from tests.marketplace.imports.conftest import Org, device_count, event_count, sample, upload

NATIVE_ERRORS = [
    {"row": 7, "field": "ram_gb", "message": "Not a memory size: 'lots' (e.g. 8, 8 GB, 8192 MB, 8 Go)."},
    {
        "row": 8,
        "field": "kind",
        "message": "Unknown device kind 'toaster'; expected one of laptop, desktop, server, screen, phone, tablet, "
        "other.",
    },
    {
        "row": 10,
        "field": "kind",
        "message": "Unknown device kind \"'=cmd|' /C calc'!A0\"; expected one of laptop, desktop, server, screen, "
        "phone, tablet, other.",
    },
]


def test_dry_run_reports_and_writes_nothing(client: FlaskClient, db_session: Session, org: Org) -> None:
    events_before = event_count(db_session)
    response = upload(client, org.admin, org.id, sample("native.csv"), dry_run=True)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["dry_run"] is True
    assert (body["rows"], body["created"], body["updated"], body["unchanged"], body["failed"]) == (9, 6, 0, 0, 3)
    assert body["errors"] == NATIVE_ERRORS
    assert device_count(db_session, org.id) == 0
    assert event_count(db_session) == events_before


def test_import_then_reimport_creates_no_duplicates(client: FlaskClient, db_session: Session, org: Org) -> None:
    response = upload(client, org.admin, org.id, sample("native.csv"))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["dry_run"], body["created"], body["updated"], body["unchanged"], body["failed"]) == (False, 6, 0, 0, 3)
    assert body["errors"] == NATIVE_ERRORS
    assert device_count(db_session, org.id) == 6

    laptop = db_session.scalar(sa.select(Device).where(Device.serial == "PF1ABCDE"))
    assert laptop is not None
    assert (laptop.kind.value, laptop.make, laptop.model, laptop.asset_tag) == (
        "laptop",
        "Lenovo",
        "ThinkPad T480",
        "LYO-0001",
    )
    assert laptop.specs == {
        "cpu": "Intel Core i5-8350U",
        "ram_gb": 16,
        "storage_gb": 256,
        "storage_type": "ssd",
        "screen_in": 14,
        "year": 2018,
    }
    assert laptop.cosmetic_grade is not None and laptop.cosmetic_grade.value == "good"
    screen = db_session.scalar(sa.select(Device).where(Device.serial == "CN0XYZ7426"))
    assert screen is not None and screen.specs == {"size_in": 24, "year": 2020}
    (event,) = db_session.scalars(sa.select(DeviceEvent).where(DeviceEvent.device_id == laptop.id)).all()
    assert event.kind is EventKind.IMPORTED and event.state_to == "registered"
    assert event.changes["serial"] == [None, "PF1ABCDE"] and event.changes["specs"] == [None, laptop.specs]
    assert event.data == {"source": "import", "format": "native", "row": 2}
    assert event.actor_user_id == org.admin.user_id and event.actor_organisation_id == org.id

    events_before = event_count(db_session)
    again = upload(client, org.admin, org.id, sample("native.csv")).json
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 6, 3)
    assert device_count(db_session, org.id) == 6
    assert event_count(db_session) == events_before


def test_upsert_updates_changed_fields_with_passport_events(client: FlaskClient, db_session: Session, org: Org) -> None:
    upload(client, org.admin, org.id, sample("native.csv"))
    laptop = db_session.scalar(sa.select(Device).where(Device.serial == "PF1ABCDE"))
    assert laptop is not None
    version = laptop.version
    changed = (
        b"serial,asset_tag,kind,make,model,cpu,ram_gb,storage_gb,year,location\n"
        b"PF1ABCDE,LYO-0001,laptop,Lenovo,ThinkPad T480,,32 GB,,,Stock central\n"  # by serial, 2 changes
        b",LYO-0002,,,,,,,,Stock central\n"  # by asset tag only
        b"5CG7301XYZ,LYO-0003,laptop,HP,X,,,,,\n"  # tag of another device: refused
    )
    body = upload(client, org.admin, org.id, changed).json
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (0, 2, 0, 1)
    assert body["errors"] == [
        {
            "row": 4,
            "field": "asset_tag",
            "message": "Asset tag 'LYO-0003' belongs to another device of this organisation.",
        }
    ]
    db_session.expire_all()
    laptop = db_session.get(Device, laptop.id)
    assert laptop is not None
    assert laptop.specs["ram_gb"] == 32 and laptop.specs["cpu"] == "Intel Core i5-8350U"  # merged, not replaced
    assert laptop.location == "Stock central" and laptop.version == version + 1
    last = db_session.scalars(
        sa.select(DeviceEvent).where(DeviceEvent.device_id == laptop.id).order_by(DeviceEvent.id.desc())
    ).first()
    assert last is not None and last.kind is EventKind.UPDATED
    assert last.changes == {"location": ["Lyon 7e - salle 204", "Stock central"], "specs.ram_gb": [16, 32]}
    hp = db_session.scalar(sa.select(Device).where(Device.serial == "5CG7301XYZ"))
    assert hp is not None and hp.model == "EliteBook 840 G5" and hp.location == "Stock central"


def test_new_devices_without_asset_tag_get_generated_tags(client: FlaskClient, db_session: Session, org: Org) -> None:
    data = (
        b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n"
        b",SN-A,laptop,Dell,Latitude 5490,,8,256,2018\n,SN-B,desktop,HP,ProDesk,,8,256,2019\n"
    )
    body = upload(client, org.admin, org.id, data).json
    assert body["created"] == 2
    tags = db_session.scalars(sa.select(Device.asset_tag).where(Device.organisation_id == org.id)).all()
    assert sorted(tags) == ["RLF-000001", "RLF-000002"]
    codes = db_session.scalars(sa.select(Device.public_code).where(Device.organisation_id == org.id)).all()
    assert len(set(codes)) == 2, "bulk-imported devices get their own label codes too"
    assert upload(client, org.admin, org.id, data).json["unchanged"] == 2
    again = db_session.scalars(sa.select(Device.public_code).where(Device.organisation_id == org.id)).all()
    assert sorted(again) == sorted(codes), "a re-import keeps the codes already printed on labels"


def test_same_serial_twice_in_a_file_is_refused_on_the_second_row(client: FlaskClient, org: Org) -> None:
    data = (
        b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n"
        b"T1,SN-A,laptop,Dell,Latitude,,8,256,2018\nT2,SN-A,laptop,Dell,Latitude,,8,256,2018\n"
    )
    body = upload(client, org.admin, org.id, data).json
    assert body["created"] == 1
    assert body["errors"] == [{"row": 3, "field": "serial", "message": "Same serial as row 2 of this file."}]


def test_specs_are_validated_by_the_devices_rules(client: FlaskClient, db_session: Session, org: Org) -> None:
    data = (
        b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year,storage_type\n"
        b"T1,SN-A,laptop,Dell,Latitude,,1536 MB,256,2018,\n"  # 1.5 GB: not a whole number
        b"T2,SN-B,laptop,Dell,Latitude,,8,256,2018,floppy\n"
        b"T3,SN-C,laptop,,Latitude,,8,256,2018,\n"  # make missing for a new device
    )
    body = upload(client, org.admin, org.id, data).json
    assert body["created"] == 0 and body["failed"] == 3
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (2, "specs.ram_gb"),
        (3, "specs.storage_type"),
        (4, "make"),
    ]
    assert device_count(db_session, org.id) == 0


def test_glpi_and_snipeit_samples(client: FlaskClient, db_session: Session, org: Org) -> None:
    glpi = upload(client, org.admin, org.id, sample("glpi_en.csv"), "glpi").json
    assert (glpi["created"], glpi["failed"]) == (4, 1)
    assert glpi["errors"][0]["row"] == 5
    french = upload(client, org.admin, org.id, sample("glpi_fr_cp1252.csv"), "glpi").json
    assert (french["encoding"], french["created"], french["failed"]) == ("cp1252", 3, 1)
    snipe = upload(client, org.admin, org.id, sample("snipeit.csv"), "snipeit").json
    assert (snipe["delimiter"], snipe["created"], snipe["failed"]) == (",", 4, 1)
    server = db_session.scalar(sa.select(Device).where(Device.serial == "CZJ81903XY"))
    assert server is not None and server.kind.value == "server" and server.specs["ram_gb"] == 64
    assert device_count(db_session, org.id) == 11


def test_unreadable_file_is_a_422_problem_and_writes_nothing(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    response = upload(client, org.admin, org.id, b"serial,make\nX,Dell\n")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "lacks the column(s): asset_tag, kind, model" in response.json["detail"]
    assert "file" in response.json["errors"]
    assert upload(client, org.admin, org.id, b"\x00\x01binary").status_code == 422
    assert device_count(db_session, org.id) == 0


def test_bad_form_fields_are_422(client: FlaskClient, org: Org) -> None:
    response = upload(client, org.admin, org.id, sample("native.csv"), "excel")
    assert response.status_code == 422 and "format" in response.json["errors"]
    response = client.post(f"/api/v1/devices/import?dry_run=maybe&organisation_id={org.id}", headers=org.admin.headers)
    assert response.status_code == 422


def test_file_larger_than_the_limit_is_413(client: FlaskClient, app, org: Org) -> None:  # type: ignore[no-untyped-def]
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = upload(client, org.admin, org.id, b"asset_tag,serial\n" + b"x" * 5000)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_access_matrix(client: FlaskClient, db_session: Session, org: Org) -> None:
    lister = add_member(client, org.admin, org.id, "lister")
    technician = add_member(client, org.admin, org.id, "technician")
    member = add_member(client, org.admin, org.id, "member")
    outsider = register(client, "outsider")
    other_admin = register(client, "otheradmin")
    create_org(client, other_admin)
    data = sample("native.csv")

    assert upload(client, None, org.id, data).status_code == 401
    for actor in (technician, member):
        response = upload(client, actor, org.id, data)
        assert response.status_code == 403, response.json
        assert response.json["title"] == "Forbidden"
    for actor in (outsider, other_admin):
        response = upload(client, actor, org.id, data)
        assert response.status_code == 404, response.json
    assert upload(client, org.admin, 999999, data).status_code == 404
    assert upload(client, org.admin, 2**31, data).status_code == 422  # beyond a database id
    assert device_count(db_session, org.id) == 0

    assert upload(client, lister, org.id, data).json["created"] == 6


def test_another_organisations_devices_are_never_matched(client: FlaskClient, db_session: Session, org: Org) -> None:
    upload(client, org.admin, org.id, sample("native.csv"))
    other_admin = register(client, "otheradmin")
    other = create_org(client, other_admin)
    body = upload(client, other_admin, other["id"], sample("native.csv")).json
    assert (body["created"], body["updated"], body["unchanged"]) == (6, 0, 0)
    assert device_count(db_session, org.id) == 6 and device_count(db_session, other["id"]) == 6


def test_openapi_documents_the_import(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/devices/import"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"403", "404", "413", "422"} <= set(operation["responses"])


def test_imported_devices_read_through_the_devices_api_with_their_passport(client: FlaskClient, org: Org) -> None:
    upload(client, org.admin, org.id, sample("native.csv"))
    upload(
        client,
        org.admin,
        org.id,
        b"serial,asset_tag,kind,make,model,cpu,ram_gb,storage_gb,year\nPF1ABCDE,LYO-0001,,,,,32,,\n",
    )
    listing = client.get("/api/v1/devices", headers=org.admin.headers).json
    device = next(d for d in listing["items"] if d["serial"] == "PF1ABCDE")
    assert device["specs"]["ram_gb"] == 32 and device["asset_tag"] == "LYO-0001"
    passport = client.get(f"/api/v1/devices/{device['id']}/passport", headers=org.admin.headers)
    assert passport.status_code == 200, passport.json
    kinds = [event["kind"] for event in passport.json["items"]]
    assert kinds[:2] == ["imported", "updated"] or kinds[-2:] == ["imported", "updated"]
    updated = next(event for event in passport.json["items"] if event["kind"] == "updated")
    assert updated["changes"] == {"specs.ram_gb": [16, 32]}
