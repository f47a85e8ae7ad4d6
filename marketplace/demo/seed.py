"""``flask seed-demo``: a believable cluster built through the real API, in process.

Every step is an HTTP request to the app (users register, log in, create organisations,
register devices, upload REAL corpus reports that the server parses and grades, record
erasures, list, reserve, order, lend…), so the demo exercises exactly the paths clients use.
Re-running it is harmless: a cluster already seeded is left as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.api.context import database
from marketplace.demo.catalogue import DEVICES, ORGS, PEOPLE, DemoDevice, DemoOrg
from marketplace.devices.models import Device
from marketplace.members import organisations
from marketplace.members import service as members
from marketplace.members.accounts import LinkSettings
from marketplace.members.identifiers import luhn_complete
from marketplace.members.models import Invitation, Organisation

#: The real reports the demo devices are graded from: package data of this module (see its MANIFEST.tsv).
DEMO_REPORTS = Path(__file__).resolve().parent / "reports"
DEMO_PASSWORD = "relife-demo-2026"  # noqa: S105 - published demo credentials
STAFF_EMAIL = "staff@relife.example"
Echo = Callable[[str], None]


class DemoError(RuntimeError):
    """A demo request was refused: the message carries the API's problem details."""


def siret_for(org: DemoOrg) -> str:
    siren = luhn_complete(org.siret_base[:8])
    return luhn_complete(siren + org.siret_base[9:13])


@dataclass
class Api:
    client: FlaskClient

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if response.status_code >= 400:
            body = response.get_json(silent=True) or {}
            raise DemoError(
                f"{method} {path} → {response.status_code} {body.get('title', '')}: "
                f"{body.get('detail', '')} {body.get('errors', '')}"
            )
        return response.get_json(silent=True)


@dataclass
class Summary:
    organisations: int = 0
    users: int = 0
    devices: int = 0
    reports: int = 0
    listings: int = 0
    orders: int = 0
    loans: int = 0
    grades: dict[str, int] = field(default_factory=dict)


def already_seeded(app: Flask) -> bool:
    """True when the demo is complete. A demo left half-built (an interrupted run) is an error: it
    is built through the API request by request, so it cannot be rolled back as one."""
    with app.app_context():
        session = database(app).factory()
        try:
            sirets = [siret_for(org) for org in ORGS]
            found = session.scalars(sa.select(Organisation.id).where(Organisation.siret.in_(sirets))).all()
            devices = session.scalar(
                sa.select(sa.func.count()).select_from(Device).where(Device.organisation_id.in_(found))
            )
        finally:
            session.close()
    if not found:
        return False
    if len(found) == len(ORGS) and devices == len(DEVICES):
        return True
    raise DemoError(
        "a previous seed-demo stopped midway (demo organisations exist but not all their devices): "
        "start from an empty database (e.g. remove instance/relife.db) and run it again"
    )


def seed_demo(app: Flask, corpus: Path, echo: Echo) -> Summary | None:
    if already_seeded(app):
        return None
    if not corpus.is_dir():
        raise DemoError(f"corpus folder not found: {corpus} (the demo grades real reports from it)")
    api = Api(app.test_client())
    summary = Summary()
    tokens, orgs = _people_and_organisations(app, api, summary)
    devices: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(DEVICES, start=1):
        echo(f"[{index}/{len(DEVICES)}] {item.make} {item.model}")
        device = _register_and_diagnose(api, corpus, item, tokens, orgs, summary)
        listing = _list(api, item, device, tokens)
        if listing is not None:
            devices[listing["id"]] = {"item": item, "device": device, "listing": listing}
            summary.listings += 1
    _transactions(api, devices, tokens, orgs, summary)
    return summary


def _email(org_key: str, name: str) -> str:
    first = name.split()[0].lower().replace("è", "e").replace("é", "e").replace("ï", "i")
    return f"{first}.{org_key}@relife.example"


def _people_and_organisations(
    app: Flask, api: Api, summary: Summary
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    tokens: dict[str, str] = {}
    for org_key, role, name in PEOPLE:
        email = _email(org_key, name)
        api.call("POST", "/api/v1/users", json={"email": email, "password": DEMO_PASSWORD, "display_name": name})
        tokens[f"{org_key}:{role}"] = api.call(
            "POST", "/api/v1/tokens", json={"email": email, "password": DEMO_PASSWORD}
        )["token"]
        summary.users += 1
    api.call(
        "POST", "/api/v1/users", json={"email": STAFF_EMAIL, "password": DEMO_PASSWORD, "display_name": "Cluster staff"}
    )
    with app.app_context():
        session = database(app).factory()
        members.set_staff(session, STAFF_EMAIL)
        session.commit()
        session.close()
    tokens["staff"] = api.call("POST", "/api/v1/tokens", json={"email": STAFF_EMAIL, "password": DEMO_PASSWORD})[
        "token"
    ]
    summary.users += 1

    orgs: dict[str, dict[str, Any]] = {}
    for org in ORGS:
        body = {"name": org.name, "kind": org.kind, "siret": siret_for(org), "postcode": org.postcode, "city": org.city}
        orgs[org.key] = api.call("POST", "/api/v1/organisations", tokens[f"{org.key}:admin"], json=body)
        summary.organisations += 1
    for org_key, role, name in PEOPLE:
        if role != "admin":
            # Membership by consent, as for anyone: the admin invites, the person accepts the link.
            invitation = api.call(
                "POST",
                f"/api/v1/organisations/{orgs[org_key]['id']}/invitations",
                tokens[f"{org_key}:admin"],
                json={"email": _email(org_key, name), "role": role},
            )
            link_token = _invitation_link_token(app, invitation["id"])
            api.call("POST", "/api/v1/invitations/accept", tokens[f"{org_key}:{role}"], json={"token": link_token})
    bench = api.call(
        "POST", f"/api/v1/organisations/{orgs['refurb']['id']}/tokens", tokens["refurb:admin"], json={"name": "bench 1"}
    )
    tokens["refurb:bench"] = bench["token"]
    return tokens, orgs


def _invitation_link_token(app: Flask, invitation_id: int) -> str:
    """The token the invitation email carries (the demo's addresses receive no mail)."""
    with app.app_context():
        session = database(app).factory()
        try:
            invitation = session.get(Invitation, invitation_id)
            assert invitation is not None
            return organisations.invitation_token(invitation, LinkSettings.from_config(app.config["RELIFE"]))
        finally:
            session.close()


def _register_and_diagnose(
    api: Api,
    corpus: Path,
    item: DemoDevice,
    tokens: dict[str, str],
    orgs: dict[str, dict[str, Any]],
    summary: Summary,
) -> dict[str, Any]:
    owner = tokens[f"{item.org}:admin"]
    device = api.call(
        "POST",
        "/api/v1/devices",
        owner,
        json={
            "organisation_id": orgs[item.org]["id"],
            "kind": item.kind,
            "make": item.make,
            "model": item.model,
            "serial": f"DEMO-{uuid.uuid5(uuid.NAMESPACE_URL, item.make + item.model).hex[:10].upper()}",
            "specs": item.specs,
            "cosmetic_grade": item.cosmetic_grade,
            "location": f"Stock {orgs[item.org]['name']}",
        },
    )
    summary.devices += 1
    uploader = tokens["refurb:bench"] if item.org == "refurb" else owner
    disks: list[dict[str, Any]] = []
    if item.reports:
        files = [((corpus / path).open("rb"), Path(path).name) for path in item.reports]
        try:
            report = api.call(
                "POST",
                f"/api/v1/devices/{device['id']}/diagnostics",
                uploader,
                data={"files": files},
                content_type="multipart/form-data",
            )
        finally:
            for handle, _name in files:
                handle.close()
        summary.reports += 1
        for file in report.get("files", []):
            disks += [c for c in file.get("components", []) if c.get("component") == "disk"]
    checklist = {
        "device_kind": item.kind,
        "technician": "Inès Moreau",
        "items": [{"item": name, "result": "pass"} for name in _checklist_items(item.kind)],
    }
    report = api.call("POST", f"/api/v1/devices/{device['id']}/checklist", owner, json=checklist)
    summary.reports += 1
    grade = (report.get("device_assessment") or report.get("assessment") or {}).get("grade", "?")
    summary.grades[grade] = summary.grades.get(grade, 0) + 1
    now = dt.datetime.now(dt.UTC)
    for disk in disks:
        serial = (disk.get("identity") or {}).get("serial")
        if not serial:
            continue
        api.call(
            "POST",
            f"/api/v1/devices/{device['id']}/erasures",
            owner,
            json={
                "disk_serial": serial,
                "method": "purge",
                "standard": "nist-sp-800-88-r1",
                "tool": "nwipe",
                "tool_version": "0.35",
                "started_at": (now - dt.timedelta(hours=3)).isoformat(),
                "finished_at": (now - dt.timedelta(hours=1)).isoformat(),
                "verified": True,
                "operator": "Inès Moreau",
            },
        )
    return dict(api.call("GET", f"/api/v1/devices/{device['id']}", owner))


def _checklist_items(kind: str) -> tuple[str, ...]:
    from diagnostics.manual import EXPECTED_ITEMS

    return EXPECTED_ITEMS.get(kind, ())


def _list(api: Api, item: DemoDevice, device: dict[str, Any], tokens: dict[str, str]) -> dict[str, Any] | None:
    if not item.offer or device.get("grade") == "F":
        return None
    mode, _, price = item.offer.partition(":")
    body: dict[str, Any] = {"device_id": device["id"], "mode": mode, "visibility": "public"}
    if mode == "sale":
        body |= {"price_cents": int(price) * 100, "warranty_months": 6}
    elif mode == "loan":
        body |= {"min_days": 7, "max_days": 90}
    try:
        return dict(api.call("POST", "/api/v1/listings", tokens[f"{item.org}:admin"], json=body))
    except DemoError:
        return None  # e.g. a disk whose serial the report hides cannot be matched to an erasure


def _transactions(
    api: Api,
    listed: dict[int, dict[str, Any]],
    tokens: dict[str, str],
    orgs: dict[str, dict[str, Any]],
    summary: Summary,
) -> None:
    by_mode: dict[str, list[int]] = {}
    for listing_id, entry in listed.items():
        by_mode.setdefault(entry["listing"]["mode"], []).append(listing_id)

    # A public body buys two devices on invoice; staff records the payment; the seller hands over.
    for listing_id in by_mode.get("sale", [])[:2]:
        seller = tokens[f"{listed[listing_id]['item'].org}:admin"]
        if listed[listing_id]["item"].org == "metro":
            continue
        hold = api.call("POST", f"/api/v1/listings/{listing_id}/reservations", tokens["metro:admin"], json={})
        order = api.call(
            "POST",
            "/api/v1/orders",
            tokens["metro:admin"],
            json={"reservation_id": hold["id"], "payment": "invoice"},
            headers={"Idempotency-Key": f"demo-order-{listing_id}"},
        )
        api.call("POST", f"/api/v1/orders/{order['id']}/mark-paid", tokens["staff"], json={})
        api.call("POST", f"/api/v1/orders/{order['id']}/handover", seller, json={})
        summary.orders += 1

    # The non-profit receives donations.
    for listing_id in by_mode.get("donation", [])[:2]:
        seller = tokens[f"{listed[listing_id]['item'].org}:admin"]
        hold = api.call("POST", f"/api/v1/listings/{listing_id}/reservations", tokens["asso:admin"], json={})
        order = api.call(
            "POST",
            "/api/v1/orders",
            tokens["asso:admin"],
            json={"reservation_id": hold["id"], "payment": "donation"},
            headers={"Idempotency-Key": f"demo-donation-{listing_id}"},
        )
        api.call("POST", f"/api/v1/orders/{order['id']}/handover", seller, json={})
        summary.orders += 1

    # A company borrows a laptop for three weeks and brings it back.
    today = dt.datetime.now(dt.UTC).date()
    for listing_id in by_mode.get("loan", [])[:1]:
        lender = tokens[f"{listed[listing_id]['item'].org}:admin"]
        loan = api.call(
            "POST",
            f"/api/v1/listings/{listing_id}/loans",
            tokens["acme:admin"],
            json={"start": today.isoformat(), "end": (today + dt.timedelta(days=21)).isoformat()},
        )
        api.call("POST", f"/api/v1/loans/{loan['id']}/handover", lender, json={})
        api.call(
            "POST",
            f"/api/v1/loans/{loan['id']}/return",
            lender,
            json={
                "condition": "as_lent",
                "accessories": [{"name": "charger", "present": True}],
                "notes": "Returned clean, charger included.",
                "decision": "released",
            },
        )
        summary.loans += 1
