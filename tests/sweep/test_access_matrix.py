"""Access matrix across domains: every operation no domain matrix covers (organisations, tokens,
listings, reservations, orders, loans, impact, the fleet forecast, the public passport) × every kind of caller, on
objects of organisation A, with the expected status written out; and a sweep of every readable
operation of the OpenAPI document showing nothing private of A reaches organisation B.

The devices, diagnostics, erasures and imports matrices live in their domains' tests
(tests/marketplace/{devices,reports,erasures,imports}); they are not repeated here.

Callers run left to right in RUN_ORDER, in one world: every refusal leaves the object as it was,
so a 409 after an earlier caller's 2xx means "allowed, but the object has moved on" (a handed-over
order cannot be handed over twice) — the authorisation check passed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.sweep.matrix_world import CALLERS, MatrixWorld, build

RUN_ORDER = ("anonymous", "admin_b", "bench", "member", "technician", "lister", "admin", "staff")
TODAY = dt.datetime.now(dt.UTC).date()


def _day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


# Columns: anonymous, member A, lister A, technician A, admin A, admin B, bench token A, staff.
READS: list[tuple[str, tuple[int, ...]]] = [
    # Anyone sees an organisation's public card (name, kind, department); its details: see below.
    ("/api/v1/organisations/{a}", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/api/v1/organisations/{a}/members", (401, 200, 200, 200, 200, 403, 403, 200)),
    ("/api/v1/organisations/{a}/tokens", (401, 403, 403, 403, 200, 403, 403, 200)),
    # The fleet forecast: every member of A (any role) and staff; not B, not A's bench token.
    ("/api/v1/organisations/{a}/fleet-health", (401, 200, 200, 200, 200, 403, 403, 200)),
    # A members-only listed device: its public passport for any cluster member, not anonymous.
    ("/api/v1/devices/{device_members}/passport", (404, 200, 200, 200, 200, 200, 403, 200)),
    ("/api/v1/listings/{listing_members}", (404, 200, 200, 200, 200, 200, 404, 200)),
    ("/api/v1/listings/{listing_public}", (200, 200, 200, 200, 200, 200, 200, 200)),
    # One rule (listings.visibility): a bench token is nobody's person, not even its own
    # organisation's, for its past listings or its devices, like for its members-only listings.
    ("/api/v1/listings?organisation_id={a}&status=withdrawn", (403, 200, 200, 200, 200, 403, 403, 200)),
    ("/api/v1/devices/{device_members}", (401, 200, 200, 200, 200, 404, 403, 200)),
    # The hold belongs to the buying organisation C: the seller's people do not see it.
    ("/api/v1/reservations/{reservation}", (401, 404, 404, 404, 404, 404, 403, 200)),
    ("/api/v1/orders/{order}", (401, 200, 200, 200, 200, 404, 403, 200)),
    ("/api/v1/orders/{order}/invoice", (401, 200, 200, 200, 200, 404, 403, 200)),
    ("/api/v1/orders/{order}/invoice.pdf", (401, 200, 200, 200, 200, 404, 403, 200)),
    # Returns: both sides and staff read them (C opened one on the order A handed over).
    ("/api/v1/orders/{order_returned}/returns", (401, 200, 200, 200, 200, 404, 403, 200)),
    ("/api/v1/orders/{order_returned}/returns/{return}", (401, 200, 200, 200, 200, 404, 403, 200)),
    # The return's condition photo (uploaded by the buyer C): as the return, both sides and staff.
    (
        "/api/v1/orders/{order_returned}/returns/{return}/photos/{return_photo}",
        (401, 200, 200, 200, 200, 404, 403, 200),
    ),
    (
        "/api/v1/orders/{order_returned}/returns/{return}/photos/{return_photo}/thumbnail",
        (401, 200, 200, 200, 200, 404, 403, 200),
    ),
    # Nothing cancelled the invoice: no credit note, for those who may see the order.
    ("/api/v1/orders/{order}/credit-note.pdf", (401, 404, 404, 404, 404, 404, 403, 404)),
    # Labels: who reads the organisation's devices (a bench token uploads only).
    (
        "/api/v1/organisations/{a}/labels.pdf?device_ids={device},{device_members}",
        (401, 200, 200, 200, 200, 403, 403, 200),
    ),
    ("/api/v1/loans/{loan}", (401, 200, 200, 200, 200, 404, 403, 200)),
    ("/api/v1/loans/{loan}/extensions", (401, 200, 200, 200, 200, 404, 403, 200)),
    ("/api/v1/loan-extensions/{extension}", (401, 200, 200, 200, 200, 404, 403, 200)),
    # The calendar is the listing's: whoever sees the listing; borrowers named to A's people only.
    ("/api/v1/listings/{listing_loan}/calendar", (404, 200, 200, 200, 200, 200, 404, 200)),
    ("/api/v1/impact?organisation_id={a}", (200, 200, 200, 200, 200, 200, 200, 200)),
    # The outbox holds every member's email address and links: cluster staff only.
    ("/api/v1/outbox", (401, 403, 403, 403, 403, 403, 403, 200)),
    # Each person's own sessions; a bench token is no person.
    ("/api/v1/me/tokens", (401, 200, 200, 200, 200, 200, 403, 200)),
    # Each person's own email settings; a bench token is no person.
    ("/api/v1/me/notifications", (401, 200, 200, 200, 200, 200, 403, 200)),
    ("/api/v1/organisations/{a}/invitations", (401, 403, 403, 403, 200, 403, 403, 200)),
    # Where A's review stands: its own people and staff; the queue: any person (staff see all).
    ("/api/v1/organisations/{a}/approval", (401, 200, 200, 200, 200, 403, 403, 200)),
    ("/api/v1/organisations?approval=pending", (401, 200, 200, 200, 200, 200, 403, 200)),
    # Listing photos: whoever sees the listing (listings.visibility), the bytes as the list.
    ("/api/v1/listings/{listing_members}/photos", (404, 200, 200, 200, 200, 200, 404, 200)),
    ("/api/v1/listings/{listing_members}/photos/{photo_members}", (404, 200, 200, 200, 200, 200, 404, 200)),
    ("/api/v1/listings/{listing_members}/photos/{photo_members}/thumbnail", (404, 200, 200, 200, 200, 200, 404, 200)),
    ("/api/v1/listings/{listing_public}/photos/{photo_public}", (200,) * 8),
    ("/api/v1/listings/{listing_public}/photos/{photo_public}/thumbnail", (200,) * 8),
    # A photo under another listing's path is no photo of it.
    ("/api/v1/listings/{listing_public}/photos/{photo_members}", (404,) * 8),
    # A condition photo: its organisation's people and staff; a bench token is no person.
    ("/api/v1/photos/{photo_condition}", (401, 200, 200, 200, 200, 404, 403, 200)),
    ("/api/v1/photos/{photo_condition}/thumbnail", (401, 200, 200, 200, 200, 404, 403, 200)),
]

WRITES: list[tuple[str, str, dict[str, Any] | None, tuple[int, ...]]] = [
    ("POST", "/api/v1/organisations/{a}/members", {"email": "nobody@example.org", "role": "member"},
     (401, 403, 403, 403, 202, 403, 403, 202)),  # 202: an invitation (the person consents), no membership
    ("POST", "/api/v1/organisations/{a}/tokens", {"name": "bench 2"}, (401, 403, 403, 403, 201, 403, 403, 201)),
    # 409: allowed, but the device (not diagnosed) cannot be listed; B does not see A's device.
    ("POST", "/api/v1/listings", {"device_id": "{device}", "mode": "sale", "price_cents": 100},
     (401, 403, 409, 403, 409, 404, 403, 409)),
    ("PATCH", "/api/v1/listings/{listing_members}", {"description": "new"}, (404, 403, 200, 403, 200, 403, 404, 200)),
    # A's own people cannot buy from A; B (another cluster member) can hold it.
    ("POST", "/api/v1/listings/{listing_members}/reservations", {}, (401, 403, 403, 403, 403, 201, 403, 403)),
    # 422 for B: allowed to borrow, but this is a sale listing.
    ("POST", "/api/v1/listings/{listing_public}/loans", {"start": _day(2), "end": _day(4)},
     (401, 403, 403, 403, 403, 422, 403, 403)),
    # Seller side: the lister hands over (then it is done: 409); the buyer's requests are the buyer's.
    ("POST", "/api/v1/orders/{order}/handover", None, (401, 403, 200, 403, 409, 404, 403, 409)),
    # Only the buyer's organisation opens a return (not the seller, not staff on its behalf).
    ("POST", "/api/v1/orders/{order}/returns", {"reason": "broken hinge"}, (401, 403, 403, 403, 403, 404, 403, 403)),
    # The seller's admins and listers decide, once (then: 409); staff passes the check too.
    ("POST", "/api/v1/orders/{order_returned}/returns/{return}/accept", {"refund_cents": 100},
     (401, 403, 200, 403, 409, 404, 403, 409)),
    ("POST", "/api/v1/orders/{order_returned}/returns/{return}/refuse", {"reason": "no"},
     (401, 403, 409, 403, 409, 404, 403, 409)),
    ("POST", "/api/v1/orders/{order}/mark-paid", None, (401, 403, 403, 403, 403, 404, 403, 200)),
    ("POST", "/api/v1/orders/{order}/cancel", None, (401, 403, 409, 403, 409, 404, 403, 409)),
    # The borrower (C) asked for an extension in the world: the lender's listers and admins decide
    # (the lister refuses first, then it is decided: 409); only the borrower's people (and staff)
    # ask or withdraw, and staff asks once the first is decided.
    ("POST", "/api/v1/loan-extensions/{extension}/refuse", {"reason": "serviced that week"},
     (401, 403, 200, 403, 409, 404, 403, 409)),
    ("POST", "/api/v1/loan-extensions/{extension}/approve", None, (401, 403, 409, 403, 409, 404, 403, 409)),
    ("POST", "/api/v1/loan-extensions/{extension}/withdraw", None, (401, 403, 403, 403, 403, 404, 403, 409)),
    ("POST", "/api/v1/loans/{loan}/extensions", {"end": _day(8)}, (401, 403, 403, 403, 403, 404, 403, 201)),
    # The loan starts in two days: a handover or a return now is a 409 for those allowed.
    ("POST", "/api/v1/loans/{loan}/handover", None, (401, 403, 409, 403, 409, 404, 403, 409)),
    ("POST", "/api/v1/loans/{loan}/return", {"condition": "as_lent"}, (401, 403, 409, 403, 409, 404, 403, 409)),
    ("POST", "/api/v1/loans/{loan}/cancel", None, (401, 403, 200, 403, 409, 404, 403, 409)),
    ("DELETE", "/api/v1/reservations/{reservation}", None, (401, 404, 404, 404, 404, 404, 403, 204)),
    # B's admin holds it (above): while the hold is live, nobody may withdraw it (409).
    ("DELETE", "/api/v1/listings/{listing_members}", None, (404, 403, 409, 403, 409, 403, 404, 409)),
    # (before the bench token is revoked below) 409 for staff: allowed, but the message is pending, not failed.
    ("POST", "/api/v1/outbox/{outbox_message}/retry", None, (401, 403, 403, 403, 403, 403, 403, 409)),
    # The link's token is the credential, whoever calls: a made-up one is a 422 for everybody.
    ("POST", "/api/v1/email-verifications/confirm", {"token": "made.up.token"}, (422,) * 8),
    ("POST", "/api/v1/password-resets/confirm", {"token": "made.up.token", "password": "a fine long phrase"},
     (422,) * 8),
    # Anyone may ask; the answer never says whether the address has an account.
    ("POST", "/api/v1/password-resets", {"email": "nobody@example.org"}, (202,) * 8),
    # Each person acts on their own account only (unconfirmed addresses: a new link is sent; A's
    # member, technician and lister joined by an emailed invitation, which confirmed theirs: 409).
    ("POST", "/api/v1/email-verifications", None, (401, 409, 409, 409, 202, 202, 403, 202)),
    ("POST", "/api/v1/me/password", {"current_password": "not the password", "new_password": "a fine long phrase"},
     (401, 422, 422, 422, 422, 422, 403, 422)),
    ("POST", "/api/v1/me/email", {"current_password": "not the password", "email": "new@example.org"},
     (401, 422, 422, 422, 422, 422, 403, 422)),
    # Invitations: A's admins and staff (a second invitation to an address replaces the first: 201
    # again). A made-up acceptance token is a 422 for any signed-in person.
    ("POST", "/api/v1/organisations/{a}/invitations", {"email": "invitee@example.org", "role": "member"},
     (401, 403, 403, 403, 201, 403, 403, 201)),
    ("DELETE", "/api/v1/organisations/{a}/invitations/999999", None, (401, 403, 403, 403, 404, 403, 403, 404)),
    ("POST", "/api/v1/invitations/accept", {"token": "made.up.token"}, (401, 422, 422, 422, 422, 422, 403, 422)),
    ("PATCH", "/api/v1/organisations/{a}", {"city": "Lyon"}, (401, 403, 403, 403, 200, 403, 403, 200)),
    # Roles and removal: A's admins and staff pass the check (then: no such member).
    ("PATCH", "/api/v1/organisations/{a}/members/999999", {"role": "lister"},
     (401, 403, 403, 403, 404, 403, 403, 404)),
    ("DELETE", "/api/v1/organisations/{a}/members/999999", None, (401, 403, 403, 403, 404, 403, 403, 404)),
    # Staff decide (A is approved already: 409); nobody else, A's admin included.
    ("POST", "/api/v1/organisations/{a}/approval", {"decision": "approved"}, (401, 403, 403, 403, 403, 403, 403, 409)),
    # A's admins only (not staff: the person filling Stripe's forms represents A); 503: no Stripe here.
    ("POST", "/api/v1/organisations/{a}/stripe-onboarding", None, (401, 403, 403, 403, 503, 403, 403, 403)),
    # Each person turns their own optional emails off; an essential category never (422).
    ("PATCH", "/api/v1/me/notifications", {"categories": {"loans": False}}, (401, 200, 200, 200, 200, 200, 403, 200)),
    ("PATCH", "/api/v1/me/notifications", {"categories": {"invoices": False}},
     (401, 422, 422, 422, 422, 422, 403, 422)),
    # A's bench token is nobody's personal token: 404 for every person, staff included.
    ("DELETE", "/api/v1/me/tokens/{token}", None, (401, 404, 404, 404, 404, 404, 403, 404)),
    ("DELETE", "/api/v1/organisations/{a}/tokens/{token}", None, (401, 403, 403, 403, 204, 403, 403, 204)),
]  # fmt: skip

#: The admin of an organisation awaiting review: a visitor in the catalogue, no transactions, but
#: its own review readable and its devices registered (an IT department prepares its stock).
PENDING: list[tuple[str, str, dict[str, Any] | None, int]] = [
    ("GET", "/api/v1/listings/{listing_members}", None, 404),
    ("GET", "/api/v1/devices/{device_members}/passport", None, 404),
    ("GET", "/api/v1/listings/{listing_public}", None, 200),
    ("GET", "/api/v1/organisations/{pending}/approval", None, 200),
    ("GET", "/api/v1/organisations/{a}/approval", None, 403),
    ("POST", "/api/v1/listings/{listing_public}/reservations", {}, 403),
    ("POST", "/api/v1/listings/{listing_loan}/loans", {"start": _day(2), "end": _day(4)}, 404),
    ("POST", "/api/v1/organisations/{pending}/approval", {"decision": "approved"}, 403),
    ("POST", "/api/v1/organisations/{pending}/stripe-onboarding", None, 403),
    ("POST", "/api/v1/devices", {"organisation_id": "{pending}", "kind": "laptop", "make": "HP", "model": "800 G4",
                                 "serial": "PENDING01"}, 201),
]  # fmt: skip

#: Multipart uploads (one PNG in ``files``) and the photo deletion, in RUN_ORDER like WRITES.
PHOTO_WRITES: list[tuple[str, str, dict[str, str] | None, tuple[int, ...]]] = [
    # As for changing the listing: 404 for who does not see it, 403 for who sees it but does not list.
    ("POST", "/api/v1/listings/{listing_members}/photos", {}, (404, 403, 201, 403, 201, 403, 404, 201)),
    # Condition photos: any person for their own organisation (B's admin for B); staff belongs to none.
    ("POST", "/api/v1/photos", {"purpose": "condition"}, (401, 201, 201, 201, 201, 201, 403, 422)),
    # The lister deletes it (204); A's admin and staff are allowed, but it is gone (404).
    ("DELETE", "/api/v1/listings/{listing_members}/photos/{photo_members}", None,
     (404, 403, 204, 403, 404, 403, 404, 404)),
]  # fmt: skip


PRIVATE_ORG_FIELDS = {
    "siret", "postcode", "address", "city", "invoice_allowed", "vat_regime", "created_at", "approval_status",
    "stripe_account_id", "stripe_charges_enabled", "stripe_payouts_enabled", "stripe_details_submitted",
}  # fmt: skip


@pytest.fixture
def world(client: FlaskClient, db_session: Session) -> MatrixWorld:
    return build(client, db_session)


def _ids(world: MatrixWorld) -> dict[str, int]:
    return {**world.ids, "a": world.a.id}


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return ids[value[1:-1]]
    return value


def _assert_no_secret(world: MatrixWorld, caller: str, what: str, body: bytes) -> None:
    if caller in {"admin_b", "anonymous", "bench"}:
        text = body.decode(errors="replace")
        leaked = [secret for secret in world.secrets if secret in text]
        assert not leaked, f"{caller} sees {leaked} in {what}"


def test_reads(client: FlaskClient, world: MatrixWorld) -> None:
    ids = _ids(world)
    mismatches = []
    for path, expected in READS:
        for caller in RUN_ORDER:
            response = client.get(path.format(**ids), headers=world.headers(caller))
            want = expected[CALLERS.index(caller)]
            if response.status_code != want:
                mismatches.append((path, caller, want, response.status_code))
            _assert_no_secret(world, caller, path, response.data)
    assert not mismatches


#: The site's pages (``marketplace.web``) with the API's rules: a device page as its passport, by
#: the device's public code; the catalogue page for anyone (what it lists: tests/marketplace/web).
PAGES: list[tuple[str, tuple[int, ...]]] = [
    ("/d/{device_members}", (404, 200, 200, 200, 200, 200, 403, 200)),
    ("/d/{device_public}", (200, 200, 200, 200, 200, 200, 403, 200)),
    ("/d/{device_ordered}", (404, 200, 200, 200, 200, 404, 403, 200)),  # sold: only its own people
    ("/", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/impact", (200, 200, 200, 200, 200, 200, 200, 200)),
    # The sign-in form; signed in already (a bearer header here), a person goes on to their account.
    ("/sign-in", (200, 303, 303, 303, 303, 303, 200, 303)),
    # Who I am: a person; anonymous is sent to sign in, a bench token is no person.
    ("/account", (303, 200, 200, 200, 200, 200, 403, 200)),
    # The pages our emails link to: a GET shows and changes nothing (web.links); the token is
    # checked by the button's POST, or at once for an invitation (an altered one: 422 for all).
    ("/account/verify-email?token=x", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/account/reset-password?token=x", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/invitations/accept?token=x", (422, 422, 422, 422, 422, 422, 422, 422)),
    # Back from Stripe: anyone reads "submitted"; starting again is for A's admins (others: 403;
    # not a person, anonymous or a bench token: "sign in").
    ("/organisations/{a}/stripe-onboarding/return", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("/organisations/{a}/stripe-onboarding/refresh", (200, 403, 403, 403, 200, 403, 200, 403)),
]


def test_pages(client: FlaskClient, world: MatrixWorld, db_session: Session) -> None:
    from marketplace.devices.models import Device

    codes = {
        name: db_session.get(Device, world.ids[name]).public_code for name in world.ids if name.startswith("device_")
    }
    mismatches = []
    for path, expected in PAGES:
        for caller in RUN_ORDER:
            response = client.get(
                path.format(**codes, a=world.a.id), headers={**world.headers(caller), "Accept": "text/html"}
            )
            want = expected[CALLERS.index(caller)]
            if response.status_code != want:
                mismatches.append((path, caller, want, response.status_code))
            assert response.mimetype == "text/html", (path, caller)
            _assert_no_secret(world, caller, path, response.data)
    assert not mismatches


def test_organisation_details_only_for_its_own_people_and_staff(client: FlaskClient, world: MatrixWorld) -> None:
    for caller in CALLERS:
        body = client.get(f"/api/v1/organisations/{world.a.id}", headers=world.headers(caller)).json
        private = PRIVATE_ORG_FIELDS & set(body)
        # A's own bench token reads A's card in full (its own organisation; noted for the lead).
        if caller in {"member", "lister", "technician", "admin", "staff", "bench"}:
            assert private == PRIVATE_ORG_FIELDS, caller
        else:
            assert not private, f"{caller} sees {private}"


def test_writes(client: FlaskClient, world: MatrixWorld) -> None:
    ids = _ids(world)
    mismatches = []
    for method, path, body, expected in WRITES:
        # Refusals change nothing: A's objects are compared before and after each run of refusals
        # (a snapshot per request would triple the time; a refusal never sits between the two).
        before, refused = _snapshot(client, world, ids), []
        for caller in RUN_ORDER:
            want = expected[CALLERS.index(caller)]
            if want < 300 and refused:
                assert _snapshot(client, world, ids) == before, f"{method} {path} refused to {refused} changed A"
            response = client.open(
                path.format(**ids), method=method, json=_fill(body, ids), headers=world.headers(caller)
            )
            if response.status_code != want:
                mismatches.append((method, path, caller, want, response.status_code))
            if response.status_code >= 400:
                assert response.mimetype == "application/problem+json", (method, path, caller)
                refused.append(caller)
            else:
                before, refused = _snapshot(client, world, ids), []
            _assert_no_secret(world, caller, path, response.data)
        if refused:
            assert _snapshot(client, world, ids) == before, f"{method} {path} refused to {refused} changed A"
    assert not mismatches


def test_a_pending_organisations_admin(client: FlaskClient, world: MatrixWorld) -> None:
    assert world.pending is not None
    ids = _ids(world)
    mismatches = []
    for method, path, body, want in PENDING:
        response = client.open(path.format(**ids), method=method, json=_fill(body, ids), headers=world.pending.headers)
        if response.status_code != want:
            mismatches.append((method, path, want, response.status_code))
        if method == "GET":  # (its own new device may share an asset tag number with A's: RLF-000001)
            _assert_no_secret(world, "admin_b", path, response.data)
    assert not mismatches


def test_photo_writes(client: FlaskClient, world: MatrixWorld) -> None:
    from tests.sweep.matrix_world import png_upload

    ids = _ids(world)
    mismatches = []
    for method, path, form, expected in PHOTO_WRITES:
        for caller in RUN_ORDER:
            if form is None:
                response = client.open(path.format(**ids), method=method, headers=world.headers(caller))
            else:
                response = client.open(
                    path.format(**ids),
                    method=method,
                    data={**png_upload(), **form},
                    headers=world.headers(caller),
                    content_type="multipart/form-data",
                )
            want = expected[CALLERS.index(caller)]
            if response.status_code != want:
                mismatches.append((method, path, caller, want, response.status_code))
            if response.status_code >= 400:
                assert response.mimetype == "application/problem+json", (method, path, caller)
            _assert_no_secret(world, caller, path, response.data)
    assert not mismatches


def _snapshot(client: FlaskClient, world: MatrixWorld, ids: dict[str, int]) -> str:
    """What staff sees of A's objects, minus the clocks."""
    paths = [
        "/api/v1/organisations/{a}/members",
        "/api/v1/organisations/{a}/tokens",
        "/api/v1/listings/{listing_members}",
        "/api/v1/reservations/{reservation}",
        "/api/v1/orders/{order}",
        "/api/v1/loans/{loan}",
    ]
    seen = {path: client.get(path.format(**ids), headers=world.staff.headers).json for path in paths}
    return re.sub(r'"(last_used_at|updated_at)": "[^"]*"', "", json.dumps(seen, sort_keys=True))


# Readable by another cluster organisation by design: public cards, the catalogue, impact.
B_MAY_READ = {
    "/api/v1/organisations/{organisation_id}",
    "/api/v1/devices/{device_id}/passport",  # the public view of a listed device (no serial)
    "/api/v1/listings/{listing_id}",
    "/api/v1/listings/{listing_id}/calendar",  # the taken days of a listing B may borrow, nobody named
    "/api/v1/listings/{listing_id}/photos",  # the photos of a listing B sees (members-only)
}


def test_nothing_private_of_a_reaches_b(client: FlaskClient, world: MatrixWorld) -> None:
    """Every GET of the OpenAPI document, path ids pointing at A's objects, as admin of B."""
    spec = client.get("/api/v1/openapi.json").json
    values = {
        "organisation_id": world.a.id,
        "device_id": world.ids["device_members"],
        "report_id": world.ids["report"],
        "position": 0,
        "listing_id": world.ids["listing_members"],
        "reservation_id": world.ids["reservation"],
        "order_id": world.ids["order"],
        "loan_id": world.ids["loan"],
        "extension_id": world.ids["extension"],
        "token_id": world.ids["token"],
        "number": "ABCDEFGHJKMN",  # an erasure certificate (public by its unguessable number): none here
        "erasure_id": world.ids["erasure"],
        "return_id": world.ids["return"],
        "photo_id": world.ids["photo_condition"],
    }
    seen = 0
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue
        names = re.findall(r"\{(\w+)\}", path)
        for device_key in ("device", "device_members") if "device_id" in names else ("device",):
            url = path.format(**{**values, "device_id": world.ids[device_key]})
            response = client.get(url, headers=world.b.admin.headers)
            seen += 1
            _assert_no_secret(world, "admin_b", url, response.data)
            if names and path not in B_MAY_READ:
                assert response.status_code in {403, 404}, (url, response.status_code)
    for query in ("?organisation_id={a}", "?role=seller", "?role=lender"):
        for listing in ("/api/v1/devices", "/api/v1/orders", "/api/v1/loans", "/api/v1/listings"):
            response = client.get(listing + query.format(a=world.a.id), headers=world.b.admin.headers)
            _assert_no_secret(world, "admin_b", listing + query, response.data)
            if response.status_code == 200:
                assert all(item.get("organisation_id") != world.a.id or "listings" in listing
                           for item in response.json["items"]), listing + query  # fmt: skip
    assert seen >= 20
