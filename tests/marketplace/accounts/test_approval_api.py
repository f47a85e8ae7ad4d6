"""Cluster staff approve or refuse a new organisation: what they look at, the queue, the history of
decisions, and the emails its admins receive (read back from the SMTP server, in their language)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.members.models import ApprovalStatus, Organisation, OrganisationApproval
from marketplace.notifications.models import OutboxMessage
from tests.api_helpers import PASSWORD, Actor, add_member, create_org, join, register
from tests.fakes.smtp import LocalSmtp
from tests.marketplace.reports.helpers import make_staff


def _deliver(runner: Any) -> None:
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def _register_english(client: FlaskClient, email: str) -> Actor:
    body = {"email": email, "password": PASSWORD, "display_name": "Ann", "language": "en"}
    created = client.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.json
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json["token"]
    return Actor(created.json["id"], email, token)


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: Any) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def admin(client: FlaskClient) -> Actor:
    return register(client, "admin")


@pytest.fixture
def staff(client: FlaskClient, db_session: Session) -> Actor:
    return make_staff(client, db_session)


@pytest.fixture
def pending(client: FlaskClient, admin: Actor) -> dict[str, Any]:
    return create_org(client, admin, kind="nonprofit", approved=False, name="Asso Recyclage")


def test_a_new_organisation_waits_and_staff_see_the_queue_with_what_to_check(
    client: FlaskClient, admin: Actor, staff: Actor, pending: dict[str, Any]
) -> None:
    approved = create_org(client, register(client, "other"))
    own = client.get(f"/api/v1/organisations/{pending['id']}", headers=admin.headers).json
    assert own["approval_status"] == "pending"
    queue = client.get("/api/v1/organisations?approval=pending", headers=staff.headers)
    assert queue.status_code == 200
    ids = [org["id"] for org in queue.json["items"]]
    assert pending["id"] in ids and approved["id"] not in ids
    assert {org["approval_status"] for org in queue.json["items"]} == {"pending"}
    # A member's own list, filtered the same way, holds only their own organisations.
    assert [
        o["id"] for o in client.get("/api/v1/organisations?approval=pending", headers=admin.headers).json["items"]
    ] == [pending["id"]]
    state = client.get(f"/api/v1/organisations/{pending['id']}/approval", headers=staff.headers)
    assert state.status_code == 200
    review = state.json["review"]
    assert state.json["status"] == "pending" and state.json["history"] == []
    assert review["siret"] == pending["siret"] and review["siret_valid"] is True
    assert review["siren"] == pending["siret"][:9] and pending["siret"] in review["directory_url"]
    assert (review["kind"], review["name"], review["postcode"], review["department"]) == (
        "nonprofit", "Asso Recyclage", "69007", "69",
    )  # fmt: skip
    assert review["admins"] == [admin.email]
    # Its own people read where it stands; other organisations do not.
    assert client.get(f"/api/v1/organisations/{pending['id']}/approval", headers=admin.headers).status_code == 200
    other = client.get(f"/api/v1/organisations/{pending['id']}/approval", headers=register(client).headers)
    assert other.status_code == 403


def test_a_refusal_then_an_approval_are_both_recorded_and_each_admin_is_told_in_their_language(
    client: FlaskClient, runner: Any, smtp: LocalSmtp, db_session: Session, admin: Actor, staff: Actor,
    pending: dict[str, Any],
) -> None:  # fmt: skip
    english = _register_english(client, "ann@asso.example")
    join(client, admin, pending["id"], english, "admin")
    add_member(client, admin, pending["id"], "member")  # not an admin: not emailed
    url = f"/api/v1/organisations/{pending['id']}/approval"
    reason = "Le SIRET est celui d'une entreprise, pas d'une association."
    refused = client.post(url, json={"decision": "refused", "reason": reason}, headers=staff.headers)
    assert refused.status_code == 200, refused.json
    assert refused.json["status"] == "refused"
    _deliver(runner)
    told = {m["To"]: m for m in smtp.received() if "approuvée" in m["Subject"] or "approved" in m["Subject"]}
    assert set(told) == {admin.email, english.email}
    assert told[admin.email]["Subject"] == "Asso Recyclage n'est pas approuvée sur Relife"
    assert reason in _text(told[admin.email]) and "contactez l'équipe du cluster" in _text(told[admin.email])
    assert "Motif" in _html(told[admin.email])
    assert told[english.email]["Subject"] == "Asso Recyclage is not approved on Relife"
    assert reason in _text(told[english.email]) and "contact the cluster staff" in _text(told[english.email])

    approved = client.post(url, json={"decision": "approved"}, headers=staff.headers)
    assert approved.status_code == 200, approved.json
    history = approved.json["history"]
    assert [(h["decision"], h["reason"]) for h in history] == [("approved", None), ("refused", reason)]
    assert {h["decided_by_id"] for h in history} == {staff.user_id}
    assert all(h["decided_at"] for h in history)
    _deliver(runner)
    subjects = {(m["To"], m["Subject"]) for m in smtp.received()}
    assert (admin.email, "Asso Recyclage est approuvée sur Relife") in subjects
    assert (english.email, "Asso Recyclage is approved on Relife") in subjects
    # The history stays in the database, and the organisation is approved.
    db_session.expire_all()
    organisation = db_session.get(Organisation, pending["id"])
    assert organisation is not None and organisation.approval_status is ApprovalStatus.APPROVED
    count = sa.select(sa.func.count()).select_from(OrganisationApproval)
    assert db_session.scalar(count.where(OrganisationApproval.organisation_id == pending["id"])) == 2


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("anonymous", {"decision": "approved"}, 401, None),
        ("admin", {"decision": "approved"}, 403, None),  # an organisation does not approve itself
        ("staff", {"decision": "maybe"}, 422, "decision"),
        ("staff", {"decision": "refused"}, 422, "reason"),
        ("staff", {"decision": "refused", "reason": "   "}, 422, "reason"),
        ("staff", {"reason": "fine"}, 422, "decision"),
        ("staff", {"decision": "approved", "reason": "x" * 2001}, 422, "reason"),
        ("staff", {"decision": "approved", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    client: FlaskClient, db_session: Session, admin: Actor, staff: Actor, pending: dict[str, Any],
    who: str, body: dict[str, Any], status: int, field: str | None,
) -> None:  # fmt: skip
    outbox_before = db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    headers = {"anonymous": {}, "admin": admin.headers, "staff": staff.headers}[who]
    response = client.post(f"/api/v1/organisations/{pending['id']}/approval", json=body, headers=headers)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    if field is not None:
        assert field in response.json["errors"], response.json
    db_session.expire_all()
    organisation = db_session.get(Organisation, pending["id"])
    assert organisation is not None and organisation.approval_status is ApprovalStatus.PENDING
    decisions = sa.select(sa.func.count()).select_from(OrganisationApproval)
    assert db_session.scalar(decisions.where(OrganisationApproval.organisation_id == pending["id"])) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == outbox_before


def test_an_approved_organisation_is_not_decided_again_and_an_unknown_one_is_404(
    client: FlaskClient, admin: Actor, staff: Actor
) -> None:
    org = create_org(client, admin)
    again = client.post(
        f"/api/v1/organisations/{org['id']}/approval", json={"decision": "approved"}, headers=staff.headers
    )
    assert again.status_code == 409 and "already approved" in again.json["detail"]
    refuse = client.post(
        f"/api/v1/organisations/{org['id']}/approval", json={"decision": "refused", "reason": "late"},
        headers=staff.headers,
    )  # fmt: skip
    assert refuse.status_code == 409
    missing = client.post("/api/v1/organisations/999999/approval", json={"decision": "approved"}, headers=staff.headers)
    assert missing.status_code == 404
