"""Erasure certificates: issued with a number and a digest, verified by anyone at /verify/<number>.

* **Number**: 12 random symbols of the device codes' alphabet (``devices.codes``), not a sequence.
  The verification page is public: a sequential number would let anyone walk every certificate
  (and count an organisation's devices); a random one is found only on the document itself.
  31**12 ≈ 8e17 numbers: a collision is not a practical concern (the unique index refuses one).
* **Content**: ``certificate_content`` is the one description of what a certificate says; the PDF
  prints it and ``digest`` (HMAC-SHA-256 keyed by the app's SECRET_KEY, over its canonical JSON)
  seals it. Each disk's part comes from ``disk_entry`` alone, from the erasure record: a new
  field of erasures (e.g. their evidence) is added there.
* **Issue**: the PDF route issues a certificate for what is recorded now, or gives back the latest
  one when the records it names are unchanged (same report, same erasures, still verifying).
* **Disks**: every disk the device held since its last handover (``listability.rules.disk_statuses``),
  each with its erasure or its removal from the device.
* **Verify**: the content is rebuilt from the stored records (the disks the row names, the
  erasure and removal rows by id, the device and organisation) and its digest compared with the one stored at issue:
  a record changed since ("altered") does not verify. A digest given with the number (the QR code
  carries it) must also equal the stored one: a PDF edited to show other content, or whose digest
  was changed, does not verify.
* Rotating SECRET_KEY invalidates every certificate's verification: keep the key.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.devices.codes import ALPHABET
from marketplace.devices.models import Device
from marketplace.documents.models import ErasureCertificate
from marketplace.erasures import service as erasures
from marketplace.erasures.models import DiskRemoval, Erasure
from marketplace.listability.rules import DiskStatus
from marketplace.members.access import Principal
from marketplace.members.models import Organisation

NUMBER_LENGTH = 12
NUMBER_PATTERN = re.compile(rf"[{ALPHABET}]{{{NUMBER_LENGTH}}}")
CONTENT_VERSION = 1


class Verdict(enum.StrEnum):
    VALID = "valid"
    ALTERED = "altered"  # the records changed since issue
    MISMATCH = "mismatch"  # the digest given (printed on the document) is not the issued one
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Issued:
    row: ErasureCertificate
    content: dict[str, Any]


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    row: ErasureCertificate | None
    content: dict[str, Any] | None


def new_number() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(NUMBER_LENGTH))


def normalise_number(text: str) -> str | None:
    number = re.sub(r"[\s-]", "", text).upper()
    return number if NUMBER_PATTERN.fullmatch(number) else None


def display_number(number: str) -> str:
    """``ABCD-EFGH-JKMN``: grouped for reading aloud and typing."""
    return "-".join(number[i : i + 4] for i in range(0, len(number), 4))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment is not None else None


def disk_entry(status: DiskStatus) -> dict[str, Any]:
    """One disk of a certificate: its identity from the diagnostics, its erasure from the record.
    THE place where an erasure's fields enter a certificate (and so its digest)."""
    erasure, removal = status.erasure, status.removal
    return {
        "serial": status.serial,
        "model": status.model,
        "capacity_bytes": status.capacity_bytes,
        "erasure": None
        if erasure is None
        else {
            "id": erasure.id,
            "disk_serial": erasure.disk_serial,
            "disk_model": erasure.disk_model,
            "method": erasure.method.value,
            "standard": erasure.standard.value,
            "tool": erasure.tool,
            "tool_version": erasure.tool_version,
            "started_at": _iso(erasure.started_at),
            "finished_at": _iso(erasure.finished_at),
            "verified": erasure.verified,
            "verification_method": erasure.verification_method,
            "operator": erasure.operator,
            "evidence": None
            if erasure.evidence_sha256 is None
            else {
                "filename": erasure.evidence_filename,
                "format": erasure.evidence_format,
                "sha256": erasure.evidence_sha256,
                "tool_method": erasure.tool_method,
                "outcome": erasure.outcome,
            },
        },
        "in_device": status.current,
        "removal": None
        if removal is None
        else {
            "id": removal.id,
            "outcome": removal.outcome.value,
            "moved_to_device_id": removal.moved_to_device_id,
            "removed_at": _iso(removal.removed_at),
        },
    }


def certificate_content(
    *,
    number: str,
    issued_at: dt.datetime,
    device: Device,
    organisation: Organisation,
    report_id: int | None,
    disks: list[DiskStatus],
) -> dict[str, Any]:
    """What a certificate says, as plain JSON values (printed by the PDF, sealed by ``digest``)."""
    entries = [disk_entry(status) for status in disks]
    return {
        "version": CONTENT_VERSION,
        "number": number,
        "issued_at": _iso(issued_at),
        "organisation": {"id": organisation.id, "name": organisation.name, "siret": organisation.siret},
        "device": {
            "id": device.id,
            "kind": device.kind.value,
            "make": device.make,
            "model": device.model,
            "serial": device.serial,
            "asset_tag": device.asset_tag,
        },
        "report_id": report_id,
        "disks": entries,
        "complete": all(d.accounted_for for d in disks),
    }


def digest(content: dict[str, Any], secret_key: str) -> str:
    key = hashlib.sha256(b"relife erasure certificate\x00" + secret_key.encode()).digest()
    canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def disk_reference(status: DiskStatus) -> dict[str, Any]:
    """How a certificate row names one disk: what identifies it, and the records chosen for it."""
    return {
        "serial": status.serial,
        "model": status.model,
        "capacity_bytes": status.capacity_bytes,
        "current": status.current,
        "erasure_id": status.erasure.id if status.erasure is not None else None,
        "removal_id": status.removal.id if status.removal is not None else None,
    }


def _rebuild(session: Session, row: ErasureCertificate) -> dict[str, Any] | None:
    """The content of ``row`` rebuilt from the records it names (None if one is gone)."""
    device = session.get(Device, row.device_id)
    organisation = session.get(Organisation, row.organisation_id)
    if device is None or organisation is None:
        return None
    statuses = []
    for reference in row.disks:
        erasure = removal = None
        if reference["erasure_id"] is not None:
            erasure = session.get(Erasure, reference["erasure_id"])
            if erasure is None or erasure.device_id != device.id:
                return None
        if reference["removal_id"] is not None:
            removal = session.get(DiskRemoval, reference["removal_id"])
            if removal is None or removal.device_id != device.id:
                return None
        statuses.append(
            DiskStatus(
                serial=reference["serial"],
                model=reference["model"],
                capacity_bytes=reference["capacity_bytes"],
                erasure=erasure,
                removal=removal,
                current=reference["current"],
            )
        )
    return certificate_content(
        number=row.number,
        issued_at=row.issued_at,
        device=device,
        organisation=organisation,
        report_id=row.report_id,
        disks=statuses,
    )


def issue(session: Session, principal: Principal | None, device_id: int, secret_key: str) -> Issued:
    """The device's certificate for what is recorded now (same access as the certificate)."""
    current = erasures.certificate(session, principal, device_id)
    device = current.device
    references = [disk_reference(d) for d in current.disks]
    latest = session.scalar(
        sa.select(ErasureCertificate)
        .where(ErasureCertificate.device_id == device.id)
        .order_by(ErasureCertificate.id.desc())
        .limit(1)
    )
    if latest is not None and latest.report_id == current.report_id and list(latest.disks) == references:
        content = _rebuild(session, latest)
        if content is not None and hmac.compare_digest(digest(content, secret_key), latest.digest):
            return Issued(latest, content)
    number, issued_at = new_number(), utcnow().replace(microsecond=0)
    organisation = session.get(Organisation, device.organisation_id)
    assert organisation is not None
    content = certificate_content(
        number=number,
        issued_at=issued_at,
        device=device,
        organisation=organisation,
        report_id=current.report_id,
        disks=current.disks,
    )
    row = ErasureCertificate(
        number=number,
        device_id=device.id,
        organisation_id=organisation.id,
        report_id=current.report_id,
        disks=references,
        digest=digest(content, secret_key),
        issued_at=issued_at,
        issued_by_user_id=principal.user_id if principal is not None else None,
    )
    session.add(row)
    session.flush()
    return Issued(row, content)


def verify(session: Session, number: str, secret_key: str, given_digest: str | None = None) -> Verification:
    """Anyone may ask: whether certificate ``number`` exists and its records are as issued."""
    normalised = normalise_number(number)
    row = (
        session.scalar(sa.select(ErasureCertificate).where(ErasureCertificate.number == normalised))
        if normalised
        else None
    )
    if row is None:
        return Verification(Verdict.UNKNOWN, None, None)
    content = _rebuild(session, row)
    if content is None or not hmac.compare_digest(digest(content, secret_key), row.digest):
        return Verification(Verdict.ALTERED, row, None)
    if given_digest is not None:
        given = re.sub(r"[\s-]", "", given_digest).lower()
        if not hmac.compare_digest(given.encode(), row.digest.encode()):
            return Verification(Verdict.MISMATCH, row, content)
    return Verification(Verdict.VALID, row, content)
