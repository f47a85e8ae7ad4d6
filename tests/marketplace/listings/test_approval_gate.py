"""Until the cluster staff approve it, an organisation neither sees members-only listings nor
reserves, borrows or publishes; its people may still register devices (an IT department gets its
stock ready). Once approved, the same people do all of it; a refusal says why and what to do."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.listings.models import Listing
from marketplace.reservations.models import Reservation
from tests.api_helpers import Actor, add_member, create_org, decide_org, join, register
from tests.marketplace.listings.conftest import MakeDevice, World


def _listing(client: FlaskClient, world: World, make_device: MakeDevice, visibility: str, **body: Any) -> int:
    device = make_device(world.seller_org["id"])
    payload = {"device_id": device.id, "mode": "sale", "price_cents": 20000, "visibility": visibility, **body}
    response = client.post("/api/v1/listings", json=payload, headers=world.lister.headers)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


@pytest.fixture
def newcomer(client: FlaskClient) -> tuple[Actor, dict[str, Any]]:
    admin = register(client, "newcomer")
    return admin, create_org(client, admin, kind="nonprofit", approved=False)


def _not_approved(response: Any) -> dict[str, Any]:
    assert response.status_code == 403, response.json
    body: dict[str, Any] = response.json
    assert body["type"].endswith("organisation-not-approved") and body["title"] == "Organisation not approved"
    return body


def test_a_pending_organisation_sees_no_members_only_listing_and_cannot_transact(
    client: FlaskClient, db_session: Session, world: World, make_device: MakeDevice,
    newcomer: tuple[Actor, dict[str, Any]],
) -> None:  # fmt: skip
    admin, org = newcomer
    members_only = _listing(client, world, make_device, "members")
    public = _listing(client, world, make_device, "public")
    loan = _listing(client, world, make_device, "public", mode="loan", price_cents=None, min_days=1, max_days=30)

    # The catalogue: the public listings only, like a visitor.
    assert client.get(f"/api/v1/listings/{members_only}", headers=admin.headers).status_code == 404
    seen = {item["id"] for item in client.get("/api/v1/listings?limit=100", headers=admin.headers).json["items"]}
    assert public in seen and members_only not in seen
    # No hold, no loan: the problem says why and what to do.
    held = _not_approved(client.post(f"/api/v1/listings/{public}/reservations", json={}, headers=admin.headers))
    assert "awaiting review by the cluster staff" in held["detail"] and "register devices" in held["detail"]
    assert f"/organisations/{org['id']}/approval" in held["detail"]
    _not_approved(
        client.post(f"/api/v1/listings/{loan}/loans", json={"start": "2030-01-02", "end": "2030-01-05"},
                    headers=admin.headers)
    )  # fmt: skip
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0

    # Preparing stock is allowed: register a device; publishing it is not.
    device = client.post(
        "/api/v1/devices",
        json={"organisation_id": org["id"], "kind": "laptop", "make": "Dell", "model": "Latitude", "serial": "GATE1"},
        headers=admin.headers,
    )
    assert device.status_code == 201, device.json
    own = make_device(org["id"])
    listings_before = db_session.scalar(sa.select(sa.func.count()).select_from(Listing))
    _not_approved(
        client.post("/api/v1/listings", json={"device_id": own.id, "mode": "donation"}, headers=admin.headers)
    )
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Listing)) == listings_before

    # Approved: the same token sees and takes what members may.
    decide_org(client, org["id"])
    assert client.get(f"/api/v1/listings/{members_only}", headers=admin.headers).status_code == 200
    assert (
        client.post(f"/api/v1/listings/{members_only}/reservations", json={}, headers=admin.headers).status_code == 201
    )
    listed = client.post("/api/v1/listings", json={"device_id": own.id, "mode": "donation"}, headers=admin.headers)
    assert listed.status_code == 201, listed.json


def test_a_refused_organisation_is_told_to_contact_the_staff(
    client: FlaskClient, world: World, make_device: MakeDevice, newcomer: tuple[Actor, dict[str, Any]]
) -> None:
    admin, org = newcomer
    decide_org(client, org["id"], "refused", "Not a non-profit: the SIRET is a company's.")
    public = _listing(client, world, make_device, "public")
    body = _not_approved(client.post(f"/api/v1/listings/{public}/reservations", json={}, headers=admin.headers))
    assert "refused" in body["detail"] and "contact the cluster staff" in body["detail"]
    state = client.get(f"/api/v1/organisations/{org['id']}/approval", headers=admin.headers).json
    assert state["status"] == "refused" and state["history"][0]["reason"].startswith("Not a non-profit")


def test_a_member_of_an_approved_and_a_pending_organisation_acts_only_for_the_approved_one(
    client: FlaskClient, world: World, make_device: MakeDevice, newcomer: tuple[Actor, dict[str, Any]]
) -> None:
    admin, pending = newcomer
    other_admin = register(client, "approved")
    approved = create_org(client, other_admin)
    both = add_member(client, other_admin, approved["id"], "member")
    join(client, admin, pending["id"], both, "member")
    members_only = _listing(client, world, make_device, "members")
    # Sees members-only listings through the approved organisation…
    assert client.get(f"/api/v1/listings/{members_only}", headers=both.headers).status_code == 200
    # …but cannot hold one for the pending one.
    url = f"/api/v1/listings/{members_only}/reservations"
    _not_approved(client.post(url, json={"organisation_id": pending["id"]}, headers=both.headers))
    assert client.post(url, json={"organisation_id": approved["id"]}, headers=both.headers).status_code == 201
