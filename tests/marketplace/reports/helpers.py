"""Helpers shared by the diagnostics and erasure tests: an organisation with its people, devices
made directly with the model (the devices API lives on another branch), corpus files, uploads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from diagnostics.manual import EXPECTED_ITEMS
from diagnostics.upload import UploadFile, encode_multipart
from marketplace.devices.models import Device, DeviceKind
from tests.api_helpers import Actor, add_member, auth, create_org, register
from tests.corpus_path import CORPUS
from tests.factories import DeviceFactory

NVME_JSON = CORPUS / "smart/scrutiny/smart-nvme.json"  # healthy NVMe, serial BTNH93710FS91P0B
NVME_SERIAL = "BTNH93710FS91P0B"
FAILING_ATA_TEXT = (
    CORPUS / "smart/gsmartcontrol/MAXTOR-7.txt.health_failed.txt"
)  # FAILED, pending sectors, read failure
FAILING_ATA_SERIAL = "674119114160"
BATTERY_UPOWER = CORPUS / "battery/linux_upower/jc_upower-i-utc_dell_7xfjja2.txt"  # 68.5 % of design
NO_BATTERY = CORPUS / "battery/linux_upower/jc_upower-d_desktop_no_battery.txt"  # refused: line power only


@dataclass
class Org:
    id: int
    admin: Actor
    lister: Actor
    technician: Actor
    member: Actor
    bench_token: str

    def actor(self, role: str) -> Actor:
        actor: Actor = getattr(self, role)
        return actor


def make_org(client: FlaskClient) -> Org:
    admin = register(client, "admin")
    org = create_org(client, admin)
    lister = add_member(client, admin, org["id"], "lister")
    technician = add_member(client, admin, org["id"], "technician")
    member = add_member(client, admin, org["id"], "member")
    response = client.post(f"/api/v1/organisations/{org['id']}/tokens", json={"name": "bench"}, headers=admin.headers)
    assert response.status_code == 201, response.json
    return Org(org["id"], admin, lister, technician, member, response.json["token"])


def make_staff(client: FlaskClient, session: Session) -> Actor:
    from marketplace.members.models import User

    staff = register(client, "staff")
    user = session.get(User, staff.user_id)
    assert user is not None
    user.is_staff = True
    session.commit()  # releases a savepoint only: a rejected request must not roll it back
    return staff


def make_device(session: Session, organisation_id: int, kind: DeviceKind = DeviceKind.LAPTOP) -> Device:
    return DeviceFactory.in_session(session, organisation_id=organisation_id, kind=kind)


def upload(
    client: FlaskClient, device_id: int, token: str, *paths_or_files: Path | tuple[str, bytes], **kwargs: Any
) -> TestResponse:
    """POST files as ``relife-bench upload`` encodes them (its own multipart encoder)."""
    files = [
        UploadFile(item.name, item.read_bytes()) if isinstance(item, Path) else UploadFile(*item)
        for item in paths_or_files
    ]
    body, content_type = encode_multipart(files)
    return client.post(
        f"/api/v1/devices/{device_id}/diagnostics",
        data=body,
        headers={**auth(token), "Content-Type": content_type},
        **kwargs,
    )


def checklist(client: FlaskClient, device_id: int, token: str, kind: str = "laptop", **results: str) -> TestResponse:
    """Every expected item of ``kind`` passes unless ``results`` says otherwise (extra items too)."""
    expected = EXPECTED_ITEMS[kind]
    items = [{"item": name, "result": results.get(name, "pass")} for name in expected]
    items += [{"item": name, "result": result} for name, result in results.items() if name not in expected]
    return client.post(f"/api/v1/devices/{device_id}/checklist", json={"items": items}, headers=auth(token))


def count(session: Session, model: type) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
