"""Accounts end to end through the API, with the emails read back from the SMTP server: password
reset, changing password and email with the current password, the password policy, the user's own
tokens, and the limits on login, registration and reset requests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api_helpers import auth
from tests.fakes.smtp import LocalSmtp

PASSWORD = "correct horse battery"
NEW_PASSWORD = "velo-cargo sous la pluie"


def _register(client: FlaskClient, email: str, name: str = "Zoé Martin", password: str = PASSWORD) -> Any:
    return client.post("/api/v1/users", json={"email": email, "password": password, "display_name": name})


def _login(client: FlaskClient, email: str, password: str = PASSWORD, address: str = "127.0.0.1") -> Any:
    return client.post(
        "/api/v1/tokens", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _token(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = _login(client, email, password)
    assert response.status_code == 201, response.json
    return auth(response.json["token"])


def _deliver(runner: Any) -> None:
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def _link(smtp: LocalSmtp, to: str, path: str) -> str:
    """The token of the last link to ``path`` emailed to ``to`` (text part; the HTML carries the same)."""
    for message in reversed(smtp.received()):
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",))
            html = message.get_body(preferencelist=("html",))
            assert text is not None and html is not None
            found = re.search(rf"https://relife\.example{path}\?token=(\S+)", text.get_content())
            if found:
                assert f"token={found.group(1)}" in html.get_content()
                return found.group(1)
    raise AssertionError(f"no {path} link for {to}")


def test_password_reset_ends_every_session_and_works_once(client: FlaskClient, runner: Any, smtp: LocalSmtp) -> None:
    _register(client, "zoe@accounts.example")
    first, second = _token(client, "zoe@accounts.example"), _token(client, "zoe@accounts.example")
    assert client.post("/api/v1/password-resets", json={"email": "zoe@accounts.example"}).status_code == 202
    # An address without an account gets the same answer, and no email goes anywhere.
    assert client.post("/api/v1/password-resets", json={"email": "nobody@accounts.example"}).status_code == 202
    _deliver(runner)
    assert [m["To"] for m in smtp.received()] == ["zoe@accounts.example"] * 2  # verification, then reset
    reset = smtp.received()[-1]
    assert reset["Subject"] == "Nouveau mot de passe Relife"
    token = _link(smtp, "zoe@accounts.example", "/account/reset-password")

    weak = client.post("/api/v1/password-resets/confirm", json={"token": token, "password": "password12"})
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    assert client.get("/api/v1/me", headers=first).status_code == 200  # a refusal changed nothing

    done = client.post("/api/v1/password-resets/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert _login(client, "zoe@accounts.example").status_code == 401
    me = client.get("/api/v1/me", headers=_token(client, "zoe@accounts.example", NEW_PASSWORD)).json
    assert me["email_verified"] is True  # the link reached that mailbox

    again = client.post("/api/v1/password-resets/confirm", json={"token": token, "password": "another fine phrase"})
    assert again.status_code == 409 and "used" in again.json["detail"]
    tampered = client.post("/api/v1/password-resets/confirm", json={"token": token[:-3] + "xyz", "password": "x" * 12})
    assert tampered.status_code == 422 and "token" in tampered.json["errors"]
    assert _login(client, "zoe@accounts.example", NEW_PASSWORD).status_code == 201


def test_reset_requests_are_limited_per_address_asked_the_same_with_or_without_an_account(
    client: FlaskClient, app: Any
) -> None:
    _register(client, "zoe@accounts.example")
    per_email = app.config["RELIFE"].reset_requests_per_email_per_hour
    for email in ("zoe@accounts.example", "nobody@accounts.example"):
        statuses = [
            client.post("/api/v1/password-resets", json={"email": email}).status_code for _ in range(per_email + 1)
        ]
        assert statuses == [202] * per_email + [429]
    refused = client.post("/api/v1/password-resets", json={"email": "ZOE@accounts.example "})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert re.search(r"try again in \d+ minutes", refused.json["detail"])


def test_change_password_needs_the_current_one_and_signs_out_the_other_tokens(client: FlaskClient) -> None:
    _register(client, "zoe@accounts.example")
    here, elsewhere = _token(client, "zoe@accounts.example"), _token(client, "zoe@accounts.example")
    wrong = client.post(
        "/api/v1/me/password", json={"current_password": "not it at all", "new_password": NEW_PASSWORD}, headers=here
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    weak = client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "zoe.martin2026"}, headers=here
    )
    assert weak.status_code == 422 and "email address or name" in weak.json["errors"]["password"][0]
    assert client.get("/api/v1/me", headers=elsewhere).status_code == 200
    done = client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=here
    )
    assert done.status_code == 204
    assert client.get("/api/v1/me", headers=here).status_code == 200
    assert client.get("/api/v1/me", headers=elsewhere).status_code == 401
    assert _login(client, "zoe@accounts.example", NEW_PASSWORD).status_code == 201


def test_change_email_needs_the_password_and_confirms_the_new_address(
    client: FlaskClient, runner: Any, smtp: LocalSmtp
) -> None:
    _register(client, "zoe@accounts.example")
    _register(client, "taken@accounts.example", "Other Person")
    headers = _token(client, "zoe@accounts.example")
    _deliver(runner)
    old_link = _link(smtp, "zoe@accounts.example", "/account/verify-email")
    body = {"current_password": "not it at all", "email": "zoe@new.example"}
    assert client.post("/api/v1/me/email", json=body, headers=headers).status_code == 422
    body = {"current_password": PASSWORD, "email": "taken@accounts.example"}
    assert client.post("/api/v1/me/email", json=body, headers=headers).status_code == 409
    changed = client.post(
        "/api/v1/me/email", json={"current_password": PASSWORD, "email": "Zoe@New.example"}, headers=headers
    )
    assert changed.status_code == 200
    assert (changed.json["email"], changed.json["email_verified"]) == ("zoe@new.example", False)
    _deliver(runner)
    # The old address's link names the old address: it confirms nothing now.
    stale = client.post("/api/v1/email-verifications/confirm", json={"token": old_link})
    assert stale.status_code == 422
    new_link = _link(smtp, "zoe@new.example", "/account/verify-email")
    assert client.post("/api/v1/email-verifications/confirm", json={"token": new_link}).status_code == 200
    assert client.get("/api/v1/me", headers=headers).json["email_verified"] is True
    assert client.post("/api/v1/email-verifications", headers=headers).status_code == 409


def test_resending_the_verification_email_is_limited(
    client: FlaskClient, runner: Any, smtp: LocalSmtp, app: Any
) -> None:
    _register(client, "zoe@accounts.example")
    headers = _token(client, "zoe@accounts.example")
    per_hour = app.config["RELIFE"].verification_requests_per_hour
    statuses = [client.post("/api/v1/email-verifications", headers=headers).status_code for _ in range(per_hour + 1)]
    assert statuses == [202] * per_hour + [429]
    _deliver(runner)
    assert len(smtp.received()) == 1 + per_hour
    assert client.post("/api/v1/email-verifications").status_code == 401


def test_users_list_and_revoke_their_own_tokens(client: FlaskClient) -> None:
    _register(client, "zoe@accounts.example")
    _register(client, "other@accounts.example", "Other Person")
    here, laptop = _token(client, "zoe@accounts.example"), _token(client, "zoe@accounts.example")
    other = _token(client, "other@accounts.example")
    items = client.get("/api/v1/me/tokens", headers=here).json["items"]
    assert len(items) == 2 and all("token" not in item for item in items)
    laptop_id = items[0]["id"]  # newest first: the laptop's
    other_id = client.get("/api/v1/me/tokens", headers=other).json["items"][0]["id"]
    assert client.delete(f"/api/v1/me/tokens/{other_id}", headers=here).status_code == 404
    assert client.delete(f"/api/v1/me/tokens/{laptop_id}", headers=here).status_code == 204
    assert client.get("/api/v1/me", headers=laptop).status_code == 401
    assert [t["id"] for t in client.get("/api/v1/me/tokens", headers=here).json["items"]] != [laptop_id]
    assert client.get("/api/v1/me", headers=other).status_code == 200


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password12", "leaked"),
        ("            ", "repetition"),
        ("Football2024!", "digits or symbols added"),
        ("zoe.martin2026", "email address or name"),
        ("martin-zoe-2026", "email address or name"),
    ],
)
def test_registration_refuses_guessable_passwords(client: FlaskClient, password: str, why: str) -> None:
    response = _register(client, "zoe.martin@accounts.example", password=password)
    assert response.status_code == 422
    assert why in response.json["errors"]["password"][0]


def test_a_guesser_cannot_lock_the_owner_out_and_is_told_how_long(client: FlaskClient, app: Any) -> None:
    _register(client, "zoe@accounts.example")
    config = app.config["RELIFE"]
    for _ in range(config.login_failures_per_account):
        assert _login(client, "zoe@accounts.example", "guess guess guess", "203.0.113.7").status_code == 401
    refused = _login(client, "zoe@accounts.example", PASSWORD, "203.0.113.7")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= config.login_window_seconds
    assert re.search(r"try again in \d+ (minutes|seconds)", refused.json["detail"])
    # The owner, from their own address, still signs in.
    assert _login(client, "zoe@accounts.example", PASSWORD, "198.51.100.20").status_code == 201


def test_a_guess_from_many_addresses_meets_the_accounts_larger_budget(client: FlaskClient, app: Any) -> None:
    _register(client, "zoe@accounts.example")
    config = app.config["RELIFE"]
    per_pair, total = config.login_failures_per_account, config.login_failures_per_account_all_addresses
    addresses = [f"203.0.113.{n}" for n in range(total // per_pair)]
    for address in addresses:
        for _ in range(per_pair):
            assert _login(client, "zoe@accounts.example", "guess guess guess", address).status_code == 401
    refused = _login(client, "zoe@accounts.example", PASSWORD, "198.51.100.20")
    assert refused.status_code == 429 and "several addresses" in refused.json["detail"]


def test_registrations_are_limited_per_address(client: FlaskClient, app: Any) -> None:
    per_hour = app.config["RELIFE"].registrations_per_hour
    statuses = [_register(client, f"u{n}@accounts.example", "U").status_code for n in range(per_hour + 1)]
    assert statuses == [201] * per_hour + [429]
