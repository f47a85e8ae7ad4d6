"""Membership by consent: invitations read back from the SMTP server and accepted by their invitee
(signed in, or while registering); roles, removal and leaving, never without an admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.listings.models import ListingMode, Visibility
from marketplace.members.models import Invitation
from tests.api_helpers import PASSWORD, Actor, add_member, create_org, register
from tests.fakes.smtp import LocalSmtp
from tests.sweep.matrix_world import _listed_device


def _deliver(runner: Any) -> None:
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def _invitation_token(smtp: LocalSmtp, to: str) -> str:
    for message in reversed(smtp.received()):
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",))
            assert text is not None
            found = re.search(r"https://relife\.example/invitations/accept\?token=(\S+)", text.get_content())
            if found:
                return found.group(1)
    raise AssertionError(f"no invitation for {to}")


@pytest.fixture
def admin(client: FlaskClient) -> Actor:
    return register(client, "admin")


@pytest.fixture
def org(client: FlaskClient, admin: Actor) -> dict[str, Any]:
    return create_org(client, admin)


def test_an_invited_person_without_an_account_joins_while_registering(
    client: FlaskClient, runner: Any, smtp: LocalSmtp, admin: Actor, org: dict[str, Any]
) -> None:
    url = f"/api/v1/organisations/{org['id']}/invitations"
    sent = client.post(url, json={"email": "New.Person@invited.example", "role": "lister"}, headers=admin.headers)
    assert sent.status_code == 201 and sent.json["status"] == "pending"
    _deliver(runner)
    message = smtp.received()[-1]
    assert message["To"] == "new.person@invited.example"
    assert message["Subject"] == f"Invitation à rejoindre {org['name']} sur Relife"
    token = _invitation_token(smtp, "new.person@invited.example")
    # Registering with another address cannot use it.
    other = client.post(
        "/api/v1/users",
        json={"email": "someone@else.example", "password": PASSWORD, "display_name": "S", "invitation_token": token},
    )
    assert other.status_code == 403
    joined = client.post(
        "/api/v1/users",
        json={"email": "new.person@invited.example", "password": PASSWORD, "display_name": "New Person",
              "invitation_token": token},
    )  # fmt: skip
    assert joined.status_code == 201 and joined.json["email_verified"] is True
    login = client.post("/api/v1/tokens", json={"email": "new.person@invited.example", "password": PASSWORD})
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json['token']}"}).json
    assert [(m["organisation_id"], m["role"]) for m in me["memberships"]] == [(org["id"], "lister")]
    assert client.get(url, headers=admin.headers).json["items"][0]["status"] == "accepted"


def test_a_registered_invitee_accepts_once_signed_in_with_the_invited_address(
    client: FlaskClient, runner: Any, smtp: LocalSmtp, admin: Actor, org: dict[str, Any]
) -> None:
    invitee, stranger = register(client, "invitee"), register(client, "stranger")
    url = f"/api/v1/organisations/{org['id']}/invitations"
    assert client.post(url, json={"email": invitee.email, "role": "member"}, headers=admin.headers).status_code == 201
    _deliver(runner)
    token = _invitation_token(smtp, invitee.email)
    body = {"token": token}
    assert client.post("/api/v1/invitations/accept", json=body).status_code == 401
    assert client.post("/api/v1/invitations/accept", json=body, headers=stranger.headers).status_code == 403
    accepted = client.post("/api/v1/invitations/accept", json=body, headers=invitee.headers)
    assert accepted.status_code == 201 and accepted.json["role"] == "member"
    again = client.post("/api/v1/invitations/accept", json=body, headers=invitee.headers)
    assert again.status_code == 409 and "already been accepted" in again.json["detail"]
    # Inviting a member again is refused; a non-admin cannot invite.
    refused = client.post(url, json={"email": invitee.email, "role": "admin"}, headers=admin.headers)
    assert refused.status_code == 409
    assert client.post(url, json={"email": "x@y.example", "role": "member"}, headers=invitee.headers).status_code == 403


def test_revoked_replaced_expired_and_altered_invitations_are_refused(
    client: FlaskClient, runner: Any, smtp: LocalSmtp, admin: Actor, org: dict[str, Any], db_session: Session
) -> None:
    invitee = register(client, "invitee")
    url = f"/api/v1/organisations/{org['id']}/invitations"
    first = client.post(url, json={"email": invitee.email, "role": "member"}, headers=admin.headers).json
    _deliver(runner)
    first_token = _invitation_token(smtp, invitee.email)
    second = client.post(url, json={"email": invitee.email, "role": "technician"}, headers=admin.headers).json
    _deliver(runner)
    second_token = _invitation_token(smtp, invitee.email)
    replaced = client.post("/api/v1/invitations/accept", json={"token": first_token}, headers=invitee.headers)
    assert replaced.status_code == 409 and "replaced" in replaced.json["detail"]
    altered = client.post("/api/v1/invitations/accept", json={"token": second_token + "x"}, headers=invitee.headers)
    assert altered.status_code == 422
    invitation = db_session.get(Invitation, second["id"])
    assert invitation is not None
    invitation.expires_at = utcnow()
    db_session.flush()
    expired = client.post("/api/v1/invitations/accept", json={"token": second_token}, headers=invitee.headers)
    assert expired.status_code == 422 and "expired" in expired.json["detail"]
    assert client.delete(f"{url}/{second['id']}", headers=admin.headers).status_code == 204
    assert client.delete(f"{url}/{first['id']}", headers=admin.headers).status_code == 409
    revoked = client.post("/api/v1/invitations/accept", json={"token": second_token}, headers=invitee.headers)
    assert revoked.status_code == 409
    assert client.get("/api/v1/me", headers=invitee.headers).json["memberships"] == []


def test_roles_removal_and_leaving_never_leave_the_organisation_without_an_admin(
    client: FlaskClient, admin: Actor, org: dict[str, Any]
) -> None:
    members = f"/api/v1/organisations/{org['id']}/members"
    lister = add_member(client, admin, org["id"], "lister")
    me = client.get("/api/v1/me", headers=admin.headers).json
    # The only admin can neither step down nor leave.
    demote = client.patch(f"{members}/{me['id']}", json={"role": "member"}, headers=admin.headers)
    assert demote.status_code == 409 and "last admin" in demote.json["detail"]
    assert client.delete(f"{members}/{me['id']}", headers=admin.headers).status_code == 409
    # A lister cannot change roles; an admin promotes them, then may step down.
    lister_id = client.get("/api/v1/me", headers=lister.headers).json["id"]
    assert client.patch(f"{members}/{lister_id}", json={"role": "admin"}, headers=lister.headers).status_code == 403
    promoted = client.patch(f"{members}/{lister_id}", json={"role": "admin"}, headers=admin.headers)
    assert promoted.status_code == 200 and promoted.json["role"] == "admin"
    assert client.delete(f"{members}/{me['id']}", headers=admin.headers).status_code == 204  # leaves
    assert client.get(members, headers=admin.headers).status_code == 403
    remaining = client.get(members, headers=lister.headers).json["items"]
    assert [(m["user_id"], m["role"]) for m in remaining] == [(lister_id, "admin")]


def test_removal_revokes_their_bench_tokens_and_cancels_their_holds_for_the_organisation(
    client: FlaskClient, admin: Actor, org: dict[str, Any], db_session: Session
) -> None:
    second_admin = add_member(client, admin, org["id"], "admin")
    seller = create_org(client, register(client, "seller"))
    listing = _listed_device(db_session, seller["id"], ListingMode.SALE, Visibility.PUBLIC)
    hold = client.post(f"/api/v1/listings/{listing.id}/reservations", json={}, headers=second_admin.headers)
    assert hold.status_code == 201, hold.json
    bench = client.post(
        f"/api/v1/organisations/{org['id']}/tokens", json={"name": "bench x"}, headers=second_admin.headers
    ).json
    kept = client.post(
        f"/api/v1/organisations/{org['id']}/tokens", json={"name": "bench y"}, headers=admin.headers
    ).json
    second_id = client.get("/api/v1/me", headers=second_admin.headers).json["id"]
    assert (
        client.delete(f"/api/v1/organisations/{org['id']}/members/{second_id}", headers=admin.headers).status_code
        == 204
    )
    tokens = {
        t["id"]: t for t in client.get(f"/api/v1/organisations/{org['id']}/tokens", headers=admin.headers).json["items"]
    }
    assert tokens[bench["id"]]["revoked_at"] is not None
    assert tokens[kept["id"]]["revoked_at"] is None
    assert client.get(f"/api/v1/reservations/{hold.json['id']}", headers=admin.headers).json["status"] == "cancelled"
    # Their personal token no longer carries the organisation's rights.
    assert client.get(f"/api/v1/organisations/{org['id']}/members", headers=second_admin.headers).status_code == 403


def test_admins_edit_the_profile_and_the_department_follows_the_postcode(
    client: FlaskClient, admin: Actor, org: dict[str, Any]
) -> None:
    url = f"/api/v1/organisations/{org['id']}"
    lister = add_member(client, admin, org["id"], "lister")
    assert client.patch(url, json={"city": "Lyon"}, headers=lister.headers).status_code == 403
    assert client.patch(url, json={"city": "Lyon"}).status_code == 401
    bad = client.patch(url, json={"postcode": "2A004", "name": "Renamed"}, headers=admin.headers)
    assert bad.status_code == 422 and "postcode" in bad.json["errors"]
    assert client.get(url, headers=admin.headers).json["name"] == org["name"]  # nothing written
    changed = client.patch(
        url, json={"name": " Atelier Nord ", "postcode": "59000", "city": "Lille", "address": "1 rue X"},
        headers=admin.headers,
    )  # fmt: skip
    assert changed.status_code == 200
    assert (changed.json["name"], changed.json["postcode"], changed.json["department"], changed.json["city"]) == (
        "Atelier Nord", "59000", "59", "Lille",
    )  # fmt: skip
    assert changed.json["siret"] == org["siret"]
