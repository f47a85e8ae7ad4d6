"""Small helpers to drive the API as a client would."""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from PIL import Image

from marketplace.members.identifiers import luhn_complete

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def new_siret() -> str:
    n = next(_counter)
    siren = luhn_complete(f"{(700000 + n * 7919) % 100000000:08d}")
    return luhn_complete(siren + f"{n % 10000:04d}")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Actor:
    user_id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token)


def return_accepted(
    client: FlaskClient, order_id: int, buyer: Actor, seller: Actor, reason: str = "changed our mind", **accept: Any
) -> dict[str, Any]:
    """The buyer opens a return and the seller accepts it (``accept``: refund_cents, note); the order after."""
    opened = client.post(f"/api/v1/orders/{order_id}/returns", json={"reason": reason}, headers=buyer.headers)
    assert opened.status_code == 201, opened.json
    accepted = client.post(
        f"/api/v1/orders/{order_id}/returns/{opened.json['id']}/accept", json=accept, headers=seller.headers
    )
    assert accepted.status_code == 200, accepted.json
    shown = client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)
    assert shown.status_code == 200, shown.json
    data: dict[str, Any] = shown.json
    return data


def register(client: FlaskClient, name: str | None = None) -> Actor:
    n = next(_counter)
    email = f"{name or 'user'}{n}@example.org"
    response = client.post("/api/v1/users", json={"email": email, "password": PASSWORD, "display_name": name or "User"})
    assert response.status_code == 201, response.json
    user_id = response.json["id"]
    response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return Actor(user_id, email, response.json["token"])


def create_org(
    client: FlaskClient, admin: Actor, kind: str = "company", *, approved: bool = True, **extra: Any
) -> dict[str, Any]:
    """An organisation created by ``admin``, approved by the cluster staff unless ``approved=False``
    (then it waits for review: no members-only listings, no transactions)."""
    body = {"name": f"Org {next(_counter)}", "kind": kind, "siret": new_siret(), "postcode": "69007", **extra}
    response = client.post("/api/v1/organisations", json=body, headers=admin.headers)
    assert response.status_code == 201, response.json
    data: dict[str, Any] = response.json
    if approved:
        decide_org(client, data["id"])
        data["approval_status"] = "approved"
    return data


def decide_org(
    client: FlaskClient, organisation_id: int, decision: str = "approved", reason: str | None = None
) -> None:
    """The cluster staff's decision, through the approval service (as ``POST .../approval`` does)
    by a staff user made directly in the database: no registration (throttled, emailed) per test."""
    from marketplace.api.context import database
    from marketplace.members import approvals
    from marketplace.members.access import SCOPE_API, Principal
    from marketplace.members.accounts import LinkSettings
    from marketplace.members.models import ApprovalDecision, TokenKind, User

    app = client.application
    state = database(app)
    session = state.override or state.factory()
    try:
        staff_id = app.extensions.get("tests.approver")
        if staff_id is None or session.get(User, staff_id) is None:
            staff = User(
                email=f"approver{next(_counter)}@cluster.example",
                display_name="Cluster staff",
                password_hash="!",
                is_staff=True,
            )
            session.add(staff)
            session.flush()
            staff_id = app.extensions["tests.approver"] = staff.id
        principal = Principal(
            token_id=0, token_kind=TokenKind.PERSONAL, scopes=frozenset({SCOPE_API}), user_id=staff_id, is_staff=True
        )
        approvals.decide(
            session,
            principal,
            organisation_id,
            decision=ApprovalDecision(decision),
            reason=reason,
            settings=LinkSettings.from_config(app.config["RELIFE"]),
        )
        session.commit()  # with the test's session, a savepoint release: a rejected request keeps it
    finally:
        if session is not state.override:
            session.close()


def add_member(client: FlaskClient, admin: Actor, org_id: int, role: str, name: str | None = None) -> Actor:
    """A new user who joins ``org_id`` with ``role`` by consent: the admin invites, the person
    accepts the link of the invitation email with their own token (no one is added silently)."""
    actor = register(client, name or role)
    response = client.post(
        f"/api/v1/organisations/{org_id}/invitations",
        json={"email": actor.email, "role": role},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.json
    token = invitation_token(client, actor.email)
    response = client.post("/api/v1/invitations/accept", json={"token": token}, headers=actor.headers)
    assert response.status_code == 201, response.json
    return actor


def join(client: FlaskClient, admin: Actor, org_id: int, actor: Actor, role: str) -> None:
    """An existing user joins ``org_id`` with ``role``: invited by ``admin``, accepted with their token."""
    response = client.post(
        f"/api/v1/organisations/{org_id}/invitations", json={"email": actor.email, "role": role}, headers=admin.headers
    )
    assert response.status_code == 201, response.json
    token = invitation_token(client, actor.email)
    response = client.post("/api/v1/invitations/accept", json={"token": token}, headers=actor.headers)
    assert response.status_code == 201, response.json


def invitation_token(client: FlaskClient, email: str) -> str:
    """The token of the newest invitation email to ``email``, read from the outbox (the message the
    worker would deliver), through the test's session or, with committed databases, a new one."""
    from marketplace.api.context import database
    from marketplace.notifications.models import OutboxMessage

    state = database(client.application)
    session = state.override or state.factory()
    try:
        text = session.scalars(
            sa.select(OutboxMessage.text_body)
            .where(OutboxMessage.recipient == email.lower(), OutboxMessage.kind == "invitation")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).first()
    finally:
        if state.override is None:
            session.close()
    assert text is not None, f"no invitation email to {email}"
    found = re.search(r"/invitations/accept\?token=(\S+)", text)
    assert found is not None, text
    return found.group(1)


def upload_condition_photo(client: FlaskClient, actor: Actor) -> int:
    """One small PNG uploaded as an unattached condition photo of the actor's organisation."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 40, 40)).save(out, "PNG")
    response = client.post(
        "/api/v1/photos",
        data={"files": [(io.BytesIO(out.getvalue()), "condition.png")], "purpose": "condition"},
        headers=actor.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    photo_id: int = response.json["items"][0]["id"]
    return photo_id
