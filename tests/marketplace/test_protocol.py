"""Issue 20, class 8: protocol details. 405s say ``Allow``; the OpenAPI description states what the
server enforces; responses that may carry a secret or personal data say ``Cache-Control:
no-store``; the docs page has a Content-Security-Policy that still lets Swagger UI work."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace import create_app, migrate
from marketplace.config import Config
from tests.api_helpers import auth, create_org, register

# --- 405 Allow ----------------------------------------------------------------------------------

CANDIDATES = ("PUT", "PATCH", "DELETE", "POST", "GET")


def _paths_and_methods(app: Flask) -> list[tuple[str, frozenset[str]]]:
    allowed: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "x.json" if m.group(1) == "filename" else "1", rule.rule)
        allowed.setdefault(path, set()).update(rule.methods or ())
    return sorted((path, frozenset(methods)) for path, methods in allowed.items())


def test_every_405_says_which_methods_are_allowed(app: Flask, client: FlaskClient) -> None:
    """RFC 9110 §15.5.6: a 405 MUST carry ``Allow``; the problem response used to drop it."""
    checked = 0
    for path, methods in _paths_and_methods(app):
        method = next(m for m in CANDIDATES if m not in methods)
        response = client.open(path, method=method)
        assert response.status_code == 405, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"
        allow = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
        assert allow == set(methods), (path, allow, methods)
        checked += 1
    assert checked > 40


def test_other_http_errors_keep_their_protocol_headers(client: FlaskClient) -> None:
    response = client.put("/api/v1/health")
    assert response.headers["Allow"] and response.headers["Content-Type"] == "application/problem+json"


# --- what the OpenAPI description states ----------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app(Config(database_url="sqlite:///:memory:", testing=True, secret_key="test-secret"))
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return document


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_the_idempotency_key_is_documented_as_required(spec: dict[str, Any]) -> None:
    [header] = [p for p in spec["paths"]["/api/v1/orders"]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is True
    assert header["schema"]["maxLength"] == 255 and "400" in header["description"]


def test_a_missing_idempotency_key_is_still_a_400_problem(client: FlaskClient) -> None:
    member = register(client, "buyer")
    response = client.post("/api/v1/orders", json={"reservation_id": 1, "payment": "invoice"}, headers=member.headers)
    assert response.status_code == 400 and response.get_json()["title"] == "Idempotency-Key required"


def test_password_rules_are_documented(spec: dict[str, Any], client: FlaskClient) -> None:
    password = _schema(spec, "UserCreate")["properties"]["password"]
    assert password["minLength"] == 10 and password["maxLength"] == 1024
    assert "10 characters" in password["description"]
    # … and are what the server does.
    body = {"email": "short@example.org", "display_name": "S", "password": "x" * 9}
    assert client.post("/api/v1/users", json=body).status_code == 422
    assert client.post("/api/v1/users", json={**body, "password": "x" * 10}).status_code == 422  # a repetition
    assert client.post("/api/v1/users", json={**body, "password": "xkcd-936-s"}).status_code == 201


def test_the_siret_check_and_postcode_are_documented(spec: dict[str, Any]) -> None:
    properties = _schema(spec, "OrganisationCreate")["properties"]
    siret = properties["siret"]["description"]
    assert "Luhn" in siret and "La Poste" in siret and "0-9" in siret and "409" in siret
    assert properties["postcode"]["pattern"] == "^[0-9]{5}$"


def test_raw_file_content_types_are_documented(spec: dict[str, Any]) -> None:
    raw = spec["paths"]["/api/v1/diagnostics/{report_id}/files/{position}"]["get"]["responses"]["200"]
    assert list(raw["content"]) == ["*/*"]
    for words in ("uploaded with", "application/octet-stream", "attachment", "Repr-Digest"):
        assert words in raw["description"]
    upload = spec["paths"]["/api/v1/devices/{device_id}/diagnostics"]["post"]["requestBody"]["content"]
    files = _schema(spec, upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1])["properties"]["files"]
    assert "Any media type" in files["description"]


# --- Cache-Control: no-store --------------------------------------------------------------------


def test_responses_with_secrets_or_personal_data_are_not_stored(client: FlaskClient) -> None:
    email = "cache@example.org"
    body = {"email": email, "password": "correct horse battery", "display_name": "C"}
    assert client.post("/api/v1/users", json=body).headers["Cache-Control"] == "no-store"
    token = client.post("/api/v1/tokens", json={"email": email, "password": body["password"]})
    assert token.status_code == 201 and token.headers["Cache-Control"] == "no-store"  # anonymous caller
    headers = auth(token.get_json()["token"])
    assert client.get("/api/v1/me", headers=headers).headers["Cache-Control"] == "no-store"
    admin = register(client, "admin")
    org = create_org(client, admin)
    bench = client.post(f"/api/v1/organisations/{org['id']}/tokens", json={"name": "b"}, headers=admin.headers)
    assert bench.status_code == 201 and bench.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/orders", headers=admin.headers).headers["Cache-Control"] == "no-store"
    # Refusals too: a 401 to a request with a token.
    assert client.get("/api/v1/me", headers=auth("rlf_nope")).headers["Cache-Control"] == "no-store"


def test_anonymous_public_reads_stay_cacheable(client: FlaskClient) -> None:
    for path in ("/api/v1/impact", "/api/v1/openapi.json"):
        assert "Cache-Control" not in client.get(path).headers, path
    for path in ("/api/v1/listings", "/api/v1/listings/facets"):  # public for a short time (api.caching)
        assert client.get(path).cache_control.public, path
    with client.get("/api/v1/docs/assets/swagger-ui.css") as asset:
        assert asset.headers["Cache-Control"] == "public, max-age=86400"


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own migrated database: no shared test session, so live servers can use it."""
    url = f"sqlite:///{tmp_path / 'own.db'}"
    migrate.upgrade(url)
    app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
    yield app
    app.extensions["relife.engine"].dispose()


def test_a_members_catalogue_page_is_not_stored(own_app: Flask) -> None:
    client = own_app.test_client()
    member = register(client, "member")
    page = client.get("/api/v1/listings", headers=member.headers)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/api/v1/listings").headers["Cache-Control"]


# --- the docs page's Content-Security-Policy -------------------------------------------------------


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_the_docs_page_has_a_csp_allowing_its_own_assets_and_its_start_up_script_only(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    csp = _directives(page.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert inline, "the page starts Swagger UI with an inline script"
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in inline}
    assert set(csp["script-src"]) == {"'self'", *hashes}
    # Every asset it loads comes from this origin, and Swagger UI asks no outside validator.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources), sources
    assert '"validatorUrl":null' in html.replace(" ", "")
    for source in sources:
        with client.get(source) as asset:
            assert asset.status_code == 200, source


CHROMIUM = os.environ.get("RELIFE_CHROMIUM") or next(
    (p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None
)


@pytest.fixture
def live_docs(own_app: Flask) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, own_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def test_swagger_ui_works_under_its_csp_in_a_real_browser(live_docs: str) -> None:
    """Headless Chromium loads the docs page, renders the API, runs "Try it out" on the health
    check, and reports no CSP violation and no request to another origin."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("no Chromium (Debian's package 'chromium'; or set RELIFE_CHROMIUM)")
    violations: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation',"
                " e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI))"
            )
            page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(live_docs + "/api/v1/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert page.inner_text(".swagger-ui .info .title").startswith("Relife API")
            assert page.locator(".opblock").count() > 40
            page.click("#operations-system-get_api_v1_health .opblock-summary")
            page.click("#operations-system-get_api_v1_health button.try-out__btn")
            page.click("#operations-system-get_api_v1_health button.execute")
            page.wait_for_selector("#operations-system-get_api_v1_health .live-responses-table", timeout=10_000)
            assert '"database": "ok"' in page.inner_text("#operations-system-get_api_v1_health .live-responses-table")
            violations += page.evaluate("window.__csp || []")
        finally:
            browser.close()
    assert violations == []
    assert requests and all(r.startswith(live_docs + "/") for r in requests), requests


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/impact?organisation_id=9223372036854775808",
        "/api/v1/impact?organisation_id=2147483648",
        "/api/v1/listings?organisation_id=2147483648",
        "/api/v1/impact?organisation_id=0",
    ],
)
def test_an_id_beyond_the_database_range_is_a_422_problem(client: FlaskClient, path: str) -> None:
    """Found by the schemathesis sweep: an organisation id past 64 bits overflowed in the driver."""
    response = client.get(path)
    assert response.status_code == 422, response.get_data()
    assert response.mimetype == "application/problem+json"
    assert "organisation_id" in response.json["errors"]
