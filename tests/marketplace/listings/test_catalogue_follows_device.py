"""Issue 20, classes 1, 2 and 11: a listed device is always what the catalogue says, nothing
unerased or failing stays on offer, and a sold device is frozen for its seller.

Devices here are diagnosed from real corpus reports through the API (upload, checklist, erasure),
then listed; every change goes through the API too, and the catalogue is read back as a buyer and
as the seller would read it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceKind, DeviceState, EventKind
from marketplace.listings.models import Listing
from marketplace.reports.service import RegradeOutcome, regrade_device
from marketplace.reservations.models import Reservation, ReservationStatus
from tests.api_helpers import Actor, create_org, register
from tests.corpus_path import CORPUS
from tests.marketplace.reports.helpers import (
    BATTERY_UPOWER,
    NVME_JSON,
    NVME_SERIAL,
    Org,
    checklist,
    make_device,
    make_org,
    upload,
)

#: A second healthy disk with its own serial: "a disk the device never reported before".
SECOND_DISK = CORPUS / "smart/scrutiny/smart-ata-full.json"
SECOND_SERIAL = "S3YZNB0KB00864E"
START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@dataclass
class Scene:
    org: Org
    device: Device
    listing_id: int
    buyer: Actor
    buyer_org_id: int


def erase(client: FlaskClient, org: Org, device_id: int, serial: str) -> Any:
    body = {
        "disk_serial": serial,
        "method": "purge",
        "standard": "nist-sp-800-88-r1",
        "tool": "nvme-cli sanitize",
        "started_at": START.isoformat(),
        "finished_at": (START + dt.timedelta(minutes=4)).isoformat(),
        "verified": True,
    }
    return client.post(f"/api/v1/devices/{device_id}/erasures", json=body, headers=org.lister.headers)


def listed_laptop(client: FlaskClient, session: Session, **terms: Any) -> Scene:
    """A laptop graded from an NVMe report, a battery report and a passing checklist, its disk
    erased, listed publicly; a public body that may buy it by invoice."""
    org = make_org(client)
    device = make_device(session, org.id)
    assert upload(client, device.id, org.bench_token, NVME_JSON, BATTERY_UPOWER).status_code == 201
    assert checklist(client, device.id, org.technician.token).status_code == 201
    assert erase(client, org, device.id, NVME_SERIAL).status_code == 201
    body = {"device_id": device.id, "mode": "sale", "price_cents": 30_000, "visibility": "public", **terms}
    listed = client.post("/api/v1/listings", json=body, headers=org.lister.headers)
    assert listed.status_code == 201, listed.json
    buyer = register(client, "mairie")
    buyer_org = create_org(client, buyer, kind="public_body", invoice_allowed=True)
    session.refresh(device)
    return Scene(org, device, listed.json["id"], buyer, buyer_org["id"])


def as_owner(client: FlaskClient, scene: Scene) -> dict[str, Any]:
    response = client.get(f"/api/v1/listings/{scene.listing_id}", headers=scene.org.member.headers)
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def catalogue_ids(client: FlaskClient, query: str = "") -> list[int]:
    response = client.get(f"/api/v1/listings?limit=100{query}")
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def unlisted_events(session: Session, device_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        sa.select(DeviceEvent)
        .where(DeviceEvent.device_id == device_id, DeviceEvent.kind.in_((EventKind.UNLISTED, EventKind.LISTED)))
        .order_by(DeviceEvent.id)
    )
    return [{"kind": e.kind.value, **e.data} for e in rows]


def import_csv(client: FlaskClient, scene: Scene, text: str) -> Any:
    form = {"file": (BytesIO(text.encode()), "inventory.csv", "text/csv"), "format": "native"}
    form["organisation_id"] = str(scene.org.id)
    return client.post(
        "/api/v1/devices/import?dry_run=false",
        data=form,
        headers=scene.org.lister.headers,
        content_type="multipart/form-data",
    )


def patch_device(client: FlaskClient, scene: Scene, changes: dict[str, Any]) -> Any:
    current = client.get(f"/api/v1/devices/{scene.device.id}", headers=scene.org.lister.headers)
    headers = {**scene.org.lister.headers, "If-Match": current.headers["ETag"]}
    return client.patch(f"/api/v1/devices/{scene.device.id}", json=changes, headers=headers)


# --- class 1: a device that stops being listable leaves the catalogue -------------------------------


def test_a_new_unerased_disk_suspends_the_listing_ends_the_hold_and_an_erasure_brings_it_back(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    held = client.post(f"/api/v1/listings/{scene.listing_id}/reservations", json={}, headers=scene.buyer.headers)
    assert held.status_code == 201, held.json

    # The bench reports a disk the device never had: the certificate is no longer complete.
    assert upload(client, scene.device.id, scene.org.bench_token, SECOND_DISK).status_code == 201

    owner_view = as_owner(client, scene)
    assert owner_view["status"] == "suspended"
    assert SECOND_SERIAL in owner_view["status_reason"] and "erasure" in owner_view["status_reason"]
    assert scene.listing_id not in catalogue_ids(client)
    assert client.get(f"/api/v1/listings/{scene.listing_id}", headers=scene.buyer.headers).status_code == 404
    # The hold ended, and nobody can take a new one or order on it.
    reservation = db_session.get(Reservation, held.json["id"], populate_existing=True)
    assert reservation is not None and reservation.status is ReservationStatus.CANCELLED
    again = client.post(f"/api/v1/listings/{scene.listing_id}/reservations", json={}, headers=scene.buyer.headers)
    assert again.status_code == 409, again.json
    order = client.post(
        "/api/v1/orders",
        json={"reservation_id": held.json["id"], "payment": "invoice"},
        headers={**scene.buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 409, order.json
    # The passport says it left the catalogue and why, without the disk's serial.
    events = unlisted_events(db_session, scene.device.id)
    assert events[-1] == {
        "kind": "unlisted",
        "listing_id": scene.listing_id,
        "reason": "suspended",
        "causes": ["disks"],
    }
    public = client.get(f"/api/v1/devices/{scene.device.id}/passport", headers=scene.org.member.headers).json
    assert SECOND_SERIAL not in str([e["data"] for e in public["items"] if e["kind"] == "unlisted"])

    # Erasing the new disk makes the device listable again: the listing comes back by itself.
    assert erase(client, scene.org, scene.device.id, SECOND_SERIAL).status_code == 201
    owner_view = as_owner(client, scene)
    assert owner_view["status"] == "active" and owner_view["status_reason"] is None
    assert scene.listing_id in catalogue_ids(client)
    assert unlisted_events(db_session, scene.device.id)[-1]["reason"] == "reinstated"


def test_a_failing_checklist_suspends_the_listing_and_the_card_shows_the_new_grade(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    before = as_owner(client, scene)["device"]["grade"]
    assert scene.listing_id in catalogue_ids(client, f"&min_grade={before}")

    # Soldered USB ports that fail: not a part swap, the device is F (not reusable).
    response = checklist(client, scene.device.id, scene.org.technician.token, usb_ports="fail")
    assert response.status_code == 201, response.json
    db_session.refresh(scene.device)
    assert scene.device.grade == "F"

    owner_view = as_owner(client, scene)
    assert owner_view["status"] == "suspended" and "Graded F" in owner_view["status_reason"]
    assert owner_view["device"]["grade"] == "F" and owner_view["device"]["health"] == scene.device.health
    assert "manual.function_failed" in [f["code"] for f in owner_view["device"]["key_findings"]]
    assert scene.listing_id not in catalogue_ids(client, f"&min_grade={before}")
    assert scene.listing_id not in catalogue_ids(client)


def test_a_checklist_that_records_nothing_leaves_the_diagnosis_incomplete_and_suspends(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    items = dict.fromkeys(("screen", "keyboard", "touchpad", "usb_ports", "webcam", "wifi", "audio"), "na")
    response = checklist(client, scene.device.id, scene.org.technician.token, charger="na", **items)
    assert response.status_code == 201, response.json
    owner_view = as_owner(client, scene)
    assert owner_view["status"] == "suspended"
    assert "Diagnostics incomplete" in owner_view["status_reason"], owner_view["status_reason"]


def test_a_device_graded_f_cannot_be_listed(client: FlaskClient, db_session: Session) -> None:
    org = make_org(client)
    device = make_device(db_session, org.id, DeviceKind.SCREEN)
    assert checklist(client, device.id, org.technician.token, kind="screen", panel="fail").status_code == 201
    db_session.refresh(device)
    assert device.state is DeviceState.DIAGNOSED and device.grade == "F"
    body = {"device_id": device.id, "mode": "donation"}
    refused = client.post("/api/v1/listings", json=body, headers=org.lister.headers)
    assert refused.status_code == 409, refused.json
    assert refused.json["errors"] == {"grade": ["Graded F by its diagnostics: not reusable as it is."]}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Listing).where(Listing.device_id == device.id)) == 0


def test_a_suspended_listing_cannot_be_listed_twice_but_can_be_withdrawn(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    assert upload(client, scene.device.id, scene.org.bench_token, SECOND_DISK).status_code == 201
    assert as_owner(client, scene)["status"] == "suspended"
    again = client.post(
        "/api/v1/listings",
        json={"device_id": scene.device.id, "mode": "sale", "price_cents": 100},
        headers=scene.org.lister.headers,
    )
    assert again.status_code == 409, again.json
    withdrawn = client.delete(f"/api/v1/listings/{scene.listing_id}", headers=scene.org.lister.headers)
    assert withdrawn.status_code == 200, withdrawn.json
    assert withdrawn.json["status"] == "withdrawn" and withdrawn.json["status_reason"] is None


def test_a_paid_order_is_not_handed_over_once_the_device_is_no_longer_listable(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    held = client.post(f"/api/v1/listings/{scene.listing_id}/reservations", json={}, headers=scene.buyer.headers)
    order = client.post(
        "/api/v1/orders",
        json={"reservation_id": held.json["id"], "payment": "invoice"},
        headers={**scene.buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201 and order.json["status"] == "confirmed", order.json
    # A policy change re-grades the sold device F (the regrade command's effect on its fields).
    device = db_session.get(Device, scene.device.id, populate_existing=True)
    assert device is not None
    device.grade = "F"
    db_session.commit()

    refused = client.post(f"/api/v1/orders/{order.json['id']}/handover", headers=scene.org.lister.headers)
    assert refused.status_code == 409, refused.json
    assert "grade" in refused.json["errors"] and "full refund" in refused.json["detail"]
    assert client.get(f"/api/v1/orders/{order.json['id']}", headers=scene.buyer.headers).json["status"] == "confirmed"
    # The buyer walks away at no cost; the listing does not come back while the device is F.
    cancelled = client.post(f"/api/v1/orders/{order.json['id']}/cancel", headers=scene.buyer.headers)
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert as_owner(client, scene)["status"] == "suspended"


def test_a_booked_loan_is_not_handed_over_while_suspended_and_a_return_needs_a_new_erasure(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session, mode="loan", price_cents=None, min_days=1, max_days=30)
    today = dt.datetime.now(dt.UTC).date()
    period = {"start": today.isoformat(), "end": (today + dt.timedelta(days=2)).isoformat()}
    booked = client.post(f"/api/v1/listings/{scene.listing_id}/loans", json=period, headers=scene.buyer.headers)
    assert booked.status_code == 201, booked.json
    later = {"start": (today + dt.timedelta(days=5)).isoformat(), "end": (today + dt.timedelta(days=7)).isoformat()}
    next_loan = client.post(f"/api/v1/listings/{scene.listing_id}/loans", json=later, headers=scene.buyer.headers)
    assert next_loan.status_code == 201, next_loan.json

    assert upload(client, scene.device.id, scene.org.bench_token, SECOND_DISK).status_code == 201
    assert as_owner(client, scene)["status"] == "suspended"
    handover = f"/api/v1/loans/{booked.json['id']}/handover"
    refused = client.post(handover, headers=scene.org.lister.headers)
    assert refused.status_code == 409, refused.json
    assert SECOND_SERIAL in refused.json["detail"]
    assert client.get(f"/api/v1/loans/{booked.json['id']}", headers=scene.buyer.headers).json["status"] == "booked"

    assert erase(client, scene.org, scene.device.id, SECOND_SERIAL).status_code == 201
    assert client.post(handover, headers=scene.org.lister.headers).status_code == 200
    returned = client.post(
        f"/api/v1/loans/{booked.json['id']}/return", json={"condition": "as_lent"}, headers=scene.org.lister.headers
    )
    assert returned.status_code == 200, returned.json
    # The borrower may have put data on it: the erasure from before the loan no longer counts.
    owner_view = as_owner(client, scene)
    assert owner_view["status"] == "suspended" and SECOND_SERIAL in owner_view["status_reason"]
    assert scene.listing_id not in catalogue_ids(client)
    assert client.get(f"/api/v1/loans/{next_loan.json['id']}", headers=scene.buyer.headers).json["status"] == "booked"
    assert erase(client, scene.org, scene.device.id, SECOND_SERIAL).status_code == 201
    # ... and a functional checklist recorded since it came back.
    assert as_owner(client, scene)["status_reason"] and "checklist" in as_owner(client, scene)["status_reason"]
    assert checklist(client, scene.device.id, scene.org.technician.token).status_code == 201
    assert as_owner(client, scene)["status"] == "active"


# --- class 2: the card follows every change of the device -----------------------------------------


def test_a_patch_of_make_model_specs_and_cosmetic_grade_reaches_the_card(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    changes = {
        "make": "Fujitsu",
        "model": "Lifebook U7410",
        "specs": {"cpu": "Intel Core i7-10610U", "ram_gb": 32, "storage_gb": 1024},
        "cosmetic_grade": "excellent",
    }
    response = patch_device(client, scene, changes)
    assert response.status_code == 200, response.json

    card = as_owner(client, scene)["device"]
    assert (card["make"], card["model"], card["cosmetic_grade"]) == ("Fujitsu", "Lifebook U7410", "excellent")
    assert card["specs"] == changes["specs"]
    assert scene.listing_id in catalogue_ids(client, "&q=lifebook")
    assert scene.listing_id in catalogue_ids(client, "&ram_min=32&cpu=i7-10610U&cosmetic_grade=excellent")
    assert scene.listing_id not in catalogue_ids(client, "&q=latitude")


def test_the_kind_of_a_listed_device_cannot_change(client: FlaskClient, db_session: Session) -> None:
    scene = listed_laptop(client, db_session)
    version = scene.device.version
    response = patch_device(client, scene, {"kind": "screen", "specs": {}})
    assert response.status_code == 409, response.json
    assert response.mimetype == "application/problem+json" and "kind" in response.json["errors"]
    db_session.refresh(scene.device)
    assert scene.device.kind is DeviceKind.LAPTOP and scene.device.version == version
    assert as_owner(client, scene)["device"]["kind"] == "laptop"


def test_a_csv_import_reaches_the_card_and_cannot_change_a_listed_kind(
    client: FlaskClient, db_session: Session
) -> None:
    scene = listed_laptop(client, db_session)
    header = "asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n"
    row = f"{scene.device.asset_tag},{scene.device.serial},laptop,Dell,Latitude 7490,,24,,\n"
    response = import_csv(client, scene, header + row)
    assert response.status_code == 200, response.json
    assert response.json["updated"] == 1, response.json
    card = as_owner(client, scene)["device"]
    assert card["model"] == "Latitude 7490" and card["specs"]["ram_gb"] == 24
    assert scene.listing_id in catalogue_ids(client, "&ram_min=24")

    row = f"{scene.device.asset_tag},{scene.device.serial},desktop,Dell,Latitude 7490,,24,,\n"
    response = import_csv(client, scene, header + row)
    assert response.status_code == 200, response.json
    assert response.json["failed"] == 1 and response.json["errors"][0]["field"] == "kind", response.json
    db_session.refresh(scene.device)
    assert scene.device.kind is DeviceKind.LAPTOP


def test_a_regrade_brings_a_drifted_card_back_to_the_device(client: FlaskClient, db_session: Session) -> None:
    scene = listed_laptop(client, db_session)
    listing = db_session.get(Listing, scene.listing_id)
    assert listing is not None
    listing.grade, listing.grade_rank, listing.make = "A", 1, "Drifted"  # as left by an older version
    db_session.commit()
    regrade_device(db_session, scene.device.id, RegradeOutcome())
    db_session.commit()
    card = as_owner(client, scene)["device"]
    assert card["grade"] == scene.device.grade and card["make"] == scene.device.make


# --- class 11: a sold device is frozen for its seller ---------------------------------------------


def test_a_sold_device_is_frozen_for_its_seller(client: FlaskClient, db_session: Session) -> None:
    scene = listed_laptop(client, db_session)
    held = client.post(f"/api/v1/listings/{scene.listing_id}/reservations", json={}, headers=scene.buyer.headers)
    order = client.post(
        "/api/v1/orders",
        json={"reservation_id": held.json["id"], "payment": "invoice"},
        headers={**scene.buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 201, order.json
    db_session.refresh(scene.device)
    version, events = scene.device.version, len(scene.device.events)

    patched = patch_device(client, scene, {"model": "Latitude 9999", "location": "gone"})
    assert patched.status_code == 409, patched.json
    assert patched.mimetype == "application/problem+json" and "sold" in patched.json["detail"]
    uploaded = upload(client, scene.device.id, scene.org.bench_token, SECOND_DISK)
    assert uploaded.status_code == 409, uploaded.json
    checked = checklist(client, scene.device.id, scene.org.technician.token)
    assert checked.status_code == 409, checked.json
    erased = erase(client, scene.org, scene.device.id, NVME_SERIAL)
    assert erased.status_code == 409, erased.json
    header = "asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n"
    row = f"{scene.device.asset_tag},{scene.device.serial},laptop,Dell,Latitude 9999,,,,\n"
    imported = import_csv(client, scene, header + row)
    assert imported.status_code == 200 and imported.json["failed"] == 1, imported.json
    assert "sold" in imported.json["errors"][0]["message"]

    db_session.refresh(scene.device)
    assert scene.device.model == "Latitude 5490" and scene.device.version == version
    assert len(scene.device.events) == events

    # Handed over, it is no longer the seller's at all (issue #17: it is the buyer's now).
    handed = client.post(f"/api/v1/orders/{order.json['id']}/handover", headers=scene.org.lister.headers)
    assert handed.status_code == 200, handed.json
    headers = {**scene.org.lister.headers, "If-Match": f'"{scene.device.version}"'}
    assert client.get(f"/api/v1/devices/{scene.device.id}", headers=scene.org.lister.headers).status_code == 404
    patched = client.patch(f"/api/v1/devices/{scene.device.id}", json={"model": "Latitude 9999"}, headers=headers)
    assert patched.status_code == 404, patched.json
    assert upload(client, scene.device.id, scene.org.bench_token, SECOND_DISK).status_code == 404
    db_session.refresh(scene.device)
    assert scene.device.model == "Latitude 5490" and scene.device.organisation_id != scene.org.id
