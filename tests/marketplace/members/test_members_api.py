"""Members and access through the API: the happy path and every refusal, with nothing written."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.members.identifiers import luhn_valid
from marketplace.members.models import ApiToken, Membership, Organisation, User
from tests.api_helpers import PASSWORD, add_member, auth, create_org, invitation_token, new_siret, register


def count(session: Session, model: type) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_full_members_flow(client: FlaskClient, db_session: Session) -> None:
    admin = register(client, "admin")
    org = create_org(client, admin, kind="university", postcode="20090")
    assert org["department"] == "2A"
    assert org["invoice_allowed"] is True

    me = client.get("/api/v1/me", headers=admin.headers).json
    assert me["memberships"] == [
        {
            "id": me["memberships"][0]["id"],
            "organisation_id": org["id"],
            "organisation_name": org["name"],
            "user_id": admin.user_id,
            "email": admin.email,
            "display_name": "admin",
            "role": "admin",
        }
    ]

    lister = add_member(client, admin, org["id"], "lister")
    assert client.get(f"/api/v1/organisations/{org['id']}", headers=lister.headers).json["siret"] == org["siret"]

    response = client.post(f"/api/v1/organisations/{org['id']}/tokens", json={"name": "bench 1"}, headers=admin.headers)
    assert response.status_code == 201
    bench = response.json
    assert bench["token"].startswith("rlf_") and bench["scopes"] == ["diagnostics:upload"]
    stored = db_session.get(ApiToken, bench["id"])
    assert stored is not None and stored.token_hash != bench["token"] and bench["token"] not in stored.token_hash

    listed = client.get(f"/api/v1/organisations/{org['id']}/tokens", headers=admin.headers).json["items"]
    assert [t["id"] for t in listed] == [bench["id"]] and "token" not in listed[0]

    # A bench token only uploads diagnostics.
    assert client.get("/api/v1/me", headers=auth(bench["token"])).status_code == 403

    assert (
        client.delete(f"/api/v1/organisations/{org['id']}/tokens/{bench['id']}", headers=admin.headers).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=auth(bench["token"])).status_code == 401

    assert client.delete("/api/v1/tokens/current", headers=admin.headers).status_code == 204
    response = client.get("/api/v1/me", headers=admin.headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_wrong_password_is_401_and_writes_nothing(client: FlaskClient, db_session: Session) -> None:
    user = register(client)
    before = count(db_session, ApiToken)
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert response.json["title"] == "Authentication required"
    assert count(db_session, ApiToken) == before


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client: FlaskClient) -> None:
    response = client.post("/api/v1/tokens", json={"email": "ghost@example.org", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json["detail"] == "Wrong email or password."


def test_duplicate_email_is_409(client: FlaskClient, db_session: Session) -> None:
    user = register(client)
    before = count(db_session, User)
    response = client.post(
        "/api/v1/users", json={"email": user.email.upper(), "password": PASSWORD, "display_name": "Again"}
    )
    assert response.status_code == 409
    assert response.json["errors"] == {"email": ["Already registered."]}
    assert count(db_session, User) == before


def test_short_password_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/users", json={"email": "a@example.org", "password": "short", "display_name": "A"})
    assert response.status_code == 422
    assert "password" in response.json["errors"]


def test_bad_siret_and_postcode(client: FlaskClient, db_session: Session) -> None:
    admin = register(client)
    before = count(db_session, Organisation)
    siret = new_siret()
    bad = siret[:-1] + str((int(siret[-1]) + 1) % 10)
    response = client.post(
        "/api/v1/organisations",
        json={"name": "X", "kind": "company", "siret": bad, "postcode": "ABCDE"},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"siret", "postcode"}
    assert count(db_session, Organisation) == before


def test_la_poste_siret_rule_is_accepted(client: FlaskClient) -> None:
    admin = register(client)
    # La Poste's establishments (SIREN 356 000 000) follow a digit-sum rule, not Luhn.
    siret = "35600000000001"
    assert not luhn_valid(siret) and sum(map(int, siret)) % 5 == 0
    org = create_org(client, admin, kind="public_body", siret=siret)
    assert org["siret"] == siret


def test_duplicate_siret_is_409(client: FlaskClient) -> None:
    admin = register(client)
    org = create_org(client, admin)
    response = client.post(
        "/api/v1/organisations",
        json={"name": "Twin", "kind": "company", "siret": org["siret"], "postcode": "69007"},
        headers=admin.headers,
    )
    assert response.status_code == 409


def test_company_cannot_grant_itself_invoice_payment(client: FlaskClient) -> None:
    admin = register(client)
    response = client.post(
        "/api/v1/organisations",
        json={
            "name": "Co",
            "kind": "company",
            "siret": new_siret(),
            "postcode": "69007",
            "invoice_allowed": True,
        },
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert "invoice_allowed" in response.json["errors"]


def test_outsider_cannot_add_himself(client: FlaskClient, db_session: Session) -> None:
    admin = register(client)
    org = create_org(client, admin)
    outsider = register(client, "outsider")
    before = count(db_session, Membership)
    response = client.post(
        f"/api/v1/organisations/{org['id']}/members",
        json={"email": outsider.email, "role": "admin"},
        headers=outsider.headers,
    )
    assert response.status_code == 403
    assert count(db_session, Membership) == before


def test_non_admin_member_cannot_add_members_or_tokens(client: FlaskClient) -> None:
    admin = register(client)
    org = create_org(client, admin)
    lister = add_member(client, admin, org["id"], "lister")
    other = register(client)
    assert (
        client.post(
            f"/api/v1/organisations/{org['id']}/members",
            json={"email": other.email, "role": "member"},
            headers=lister.headers,
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/organisations/{org['id']}/tokens", json={"name": "b"}, headers=lister.headers).status_code
        == 403
    )


def test_the_members_route_invites_and_adds_no_one_without_consent(client: FlaskClient, db_session: Session) -> None:
    admin = register(client)
    org = create_org(client, admin)
    person = register(client, "person")
    before = count(db_session, Membership)
    url = f"/api/v1/organisations/{org['id']}/members"
    asked = client.post(url, json={"email": person.email.upper(), "role": "lister"}, headers=admin.headers)
    assert asked.status_code == 202
    assert asked.json["status"] == "pending" and asked.json["email"] == person.email
    assert asked.json["role"] == "lister" and asked.json["organisation_id"] == org["id"]
    # Nobody was added: not the person, whatever the admin asked.
    assert count(db_session, Membership) == before
    assert client.get("/api/v1/me", headers=person.headers).json["memberships"] == []
    assert person.email not in [m["email"] for m in client.get(url, headers=admin.headers).json["items"]]
    # The person consents with the emailed link; then, and only then, they are a member.
    token = invitation_token(client, person.email)
    accepted = client.post("/api/v1/invitations/accept", json={"token": token}, headers=person.headers)
    assert accepted.status_code == 201 and accepted.json["role"] == "lister"
    assert count(db_session, Membership) == before + 1
    # An address without an account gets an invitation too; a member's address is refused.
    assert (
        client.post(url, json={"email": "nobody@example.org", "role": "member"}, headers=admin.headers).status_code
        == 202
    )
    again = client.post(url, json={"email": person.email, "role": "admin"}, headers=admin.headers)
    assert again.status_code == 409 and "email" in again.json["errors"]
    bad = client.post(url, json={"email": "not an address", "role": "member"}, headers=admin.headers)
    assert bad.status_code == 422 and "email" in bad.json["errors"]
    assert count(db_session, Membership) == before + 1


def test_outsider_sees_only_the_public_face_of_an_organisation(client: FlaskClient) -> None:
    admin = register(client)
    org = create_org(client, admin)
    outsider = register(client)
    for headers in (outsider.headers, {}):
        body = client.get(f"/api/v1/organisations/{org['id']}", headers=headers).json
        assert set(body) == {"id", "name", "kind", "department"}
    assert client.get("/api/v1/organisations/999999", headers=outsider.headers).status_code == 404
    assert client.get(f"/api/v1/organisations/{org['id']}/members", headers=outsider.headers).status_code == 403


def test_bench_token_scopes_are_restricted(client: FlaskClient) -> None:
    admin = register(client)
    org = create_org(client, admin)
    response = client.post(
        f"/api/v1/organisations/{org['id']}/tokens",
        json={"name": "b", "scopes": ["api"]},
        headers=admin.headers,
    )
    assert response.status_code == 422


def test_invalid_token_forms(client: FlaskClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me", headers=auth("rlf_forged")).status_code == 401
    assert client.get("/api/v1/me", headers=auth("nottoken")).status_code == 401


def test_login_is_rate_limited_per_account(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    user = register(client)
    limit = app.config["RELIFE"].login_failures_per_account
    for _ in range(limit):
        assert (
            client.post("/api/v1/tokens", json={"email": user.email, "password": "wrong-password!"}).status_code == 401
        )
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "application/problem+json"


def test_login_is_rate_limited_per_address(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    limit = app.config["RELIFE"].login_attempts_per_address
    statuses = [
        client.post("/api/v1/tokens", json={"email": f"x{i}@example.org", "password": "whatever-pw"}).status_code
        for i in range(limit + 1)
    ]
    assert statuses[:limit] == [401] * limit
    assert statuses[-1] == 429


def test_staff_command_and_staff_sees_all(client: FlaskClient, runner) -> None:  # type: ignore[no-untyped-def]
    admin = register(client)
    org = create_org(client, admin)
    staff = register(client, "staff")
    result = runner.invoke(args=["set-staff", staff.email])
    assert result.exit_code == 0, result.output
    body = client.get(f"/api/v1/organisations/{org['id']}", headers=staff.headers).json
    assert body["siret"] == org["siret"]
    assert runner.invoke(args=["set-staff", "nobody@example.org"]).exit_code == 1


def test_the_caller_does_not_leak_between_requests_in_one_app_context(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    with app.app_context():  # as in a CLI command driving the API in process
        first = register(client, "first")
        second = register(client, "second")
        assert client.get("/api/v1/me", headers=first.headers).json["email"] == first.email
        assert client.get("/api/v1/me", headers=second.headers).json["email"] == second.email
        assert client.get("/api/v1/me").status_code == 401
