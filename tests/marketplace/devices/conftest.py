"""Fixtures of the devices tests: organisations with one actor per role, built through the
service layer (fast) or the API (for API tests)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from marketplace.members import service as members
from marketplace.members.access import Principal
from marketplace.members.models import Organisation, OrganisationKind, Role, User
from tests.api_helpers import new_siret

_n = itertools.count(1)


@dataclass
class OrgPeople:
    """One organisation and a principal for each role, plus staff and an outsider admin."""

    organisation: Organisation
    admin: Principal
    lister: Principal
    technician: Principal
    member: Principal
    other_admin: Principal
    other_organisation: Organisation
    staff: Principal
    bench: Principal


def make_user(session: Session, name: str, *, staff: bool = False) -> User:
    user = members.register_user(
        session, email=f"{name}{next(_n)}@example.org", password="correct horse battery", display_name=name
    )
    user.is_staff = staff
    session.flush()
    return user


def principal_of(session: Session, user: User) -> Principal:
    issued = members._new_token(
        session,
        kind=members.TokenKind.PERSONAL,
        scopes=[members.SCOPE_API],
        ttl=members.dt.timedelta(days=1),
        user_id=user.id,
    )
    return members.authenticate(session, issued.secret)


def make_org(session: Session, admin: User) -> Organisation:
    return members.create_organisation(
        session,
        principal_of(session, admin),
        name=f"Org {next(_n)}",
        kind=OrganisationKind.COMPANY,
        siret=new_siret(),
        postcode="69007",
    )


@pytest.fixture
def people(db_session: Session) -> OrgPeople:
    admin = make_user(db_session, "admin")
    organisation = make_org(db_session, admin)
    users: dict[str, User] = {}
    for role in (Role.LISTER, Role.TECHNICIAN, Role.MEMBER):
        user = make_user(db_session, role.value)
        db_session.add(members.Membership(user_id=user.id, organisation_id=organisation.id, role=role))
        users[role.value] = user
    other = make_user(db_session, "other")
    other_organisation = make_org(db_session, other)
    staff = make_user(db_session, "staff", staff=True)
    db_session.flush()
    bench = members.create_bench_token(
        db_session,
        principal_of(db_session, admin),
        organisation.id,
        name="bench",
        scopes=["diagnostics:upload"],
        ttl=members.dt.timedelta(days=1),
    )
    return OrgPeople(
        organisation=organisation,
        admin=principal_of(db_session, admin),
        lister=principal_of(db_session, users["lister"]),
        technician=principal_of(db_session, users["technician"]),
        member=principal_of(db_session, users["member"]),
        other_admin=principal_of(db_session, other),
        other_organisation=other_organisation,
        staff=principal_of(db_session, staff),
        bench=members.authenticate(db_session, bench.secret),
    )


def laptop(**overrides: Any) -> dict[str, Any]:
    n = next(_n)
    return {
        "kind": "laptop",
        "make": "Lenovo",
        "model": "ThinkPad T480",
        "serial": f"PF1{n:05d}",
        "specs": {"cpu": "Intel Core i5-8350U", "ram_gb": 16, "storage_gb": 256, "storage_type": "nvme", "year": 2018},
        **overrides,
    }


@dataclass
class ApiPeople:
    """Bearer headers for every kind of caller of organisation A's devices (None: anonymous)."""

    org_id: int
    other_org_id: int
    headers: dict[str, dict[str, str] | None]


ROLES = ("anonymous", "member", "lister", "technician", "admin", "other_admin", "bench", "staff")


@pytest.fixture
def api_people(client: Any, db_session: Session) -> ApiPeople:
    from tests.api_helpers import add_member, auth, create_org, register

    admin = register(client, "admin")
    org = create_org(client, admin)
    actors = {role: add_member(client, admin, org["id"], role) for role in ("member", "lister", "technician")}
    other_admin = register(client, "other")
    other_org = create_org(client, other_admin)
    staff = register(client, "staff")
    user = db_session.get(User, staff.user_id)
    assert user is not None
    user.is_staff = True
    db_session.flush()
    bench = client.post(f"/api/v1/organisations/{org['id']}/tokens", json={"name": "bench"}, headers=admin.headers)
    assert bench.status_code == 201
    headers: dict[str, dict[str, str] | None] = {
        "anonymous": None,
        **{role: actor.headers for role, actor in actors.items()},
        "admin": admin.headers,
        "other_admin": other_admin.headers,
        "bench": auth(bench.json["token"]),
        "staff": staff.headers,
    }
    return ApiPeople(org["id"], other_org["id"], headers)


def create_via_api(client: Any, people: ApiPeople, **overrides: Any) -> dict[str, Any]:
    body = {"organisation_id": people.org_id, **laptop(), **overrides}
    response = client.post("/api/v1/devices", json=body, headers=people.headers["lister"])
    assert response.status_code == 201, response.json
    data: dict[str, Any] = response.json
    return data
