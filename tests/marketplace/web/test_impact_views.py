"""What the impact page and a device page add to the impact service: the split by month and by the
kind of organisation that passed devices on, and one device's own figure, by the same rules."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import DeviceKind, EventKind, TransferReason
from marketplace.devices.passport import record_event
from marketplace.impact import service
from tests.api_helpers import create_org, register
from tests.marketplace.impact.test_impact_api import hand_on, make_device


def test_the_breakdowns_add_up_to_the_cluster_totals(client: FlaskClient, db_session: Session) -> None:
    university = create_org(client, register(client), kind="university")
    company = create_org(client, register(client), kind="company")
    laptop = make_device(db_session, university["id"], DeviceKind.LAPTOP, "L1", remaining_years=2.0)
    phone = make_device(db_session, company["id"], DeviceKind.PHONE, "P1")
    screen = make_device(db_session, company["id"], DeviceKind.SCREEN, "S1")
    # A sale and a donation count at their handover (the transfer of ownership), a loan when it starts.
    hand_on(db_session, laptop, company["id"], TransferReason.SALE, at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC))
    hand_on(
        db_session, phone, university["id"], TransferReason.DONATION, at=dt.datetime(2026, 2, 1, 0, 30, tzinfo=dt.UTC)
    )
    lent = record_event(db_session, screen, EventKind.LENT, None, data={"start": "2026-01-01", "end": "2026-04-02"})
    lent.occurred_at = dt.datetime(2026, 2, 15, tzinfo=dt.UTC)
    db_session.flush()

    total = service.impact_report(db_session)
    split = service.impact_breakdown(db_session)
    assert [m["month"] for m in split["by_month"]] == ["2026-01", "2026-02"]
    assert [m["devices_reused"]["total"] for m in split["by_month"]] == [1, 2]
    assert {k["kind"]: k["devices_reused"]["total"] for k in split["by_organisation_kind"]} == {
        "company": 2,
        "university": 1,
    }
    for rows in (split["by_month"], split["by_organisation_kind"]):
        assert sum(r["kg_co2e_avoided"] for r in rows) == pytest.approx(total["kg_co2e_avoided"], abs=0.2)
        assert sum(r["life_years_added"] for r in rows) == pytest.approx(total["life_years_added"], abs=0.02)

    # One device's own figure: the laptop's 2-year estimate × 27 kg a year.
    mine = service.device_impact(db_session, laptop)
    assert mine["reused"]["kg_co2e_avoided"] == pytest.approx(54.0)
    assert mine["per_year_kg_co2e"] == 27.0

    page = client.get("/impact", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Jan 2026" in page and "Feb 2026" in page  # the months of the chart, as English writes them
    assert "University" in page and "Company" in page


def test_a_crash_is_a_500_page_in_the_sites_look(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.listings import search as listings

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(listings, "search", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = client.get("/", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert page.status_code == 500 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Une erreur est survenue de notre côté" in html and "boom" not in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
