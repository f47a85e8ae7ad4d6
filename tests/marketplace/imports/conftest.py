"""Fixtures for the import tests: an organisation with its admin, and a helper that uploads."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from marketplace.devices.models import Device, DeviceEvent
from tests.api_helpers import Actor, create_org, register

SAMPLES = Path(__file__).parent / "samples"


@dataclass
class Org:
    id: int
    admin: Actor


@pytest.fixture
def org(client: FlaskClient) -> Org:
    admin = register(client, "itadmin")
    return Org(create_org(client, admin)["id"], admin)


def upload(
    client: FlaskClient,
    actor: Actor | None,
    organisation_id: int,
    data: bytes,
    fmt: str = "native",
    *,
    dry_run: bool | None = False,
    filename: str = "devices.csv",
) -> TestResponse:
    query = "" if dry_run is None else f"?dry_run={'true' if dry_run else 'false'}"
    form: dict[str, Any] = {
        "file": (BytesIO(data), filename, "text/csv"),
        "format": fmt,
        "organisation_id": str(organisation_id),
    }
    return client.post(
        f"/api/v1/devices/import{query}",
        data=form,
        content_type="multipart/form-data",
        headers=actor.headers if actor else {},
    )


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def device_count(session: Session, organisation_id: int | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(Device)
    if organisation_id is not None:
        query = query.where(Device.organisation_id == organisation_id)
    return int(session.scalar(query) or 0)


def event_count(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(DeviceEvent)) or 0)
