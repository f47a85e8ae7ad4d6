"""The upload client: URL building, retry policy and problem display (the CLI tests cover the wire)."""

from __future__ import annotations

import socket

import orjson
import pytest

from diagnostics.upload import (
    UploadError,
    UploadFile,
    _retry_after,
    diagnostics_url,
    encode_multipart,
    problem_message,
    upload_reports,
)


@pytest.mark.parametrize(
    "api",
    [
        "https://relife.example",
        "https://relife.example/",
        "https://relife.example/api/v1",
        "https://relife.example/api/v1/",
    ],
)
def test_the_endpoint_is_built_from_any_spelling_of_the_api(api: str) -> None:
    assert diagnostics_url(api, "12") == "https://relife.example/api/v1/devices/12/diagnostics"
    assert diagnostics_url(api, "a/b").endswith("/devices/a%2Fb/diagnostics")


def test_multipart_body_holds_each_file_unchanged() -> None:
    body, ctype = encode_multipart([UploadFile("a.json", b"{}\r\n--x"), UploadFile('we"ird.txt', b"\x00\xff")])
    boundary = ctype.split("boundary=")[1]
    assert body.count(f"--{boundary}\r\n".encode()) == 2
    assert body.endswith(f"--{boundary}--\r\n".encode())
    assert b"{}\r\n--x\r\n" in body and b"\x00\xff\r\n" in body
    assert b'filename="we_ird.txt"' in body


def test_problem_details_become_one_readable_message() -> None:
    raw = orjson.dumps({"title": "Forbidden", "status": 403, "detail": "token lacks diagnostics:upload"})
    assert problem_message(403, raw) == "HTTP 403 Forbidden: token lacks diagnostics:upload"
    assert problem_message(502, b"<html>Bad gateway</html>") == "HTTP 502: <html>Bad gateway</html>"
    assert problem_message(500, b"") == "HTTP 500"


def test_retry_after_is_read_and_capped() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after("100000") == 30.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def test_network_errors_are_retried_with_exponential_backoff() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    delays: list[float] = []
    retries: list[int] = []
    with pytest.raises(UploadError, match="network error") as info:
        upload_reports(
            f"http://127.0.0.1:{port}",
            "t",
            "1",
            [UploadFile("a.txt", b"x")],
            retries=3,
            backoff=0.5,
            sleep=delays.append,
            on_retry=lambda attempt, _reason, _delay: retries.append(attempt),
        )
    assert delays == [0.5, 1.0, 2.0]
    assert retries == [1, 2, 3]
    assert "after 4 attempts" in str(info.value)
    assert info.value.status is None


def test_nothing_to_upload_is_an_error() -> None:
    with pytest.raises(UploadError, match="nothing to upload"):
        upload_reports("http://127.0.0.1:9", "t", "1", [])
