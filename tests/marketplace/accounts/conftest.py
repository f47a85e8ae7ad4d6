"""Account flows read their links from the emails a real SMTP server received; the abuse limits are
on (test apps elsewhere turn them off to register many users from one address)."""

from __future__ import annotations

import pytest

from marketplace.config import Config
from tests.fakes.smtp import LocalSmtp
from tests.marketplace.notifications.conftest import smtp  # noqa: F401 - the fixture, shared


@pytest.fixture
def config(database_url: str, smtp: LocalSmtp) -> Config:  # noqa: F811 - the fixture is the parameter
    return Config(
        database_url=database_url,
        testing=True,
        secret_key="test-secret",
        mail_url=smtp.url,
        public_url="https://relife.example",
        action_limits=True,
    )
