"""Send raw reports to the marketplace: ``POST {api}/api/v1/devices/{id}/diagnostics``.

The files go unchanged, as multipart fields named ``files`` (several), with the bench token in
``Authorization: Bearer <token>``; the server stores them, re-grades them and answers with the
device assessment (DESIGN §3.2, §3.6). Standard library only (``urllib``), so the bench needs no
HTTP dependency.

Network errors, timeouts and 5xx answers are retried with exponential backoff (the server is
transactional: a failed upload stored nothing, so sending again is safe). 429 and 408 are retried
too, honouring ``Retry-After``: they mean "later", not "wrong". Other 4xx are final: the request
itself is wrong (bad token, unknown device, a file the server refuses) and the problem details
(RFC 9457: ``title``, ``detail``, ``errors``) are turned into one readable message.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson

from diagnostics.errors import DiagnosticsError

DEFAULT_RETRIES = 4  # attempts after the first one
DEFAULT_BACKOFF = 0.5  # seconds before the first retry, doubled each time
MAX_BACKOFF = 30.0
DEFAULT_TIMEOUT = 60.0
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class UploadError(DiagnosticsError):
    """The upload failed; ``status`` is the HTTP status when the server answered."""

    def __init__(self, message: str, status: int | None = None, problem: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.problem = problem


@dataclass(frozen=True)
class UploadFile:
    name: str  # the file name the server records
    content: bytes


def files_from_paths(paths: Sequence[Path]) -> list[UploadFile]:
    return [UploadFile(p.name, p.read_bytes()) for p in paths]


def api_url(api: str, path: str) -> str:
    """``path`` (starting with /, after /api/v1) under the API's base URL, with or without /api/v1."""
    base = api.rstrip("/")
    if base.endswith("/api/v1"):
        base = base[: -len("/api/v1")]
    return f"{base}/api/v1{path}"


def diagnostics_url(api: str, device_id: str) -> str:
    return api_url(api, f"/devices/{urllib.parse.quote(str(device_id), safe='')}/diagnostics")


def encode_multipart(
    files: Sequence[UploadFile], field: str = "files", fields: Mapping[str, str] | None = None
) -> tuple[bytes, str]:
    """The body and the Content-Type of a multipart/form-data request (RFC 7578)."""
    boundary = "relife-" + secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in (fields or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        )
    for f in files:
        filename = f.name.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        parts.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                f"Content-Type: {ctype}\r\n\r\n"
            ).encode()
            + f.content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_reports(
    api: str,
    token: str,
    device_id: str,
    files: Sequence[UploadFile],
    *,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, str, float], None] | None = None,
) -> Any:
    """Upload ``files`` for one device and return the server's JSON answer.

    ``on_retry(attempt, reason, delay)`` is called before each retry (the CLI prints it).
    Raises ``UploadError`` with a readable message when the upload fails for good.
    """
    if not files:
        raise UploadError("nothing to upload")
    body, content_type = encode_multipart(files)
    return request_json(
        api,
        token,
        "POST",
        f"/devices/{urllib.parse.quote(str(device_id), safe='')}/diagnostics",
        body=body,
        content_type=content_type,
        retries=retries,
        backoff=backoff,
        timeout=timeout,
        sleep=sleep,
        on_retry=on_retry,
    )


def request_json(
    api: str,
    token: str,
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, str, float], None] | None = None,
) -> Any:
    """One API call with the bench token; the JSON answer, or ``UploadError`` (see the module docstring)."""
    url = api_url(api, path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise UploadError(f"--api must be an http(s) URL, got {api!r}")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, application/problem+json",
        "User-Agent": "relife-bench",
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    attempt = 0
    while True:
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
                payload = response.read()
            return orjson.loads(payload) if payload.strip() else {}
        except urllib.error.HTTPError as exc:
            status = exc.code
            raw = exc.read()
            retry_after = _retry_after(exc.headers.get("Retry-After"))
            exc.close()
            message = problem_message(status, raw, exc.headers.get("Content-Type", ""))
            if status not in _RETRY_STATUSES or attempt >= retries:
                raise UploadError(message, status=status, problem=_json_or_none(raw)) from None
            reason = message
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            retry_after = None
            reason = f"network error: {getattr(exc, 'reason', exc)}"
            if attempt >= retries:
                raise UploadError(f"{reason} (after {attempt + 1} attempts to {url})") from None
        except orjson.JSONDecodeError:
            raise UploadError("the server answered with something that is not JSON") from None
        delay = min(MAX_BACKOFF, retry_after if retry_after is not None else backoff * 2**attempt)
        attempt += 1
        if on_retry is not None:
            on_retry(attempt, reason, delay)
        sleep(delay)


def find_device(api: str, token: str, *, tag: str | None = None, serial: str | None = None, **kwargs: Any) -> Any:
    """The device with this asset tag or serial (``GET /devices/lookup``), as the API shows it."""
    query = {"tag": tag} if tag is not None else {"serial": serial or ""}
    return request_json(api, token, "GET", "/devices/lookup", query=query, **kwargs)


def device_readiness(api: str, token: str, device_id: str, **kwargs: Any) -> Any:
    """What the device still needs to be listed (``GET /devices/{id}/readiness``)."""
    return request_json(
        api, token, "GET", f"/devices/{urllib.parse.quote(str(device_id), safe='')}/readiness", **kwargs
    )


def send_erasure_evidence(
    api: str,
    token: str,
    device_id: str,
    evidence: UploadFile,
    *,
    disk_serial: str | None = None,
    operator: str | None = None,
    **kwargs: Any,
) -> Any:
    """Record one disk's erasure from the wiping tool's output (the server re-reads it)."""
    fields = {k: v for k, v in (("disk_serial", disk_serial), ("operator", operator)) if v}
    body, content_type = encode_multipart([evidence], field="evidence", fields=fields)
    path = f"/devices/{urllib.parse.quote(str(device_id), safe='')}/erasures/evidence"
    return request_json(api, token, "POST", path, body=body, content_type=content_type, **kwargs)


def problem_message(status: int, raw: bytes, content_type: str = "") -> str:
    """One readable line (plus field errors) from an RFC 9457 problem, or the status and body."""
    problem = _json_or_none(raw)
    if isinstance(problem, Mapping):
        title = problem.get("title") or "error"
        detail = problem.get("detail")
        text = f"HTTP {status} {title}"
        if detail:
            text += f": {detail}"
        errors = problem.get("errors")
        if isinstance(errors, Mapping):
            for field, messages in errors.items():
                if isinstance(messages, list | tuple):
                    messages = "; ".join(str(m) for m in messages)
                elif isinstance(messages, Mapping):
                    messages = orjson.dumps(messages).decode()
                text += f"\n  {field}: {messages}"
        return text
    snippet = raw[:300].decode("utf-8", errors="replace").strip()
    return f"HTTP {status}" + (f": {snippet}" if snippet else "")


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_BACKOFF)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_BACKOFF))
