"""Data erasure: records per disk matched by serial, the certificate, and the listable check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices import lifecycle
from marketplace.devices.models import Device, DeviceEvent, DeviceKind, DeviceState, EventKind
from marketplace.devices.passport import record_event
from marketplace.erasures.models import Erasure
from marketplace.errors import InvalidState
from marketplace.listability.rules import all_disks_erased, ensure_listable
from tests.api_helpers import auth, register
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    CORPUS,
    FAILING_ATA_SERIAL,
    FAILING_ATA_TEXT,
    NVME_JSON,
    NVME_SERIAL,
    Org,
    checklist,
    count,
    make_device,
    make_staff,
    upload,
)

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def erasure_body(serial: str = NVME_SERIAL, **overrides: Any) -> dict[str, Any]:
    body = {
        "disk_serial": serial,
        "method": "purge",
        "standard": "nist-sp-800-88-r1",
        "tool": "nvme-cli sanitize",
        "tool_version": "2.8",
        "started_at": START.isoformat(),
        "finished_at": (START + dt.timedelta(minutes=4)).isoformat(),
        "verified": True,
        "verification_method": "full read-back of zeroes",
        "operator": "J. Martin",
    }
    body.update(overrides)
    return body


def diagnosed_laptop(client: FlaskClient, session: Session, org: Org, *paths: Any) -> Device:
    device = make_device(session, org.id)
    response = upload(client, device.id, org.bench_token, *(paths or (NVME_JSON, BATTERY_UPOWER)))
    assert response.status_code == 201, response.json
    response = checklist(client, device.id, org.technician.token)
    assert response.status_code == 201, response.json
    session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED
    return device


def test_a_disk_without_verified_erasure_blocks_listing_until_one_is_recorded(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = diagnosed_laptop(client, db_session, org)

    with pytest.raises(InvalidState) as refused:
        ensure_listable(db_session, device)
    assert NVME_SERIAL in refused.value.detail
    assert refused.value.errors == {"disks": [f"{NVME_SERIAL} (INTEL SSDPEKNW010T8): no verified erasure"]}

    certificate = client.get(f"/api/v1/devices/{device.id}/erasure-certificate", headers=org.member.headers).json
    assert certificate["complete"] is False
    assert [(d["serial"], d["erased"], d["erasure"]) for d in certificate["disks"]] == [(NVME_SERIAL, False, None)]

    # An erasure that could not be verified does not count.
    response = client.post(
        f"/api/v1/devices/{device.id}/erasures", json=erasure_body(verified=False), headers=org.lister.headers
    )
    assert response.status_code == 201, response.json
    with pytest.raises(InvalidState):
        ensure_listable(db_session, device)

    response = client.post(
        f"/api/v1/devices/{device.id}/erasures",
        json=erasure_body(serial=f"  {NVME_SERIAL.lower()} "),
        headers=org.technician.headers,
    )
    assert response.status_code == 201, response.json
    erasure = response.json
    assert erasure["disk_serial"] == NVME_SERIAL and erasure["disk_model"] == "INTEL SSDPEKNW010T8"
    assert erasure["method"] == "purge" and erasure["standard"] == "nist-sp-800-88-r1" and erasure["verified"]
    assert erasure["report_id"] is not None

    ensure_listable(db_session, device)  # no exception

    certificate = client.get(f"/api/v1/devices/{device.id}/erasure-certificate", headers=org.member.headers).json
    assert certificate["complete"] is True
    assert certificate["device"]["serial"] == device.serial and certificate["device"]["make"] == "Dell"
    assert certificate["disks"][0]["erasure"]["id"] == erasure["id"]
    assert certificate["generated_at"].endswith("+00:00")

    listed = client.get(f"/api/v1/devices/{device.id}/erasures", headers=org.member.headers).json
    assert [e["verified"] for e in listed["items"]] == [False, True] and listed["next_cursor"] is None

    events = [e for e in device.events if e.kind is EventKind.ERASED]
    assert len(events) == 2
    assert events[-1].public is True
    assert events[-1].data["method"] == "purge" and events[-1].data["standard"] == "nist-sp-800-88-r1"
    assert NVME_SERIAL not in str(events[-1].data) and "Martin" not in str(events[-1].data)


def test_every_disk_of_the_latest_diagnostics_needs_its_erasure(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = diagnosed_laptop(client, db_session, org, NVME_JSON, FAILING_ATA_TEXT, BATTERY_UPOWER)
    client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    with pytest.raises(InvalidState) as refused:
        ensure_listable(db_session, device)
    assert refused.value.errors["disks"] == [f"{FAILING_ATA_SERIAL} (MAXTOR 4K080H4): no verified erasure"]

    response = client.post(
        f"/api/v1/devices/{device.id}/erasures",
        json=erasure_body(serial=FAILING_ATA_SERIAL, method="destroy", standard="ieee-2883-2022", tool="shredder"),
        headers=org.lister.headers,
    )
    assert response.status_code == 201, response.json
    ensure_listable(db_session, device)


def test_unknown_serial_is_422_naming_the_known_disks_and_records_nothing(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = diagnosed_laptop(client, db_session, org)
    before = (count(db_session, Erasure), count(db_session, DeviceEvent))
    response = client.post(
        f"/api/v1/devices/{device.id}/erasures", json=erasure_body(serial="NOPE123"), headers=org.lister.headers
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert NVME_SERIAL in response.json["detail"]
    assert response.json["errors"] == {"disk_serial": [f"Unknown disk; known serials: ['{NVME_SERIAL}']"]}
    assert (count(db_session, Erasure), count(db_session, DeviceEvent)) == before


def test_a_device_without_disk_report_has_no_known_serial(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    response = client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    assert response.status_code == 422
    assert "no disk report" in response.json["detail"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"finished_at": (START - dt.timedelta(seconds=1)).isoformat()}, "finished_at"),
        ({"finished_at": "2999-01-01T00:00:00+00:00"}, "finished_at"),
        ({"method": "shred"}, "method"),
        ({"standard": "DoD 5220.22-M"}, "standard"),
        ({"started_at": "2026-11-20T09:00:00"}, "started_at"),  # naive: no timezone
        ({"verified": None}, "verified"),
        ({"colour": "red"}, "colour"),
        ({"operator": "J.\x00Martin"}, "operator"),
    ],
)
def test_invalid_erasures_are_422_and_record_nothing(
    client: FlaskClient, db_session: Session, org: Org, overrides: dict[str, Any], field: str
) -> None:
    device = diagnosed_laptop(client, db_session, org)
    before = count(db_session, Erasure)
    response = client.post(
        f"/api/v1/devices/{device.id}/erasures", json=erasure_body(**overrides), headers=org.lister.headers
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert count(db_session, Erasure) == before


def test_only_a_diagnosed_device_is_listable(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = make_device(db_session, org.id)
    upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER)
    client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    db_session.refresh(device)
    assert device.state is DeviceState.REGISTERED  # no checklist yet
    with pytest.raises(InvalidState) as refused:
        ensure_listable(db_session, device)
    assert refused.value.errors == {"state": ["Is registered; must be diagnosed or returned."]}


def test_a_device_without_storage_is_listable_once_diagnosed(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    screen = make_device(db_session, org.id, DeviceKind.SCREEN)
    response = checklist(client, screen.id, org.technician.token, kind="screen")
    assert response.status_code == 201, response.json
    db_session.refresh(screen)
    assert screen.state is DeviceState.DIAGNOSED
    ensure_listable(db_session, screen)
    certificate = client.get(f"/api/v1/devices/{screen.id}/erasure-certificate", headers=org.admin.headers).json
    assert certificate["disks"] == [] and certificate["complete"] is True


def test_a_returned_device_needs_an_erasure_recorded_after_its_return(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = diagnosed_laptop(client, db_session, org)
    client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    ensure_listable(db_session, device)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for erasure in db_session.query(Erasure).filter_by(device_id=device.id):
        erasure.created_at = earlier  # recorded before the loan
    # Listed, lent, returned: the borrower may have put data on it.
    for target, kind in (
        (DeviceState.LISTED, EventKind.LISTED),
        (DeviceState.ON_LOAN, EventKind.LENT),
        (DeviceState.RETURNED, EventKind.RETURNED),
    ):
        previous = lifecycle.transition(device, target)
        record_event(db_session, device, kind, None, state_from=previous)
    db_session.flush()

    with pytest.raises(InvalidState) as refused:
        ensure_listable(db_session, device)
    assert refused.value.errors["disks"] == [f"{NVME_SERIAL} (INTEL SSDPEKNW010T8): no verified erasure"]
    assert set(refused.value.errors) == {"disks", "checklist"}  # and a functional check since it came back

    response = client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    assert response.status_code == 201, response.json
    with pytest.raises(InvalidState) as still:
        ensure_listable(db_session, device)
    assert set(still.value.errors) == {"checklist"}
    assert checklist(client, device.id, org.technician.token).status_code == 201
    ensure_listable(db_session, device)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 201),
        ("lister", 201),
        ("technician", 201),
        ("member", 403),
        ("bench", 403),
        ("outsider", 404),
        ("other_admin", 404),
        ("staff", 201),
        ("anonymous", 401),
    ],
)
def test_who_may_record_an_erasure(
    client: FlaskClient, db_session: Session, org: Org, other_org: Org, who: str, status: int
) -> None:
    device = diagnosed_laptop(client, db_session, org)
    headers = {
        "admin": org.admin.headers,
        "lister": org.lister.headers,
        "technician": org.technician.headers,
        "member": org.member.headers,
        "bench": auth(org.bench_token),
        "outsider": lambda: register(client).headers,
        "other_admin": other_org.admin.headers,
        "staff": lambda: make_staff(client, db_session).headers,
        "anonymous": {},
    }[who]
    if callable(headers):
        headers = headers()
    before = count(db_session, Erasure)
    response = client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=headers)
    assert response.status_code == status, response.json
    assert count(db_session, Erasure) == before + (1 if status == 201 else 0)
    if status != 201:
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["erasures", "erasure-certificate"])
@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 200), ("technician", 200), ("staff", 200), ("bench", 403), ("other_admin", 404), ("anonymous", 401)],
)
def test_who_may_read_erasures_and_the_certificate(
    client: FlaskClient, db_session: Session, org: Org, other_org: Org, path: str, who: str, status: int
) -> None:
    device = diagnosed_laptop(client, db_session, org)
    headers = {
        "member": org.member.headers,
        "technician": org.technician.headers,
        "staff": make_staff(client, db_session).headers if who == "staff" else {},
        "bench": auth(org.bench_token),
        "other_admin": other_org.admin.headers,
        "anonymous": {},
    }[who]
    response = client.get(f"/api/v1/devices/{device.id}/{path}", headers=headers)
    assert response.status_code == status, response.json
    missing = client.get(f"/api/v1/devices/{device.id + 10_000}/{path}", headers=org.member.headers)
    assert missing.status_code == 404


def test_all_disks_erased_follows_the_certificate(client: FlaskClient, db_session: Session, org: Org) -> None:
    device = diagnosed_laptop(client, db_session, org)
    assert all_disks_erased(db_session, device) is False
    client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    assert all_disks_erased(db_session, device) is True


def test_a_disk_whose_report_has_no_serial_blocks_listing_and_says_why(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    no_serial = CORPUS / "smart/scrutiny/smart-pass.json"
    device = diagnosed_laptop(client, db_session, org, no_serial, BATTERY_UPOWER)
    with pytest.raises(InvalidState) as refused:
        ensure_listable(db_session, device)
    assert refused.value.errors == {"disks": ["(no serial in its report): no verified erasure"]}
    response = client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    assert response.status_code == 422
    assert "its disk reports carry no serial" in response.json["detail"]


def test_the_certificate_as_pdf(client: FlaskClient, db_session: Session, org: Org, other_org: Org) -> None:
    import io

    import pypdf

    device = diagnosed_laptop(client, db_session, org, NVME_JSON, FAILING_ATA_TEXT, BATTERY_UPOWER)
    client.post(f"/api/v1/devices/{device.id}/erasures", json=erasure_body(), headers=org.lister.headers)
    response = client.get(f"/api/v1/devices/{device.id}/erasure-certificate.pdf", headers=org.member.headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="erasure-certificate-{device.id}.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for mention in (device.serial, NVME_SERIAL, FAILING_ATA_SERIAL, "INCOMPLET", "Aucun effacement enregistré."):
        assert mention in text, mention
    assert "Méthode purge Norme NIST SP-800-88-R1" in text

    outsider = client.get(f"/api/v1/devices/{device.id}/erasure-certificate.pdf", headers=other_org.admin.headers)
    assert outsider.status_code == 404
