"""The world of the access matrix: organisation A (the seller) with every role, its objects in
every domain, organisation B next door, a buyer organisation C, and cluster staff."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices.models import Device, DeviceKind, DeviceState
from marketplace.listings.models import Listing, ListingMode, Visibility
from marketplace.notifications.models import OutboxMessage
from tests.api_helpers import Actor, auth, create_org, register
from tests.listable import add_checklist
from tests.marketplace.reports.helpers import NVME_JSON, Org, make_org, make_staff, upload

CALLERS = ("anonymous", "member", "lister", "technician", "admin", "admin_b", "bench", "staff")
_serials = itertools.count(1)
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class MatrixWorld:
    a: Org
    b: Org
    buyer: Actor
    buyer_org_id: int
    staff: Actor
    ids: dict[str, int] = field(default_factory=dict)
    #: The admin of an organisation awaiting the staff's review (``ids["pending"]``).
    pending: Actor | None = None
    #: Serials and asset tags of A's devices: none may appear in any response to B.
    secrets: list[str] = field(default_factory=list)

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        if caller == "bench":
            return auth(self.a.bench_token)
        if caller == "admin_b":
            return self.b.admin.headers
        if caller == "staff":
            return self.staff.headers
        return self.a.actor(caller).headers


def _listed_device(session: Session, org_id: int, mode: ListingMode, visibility: Visibility) -> Listing:
    n = next(_serials)
    device = Device(
        organisation_id=org_id,
        kind=DeviceKind.LAPTOP,
        make="Lenovo",
        model="ThinkPad T480",
        serial=f"MXSECRET{n:05d}",
        asset_tag=f"MXTAG{n:05d}",
        state=DeviceState.LISTED,
        grade="B",
        health="healthy",
        diagnosed_at=utcnow(),
    )
    session.add(device)
    add_checklist(session, device)
    listing = Listing(
        device_id=device.id,
        organisation_id=org_id,
        mode=mode,
        visibility=visibility,
        price_cents=20_000 if mode is ListingMode.SALE else None,
        postcode="69007",
        department="69",
    )
    session.add(listing)
    session.commit()  # releases a savepoint only: a rejected request must not roll it back
    return listing


def png_upload() -> dict[str, Any]:
    """A multipart ``files`` field holding one small PNG made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 120, 40)).save(out, "PNG")
    return {"files": [(io.BytesIO(out.getvalue()), "photo.png")]}


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    body: dict[str, Any] = response.get_json()
    return body


def build(client: FlaskClient, session: Session) -> MatrixWorld:
    a, b = make_org(client), make_org(client)
    buyer = register(client, "mairie")
    buyer_org = create_org(client, buyer, kind="public_body", invoice_allowed=True)
    world = MatrixWorld(a, b, buyer, buyer_org["id"], make_staff(client, session))
    # An organisation the cluster staff have not reviewed yet (tests/sweep/test_access_matrix.py).
    world.pending = register(client, "pending")
    world.ids["pending"] = create_org(client, world.pending, approved=False)["id"]
    h = a.admin.headers

    device = _ok(
        client.post(
            "/api/v1/devices",
            json={"organisation_id": a.id, "kind": "laptop", "make": "Dell", "model": "Latitude", "serial": "MXDEV001"},
            headers=h,
        )
    )
    world.ids["device"] = device["id"]
    world.secrets += [device["serial"], device["asset_tag"]]
    report = _ok(upload(client, device["id"], a.technician.token, NVME_JSON))
    world.ids["report"] = report["id"]
    erasure = _ok(
        client.post(
            f"/api/v1/devices/{device['id']}/erasures",
            json={
                "disk_serial": "BTNH93710FS91P0B",
                "method": "purge",
                "standard": "nist-sp-800-88-r1",
                "tool": "nvme-cli sanitize",
                "started_at": START.isoformat(),
                "finished_at": (START + dt.timedelta(minutes=4)).isoformat(),
                "verified": True,
            },
            headers=a.technician.headers,
        )
    )
    world.ids["erasure"] = erasure["id"]
    token = _ok(client.get(f"/api/v1/organisations/{a.id}/tokens", headers=h), 200)["items"][0]
    world.ids["token"] = token["id"]

    listings = {
        "listing_members": (ListingMode.SALE, Visibility.MEMBERS),
        "listing_public": (ListingMode.SALE, Visibility.PUBLIC),
        "listing_reserved": (ListingMode.SALE, Visibility.MEMBERS),
        "listing_ordered": (ListingMode.SALE, Visibility.MEMBERS),
        "listing_loan": (ListingMode.LOAN, Visibility.MEMBERS),
        "listing_returned": (ListingMode.SALE, Visibility.MEMBERS),
    }
    for name, (mode, visibility) in listings.items():
        listing = _listed_device(session, a.id, mode, visibility)
        world.ids[name] = listing.id
        world.ids[name.replace("listing", "device")] = listing.device_id
        world.secrets += [listing.device.serial, listing.device.asset_tag]

    bh = buyer.headers
    world.ids["reservation"] = _ok(
        client.post(f"/api/v1/listings/{world.ids['listing_reserved']}/reservations", json={}, headers=bh)
    )["id"]
    held = _ok(client.post(f"/api/v1/listings/{world.ids['listing_ordered']}/reservations", json={}, headers=bh))
    order = _ok(
        client.post(
            "/api/v1/orders",
            json={"reservation_id": held["id"], "payment": "invoice"},
            headers={**bh, "Idempotency-Key": "matrix-order-1"},
        )
    )
    world.ids["order"] = order["id"]
    # Another order of C, handed over by A, which C asks to return: A decides (orders.returns).
    held = _ok(client.post(f"/api/v1/listings/{world.ids['listing_returned']}/reservations", json={}, headers=bh))
    returned = _ok(
        client.post(
            "/api/v1/orders",
            json={"reservation_id": held["id"], "payment": "invoice"},
            headers={**bh, "Idempotency-Key": "matrix-order-2"},
        )
    )
    _ok(client.post(f"/api/v1/orders/{returned['id']}/handover", headers=a.lister.headers), 200)
    world.ids["order_returned"] = returned["id"]
    # C's condition photo, sent with the return: both sides of the order read it under the return.
    return_photo = _ok(
        client.post(
            "/api/v1/photos",
            data={**png_upload(), "purpose": "condition"},
            headers=bh,
            content_type="multipart/form-data",
        )
    )["items"][0]["id"]
    world.ids["return_photo"] = return_photo
    world.ids["return"] = _ok(
        client.post(
            f"/api/v1/orders/{returned['id']}/returns",
            json={"reason": "hinge broken", "photo_ids": [return_photo]},
            headers=bh,
        )
    )["id"]
    today = dt.datetime.now(dt.UTC).date()
    loan = _ok(
        client.post(
            f"/api/v1/listings/{world.ids['listing_loan']}/loans",
            json={
                "start": (today + dt.timedelta(days=2)).isoformat(),
                "end": (today + dt.timedelta(days=5)).isoformat(),
            },
            headers=bh,
        )
    )
    world.ids["loan"] = loan["id"]
    world.ids["extension"] = _ok(
        client.post(
            f"/api/v1/loans/{loan['id']}/extensions",
            json={"end": (today + dt.timedelta(days=6)).isoformat()},
            headers=bh,
        )
    )["id"]
    # Photos: one on a members-only and one on a public listing (by A's lister), and a condition
    # photo of A not attached yet (by A's member).
    for name in ("members", "public"):
        photo = _ok(
            client.post(
                f"/api/v1/listings/{world.ids[f'listing_{name}']}/photos",
                data=png_upload(),
                headers=a.lister.headers,
                content_type="multipart/form-data",
            )
        )
        world.ids[f"photo_{name}"] = photo["items"][0]["id"]
    condition = _ok(
        client.post(
            "/api/v1/photos",
            data={**png_upload(), "purpose": "condition"},
            headers=a.member.headers,
            content_type="multipart/form-data",
        )
    )
    world.ids["photo_condition"] = condition["items"][0]["id"]
    # Registration queued verification emails: the newest one (pending, so a retry is a 409).
    world.ids["outbox_message"] = session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    return world
