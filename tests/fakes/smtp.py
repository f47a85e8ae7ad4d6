"""A real SMTP server on 127.0.0.1 (aiosmtpd, a port the OS picks) that keeps what it accepts.

``refuse_next(code, text, times)`` makes the next DATA commands answer with an error (451: try
later; 550: refused for good) so tests see retries and failures; ``delay`` holds each accepted
message before answering (a kill test aims its SIGKILL at that window).
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Handler:
    def __init__(self, server: LocalSmtp) -> None:
        self.server = server

    async def handle_DATA(self, _smtp: SMTP, _session: Session, envelope: Envelope) -> str:
        return self.server.accept(envelope)


class _AnyPortController(Controller):
    """aiosmtpd's controller checks the server by connecting to ``self.port``: with port 0, read the
    port the OS gave before that check."""

    def _trigger_server(self) -> None:
        if self.server is not None and self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class LocalSmtp:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = 0.0
        self._refusals: list[str] = []
        self._lock = threading.Lock()
        self._controller = _AnyPortController(_Handler(self), hostname="127.0.0.1", port=0)

    def start(self) -> LocalSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalSmtp:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse_next(self, code: int, text: str, times: int = 1) -> None:
        with self._lock:
            self._refusals.extend([f"{code} {text}"] * times)

    def accept(self, envelope: Envelope) -> str:
        with self._lock:
            if self._refusals:
                return self._refusals.pop(0)
        if self.delay:
            time.sleep(self.delay)  # aiosmtpd runs one loop: this also holds other clients, as a slow relay does
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.received()
