"""Health, the OpenAPI document and the offline docs page."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from marketplace import create_app
from marketplace.config import Config


def test_health(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_reports_503_when_the_database_is_unreachable() -> None:
    app = create_app(Config(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", testing=True))
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_openapi_document_is_valid(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/users" in spec["paths"]
    assert "Problem" in spec["components"]["schemas"]


def test_docs_page_uses_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.data) > 1000
        asset.close()
