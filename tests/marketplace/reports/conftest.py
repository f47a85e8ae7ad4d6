"""Fixtures of the diagnostics tests."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.marketplace.reports.helpers import Org, make_org


@pytest.fixture
def org(client: FlaskClient) -> Org:
    return make_org(client)


@pytest.fixture
def other_org(client: FlaskClient) -> Org:
    return make_org(client)
