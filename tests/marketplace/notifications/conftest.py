"""Notification tests deliver to a real SMTP server on 127.0.0.1 and read back what it accepted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketplace.config import Config
from tests.fakes.smtp import LocalSmtp


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    with LocalSmtp() as server:
        yield server


@pytest.fixture
def config(database_url: str, smtp: LocalSmtp) -> Config:
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        mail_url=smtp.url,
        mail_from="Relife <no-reply@relife.example>",
        public_url="https://relife.example",
    )
