"""Abuse: oversized and pathological requests are refused cleanly, logs stay clean."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.logsafe import RedactingFilter, redact


def test_twenty_megabyte_body_is_413_with_a_tight_limit(client: FlaskClient, app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    response = client.post(
        "/api/v1/users", data=b"{" + b" " * (20 * 1024 * 1024) + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_huge_multipart_part_count_is_refused(client: FlaskClient, app: Flask) -> None:
    parts = app.config["MAX_FORM_PARTS"] + 50
    boundary = "xyz"
    body = (
        "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n' for i in range(parts))
        + f"--{boundary}--\r\n"
    )
    response = client.post(
        "/api/v1/users", data=body.encode(), content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("Authorization: Bearer rlf_AbCdEfGhIjKlMnOp123", "rlf_AbCdEfGhIjKlMnOp123"),
        ('{"serial": "5CD1234XYZ", "kind": "laptop"}', "5CD1234XYZ"),
        ("import row 3: serial=SN-998877 duplicated", "SN-998877"),
    ],
)
def test_tokens_and_serials_are_redacted(raw: str, forbidden: str) -> None:
    cleaned = redact(raw)
    assert forbidden not in cleaned
    assert cleaned[-6:-1] != ""  # something is kept to correlate lines


def test_redacting_filter_applies_to_app_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("marketplace.test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="marketplace.test"):
        logger.info("device %s", "serial=ABCDEF123456")
    assert "ABCDEF123456" not in caplog.text
    assert "456" in caplog.text


def test_json_responses_carry_integers_beyond_64_bits(app: Flask) -> None:
    value = 2**70 + 1  # raw SMART counters (e.g. NVMe data units) can be this large
    with app.app_context():
        assert str(value) in app.json.dumps({"v": value})


def test_nul_characters_are_refused_before_the_database(client: FlaskClient) -> None:
    response = client.post("/api/v1/tokens", json={"email": "a\u0000@example.org", "password": "x\u0000y"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"email", "password"}
    response = client.get("/api/v1/impact?version=a%00b")
    assert response.status_code == 422
    assert response.json["errors"] == {"version": ["NUL characters are not allowed."]}


def test_numbers_beyond_the_column_range_are_422_not_500(client: FlaskClient) -> None:
    response = client.get("/api/v1/impact?organisation_id=2147483648")
    assert response.status_code in {200, 422}
    assert response.mimetype in {"application/json", "application/problem+json"}
