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
    loans = (
        sa.select(DeviceEvent.kind, DeviceEvent.data, Device.kind, Device.remaining_life)
        .join(Device, Device.id == DeviceEvent.device_id)
        .where(DeviceEvent.kind == EventKind.LENT)
    )
    if organisation_id is not None:
        loans = loans.where(
            sa.or_(Device.organisation_id == organisation_id, DeviceEvent.actor_organisation_id == organisation_id)
        )
    if start is not None:
        loans = loans.where(DeviceEvent.occurred_at >= start)
    if end is not None:
        loans = loans.where(DeviceEvent.occurred_at < end)
    # New lives: each sale or donation handed over, unless its order was returned.
    lives = (
        sa.select(DeviceTransfer.reason, Device.kind, Device.remaining_life)
        .join(Device, Device.id == DeviceTransfer.device_id)
        .outerjoin(Order, Order.id == DeviceTransfer.order_id)
        .where(
            DeviceTransfer.reason.in_(list(NEW_LIFE_TRANSFERS)),
            sa.or_(Order.id.is_(None), Order.status != OrderStatus.RETURNED),
        )
    )
    if organisation_id is not None:
        lives = lives.where(
            sa.or_(
                DeviceTransfer.from_organisation_id == organisation_id,
                DeviceTransfer.to_organisation_id == organisation_id,
            )
        )
    if start is not None:
        lives = lives.where(DeviceTransfer.occurred_at >= start)
    if end is not None:
        lives = lives.where(DeviceTransfer.occurred_at < end)
    rows: list[tuple[EventKind, dict[str, Any] | None, Any, dict[str, Any] | None]] = [
        (NEW_LIFE_TRANSFERS[reason], None, device_kind, remaining_life)
        for reason, device_kind, remaining_life in session.execute(lives)
    ]
    rows.extend(tuple(row) for row in session.execute(loans))

    total = _Totals()
    per_kind: dict[str, _Totals] = defaultdict(_Totals)
    for event_kind, data, device_kind, remaining_life in rows:
        factor = factors.get(device_kind.value)
        label = REUSE_EVENTS[event_kind]
        if factor is None:  # a kind with no sourced factors: counted as reused, credited nothing
            years, ewaste, per_year = 0.0, 0.0, 0.0
        elif event_kind is EventKind.LENT:
            years, ewaste, per_year = _loan_years(data or {}), 0.0, factor.avoided_kg_co2e_per_year
        else:
            years, ewaste = _extra_life_years(remaining_life, factor), factor.mass_kg
            per_year = factor.avoided_kg_co2e_per_year
        for bucket in (total, per_kind[device_kind.value]):
            bucket.devices += 1
            bucket.by_event[label] += 1
            bucket.life_years += years
            bucket.co2e += years * per_year
            bucket.ewaste += ewaste
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
