"""The service's write path: a batch that fails is replayed row by row, each row whole or absent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.devices.service import UPDATABLE_FIELDS, registration_changes
from marketplace.imports import bulk, service
from marketplace.imports.cli import principal_for_email
from marketplace.imports.formats import ImportFormat
from tests.api_helpers import create_org
from tests.factories import DeviceFactory
from tests.marketplace.imports.conftest import Org, device_count

HEADER = b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year\n"


def rows(*numbers: int) -> bytes:
    return HEADER + b"".join(b"T%d,SN-%d,laptop,Dell,Latitude 5490,i5,8,256,2018\n" % (n, n) for n in numbers)


def run(session: Session, org: Org, data: bytes, **kwargs: Any) -> service.ImportReport:
    principal = principal_for_email(session, org.admin.email)
    return service.import_devices(
        session, principal, organisation_id=org.id, data=data, fmt=ImportFormat.NATIVE, dry_run=False, **kwargs
    )


def registers_meanwhile(session: Session, org: Org, serial: str, asset_tag: str) -> service.Progress:
    """A progress callback: someone else registers a device in the organisation between the
    import's checks and its writes."""

    def progress(stage: str, advance: int, total: int | None) -> None:
        if stage == "check":
            # Built, then flushed into the import's own transaction: a commit here would end it.
            session.add(
                DeviceFactory.build(organisation_id=org.id, make="HP", model="X", serial=serial, asset_tag=asset_tag)
            )
            session.flush()

    return progress


def test_a_batch_that_fails_is_replayed_row_by_row(db_session: Session, org: Org) -> None:
    """A device registered by someone else between the checks and the writes (here from the
    progress callback) makes the batch fail on the unique asset tag; the other rows still land,
    each with its passport event, and the conflicting row is reported."""

    report = run(db_session, org, rows(1, 2, 3), progress=registers_meanwhile(db_session, org, "SOMEONE-ELSE", "T2"))
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


def events_by_device(session: Session, organisation_id: int) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Serial of each device → (kind, changes) of its passport events, oldest first."""
    query = (
        sa.select(Device.serial, DeviceEvent.kind, DeviceEvent.changes)
        .join(DeviceEvent, DeviceEvent.device_id == Device.id)
        .where(Device.organisation_id == organisation_id)
        .order_by(DeviceEvent.id)
    )
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for serial, kind, changes in session.execute(query):
        out.setdefault(serial, []).append((kind.value, changes))
    return out


def test_new_devices_get_fresh_ids_after_other_organisations_devices(
    client: FlaskClient, db_session: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New devices are inserted with ids taken up front (after the largest on SQLite): an import
    into an organisation after another organisation's devices, then a second import that also
    updates a device, in small batches, give every device its own id and every passport event
    the right device; a device created afterwards through the ORM gets the next id."""
    other = Org(create_org(client, org.admin)["id"], org.admin)
    assert run(db_session, other, rows(1, 2, 3)).created == 3
    other_ids = set(db_session.scalars(sa.select(Device.id).where(Device.organisation_id == other.id)))

    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    assert run(db_session, org, rows(1, 2, 3)).created == 3  # same serials and tags, another organisation
    changed = HEADER + b"T1,SN-1,laptop,Dell,Latitude 7490,i5,8,256,2018\n" + rows(4, 5).removeprefix(HEADER)
    report = run(db_session, org, changed)
    assert (report.created, report.updated, report.failed) == (2, 1, 0)

    ids = dict(db_session.execute(sa.select(Device.serial, Device.id).where(Device.organisation_id == org.id)).all())
    assert len(set(ids.values())) == 5 and not set(ids.values()) & other_ids
    assert min(ids.values()) > max(other_ids)
    events = events_by_device(db_session, org.id)
    assert sorted(events) == ["SN-1", "SN-2", "SN-3", "SN-4", "SN-5"]
    for serial, passport in events.items():
        assert passport[0][0] == "imported" and passport[0][1]["serial"] == [None, serial]
    assert events["SN-1"][1] == ("updated", {"model": ["Latitude 5490", "Latitude 7490"]})
    assert len(events_by_device(db_session, other.id)) == 3

    later = DeviceFactory.in_session(db_session, organisation_id=org.id, serial="ORM", asset_tag="ORM", specs={})
    assert later.id == max(ids.values()) + 1


def test_a_replayed_batch_keeps_generated_tags_and_writes_each_event_once(db_session: Session, org: Org) -> None:
    """A batch with an untagged row, an update and a row that conflicts fails, then is replayed row
    by row: the untagged device keeps the tag generated for the failed batch (also in its passport),
    the update and its event land once, the conflicting row is reported."""
    run(db_session, org, rows(1))
    data = (
        HEADER + b",SN-NEW,laptop,Dell,Latitude 5490,i5,8,256,2018\n"
        b"T1,SN-1,laptop,Dell,Latitude 7490,i5,8,256,2018\n"
        b"T2,SN-2,laptop,Dell,Latitude 5490,i5,8,256,2018\n"
    )

    report = run(db_session, org, data, progress=registers_meanwhile(db_session, org, "ELSE", "T2"))
    assert (report.created, report.updated, report.failed) == (1, 1, 1)
    assert [(e.row, e.field) for e in report.errors] == [(4, "asset_tag")]
    new = db_session.scalar(sa.select(Device).where(Device.serial == "SN-NEW"))
    assert new is not None and new.asset_tag.startswith("RLF-")
    events = events_by_device(db_session, org.id)
    ((kind, changes),) = events["SN-NEW"]
    assert kind == "imported" and changes["asset_tag"] == [None, new.asset_tag]
    assert changes == as_stored(registration_changes(values_of(new)))
    assert events["SN-1"] == [events["SN-1"][0], ("updated", {"model": ["Latitude 5490", "Latitude 7490"]})]
    assert "SN-2" not in events


def values_of(device: Device) -> dict[str, Any]:
    """The device's fields as stored, read back from the database (not the importer's row)."""
    return {field: getattr(device, field) for field in UPDATABLE_FIELDS}


def as_stored(changes: dict[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    return {field: list(values) for field, values in changes.items()}


def test_created_passport_changes_are_those_of_a_registration(db_session: Session, org: Org) -> None:
    """The changes text of an ``imported`` event is exactly what orjson writes for the devices
    service's ``registration_changes`` of the device read back, also for quotes,
    backslashes, non-ASCII text, notes, decimal specs and generated tags; ``data`` likewise."""
    header = b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year,cosmetic_grade,location,screen_in,notes\n"
    data = (
        header
        + (
            '"T""1",SN\\1,laptop,Lenovo,"ThinkPad ""T480""",Intel Core i5,8,256,2018,good,Saint-Étienne,15.6,\n'
            ',SN-2,screen,Iiyama,ProLite,,,,2020,,,23.8,"Écran rayé\tcoin ""gauche"" 😀"\n'
            "T3,SN-3,desktop,HP,EliteDesk,,16 GB,1 TB,2019,fair,Lyon,,\n"
        ).encode()
    )
    report = run(db_session, org, data)
    assert (report.created, report.failed) == (3, 0), report.errors
    query = (
        sa.select(Device, DeviceEvent.id)
        .join(DeviceEvent, DeviceEvent.device_id == Device.id)
        .where(Device.organisation_id == org.id)
        .order_by(Device.id)
    )
    found = db_session.execute(query).all()
    assert [device.serial for device, _ in found] == ["SN\\1", "SN-2", "SN-3"]
    rows_by_serial = {
        "SN\\1": {"asset_tag": 'T"1', "cosmetic_grade": "good", "location": "Saint-Étienne"},
        "SN-2": {"notes": 'Écran rayé\tcoin "gauche" 😀'},
        "SN-3": {"asset_tag": "T3", "cosmetic_grade": "fair", "location": "Lyon"},
    }
    postgres = db_session.get_bind().dialect.name == "postgresql"
    for line, (device, event_id) in zip((2, 3, 4), found, strict=True):
        given = rows_by_serial[device.serial]
        assert given.get("asset_tag", device.asset_tag) == device.asset_tag
        assert (device.cosmetic_grade and device.cosmetic_grade.value, device.location, device.notes) == (
            given.get("cosmetic_grade"),
            given.get("location"),
            given.get("notes"),
        )
        expected = as_stored(registration_changes(values_of(device)))
        stored = db_session.execute(
            sa.text("SELECT changes, data FROM device_events WHERE id = :id"), {"id": event_id}
        ).one()
        expected_data = {"source": "import", "format": "native", "row": line}
        if postgres:  # jsonb: same document, its own key order and spacing
            assert (stored.changes, stored.data) == (expected, expected_data)
        else:  # the very text orjson writes for the dict
            assert stored.changes == orjson.dumps(expected).decode()
            assert stored.data == orjson.dumps(expected_data).decode()
    assert found[1][0].specs == {"size_in": 23.8, "year": 2020}


def test_constants_of_an_import_are_stored_as_bound_values_would_be(db_session: Session, org: Org) -> None:
    """On SQLite the organisation, state, version, actor, time, ``state_to`` and ``public`` of every row are
    literals of the INSERT, not parameters: the stored values and their types are those of a device
    and an event the ORM writes, and they read back the same."""
    now = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    principal = principal_for_email(db_session, org.admin.email)
    report = service.run_import(
        db_session, principal, organisation_id=org.id, data=rows(1), fmt=ImportFormat.NATIVE, dry_run=False, now=now
    )
    assert report.created == 1
    imported = db_session.scalar(sa.select(Device).where(Device.serial == "SN-1"))
    assert imported is not None
    event = db_session.scalar(sa.select(DeviceEvent).where(DeviceEvent.device_id == imported.id))
    assert event is not None
    assert (imported.organisation_id, imported.state, imported.version) == (org.id, DeviceState.REGISTERED, 1)
    assert imported.created_at == imported.updated_at == event.occurred_at == now
    assert (event.actor_user_id, event.actor_token_id, event.actor_organisation_id) == (org.admin.user_id, None, org.id)
    assert event.public is True

    by_orm = DeviceFactory.in_session(
        db_session, organisation_id=org.id, serial="ORM", asset_tag="ORM", specs={}, created_at=now, updated_at=now
    )
    db_session.add(
        DeviceEvent(
            device_id=by_orm.id,
            kind=EventKind.IMPORTED,
            occurred_at=now,
            actor_user_id=org.admin.user_id,
            actor_organisation_id=org.id,
            state_to=DeviceState.REGISTERED.value,
            changes={},
            data={},
        )
    )
    db_session.flush()
    columns = "organisation_id, state, version, created_at, updated_at"
    events = "occurred_at, actor_user_id, actor_token_id, actor_organisation_id, state_to, public"
    if db_session.get_bind().dialect.name == "sqlite":
        columns = ", ".join(f"typeof({c}), {c}" for c in columns.split(", "))
        events = ", ".join(f"typeof({c}), {c}" for c in events.split(", "))

    def stored(sql: str, device_id: int) -> tuple[Any, ...]:
        return tuple(db_session.execute(sa.text(sql), {"id": device_id}).one())

    device_sql = f"SELECT {columns} FROM devices WHERE id = :id"  # noqa: S608 - test's own column names
    event_sql = f"SELECT {events} FROM device_events WHERE device_id = :id"  # noqa: S608
    assert stored(device_sql, imported.id) == stored(device_sql, by_orm.id)
    assert stored(event_sql, imported.id) == stored(event_sql, by_orm.id)


@pytest.mark.parametrize(
    ("value", "literal"),
    [(None, "NULL"), (True, "1"), (False, "0"), (42, "42"), ("it's", "'it''s'"), ("2026-03-04", "'2026-03-04'")],
)
def test_sqlite_literals(value: Any, literal: str) -> None:
    assert bulk._sqlite_literal(value) == literal


def test_sqlite_literals_refuse_other_types() -> None:
    with pytest.raises(TypeError):
        bulk._sqlite_literal(1.5)


def test_updates_of_private_fields_only_stay_out_of_the_public_passport(db_session: Session, org: Org) -> None:
    """As for an edit through the devices API: an ``updated`` event that only moves or renames the
    device (location, asset tag, serial, notes) is private; one that changes its specs is public.
    The ``imported`` event is public and enters the device into the lifecycle."""
    header = b"asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year,location\n"
    run(
        db_session,
        org,
        header + b"T1,SN-1,laptop,Dell,X,i5,8,256,2018,Lyon\nT2,SN-2,laptop,Dell,X,i5,8,256,2018,Lyon\n",
    )
    report = run(db_session, org, header + b"T1,SN-1,,,,,,,,Grenoble\nT2,SN-2,,,,,16,,,Grenoble\n")
    assert report.updated == 2
    query = (
        sa.select(Device.serial, DeviceEvent.kind, DeviceEvent.public, DeviceEvent.state_to, DeviceEvent.changes)
        .join(DeviceEvent, DeviceEvent.device_id == Device.id)
        .where(Device.organisation_id == org.id)
        .order_by(Device.serial, DeviceEvent.id)
    )
    assert [(r.serial, r.kind.value, r.public, r.state_to) for r in db_session.execute(query)] == [
        ("SN-1", "imported", True, "registered"),
        ("SN-1", "updated", False, None),
        ("SN-2", "imported", True, "registered"),
        ("SN-2", "updated", True, None),
    ]
    last = db_session.execute(query).all()[-1]
    assert last.changes == {"location": ["Lyon", "Grenoble"], "specs.ram_gb": [8, 16]}


def test_a_failed_batch_of_new_devices_is_replayed_with_its_generated_tags(db_session: Session, org: Org) -> None:
    """A batch of new devices fails (an asset tag taken meanwhile) and is replayed row by row: the
    untagged device keeps the tag generated for the failed batch, in its row and its passport."""
    data = HEADER + b",SN-NEW,laptop,Dell,X,i5,8,256,2018\nT2,SN-2,laptop,Dell,X,i5,8,256,2018\n"

    tags_generated: list[str] = []
    generate = service.new_asset_tags

    def recording(*args: Any) -> list[str]:
        tags_generated.extend(tags := generate(*args))
        return tags

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "new_asset_tags", recording)
        report = run(db_session, org, data, progress=registers_meanwhile(db_session, org, "E", "T2"))
    assert (report.created, report.failed) == (1, 1)
    assert [(e.row, e.field) for e in report.errors] == [(3, "asset_tag")]
    new = db_session.scalar(sa.select(Device).where(Device.serial == "SN-NEW"))
    assert new is not None and tags_generated == [new.asset_tag]
    ((kind, changes),) = events_by_device(db_session, org.id)["SN-NEW"]
    assert kind == "imported" and changes == as_stored(registration_changes(values_of(new)))


@pytest.mark.parametrize("rows_per_insert", [1, 3, 100])
def test_multi_row_inserts_store_every_row_alike(
    db_session: Session, org: Org, monkeypatch: pytest.MonkeyPatch, rows_per_insert: int
) -> None:
    """SQLite gets INSERTs of several rows each: every row lands with its own values, whatever the
    number of rows per statement and the remainder of the last one."""
    monkeypatch.setattr(bulk, "SQLITE_ROWS_PER_INSERT", rows_per_insert)
    report = run(db_session, org, rows(*range(1, 8)))
    assert report.created == 7
    query = sa.select(Device.serial, Device.asset_tag).where(Device.organisation_id == org.id).order_by(Device.id)
    assert [tuple(r) for r in db_session.execute(query)] == [(f"SN-{n}", f"T{n}") for n in range(1, 8)]
    events = events_by_device(db_session, org.id)
    assert [changes["serial"] for n in range(1, 8) for _kind, changes in events[f"SN-{n}"]] == [
        [None, f"SN-{n}"] for n in range(1, 8)
    ]


def test_multi_row_inserts_keep_under_the_bound_variable_limit() -> None:
    """With an SQLite that allows few bound variables (999 before 3.32), statements hold fewer rows."""
    insert = bulk._SqliteInsert("devices", ("id", "serial"), {"version": 1})
    executed: list[tuple[str, list[Any]]] = []

    class Cursor:
        def execute(self, sql: str, params: list[Any]) -> None:
            assert sql.count("?") == len(params) <= 5
            executed.append((sql, params))

    insert.run(Cursor(), [(n, f"S{n}") for n in range(5)], variable_limit=5)
    assert [params for _sql, params in executed] == [[0, "S0", 1, "S1"], [2, "S2", 3, "S3"], [4, "S4"]]
    assert executed[0][0] == "INSERT INTO devices (id, serial, version) VALUES (?, ?, 1), (?, ?, 1)"
