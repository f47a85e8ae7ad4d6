"""Small helpers to drive the API as a client would."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

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


def create_org(client: FlaskClient, admin: Actor, kind: str = "company", **extra: Any) -> dict[str, Any]:
    body = {"name": f"Org {next(_counter)}", "kind": kind, "siret": new_siret(), "postcode": "69007", **extra}
    response = client.post("/api/v1/organisations", json=body, headers=admin.headers)
    assert response.status_code == 201, response.json
    data: dict[str, Any] = response.json
    return data


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
