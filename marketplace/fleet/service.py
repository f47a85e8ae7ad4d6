"""Fleet health and forecast of one organisation (issue 18, point 6).

For every device still in the organisation's hands (not sold, not retired): its health and grade as
the diagnostics left them (the device's denormalised assessment), the quarter its remaining-life
estimate ends in, and a recommendation with its reason:

* ``keep`` — healthy (A/B) with at least ``KEEP_MIN_YEARS`` of estimated life (or no estimate);
* ``reuse_in_cluster`` — usable but worn (C), or healthy with less than ``KEEP_MIN_YEARS`` left: list it
  for another member of the cluster, whose lighter use gets the rest of its life;
* ``repair_first`` — a part swap makes it reusable (D: the part the diagnostics name), or its battery is
  below ``BATTERY_SWAP_BELOW_PERCENT`` on an otherwise usable device: swap the battery or the disk first;
* ``recycle`` — not reusable (F), or less than ``RECYCLE_BELOW_YEARS`` of life left and nothing to repair;
* ``diagnose`` — no diagnostics yet: nothing can be recommended without them.

Reads only: no side effect. Access: the organisation's members (any role) and staff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceState
from marketplace.errors import Forbidden, NotFound
from marketplace.imports.formats import neutralise
from marketplace.members.access import Principal, require_user
from marketplace.members.models import Organisation
from marketplace.reports.models import DiagnosticReport

# --- policy: thresholds with their rationale --------------------------------------------------------

KEEP_MIN_YEARS = 2.0
"""A device kept in the department's own service should outlast the usual two-year budget and renewal
horizon (public bodies and universities plan equipment over two to three budget years): below it, its
replacement is due inside the plan, so it is better placed with a member whose lighter use (a lab, a loan
pool, a school) gets the rest of its life."""

RECYCLE_BELOW_YEARS = 0.25
"""Less than one quarter of estimated life left, and no part whose swap would give it more: reuse would
not survive the listing, reservation and handover delays; recycle it (after erasure)."""

BATTERY_SWAP_BELOW_PERCENT = 80.0
"""A battery below 80 % of its design capacity is past its rated life (EU 2023/1670 Annex II, the line
the grading uses): on an otherwise usable laptop a battery swap is the cheapest way to another full
service life, so the device is repaired first."""

DAYS_PER_YEAR = 365.25

#: States of devices that are no longer the organisation's to plan for.
OUT_OF_FLEET = frozenset({DeviceState.SOLD, DeviceState.RETIRED})
RECOMMENDATIONS = ("keep", "reuse_in_cluster", "repair_first", "recycle", "diagnose")
HEALTHS = ("healthy", "worn", "failing", "unknown", "not_diagnosed")
GRADES = ("A", "B", "C", "D", "F", "none")
#: Which part a repair is, from the component the diagnostics name in ``device.replace_part``.
_REPAIR_PART = {"disk": "disk", "battery": "battery", "manual": "part"}

POLICY = {
    "KEEP_MIN_YEARS": KEEP_MIN_YEARS,
    "RECYCLE_BELOW_YEARS": RECYCLE_BELOW_YEARS,
    "BATTERY_SWAP_BELOW_PERCENT": BATTERY_SWAP_BELOW_PERCENT,
}


@dataclass
class DeviceForecast:
    device_id: int
    asset_tag: str
    kind: str
    make: str
    model: str
    state: str
    health: str | None
    grade: str | None
    battery_health_pct: float | None
    remaining_years: float | None
    remaining_life_basis: str | None
    end_of_life: dt.date | None
    end_of_life_quarter: str | None
    recommendation: str
    repair: str | None
    reason: str


@dataclass
class FleetHealth:
    organisation_id: int
    as_of: dt.date
    devices: list[DeviceForecast] = field(default_factory=list)

    @property
    def devices_total(self) -> int:
        return len(self.devices)

    @property
    def by_health(self) -> dict[str, int]:
        counts = Counter(d.health or "not_diagnosed" for d in self.devices)
        return {h: counts.get(h, 0) for h in HEALTHS}

    @property
    def by_grade(self) -> dict[str, int]:
        counts = Counter(d.grade or "none" for d in self.devices)
        return {g: counts.get(g, 0) for g in GRADES}

    @property
    def by_recommendation(self) -> dict[str, int]:
        counts = Counter(d.recommendation for d in self.devices)
        return {r: counts.get(r, 0) for r in RECOMMENDATIONS}

    @property
    def end_of_life_by_quarter(self) -> list[dict[str, Any]]:
        quarters: dict[str, list[int]] = {}
        for d in sorted(self.devices, key=lambda d: (d.end_of_life or dt.date.max, d.device_id)):
            if d.end_of_life_quarter is not None:
                quarters.setdefault(d.end_of_life_quarter, []).append(d.device_id)
        return [{"quarter": q, "devices": len(ids), "device_ids": ids} for q, ids in quarters.items()]

    @property
    def without_estimate(self) -> int:
        return sum(1 for d in self.devices if d.end_of_life is None)

    @property
    def reuse_in_cluster(self) -> list[int]:
        return [d.device_id for d in self.devices if d.recommendation == "reuse_in_cluster"]

    @property
    def policy(self) -> dict[str, float]:
        return dict(POLICY)


def fleet_health(
    session: Session, principal: Principal | None, organisation_id: int, today: dt.date | None = None
) -> FleetHealth:
    """The organisation's fleet forecast (see the module docstring). Members and staff only."""
    principal = require_user(principal)
    if session.get(Organisation, organisation_id) is None:
        raise NotFound("No such organisation.")
    if not (principal.is_staff or principal.is_member_of(organisation_id)):
        raise Forbidden("You are not a member of this organisation.")
    as_of = today or dt.datetime.now(dt.UTC).date()
    devices = list(
        session.scalars(
            sa.select(Device)
            .where(Device.organisation_id == organisation_id, Device.state.not_in(OUT_OF_FLEET))
            .order_by(Device.id)
        )
    )
    parts = _parts_to_replace(session, [d.id for d in devices])
    return FleetHealth(organisation_id, as_of, [_forecast(d, parts.get(d.id, []), as_of) for d in devices])


def _parts_to_replace(session: Session, device_ids: list[int]) -> dict[int, list[str]]:
    """Per device, the components its latest assessment says to replace (``device.replace_part``)."""
    if not device_ids:
        return {}
    latest = (
        sa.select(sa.func.max(DiagnosticReport.id))
        .where(DiagnosticReport.device_id.in_(device_ids))
        .group_by(DiagnosticReport.device_id)
    )
    rows = session.execute(
        sa.select(DiagnosticReport.device_id, DiagnosticReport.assessment).where(DiagnosticReport.id.in_(latest))
    )
    out: dict[int, list[str]] = {}
    for device_id, assessment in rows:
        for finding in (assessment or {}).get("findings") or []:
            if finding.get("code") == "device.replace_part":
                component = (finding.get("evidence") or {}).get("attribute")
                out.setdefault(device_id, []).append(_REPAIR_PART.get(str(component), "part"))
    return out


def _years(device: Device) -> tuple[float | None, str | None]:
    life = device.remaining_life or {}
    years = life.get("years")
    basis = life.get("basis")
    if isinstance(years, int | float) and not isinstance(years, bool) and years >= 0:
        return float(years), str(basis) if basis else None
    return None, str(basis) if basis else None


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _forecast(device: Device, parts: list[str], as_of: dt.date) -> DeviceForecast:
    years, basis = _years(device)
    end = as_of + dt.timedelta(days=round(years * DAYS_PER_YEAR)) if years is not None else None
    recommendation, repair, reason = recommend(device.grade, device.health, years, device.battery_health_pct, parts)
    return DeviceForecast(
        device_id=device.id,
        asset_tag=device.asset_tag,
        kind=device.kind.value,
        make=device.make,
        model=device.model,
        state=device.state.value,
        health=device.health,
        grade=device.grade,
        battery_health_pct=device.battery_health_pct,
        remaining_years=years,
        remaining_life_basis=basis,
        end_of_life=end,
        end_of_life_quarter=quarter_of(end) if end is not None else None,
        recommendation=recommendation,
        repair=repair,
        reason=reason,
    )


def recommend(
    grade: str | None, health: str | None, years: float | None, battery_pct: float | None, parts: list[str]
) -> tuple[str, str | None, str]:
    """(recommendation, part to repair or None, reason) for one device; see the module docstring."""
    if not grade or not health or health == "unknown":
        return "diagnose", None, "no health data yet: run the diagnostics before deciding"
    if grade == "F":
        return "recycle", None, "not reusable: it fails beyond a part swap (erase it, then recycle it)"
    if grade == "D":
        part = parts[0] if parts else "part"
        return "repair_first", part, f"reusable once the {part} named by the diagnostics is replaced"
    if battery_pct is not None and battery_pct < BATTERY_SWAP_BELOW_PERCENT:
        return (
            "repair_first",
            "battery",
            f"battery at {battery_pct:g} % of design, below {BATTERY_SWAP_BELOW_PERCENT:g} %: a battery swap "
            "gives it another service life",
        )
    if years is not None and years < RECYCLE_BELOW_YEARS:
        return (
            "recycle",
            None,
            f"about {years:g} years of life left, under {RECYCLE_BELOW_YEARS:g}: too little to reuse",
        )
    if grade == "C":
        return "reuse_in_cluster", None, "worn but usable: list it for lighter use elsewhere in the cluster"
    if years is not None and years < KEEP_MIN_YEARS:
        return (
            "reuse_in_cluster",
            None,
            f"healthy, but about {years:g} years left, under the {KEEP_MIN_YEARS:g}-year keep horizon: list it",
        )
    left = f"about {years:g} years left" if years is not None else "no end of life in sight from its diagnostics"
    return "keep", None, f"healthy (grade {grade}), {left}"


CSV_COLUMNS = (
    "device_id",
    "asset_tag",
    "kind",
    "make",
    "model",
    "state",
    "health",
    "grade",
    "battery_health_pct",
    "remaining_years",
    "end_of_life_quarter",
    "recommendation",
    "repair",
    "reason",
)


def to_csv(fleet: FleetHealth) -> str:
    """One row per device; text cells go through ``imports.formats.neutralise`` (CSV formula injection)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for d in fleet.devices:
        writer.writerow([_cell(getattr(d, column)) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return neutralise(value) if isinstance(value, str) else value
