"""The loser of a race is told 409, never 500: the backstops behind the lock order (issue #20, class 3).

Services decide races under the row locks of ``reservations.locks``; should a write path ever
forget them, the database's refusal (a unique index, the device's version column) still reaches the
client as a 409 problem, whether it surfaces in the view or at the commit.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tests.marketplace.test_api_errors import assert_problem


@pytest.mark.parametrize(
    "error",
    [
        StaleDataError("UPDATE statement on table 'devices' expected to update 1 row(s); 0 were matched."),
        IntegrityError("INSERT INTO listings", {}, Exception("uq_listings_device_id_active")),
    ],
    ids=["stale-version", "unique-index"],
)
def test_a_database_conflict_raised_in_a_view_is_a_409_problem(app: Flask, error: Exception) -> None:
    @app.post("/api/v1/_conflict")
    def conflict() -> None:
        raise error

    body = assert_problem(app.test_client().post("/api/v1/_conflict"), 409)
    assert body["title"] == "Conflict"
    assert "devices" not in body["detail"] and "uq_" not in body["detail"]
