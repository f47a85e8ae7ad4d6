"""Property-based API testing against our own OpenAPI document (schemathesis).

For every documented operation, bounded generated requests, anonymous and authenticated:
no 5xx, and every response matches its documented status codes, content type and schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from marketplace import create_app
from marketplace.config import Config
from tests.api_helpers import create_org, register
from tests.fakes.stripe import API_KEY, WEBHOOK_SECRET, FakeStripe

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

#: Revoking the token in use mid-run would turn the rest of the run anonymous: its own tests cover it.
EXCLUDED = {("DELETE", "/api/v1/tokens/current")}
MAX_EXAMPLES = 12


def _operations() -> list[tuple[str, str]]:
    """The documented operations, read from the spec of an app that never touches its database."""
    spec_app = create_app(Config(database_url="sqlite://", testing=True))
    spec = spec_app.test_client().get("/api/v1/openapi.json").json
    spec_app.extensions["relife.engine"].dispose()
    operations = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    return sorted(op for op in operations if op not in EXCLUDED)


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe().serve()
    yield fake
    fake.close()


@pytest.fixture
def config(database_url: str, tmp_path: Path, stripe_server: FakeStripe) -> Config:
    """The app as production runs it, card payments included (against the local fake Stripe), so
    that the operations that need Stripe answer as they would there and not with a 503."""
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        media_root=str(tmp_path / "media"),
        stripe_api_key=API_KEY,
        stripe_api_base=stripe_server.base_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def member_headers(client: FlaskClient) -> dict[str, str]:
    admin = register(client, "sweep")
    create_org(client, admin)
    return admin.headers


def _run(app: Flask, method: str, path: str, headers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_anonymous_requests_conform(app: Flask, method: str, path: str) -> None:
    _run(app, method, path, {})


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_member_requests_conform(app: Flask, member_headers: dict[str, str], method: str, path: str) -> None:
    _run(app, method, path, member_headers)
