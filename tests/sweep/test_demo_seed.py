"""The demo: built through the real API from real corpus reports; impact non-zero; re-run harmless."""

from __future__ import annotations

from pathlib import Path

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.demo.catalogue import DEVICES, ORGS
from tests.dbutil import fresh_database


def test_seed_demo_builds_a_cluster_with_impact_and_is_idempotent(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "demo") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True))
        runner = app.test_cli_runner()
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        assert f"{len(ORGS)} organisations" in result.output
        assert f"{len(DEVICES)} devices" in result.output

        client = app.test_client()
        impact = client.get("/api/v1/impact").json
        assert impact["devices_reused"]["sold"] >= 1
        assert impact["devices_reused"]["donated"] >= 1
        assert impact["devices_reused"]["lent"] >= 1
        assert impact["kg_co2e_avoided"] > 0

        catalogue = client.get("/api/v1/listings?limit=100").json["items"]
        modes = {item["mode"] for item in catalogue}
        assert modes == {"sale", "loan", "donation"}
        assert all(item["device"]["grade"] in {"A", "B", "C", "D"} for item in catalogue)
        assert "DEMO-" not in client.get("/api/v1/listings?limit=100").get_data(as_text=True)  # no serials

        again = runner.invoke(args=["seed-demo"])
        assert again.exit_code == 0, again.output
        assert "already present" in again.output
        app.extensions["relife.engine"].dispose()


def test_seed_demo_without_the_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "demo") as url:
        migrate.upgrade(url)
        app = create_app(Config(database_url=url, testing=True))
        result = app.test_cli_runner().invoke(args=["seed-demo", "--corpus", str(tmp_path / "nowhere")])
        assert result.exit_code == 1
        assert "corpus folder not found" in result.output
        app.extensions["relife.engine"].dispose()
