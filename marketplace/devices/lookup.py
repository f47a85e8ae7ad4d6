"""Find a device the way the bench does: by the asset tag on its label, its serial, or the label's
QR code (the public code, typed or as the ``…/d/<code>`` address the QR code carries).

The search runs inside the caller's organisations (all of them for staff); the device found is then
read through the devices service's own access function, so a lookup sees exactly what reading the
device by id sees: members of its organisation, its bench tokens (``Principal.is_bench_of``, which the upload
path relies on too) and staff; anyone else gets 404, as for a device that does not exist.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices import service
from marketplace.devices.codes import normalise_public_code
from marketplace.devices.models import Device
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.members.access import Principal, require_principal
from marketplace.members.models import TokenKind

KEYS = ("tag", "serial", "code")


def code_from_text(text: str) -> str | None:
    """The public code in a typed code or in the QR code's content (an address ending in ``/d/<code>``)."""
    text = text.strip()
    if "/" in text:
        path = urlsplit(text).path if "://" in text else text
        match = re.search(r"/d/([^/?#]+)/?$", path)
        if match is None:
            return None
        text = match.group(1)
    return normalise_public_code(text)


def read_device(session: Session, principal: Principal | None, device_id: int) -> Device:
    """The device by id under the devices service's read rule; bench tokens read their
    organisation's devices as the upload path does."""
    principal = require_principal(principal)
    if principal.token_kind is TokenKind.BENCH:
        device = session.get(Device, device_id)
        if device is None or not principal.is_bench_of(device.organisation_id):
            raise NotFound("No such device.")
        return device
    return service.get_device(session, principal, device_id)


def lookup_device(
    session: Session,
    principal: Principal | None,
    *,
    tag: str | None = None,
    serial: str | None = None,
    code: str | None = None,
    organisation_id: int | None = None,
) -> Device:
    """Exactly one of ``tag``, ``serial``, ``code``; one device or NotFound (see the module docstring).

    An asset tag or serial found in several of the caller's organisations (staff, or a person in
    two organisations) is a 409 asking for ``organisation_id``."""
    principal = require_principal(principal)
    given = {key: value for key, value in (("tag", tag), ("serial", serial), ("code", code)) if value is not None}
    if len(given) != 1:
        raise ValidationFailed(
            "Give exactly one of tag, serial or code.",
            errors={key: ["Give exactly one of tag, serial, code."] for key in (given or dict.fromkeys(KEYS))},
        )
    ((key, value),) = given.items()
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{key} must not be blank.", errors={key: ["Must not be blank."]})
    query = sa.select(Device.id)
    if key == "code":
        public_code = code_from_text(value)
        if public_code is None:
            raise ValidationFailed(
                "Not a device code: 10 letters and digits as printed on the label, or the address "
                "its QR code carries (…/d/<code>).",
                errors={"code": ["Not a device code."]},
            )
        query = query.where(Device.public_code == public_code)
    elif key == "tag":
        query = query.where(Device.asset_tag == value)
    else:
        query = query.where(Device.serial == value)
    if organisation_id is not None:
        query = query.where(Device.organisation_id == organisation_id)
    if not principal.is_staff:
        query = query.where(Device.organisation_id.in_(sorted(principal.organisation_ids) or [-1]))
    ids = list(session.scalars(query.order_by(Device.id).limit(11)))
    if not ids:
        raise NotFound(f"No device with this {_WHAT[key]} in your organisations.")
    if len(ids) > 1:
        raise Conflict(
            f"{len(ids) if len(ids) <= 10 else 'More than 10'} devices have this {_WHAT[key]}: "
            "add organisation_id, or look the device up by its label's code.",
            errors={key: ["Names several devices."]},
        )
    return read_device(session, principal, ids[0])


_WHAT = {"tag": "asset tag", "serial": "serial number", "code": "code"}
