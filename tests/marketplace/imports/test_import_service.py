"""The service's write path: a batch that fails is replayed row by row, each row whole or absent."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceKind
from marketplace.imports import service
from marketplace.imports.cli import principal_for_email
from marketplace.imports.formats import ImportFormat
from tests.marketplace.imports.conftest import Org, device_count

HEADER = b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n"


def rows(*numbers: int) -> bytes:
    return HEADER + b"".join(b"T%d,SN-%d,laptop,Dell,Latitude 5490,i5,8,256,2018\n" % (n, n) for n in numbers)


def run(session: Session, org: Org, data: bytes, **kwargs: Any) -> service.ImportReport:
    principal = principal_for_email(session, org.admin.email)
    return service.import_devices(
        session, principal, organisation_id=org.id, data=data, fmt=ImportFormat.NATIVE, dry_run=False, **kwargs
    )


def test_a_batch_that_fails_is_replayed_row_by_row(db_session: Session, org: Org) -> None:
    """A device registered by someone else between the checks and the writes (here from the
    progress callback) makes the batch fail on the unique asset tag; the other rows still land,
    each with its passport event, and the conflicting row is reported."""

    def someone_else_registers_t2(stage: str, advance: int, total: int | None) -> None:
        if stage == "check":
            db_session.add(
                Device(
                    organisation_id=org.id,
                    kind=DeviceKind.LAPTOP,
                    make="HP",
                    model="Other",
                    serial="SOMEONE-ELSE",
                    asset_tag="T2",
                    specs={},
                )
            )
            db_session.flush()

    report = run(db_session, org, rows(1, 2, 3), progress=someone_else_registers_t2)
    assert (report.created, report.failed) == (2, 1)
    assert [(e.row, e.field) for e in report.errors] == [(3, "asset_tag")]
    assert "written meanwhile" in report.errors[0].message
    imported = db_session.scalars(
        sa.select(Device.serial).where(Device.organisation_id == org.id).order_by(Device.serial)
    ).all()
    assert imported == ["SN-1", "SN-3", "SOMEONE-ELSE"]
    events = db_session.scalars(sa.select(DeviceEvent.device_id).join(Device).where(Device.organisation_id == org.id))
    assert len(set(events)) == 2  # one event per imported device, none for the refused row


def test_an_update_of_a_device_changed_meanwhile_is_refused(db_session: Session, org: Org) -> None:
    run(db_session, org, rows(1, 2))
    changed = (
        HEADER + b"T1,SN-1,laptop,Dell,Latitude 7490,i5,8,256,2018\nT2,SN-2,laptop,Dell,Latitude 7490,i5,8,256,2018\n"
    )

    def someone_else_edits_sn1(stage: str, advance: int, total: int | None) -> None:
        if stage == "check":
            db_session.execute(sa.update(Device).where(Device.serial == "SN-1").values(version=Device.version + 1))

    report = run(db_session, org, changed, progress=someone_else_edits_sn1)
    assert (report.updated, report.failed) == (1, 1)
    assert report.errors[0].row == 2
    query = sa.select(Device.serial, Device.model).where(Device.organisation_id == org.id)
    models = {row.serial: row.model for row in db_session.execute(query)}
    assert models == {"SN-1": "Latitude 5490", "SN-2": "Latitude 7490"}


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_batching_does_not_change_the_outcome(
    db_session: Session, org: Org, monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    monkeypatch.setattr(service, "BATCH_SIZE", batch_size)
    data = rows(*range(1, 8)) + b"T99,SN-99,laptop,Dell,X,i5,lots,256,2018\n"
    report = run(db_session, org, data)
    assert (report.rows, report.created, report.failed) == (8, 7, 1)
    assert device_count(db_session, org.id) == 7
    again = run(db_session, org, data)
    assert (again.created, again.unchanged) == (0, 7)


def test_error_list_is_capped_but_failures_are_all_counted(
    db_session: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_REPORTED_ERRORS", 3)
    data = HEADER + b"".join(b"T%d,SN-%d,toaster,Dell,X,i5,8,256,2018\n" % (n, n) for n in range(10))
    report = run(db_session, org, data)
    assert (report.failed, len(report.errors), report.errors_truncated) == (10, 3, True)
