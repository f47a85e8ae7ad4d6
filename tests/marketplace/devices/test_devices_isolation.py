"""The isolation matrix: each device endpoint by each kind of caller → the expected status,
and a refused request changes nothing. Organisation A owns the device; ``other_admin`` is the
admin of another organisation; ``bench`` is A's bench token (diagnostics upload only)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent
from tests.marketplace.devices.conftest import ROLES, ApiPeople, create_via_api, laptop

DISPOSAL = {"disposal": {"method": "recycled", "recycler": "Envie Rhône", "certificate_ref": "BSD-2026-1"}}

#: endpoint → (method, path, body, expected status per role in ROLES order)
MATRIX: dict[str, tuple[str, str, Any, tuple[int, ...]]] = {
    #                                                anon member lister tech admin other bench staff
    "list": ("GET", "/api/v1/devices", None, (401, 200, 200, 200, 200, 200, 403, 200)),
    "create": ("POST", "/api/v1/devices", "new", (401, 403, 201, 403, 201, 403, 403, 201)),
    "get": ("GET", "/api/v1/devices/{id}", None, (401, 200, 200, 200, 200, 404, 403, 200)),
    "patch": ("PATCH", "/api/v1/devices/{id}", {"location": "Bay 2"}, (401, 403, 200, 403, 200, 404, 403, 200)),
    "passport": ("GET", "/api/v1/devices/{id}/passport", None, (404, 200, 200, 200, 200, 404, 403, 200)),
    # What the device still needs to be listed: the bench reads it too (relife-bench status).
    "readiness": ("GET", "/api/v1/devices/{id}/readiness", None, (401, 200, 200, 200, 200, 404, 200, 200)),
    # By asset tag, serial or label code: the same callers as reading the device (and its bench).
    "lookup_tag": ("GET", "/api/v1/devices/lookup?tag={tag}", None, (401, 200, 200, 200, 200, 404, 200, 200)),
    "lookup_serial": ("GET", "/api/v1/devices/lookup?serial={serial}", None, (401, 200, 200, 200, 200, 404, 200, 200)),
    "specs_check": ("GET", "/api/v1/devices/{id}/specs-check", None, (401, 200, 200, 200, 200, 404, 200, 200)),
    # Nothing measured yet: 409 for those allowed to change the device.
    "specs_accept": ("POST", "/api/v1/devices/{id}/specs-check/accept", None, (401, 403, 409, 403, 409, 404, 403, 409)),
    "lookup_code": ("GET", "/api/v1/devices/lookup?code={code}", None, (401, 200, 200, 200, 200, 404, 200, 200)),
    "repair": ("POST", "/api/v1/devices/{id}/repairs", {"parts": ["fan"]}, (401, 403, 201, 201, 201, 404, 403, 201)),
    "repaired": ("POST", "/api/v1/devices/{id}/repairs/complete", {}, (401, 403, 200, 200, 200, 404, 403, 200)),
    "retire": ("POST", "/api/v1/devices/{id}/retire", DISPOSAL, (401, 403, 200, 403, 200, 404, 403, 200)),
}

CASES = [
    pytest.param(endpoint, role, expected[i], id=f"{endpoint}-{role}")
    for endpoint, (_m, _p, _b, expected) in MATRIX.items()
    for i, role in enumerate(ROLES)
]


def fingerprint(session: Session, device_id: int) -> tuple[Any, ...]:
    session.expire_all()
    device = session.get(Device, device_id)
    assert device is not None
    events = session.scalar(sa.select(sa.func.count()).where(DeviceEvent.device_id == device_id))
    devices = session.scalar(sa.select(sa.func.count()).select_from(Device))
    return device.version, device.state, device.location, events, devices


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
def test_matrix(
    client: FlaskClient, db_session: Session, api_people: ApiPeople, endpoint: str, role: str, expected: int
) -> None:
    device = create_via_api(client, api_people)
    if endpoint == "repaired":
        response = client.post(
            f"/api/v1/devices/{device['id']}/repairs", json={}, headers=api_people.headers["technician"]
        )
        assert response.status_code == 201
    method, path, body, _ = MATRIX[endpoint]
    if body == "new":
        body = {"organisation_id": api_people.org_id, **laptop()}
    headers = dict(api_people.headers[role] or {})
    if method != "GET":
        version = db_session.get(Device, device["id"]).version  # type: ignore[union-attr]
        headers["If-Match"] = f'"{version}"'
    before = fingerprint(db_session, device["id"])

    url = path.format(id=device["id"], tag=device["asset_tag"], serial=device["serial"], code=device["public_code"])
    response = client.open(url, method=method, json=body, headers=headers)

    assert response.status_code == expected, response.json
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
        assert fingerprint(db_session, device["id"]) == before
        assert device["serial"] not in response.get_data(as_text=True)
    if endpoint == "list" and expected == 200:
        ids = [item["id"] for item in response.json["items"]]
        assert (device["id"] in ids) == (role != "other_admin")


def test_an_outsider_cannot_tell_a_foreign_device_from_a_missing_one(
    client: FlaskClient, api_people: ApiPeople
) -> None:
    device = create_via_api(client, api_people)
    headers = api_people.headers["other_admin"]
    foreign = client.get(f"/api/v1/devices/{device['id']}", headers=headers)
    missing = client.get(f"/api/v1/devices/{device['id'] + 10_000}", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json == missing.json


def test_listing_another_organisation_by_id_is_refused(client: FlaskClient, api_people: ApiPeople) -> None:
    create_via_api(client, api_people)
    response = client.get(
        "/api/v1/devices",
        query_string={"organisation_id": api_people.org_id},
        headers=api_people.headers["other_admin"],
    )
    assert response.status_code == 403
    # Its own organisation's list holds nothing of A's.
    own = client.get(
        "/api/v1/devices",
        query_string={"organisation_id": api_people.other_org_id},
        headers=api_people.headers["other_admin"],
    )
    assert own.status_code == 200 and own.json["items"] == []


def test_nothing_of_another_organisation_leaks_into_a_search(client: FlaskClient, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people, make="Fujitsu", model="Lifebook U7")
    response = client.get(
        "/api/v1/devices", query_string={"q": device["serial"]}, headers=api_people.headers["other_admin"]
    )
    assert response.status_code == 200 and response.json["items"] == []


def test_registering_into_an_unknown_organisation_is_refused_like_a_foreign_one(
    client: FlaskClient, db_session: Session, api_people: ApiPeople
) -> None:
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Device))
    response = client.post(
        "/api/v1/devices",
        json={"organisation_id": api_people.org_id + 999, **laptop()},
        headers=api_people.headers["other_admin"],
    )
    assert response.status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == before
