"""Set-based writes of devices for the importer: many rows per statement.

The checks are the devices domain's (``validate_specs``, required fields, unique asset tag and
serial per organisation) and were applied by the importer before it calls these; here rows are
only written. Inserts use one multi-row ``INSERT … RETURNING id`` (SQLAlchemy's
"insertmanyvalues", on SQLite and PostgreSQL alike); updates one ``executemany`` guarded by the
device's version, which they bump like the ORM's ``version_id_col`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceState, DeviceTagSequence
from marketplace.devices.service import format_asset_tag

_DEVICES = cast(sa.Table, Device.__table__)


def reserve_tag_numbers(session: Session, organisation_id: int, count: int) -> range:
    """Take ``count`` consecutive numbers of the organisation's asset-tag sequence in one statement
    (the devices domain's sequence row, locked until the transaction ends)."""
    table = cast(sa.Table, DeviceTagSequence.__table__)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(organisation_id=organisation_id, last_value=count)
        .on_conflict_do_update(
            index_elements=[table.c.organisation_id], set_={"last_value": table.c.last_value + count}
        )
        .returning(table.c.last_value)
    )
    last = int(session.execute(statement).scalar_one())
    return range(last - count + 1, last + 1)


def generate_tags(session: Session, organisation_id: int, count: int, taken: set[str]) -> list[str]:
    """``count`` new server-generated tags, skipping those already used in the organisation."""
    tags: list[str] = []
    while len(tags) < count:
        for number in reserve_tag_numbers(session, organisation_id, count - len(tags)):
            tag = format_asset_tag(number)
            if tag not in taken:
                tags.append(tag)
                taken.add(tag)
    return tags


def insert_devices(
    session: Session, organisation_id: int, rows: Sequence[dict[str, Any]], *, now: dt.datetime
) -> list[int]:
    """Insert checked device rows (``kind``, ``make``, ``model``, ``serial``, ``asset_tag``, ``specs``,
    ``cosmetic_grade``, ``location``, ``notes``); return their ids in the order given."""
    params = [
        {
            **row,
            "organisation_id": organisation_id,
            "state": DeviceState.REGISTERED,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    result = session.execute(
        sa.insert(_DEVICES).returning(_DEVICES.c.id, sort_by_parameter_order=True),
        params,
    )
    return [row[0] for row in result]


def update_devices(session: Session, rows: Sequence[dict[str, Any]], *, now: dt.datetime) -> int:
    """Update devices by ``b_id`` if still at ``b_version``; return how many were updated."""
    statement = (
        sa.update(_DEVICES)
        .where(_DEVICES.c.id == sa.bindparam("b_id"), _DEVICES.c.version == sa.bindparam("b_version"))
        .values(
            kind=sa.bindparam("kind"),
            make=sa.bindparam("make"),
            model=sa.bindparam("model"),
            serial=sa.bindparam("serial"),
            asset_tag=sa.bindparam("asset_tag"),
            specs=sa.bindparam("specs", type_=_DEVICES.c.specs.type),
            cosmetic_grade=sa.bindparam("cosmetic_grade"),
            location=sa.bindparam("location"),
            notes=sa.bindparam("notes"),
            version=_DEVICES.c.version + 1,
            updated_at=now,
        )
    )
    result = session.connection().execute(statement, list(rows))
    return int(result.rowcount)
