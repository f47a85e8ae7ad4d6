"""Impact: factors are data with sources; figures follow from passport events."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceKind, DeviceTransfer, EventKind, TransferReason
from marketplace.devices.passport import record_event
from tests.api_helpers import create_org, register
from tests.factories import DeviceFactory


def make_device(
    session: Session, org_id: int, kind: DeviceKind, tag: str, remaining_years: float | None = None
) -> Device:
    return DeviceFactory.in_session(
        session,
        sold=True,
        organisation_id=org_id,
        kind=kind,
        serial=f"SN-{tag}",
        asset_tag=tag,
        remaining_life={"basis": "test", "years": remaining_years} if remaining_years is not None else None,
    )


def hand_on(
    session: Session, device: Device, to_org: int, reason: TransferReason, at: dt.datetime | None = None
) -> None:
    """A transfer of ownership as ``devices.transfers`` records it at a handover (``at``: when)."""
    event = record_event(session, device, EventKind.TRANSFERRED, None, data={"mode": reason.value})
    if at is not None:
        event.occurred_at = at  # before the event is written: a passport event never changes after
    session.flush()
    transfer = DeviceTransfer(
        device_id=device.id, from_organisation_id=device.organisation_id, to_organisation_id=to_org,
        reason=reason, event_id=event.id,
    )  # fmt: skip
    if at is not None:
        transfer.occurred_at = at
    session.add(transfer)
    session.flush()


def test_factors_have_a_source_and_year_for_every_figure(client: FlaskClient) -> None:
    body = client.get("/api/v1/impact/factors").json
    assert body["version"]
    kinds = {f["device_kind"]: f for f in body["factors"]}
    assert {"laptop", "desktop", "server", "screen", "phone", "tablet"} <= set(kinds)
    assert kinds["laptop"]["avoided_kg_co2e_per_year"] == 27.0
    assert kinds["laptop"]["manufacturing_kg_co2e"] == 175.0
    for factor in body["factors"]:
        for name in ("manufacturing", "avoided", "mass", "reference_life", "extra_life"):
            assert factor[f"{name}_source"].strip()
        assert factor["manufacturing_year"] >= 2000


def test_empty_cluster_has_zero_impact(client: FlaskClient) -> None:
    body = client.get("/api/v1/impact").json
    assert body["devices_reused"] == {"total": 0, "sold": 0, "donated": 0, "lent": 0}
    assert body["kg_co2e_avoided"] == 0
    assert set(body["method"]) >= {"devices_reused", "life_years_added", "kg_co2e_avoided", "kg_ewaste_avoided"}


def test_sales_donations_and_loans_count_with_their_method(client: FlaskClient, db_session: Session) -> None:
    admin = register(client)
    org = create_org(client, admin)
    other = create_org(client, register(client))
    laptop = make_device(db_session, org["id"], DeviceKind.LAPTOP, "L1", remaining_years=2.0)
    phone = make_device(db_session, org["id"], DeviceKind.PHONE, "P1")
    screen = make_device(db_session, other["id"], DeviceKind.SCREEN, "S1")
    hand_on(db_session, laptop, other["id"], TransferReason.SALE)
    hand_on(db_session, phone, other["id"], TransferReason.DONATION)
    record_event(db_session, laptop, EventKind.SOLD, None)  # confirmed: not a new life until handed over
    record_event(db_session, screen, EventKind.LENT, None, data={"start": "2026-01-01", "end": "2026-04-02"})
    db_session.flush()

    body = client.get("/api/v1/impact").json
    assert body["devices_reused"] == {"total": 3, "sold": 1, "donated": 1, "lent": 1}
    screen_years = 91 / 365.25
    # laptop: its own 2-year estimate × 27; phone: default 2 years × 84/4; screen: loan length × 65/8.
    assert body["life_years_added"] == pytest.approx(2.0 + 2.0 + screen_years, abs=0.01)
    assert body["kg_co2e_avoided"] == pytest.approx(2 * 27 + 2 * 21 + screen_years * 8.1, abs=0.1)
    assert body["kg_ewaste_avoided"] == pytest.approx(2.0 + 0.19, abs=0.1)
    assert [k["kind"] for k in body["by_kind"]] == ["laptop", "phone", "screen"]

    mine = client.get(f"/api/v1/impact?organisation_id={org['id']}").json
    assert mine["devices_reused"]["total"] == 2

    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/impact?from={tomorrow}").json["devices_reused"]["total"] == 0


def test_an_estimate_of_zero_years_is_credited_zero_not_the_default(client: FlaskClient, db_session: Session) -> None:
    """A device at the end of its estimated life adds no life-years: the kind's default (2 years for a
    laptop) would rank it above a device whose diagnostics give it one year."""
    org = create_org(client, register(client))
    other = create_org(client, register(client))
    spent = make_device(db_session, org["id"], DeviceKind.LAPTOP, "Z0", remaining_years=0.0)
    one_year = make_device(db_session, org["id"], DeviceKind.LAPTOP, "Z1", remaining_years=1.0)
    hand_on(db_session, spent, other["id"], TransferReason.SALE)
    hand_on(db_session, one_year, other["id"], TransferReason.SALE)

    body = client.get(f"/api/v1/impact?organisation_id={org['id']}").json
    assert body["devices_reused"]["total"] == 2
    assert body["life_years_added"] == pytest.approx(1.0, abs=0.01)


def test_empty_period_and_unknown_version_are_problems(client: FlaskClient) -> None:
    assert client.get("/api/v1/impact?from=2026-02-01&to=2026-01-01").status_code == 422
    assert client.get("/api/v1/impact/factors?version=1999").status_code == 404
    assert client.get("/api/v1/impact?from=notadate").status_code == 422
