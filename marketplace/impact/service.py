"""The cluster's impact, computed from the devices' passports and the versioned factor table.

A device is *reused* each time it reaches a new owner (a sale or donation handed over: a
``device_transfers`` row, issue 17) or is lent (a ``lent`` passport event). Every transfer is a new
life and counts again (second, third life …); one undone by a return of its order counts nothing.
What that avoids:
- life-years added: for each sale or donation handed over, the device's own remaining-life
  estimate from its diagnostics when there is one (capped), else the factor table's default extra
  life for its kind; for a loan, the loan's length;
- kg CO2e avoided: life-years added × the kind's avoided emissions per year of extra use
  (manufacturing footprint ÷ reference lifetime: the new device whose purchase is postponed);
- kg e-waste avoided: the device's mass, for sales and donations (a loan returns the device).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceTransfer, EventKind, TransferReason
from marketplace.errors import NotFound, ValidationFailed
from marketplace.impact.models import ImpactFactor, ImpactFactorSet
from marketplace.members.models import Organisation
from marketplace.orders.models import Order, OrderStatus

REUSE_EVENTS = {EventKind.SOLD: "sold", EventKind.DONATED: "donated", EventKind.LENT: "lent"}
#: Transfers of ownership that are a new life, by the label they are counted under.
NEW_LIFE_TRANSFERS = {TransferReason.SALE: EventKind.SOLD, TransferReason.DONATION: EventKind.DONATED}
#: A diagnostics estimate above this is not credited in full: the impact report stays prudent.
MAX_CREDITED_EXTRA_LIFE_YEARS = 5.0
DAYS_PER_YEAR = 365.25

METHOD = {
    "devices_reused": (
        "Sales and donations handed over to a new owner in the period, one per transfer of ownership (a device "
        "sold again counts again; one returned counts nothing), and passport events 'lent' (one per loan)."
    ),
    "life_years_added": (
        "Each sale or donation handed over: the device's remaining-life estimate in years from its diagnostics "
        f"(0 included), capped at {MAX_CREDITED_EXTRA_LIFE_YEARS:g} years, else (no estimate in years) the factor "
        "table's default extra life for its kind. "
        "Loan: the loan's length."
    ),
    "kg_co2e_avoided": "life-years added × avoided kg CO2e per year of extra use for the device's kind.",
    "kg_ewaste_avoided": "The device kind's typical mass, for sales and donations.",
    "unsourced_kinds": "Kinds without a factor (e.g. 'other') count as reused but are credited nothing.",
}


@dataclass
class _Totals:
    devices: int = 0
    by_event: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REUSE_EVENTS.values(), 0))
    life_years: float = 0.0
    co2e: float = 0.0
    ewaste: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "devices_reused": {"total": self.devices, **self.by_event},
            "life_years_added": round(self.life_years, 2),
            "kg_co2e_avoided": round(self.co2e, 1),
            "kg_ewaste_avoided": round(self.ewaste, 1),
        }


def factor_set(session: Session, version: str | None = None) -> tuple[ImpactFactorSet, dict[str, ImpactFactor]]:
    query = sa.select(ImpactFactorSet)
    if version is None:
        query = query.order_by(ImpactFactorSet.published_on.desc(), ImpactFactorSet.id.desc()).limit(1)
    else:
        query = query.where(ImpactFactorSet.version == version)
    chosen = session.scalar(query)
    if chosen is None:
        raise NotFound(f"No impact factor set {version!r}." if version else "No impact factors are loaded.")
    factors = session.scalars(sa.select(ImpactFactor).where(ImpactFactor.factor_set_id == chosen.id))
    return chosen, {f.device_kind: f for f in factors}


def _loan_years(data: dict[str, Any]) -> float:
    try:
        start = dt.date.fromisoformat(str(data["start"]))
        end = dt.date.fromisoformat(str(data["end"]))
    except (KeyError, ValueError):
        days = data.get("days")
        return float(days) / DAYS_PER_YEAR if isinstance(days, int | float) and days > 0 else 0.0
    return max((end - start).days, 0) / DAYS_PER_YEAR


def _extra_life_years(remaining_life: dict[str, Any] | None, factor: ImpactFactor) -> float:
    """The diagnostics' own estimate whenever it gives years, 0 included (a device at the end of its
    estimated life adds none: crediting it the default would rank it above a device with one year left);
    the kind's default only when the diagnostics give no years at all."""
    years = (remaining_life or {}).get("years")
    if isinstance(years, int | float) and not isinstance(years, bool) and years >= 0:
        return min(float(years), MAX_CREDITED_EXTRA_LIFE_YEARS)
    return factor.default_extra_life_years


@dataclass(frozen=True)
class _Reuse:
    kind: EventKind  # sold, donated or lent: the label it is counted under
    data: dict[str, Any] | None  # a loan's period
    occurred_at: dt.datetime
    device_kind: str
    remaining_life: dict[str, Any] | None
    giver_kind: str  # the kind of the organisation that passed the device on


def _reuses(
    session: Session,
    *,
    organisation_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    device_id: int | None = None,
) -> list[_Reuse]:
    """Every reuse that counts, by one rule for the report, its breakdown and a device's page: each
    sale or donation handed over (a transfer of ownership, unless its order was returned; a resold
    device counts again) and each loan. ``organisation_id``: reuses it gave or received."""
    loans = (
        sa.select(DeviceEvent.kind, DeviceEvent.data, DeviceEvent.occurred_at, Device.kind, Device.remaining_life)
        .add_columns(Organisation.kind)
        .join(Device, Device.id == DeviceEvent.device_id)
        .join(Organisation, Organisation.id == Device.organisation_id)
        .where(DeviceEvent.kind == EventKind.LENT)
    )
    lives = (
        sa.select(DeviceTransfer.reason, DeviceTransfer.occurred_at, Device.kind, Device.remaining_life)
        .add_columns(Organisation.kind)
        .join(Device, Device.id == DeviceTransfer.device_id)
        .join(Organisation, Organisation.id == DeviceTransfer.from_organisation_id)
        .outerjoin(Order, Order.id == DeviceTransfer.order_id)
        .where(
            DeviceTransfer.reason.in_(list(NEW_LIFE_TRANSFERS)),
            sa.or_(Order.id.is_(None), Order.status != OrderStatus.RETURNED),
        )
    )
    if organisation_id is not None:
        loans = loans.where(
            sa.or_(Device.organisation_id == organisation_id, DeviceEvent.actor_organisation_id == organisation_id)
        )
        lives = lives.where(
            sa.or_(
                DeviceTransfer.from_organisation_id == organisation_id,
                DeviceTransfer.to_organisation_id == organisation_id,
            )
        )
    if device_id is not None:
        loans = loans.where(DeviceEvent.device_id == device_id)
        lives = lives.where(DeviceTransfer.device_id == device_id)
    if start is not None:
        loans = loans.where(DeviceEvent.occurred_at >= start)
        lives = lives.where(DeviceTransfer.occurred_at >= start)
    if end is not None:
        loans = loans.where(DeviceEvent.occurred_at < end)
        lives = lives.where(DeviceTransfer.occurred_at < end)
    found = [
        _Reuse(NEW_LIFE_TRANSFERS[reason], None, when, device_kind.value, life, giver.value)
        for reason, when, device_kind, life, giver in session.execute(lives)
    ]
    found += [
        _Reuse(kind, data, when, device_kind.value, life, giver.value)
        for kind, data, when, device_kind, life, giver in session.execute(loans)
    ]
    return found


def _credit(
    factors: dict[str, ImpactFactor],
    event_kind: EventKind,
    data: dict[str, Any] | None,
    device_kind: str,
    remaining_life: dict[str, Any] | None,
    *buckets: _Totals,
) -> None:
    """Add one reuse event to ``buckets``: what it avoided, by the rules of ``METHOD``."""
    factor = factors.get(device_kind)
    label = REUSE_EVENTS[event_kind]
    if factor is None:  # a kind with no sourced factors: counted as reused, credited nothing
        years, ewaste, per_year = 0.0, 0.0, 0.0
    elif event_kind is EventKind.LENT:
        years, ewaste, per_year = _loan_years(data or {}), 0.0, factor.avoided_kg_co2e_per_year
    else:
        years, ewaste = _extra_life_years(remaining_life, factor), factor.mass_kg
        per_year = factor.avoided_kg_co2e_per_year
    for bucket in buckets:
        bucket.devices += 1
        bucket.by_event[label] += 1
        bucket.life_years += years
        bucket.co2e += years * per_year
        bucket.ewaste += ewaste


def impact_report(
    session: Session,
    *,
    organisation_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    if date_from and date_to and date_from >= date_to:
        raise ValidationFailed("The period is empty.", errors={"to": ["Must be after 'from'."]})
    chosen, factors = factor_set(session, version)
    start = dt.datetime.combine(date_from, dt.time(), dt.UTC) if date_from is not None else None
    end = dt.datetime.combine(date_to, dt.time(), dt.UTC) if date_to is not None else None
    total = _Totals()
    per_kind: dict[str, _Totals] = defaultdict(_Totals)
    for row in _reuses(session, organisation_id=organisation_id, start=start, end=end):
        _credit(factors, row.kind, row.data, row.device_kind, row.remaining_life, total, per_kind[row.device_kind])
    return {
        "scope": {
            "organisation_id": organisation_id,
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
        },
        "factors_version": chosen.version,
        **total.as_dict(),
        "by_kind": [{"kind": kind, **per_kind[kind].as_dict()} for kind in sorted(per_kind)],
        "method": METHOD,
    }


def impact_breakdown(session: Session, *, version: str | None = None) -> dict[str, Any]:
    """The cluster's impact split by month (UTC, of the reuse event) and by the kind of the
    organisation that passed the device on (its owner), with the same rules as ``impact_report``:
    ``{"by_month": [{"month": "2026-03", ...totals}], "by_organisation_kind": [{"kind": ..., ...}]}``."""
    _chosen, factors = factor_set(session, version)
    per_month: dict[str, _Totals] = defaultdict(_Totals)
    per_organisation_kind: dict[str, _Totals] = defaultdict(_Totals)
    for row in _reuses(session):
        when = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=dt.UTC)
        month = when.astimezone(dt.UTC).strftime("%Y-%m")
        _credit(
            factors,
            row.kind,
            row.data,
            row.device_kind,
            row.remaining_life,
            per_month[month],
            per_organisation_kind[row.giver_kind],
        )
    return {
        "by_month": [{"month": m, **per_month[m].as_dict()} for m in sorted(per_month)],
        "by_organisation_kind": [
            {"kind": k, **per_organisation_kind[k].as_dict()} for k in sorted(per_organisation_kind)
        ],
    }


def device_impact(session: Session, device: Device) -> dict[str, Any]:
    """One device's impact, by the rules of ``impact_report``: what its reuse events avoided so
    far (``reused``: zeros before any) and, per year of extra use, what its kind avoids
    (``per_year_kg_co2e``; None for a kind without sourced factors)."""
    chosen, factors = factor_set(session)
    total = _Totals()
    for row in _reuses(session, device_id=device.id):
        _credit(factors, row.kind, row.data, row.device_kind, row.remaining_life, total)
    factor = factors.get(device.kind.value)
    return {
        "factors_version": chosen.version,
        "reused": total.as_dict(),
        "per_year_kg_co2e": factor.avoided_kg_co2e_per_year if factor else None,
        "source": factor.avoided_source if factor else None,
    }
