"""Real concurrency on a fresh database (real commits, several connections): generated asset
tags never collide, a hand-given tag or a serial is won by one request only, and of two PATCHes made from
the same version exactly one wins, the other is refused (412), never silently applied."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.db import make_engine
from marketplace.devices.models import Device, DeviceEvent
from tests.api_helpers import create_org, register
from tests.dbutil import fresh_database
from tests.marketplace.devices.conftest import laptop

pytestmark = pytest.mark.concurrency


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database(tmp_path, "devices_concurrency") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
        yield app
        app.extensions["relife.engine"].dispose()


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same instant; re-raise failures."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def test_concurrent_creations_get_distinct_tags_and_one_wins_a_given_tag(live_app: Flask) -> None:
    client = live_app.test_client()
    admin = register(client, "admin")
    org = create_org(client, admin)

    def create_many(_i: int) -> list[int]:
        own = live_app.test_client()
        statuses = []
        for _ in range(5):
            body = {"organisation_id": org["id"], **laptop()}
            statuses.append(own.post("/api/v1/devices", json=body, headers=admin.headers).status_code)
        return statuses

    results = run_together(6, create_many)
    assert Counter(s for statuses in results for s in statuses) == {201: 30}

    def create_same_tag(_i: int) -> int:
        body = {"organisation_id": org["id"], **laptop(asset_tag="DUP-1")}
        return int(live_app.test_client().post("/api/v1/devices", json=body, headers=admin.headers).status_code)

    assert sorted(run_together(4, create_same_tag)) == [201, 409, 409, 409]

    def create_same_serial(_i: int) -> int:
        body = {"organisation_id": org["id"], **laptop(serial="SAME-SERIAL")}
        return int(live_app.test_client().post("/api/v1/devices", json=body, headers=admin.headers).status_code)

    assert sorted(run_together(4, create_same_serial)) == [201, 409, 409, 409]

    engine = make_engine(str(live_app.extensions["relife.engine"].url.render_as_string(hide_password=False)))
    with engine.connect() as conn:
        tags = conn.execute(sa.select(Device.asset_tag).where(Device.organisation_id == org["id"])).scalars().all()
        events = conn.scalar(sa.select(sa.func.count()).select_from(DeviceEvent))
    engine.dispose()
    generated = sorted(t for t in tags if t.startswith("RLF-"))
    # 30 + the serial race's winner; the refused creations gave their numbers back.
    assert generated == [f"RLF-{n:06d}" for n in range(1, 32)]
    assert len(tags) == len(set(tags)) == 32
    assert events == 32


def test_of_two_patches_from_one_version_exactly_one_wins(live_app: Flask) -> None:
    client = live_app.test_client()
    admin = register(client, "admin")
    org = create_org(client, admin)
    for attempt in range(5):
        device = client.post(
            "/api/v1/devices", json={"organisation_id": org["id"], **laptop()}, headers=admin.headers
        ).json

        def patch(i: int, device_id: int = device["id"]) -> tuple[int, str | None]:
            response = live_app.test_client().patch(
                f"/api/v1/devices/{device_id}",
                json={"location": f"writer {i}"},
                headers={**admin.headers, "If-Match": '"1"'},
            )
            return response.status_code, (response.json or {}).get("location")

        results = run_together(2, patch)
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 412], (attempt, results)
        winner = next(location for status, location in results if status == 200)
        final = client.get(f"/api/v1/devices/{device['id']}", headers=admin.headers).json
        assert final["location"] == winner and final["version"] == 2
