"""The catalogue follows its device: the card snapshot of a listing, and ``follow_device``.

Every writer of a device (PATCH, CSV import, diagnostics upload or checklist, re-grade, erasure,
a return) calls ``follow_device`` in its own transaction: the one place where the catalogue
follows the device, both its card and whether it may stay on offer (see there for the rules of
suspension).

Reads and writes models only (and ``devices.passport`` for the events), so the devices, reports,
erasures, orders, loans and imports services call it without importing the listings use cases:
the domain packages import each other in one direction (``tests/test_layering.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import diagnostics
from diagnostics.models import Finding
from marketplace.db import utcnow
from marketplace.devices import passport
from marketplace.devices.models import Device, EventKind
from marketplace.listability.current import current_components
from marketplace.listability.rules import describe_problems, listing_problems
from marketplace.listings.models import GRADE_RANKS, OPEN_STATUSES, UNGRADED_RANK, Listing, ListingStatus
from marketplace.members.access import Principal
from marketplace.members.models import Organisation
from marketplace.reservations.models import Reservation, ReservationStatus

#: At most this many findings are shown on a result card.
MAX_KEY_FINDINGS = 5
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _storage_gb(specs: Mapping[str, Any]) -> float | None:
    direct = _number(specs.get("storage_gb"))
    if direct is not None:
        return direct
    disks = specs.get("storage") or specs.get("disks")
    if isinstance(disks, list):
        sizes = [_number(d.get("capacity_gb")) for d in disks if isinstance(d, Mapping)]
        known = [s for s in sizes if s is not None]
        return sum(known) if known else None
    return _number(disks)


def _ram_gb(specs: Mapping[str, Any]) -> float | None:
    direct = _number(specs.get("ram_gb"))
    if direct is not None:
        return direct
    megabytes = _number(specs.get("ram_mb"))
    return megabytes / 1024 if megabytes is not None else _number(specs.get("ram"))


def _cpu(specs: Mapping[str, Any]) -> str | None:
    cpu = specs.get("cpu")
    if isinstance(cpu, Mapping):
        cpu = cpu.get("model") or cpu.get("name")
    return str(cpu)[:200] if cpu else None


def key_findings(session: Session, device: Device) -> list[dict[str, Any]]:
    """The findings a result card shows (code, severity, message, component), worst first.

    Read from the device's current diagnostics (the reports domain re-reads its raw files); the
    device-level findings (e.g. "replace the battery") come first at equal severity. Messages are
    scrubbed of the components' serials: the catalogue never shows one.
    """
    current = current_components(session, device)
    if not current.reports:
        return []
    serials = [str(c.identity.get("serial")) for c in current.reports if c.identity.get("serial")]
    found: list[tuple[str | None, Finding]] = [(None, f) for f in diagnostics.assess_device(current.reports).findings]
    found += [(c.component.value, f) for c in current.reports for f in c.assessment.findings]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for component, finding in sorted(found, key=lambda cf: _SEVERITY_ORDER.get(cf[1].severity.value, 9)):
        if finding.code in seen:
            continue
        seen.add(finding.code)
        message = finding.message
        for serial in serials:
            message = message.replace(serial, "…")
        out.append(
            {"code": finding.code, "severity": finding.severity.value, "message": message, "component": component}
        )
    return out[:MAX_KEY_FINDINGS]


def sync_from_device(listing: Listing, device: Device, organisation: Organisation, findings: list[Any]) -> None:
    """Copy what the catalogue filters on and shows from the device and its owner."""
    specs = device.specs or {}
    listing.kind = device.kind
    listing.make = device.make
    listing.model = device.model
    listing.cpu = _cpu(specs)
    listing.ram_gb = _ram_gb(specs)
    listing.storage_gb = _storage_gb(specs)
    listing.health = device.health
    listing.grade = device.grade
    listing.grade_rank = GRADE_RANKS.get(device.grade or "", UNGRADED_RANK)
    listing.cosmetic_grade = device.cosmetic_grade
    listing.battery_health_pct = device.battery_health_pct
    listing.specs = passport.public_specs(specs)  # as the public passport shows them
    listing.remaining_life = device.remaining_life
    listing.key_findings = findings[:MAX_KEY_FINDINGS]
    listing.organisation_kind = organisation.kind
    listing.search_price_cents = listing.search_price()
    listing.search_text = " ".join(p for p in (device.make, device.model, listing.cpu) if p).lower()[:600]


def open_listing(session: Session, device_id: int) -> Listing | None:
    """The device's listing that is on offer or suspended (at most one: ``create_listing``)."""
    return session.scalar(sa.select(Listing).where(Listing.device_id == device_id, Listing.status.in_(OPEN_STATUSES)))


def follow_device(session: Session, device: Device, actor: Principal | None) -> None:
    """Make the device's open listing follow a change of the device, in the caller's transaction.

    Every writer of a device's fields, diagnostics or erasures calls this (devices, imports,
    reports, erasures, orders and loans services): it is the one place where

    * the catalogue card is refreshed from the device (kind, make, model, specs, grades, battery,
      findings: ``sync_from_device``), so a search never filters on what the device no longer is;
    * the listing leaves the catalogue when the device stops being listable
      (``listability.rules.listing_problems``: an unerased disk, an F grade, incomplete diagnostics). It
      becomes ``suspended``, with ``suspended_reason`` in plain words for its seller and an
      ``unlisted`` passport event (``reason: suspended``, ``causes``: the fields at fault, never a
      serial). The device keeps its state: it is still the listing's, promised to nobody new.
    * a suspended listing comes back **by itself** (``listed`` event, ``reason: reinstated``) once
      the device is listable again, e.g. after the missing erasure is recorded: the seller chose to
      offer it, on terms that did not change, and the suspension was never their choice. A seller
      who no longer wants it withdraws the suspended listing (``DELETE /listings/{id}``).

    What a suspension does to the people already committed to the device (a rule a buyer can
    live with: nobody pays for or takes away a device that is not listable, nobody loses money):

    * a live reservation hold ends (``cancelled``): the member has not paid anything yet;
    * orders stay as they are (a pending card payment may still complete), but the seller cannot
      hand the device over while it is not listable (409); the buyer (or the seller) may cancel
      for a full refund, as before any handover;
    * booked loans stay booked, but their handover is refused while the listing is suspended; if
      it comes back before the loan starts, the loan goes ahead as agreed.
    """
    listing = open_listing(session, device.id)
    if listing is None:
        return
    sync_from_device(listing, device, listing.organisation, key_findings(session, device))
    problems = listing_problems(session, device)
    now = utcnow()
    if problems:
        reason = "Out of the catalogue: " + describe_problems(problems)
        if listing.status is ListingStatus.ACTIVE:
            listing.status = ListingStatus.SUSPENDED
            listing.suspended_at = now
            listing.updated_at = now
            _end_live_holds(session, listing, now)
            passport.record_event(
                session,
                device,
                EventKind.UNLISTED,
                actor,
                organisation_id=listing.organisation_id,
                data={"listing_id": listing.id, "reason": "suspended", "causes": sorted(problems)},
            )
        listing.suspended_reason = reason
    elif listing.status is ListingStatus.SUSPENDED:
        listing.status = ListingStatus.ACTIVE
        listing.suspended_reason = None
        listing.suspended_at = None
        listing.updated_at = now
        passport.record_event(
            session,
            device,
            EventKind.LISTED,
            actor,
            organisation_id=listing.organisation_id,
            data={"listing_id": listing.id, "reason": "reinstated"},
        )
    session.flush()


def _end_live_holds(session: Session, listing: Listing, now: dt.datetime) -> None:
    session.execute(
        sa.update(Reservation)
        .where(
            Reservation.listing_id == listing.id,
            Reservation.status == ReservationStatus.ACTIVE,
            Reservation.expires_at > now,
        )
        .values(status=ReservationStatus.CANCELLED, ended_at=now)
        .execution_options(synchronize_session="fetch")
    )
