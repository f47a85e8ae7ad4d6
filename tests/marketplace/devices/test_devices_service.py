"""The device service: creation, asset tags, specs, optimistic updates, lifecycle and passport."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.devices import codes, lifecycle, service
from marketplace.devices.models import Device, DeviceEvent, DeviceState, EventKind
from marketplace.errors import (
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    ValidationFailed,
)
from tests.marketplace.devices.conftest import OrgPeople, laptop


def events(session: Session, device: Device) -> list[DeviceEvent]:
    return list(
        session.scalars(sa.select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by(DeviceEvent.id))
    )


def test_create_generates_sequential_tags_per_organisation(db_session: Session, people: OrgPeople) -> None:
    org = people.organisation.id
    first = service.create_device(db_session, people.lister, organisation_id=org, **laptop())
    second = service.create_device(db_session, people.admin, organisation_id=org, **laptop())
    other = service.create_device(
        db_session, people.other_admin, organisation_id=people.other_organisation.id, **laptop()
    )
    assert (first.asset_tag, second.asset_tag) == ("RLF-000001", "RLF-000002")
    assert other.asset_tag == "RLF-000001"
    assert first.state is DeviceState.REGISTERED and first.version == 1
    [event] = events(db_session, first)
    assert event.kind is EventKind.REGISTERED and event.actor_user_id == people.lister.user_id
    assert event.changes["serial"] == [None, first.serial] and event.changes["make"] == [None, "Lenovo"]


def test_generated_tags_skip_tags_taken_by_hand(db_session: Session, people: OrgPeople) -> None:
    org = people.organisation.id
    service.create_device(db_session, people.lister, organisation_id=org, **laptop(asset_tag="RLF-000001"))
    generated = service.create_device(db_session, people.lister, organisation_id=org, **laptop())
    assert generated.asset_tag == "RLF-000002"


def test_taken_asset_tag_is_409(db_session: Session, people: OrgPeople) -> None:
    org = people.organisation.id
    service.create_device(db_session, people.lister, organisation_id=org, **laptop(asset_tag="INV-42"))
    with pytest.raises(Conflict) as info:
        service.create_device(db_session, people.lister, organisation_id=org, **laptop(asset_tag=" INV-42 "))
    assert info.value.errors == {"asset_tag": ["Already used in this organisation."]}
    # The same tag in another organisation is fine.
    service.create_device(
        db_session, people.other_admin, organisation_id=people.other_organisation.id, **laptop(asset_tag="INV-42")
    )


def test_duplicate_serial_in_one_organisation_is_409(db_session: Session, people: OrgPeople) -> None:
    org = people.organisation.id
    service.create_device(db_session, people.lister, organisation_id=org, **laptop(serial="SN-1"))
    with pytest.raises(Conflict) as info:
        service.create_device(db_session, people.lister, organisation_id=org, **laptop(serial="SN-1"))
    assert "serial" in info.value.errors


@pytest.mark.parametrize(
    ("kind", "specs", "fields"),
    [
        ("laptop", {"ram_gbs": 8}, {"specs.ram_gbs"}),
        ("laptop", {"storage_type": "floppy", "ram_gb": 8.5}, {"specs.storage_type", "specs.ram_gb"}),
        ("screen", {"size_in": 24, "resolution": "huge"}, {"specs.resolution"}),
        ("screen", {"cpu": "none"}, {"specs.cpu"}),
        ("phone", {"year": 1970}, {"specs.year"}),
        ("other", {"nested": {"a": 1}}, {"specs.nested"}),
        ("laptop", ["not", "an", "object"], {"specs"}),
    ],
)
def test_specs_errors_name_the_field(
    db_session: Session, people: OrgPeople, kind: str, specs: object, fields: set[str]
) -> None:
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Device))
    with pytest.raises(ValidationFailed) as info:
        service.create_device(
            db_session, people.lister, organisation_id=people.organisation.id, **laptop(kind=kind, specs=specs)
        )
    assert set(info.value.errors) == fields
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == before


def test_specs_are_cleaned(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(
        db_session,
        people.lister,
        organisation_id=people.organisation.id,
        **laptop(specs={"cpu": " i7 ", "ram_gb": "8", "storage_type": "SSD", "gpu": None}),
    )
    assert device.specs == {"cpu": "i7", "ram_gb": 8, "storage_type": "ssd"}


@pytest.mark.parametrize("who", ["technician", "member", "other_admin"])
def test_only_listers_and_admins_create(db_session: Session, people: OrgPeople, who: str) -> None:
    with pytest.raises(Forbidden):
        service.create_device(db_session, getattr(people, who), organisation_id=people.organisation.id, **laptop())


def test_bench_and_anonymous_cannot_create(db_session: Session, people: OrgPeople) -> None:
    with pytest.raises(Forbidden):
        service.create_device(db_session, people.bench, organisation_id=people.organisation.id, **laptop())
    with pytest.raises(Unauthorized):
        service.create_device(db_session, None, organisation_id=people.organisation.id, **laptop())


def test_find_device_for_upsert(db_session: Session, people: OrgPeople) -> None:
    org = people.organisation.id
    a = service.create_device(db_session, people.lister, organisation_id=org, **laptop(serial="S-A"))
    b = service.create_device(db_session, people.lister, organisation_id=org, **laptop(serial="S-B"))
    assert service.find_device_for_upsert(db_session, org, serial="S-A") is a
    assert service.find_device_for_upsert(db_session, org, asset_tag=b.asset_tag) is b
    assert service.find_device_for_upsert(db_session, org, serial="S-B", asset_tag=b.asset_tag) is b
    assert service.find_device_for_upsert(db_session, org, serial="nope") is None
    assert service.find_device_for_upsert(db_session, people.other_organisation.id, serial="S-A") is None
    with pytest.raises(Conflict):
        service.find_device_for_upsert(db_session, org, serial="S-A", asset_tag=b.asset_tag)


def test_update_needs_the_current_version(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    with pytest.raises(PreconditionRequired):
        service.update_device(db_session, people.lister, device.id, {"location": "B12"}, expected_version=None)
    updated = service.update_device(db_session, people.lister, device.id, {"location": "B12"}, expected_version=1)
    assert updated.version == 2
    # A second writer who read version 1 loses: their change is refused, not applied.
    with pytest.raises(PreconditionFailed):
        service.update_device(db_session, people.admin, device.id, {"location": "C3"}, expected_version=1)
    assert db_session.get(Device, device.id).location == "B12"  # type: ignore[union-attr]


def test_update_records_field_changes(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    old_serial = device.serial
    service.update_device(
        db_session,
        people.admin,
        device.id,
        {"model": "ThinkPad T490", "serial": "NEW-1", "cosmetic_grade": "good"},
        expected_version=1,
    )
    event = events(db_session, device)[-1]
    assert event.kind is EventKind.UPDATED
    assert event.changes == {
        "model": ["ThinkPad T480", "ThinkPad T490"],
        "serial": [old_serial, "NEW-1"],
        "cosmetic_grade": [None, "good"],
    }
    assert event.actor_user_id == people.admin.user_id


def test_kind_change_revalidates_specs(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    with pytest.raises(ValidationFailed) as info:
        service.update_device(db_session, people.lister, device.id, {"kind": "screen"}, expected_version=1)
    assert "specs.cpu" in info.value.errors
    assert device.kind.value == "laptop" and device.version == 1


def test_outsiders_get_404(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    with pytest.raises(NotFound):
        service.get_device(db_session, people.other_admin, device.id)
    with pytest.raises(NotFound):
        service.update_device(db_session, people.other_admin, device.id, {"location": "x"}, expected_version=1)
    with pytest.raises(Forbidden):
        service.update_device(db_session, people.technician, device.id, {"location": "x"}, expected_version=1)
    assert service.get_device(db_session, people.member, device.id) is device
    assert service.get_device(db_session, people.staff, device.id) is device


def test_repair_cycle(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    service.start_repair(db_session, people.technician, device.id, parts=["battery"], notes="swollen")
    assert device.state is DeviceState.IN_REPAIR
    with pytest.raises(InvalidState) as info:
        service.start_repair(db_session, people.technician, device.id, parts=["battery"])
    assert "allowed from in_repair: diagnosed, registered, retired" in info.value.detail
    service.complete_repair(db_session, people.technician, device.id, parts=["battery 45N1001"])
    assert device.state is DeviceState.REGISTERED
    kinds = [(e.kind, e.state_from, e.state_to) for e in events(db_session, device)]
    assert kinds[1:] == [
        (EventKind.REPAIR_STARTED, "registered", "in_repair"),
        (EventKind.REPAIRED, "in_repair", "registered"),
    ]
    with pytest.raises(InvalidState):
        service.complete_repair(db_session, people.technician, device.id)


def test_retire(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    disposal = {"method": "recycled", "recycler": "Envie 69", "certificate_ref": "CERT-1", "weee_category": 6}
    with pytest.raises(Forbidden):
        service.retire_device(db_session, people.technician, device.id, disposal=disposal)
    service.retire_device(db_session, people.admin, device.id, disposal=disposal)
    assert device.state is DeviceState.RETIRED and device.disposal == disposal
    assert events(db_session, device)[-1].data == {"disposal": disposal}
    with pytest.raises(InvalidState) as info:
        service.retire_device(db_session, people.admin, device.id, disposal=disposal)
    assert "none" in info.value.detail
    with pytest.raises(InvalidState):
        service.update_device(db_session, people.admin, device.id, {"location": "x"}, expected_version=device.version)


def test_importer_event_kind_and_staff_errors(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(
        db_session,
        people.staff,
        organisation_id=people.organisation.id,
        source_event=EventKind.IMPORTED,
        **laptop(),
    )
    [event] = events(db_session, device)
    assert event.kind is EventKind.IMPORTED and event.state_to == "registered"
    with pytest.raises(ValidationFailed) as info:
        service.create_device(db_session, people.staff, organisation_id=10**6, **laptop())
    assert set(info.value.errors) == {"organisation_id"}
    with pytest.raises(Forbidden):  # an outsider learns nothing about which ids exist
        service.create_device(db_session, people.other_admin, organisation_id=10**6, **laptop())


def test_blank_required_text_is_refused(db_session: Session, people: OrgPeople) -> None:
    with pytest.raises(ValidationFailed) as info:
        service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop(serial="  "))
    assert set(info.value.errors) == {"serial"}


def _diagnosed(session: Session, device: Device, grade: str = "B") -> None:
    """What the diagnostics upload does to a device (another domain), enough for these tests."""
    lifecycle.transition(device, DeviceState.DIAGNOSED)
    device.grade = grade
    session.flush()


def test_a_graded_device_returns_to_diagnosed_after_repair(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    _diagnosed(db_session, device, "D")
    service.start_repair(db_session, people.technician, device.id, parts=["SSD"])
    service.complete_repair(db_session, people.technician, device.id)
    assert device.state is DeviceState.DIAGNOSED
    # …unless the technician wants it diagnosed again (a disk was swapped).
    service.start_repair(db_session, people.technician, device.id, parts=["SSD"])
    service.complete_repair(db_session, people.technician, device.id, return_to=DeviceState.REGISTERED)
    assert device.state is DeviceState.REGISTERED
    event = events(db_session, device)[-1]
    assert (event.kind, event.state_from, event.state_to) == (EventKind.REPAIRED, "in_repair", "registered")
    assert event.data == {"parts": []}


def test_a_listed_device_is_not_repaired_nor_retired_behind_its_listing(db_session: Session, people: OrgPeople) -> None:
    device = service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop())
    _diagnosed(db_session, device)
    lifecycle.transition(device, DeviceState.LISTED)
    db_session.flush()
    count = len(events(db_session, device))
    with pytest.raises(InvalidState) as info:
        service.start_repair(db_session, people.technician, device.id)
    assert "withdraw its listing first" in info.value.detail
    assert "allowed from listed: diagnosed, in_repair, on_loan, reserved, retired" in info.value.detail
    with pytest.raises(InvalidState):
        service.retire_device(
            db_session,
            people.admin,
            device.id,
            disposal={"method": "recycled", "recycler": "x", "certificate_ref": "y"},
        )
    assert device.state is DeviceState.LISTED and len(events(db_session, device)) == count


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cosmetic_grade": "mint"}, "cosmetic_grade"),
        ({"make": "x" * 121}, "make"),
        ({"serial": "S" * 121}, "serial"),
        ({"asset_tag": "T" * 65}, "asset_tag"),
        ({"kind": "toaster"}, "kind"),
    ],
)
def test_service_callers_get_field_errors_not_database_errors(
    db_session: Session, people: OrgPeople, overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        service.create_device(db_session, people.lister, organisation_id=people.organisation.id, **laptop(**overrides))
    assert set(info.value.errors) == {field}


def test_new_registration_is_the_device_and_its_first_event_as_plain_values() -> None:
    """The one registration the API and the bulk importer share: cleaned fields, validated specs,
    a public code, and the passport changes of exactly those values."""
    registration = service.new_registration(
        **{**laptop(), "make": "  Lenovo ", "location": "   ", "cosmetic_grade": "good", "asset_tag": None}
    )
    values = registration.values
    assert set(values) == set(service.REGISTRATION_COLUMNS)
    assert values["make"] == "Lenovo" and values["location"] is None
    assert values["kind"] == "laptop" and values["cosmetic_grade"] == "good"
    assert codes.PATTERN.fullmatch(values["public_code"])
    assert values["asset_tag"] is None and "asset_tag" not in registration.event_changes
    assert registration.event_changes == service.registration_changes(values)
    assert "public_code" not in registration.event_changes

    tagged = registration.with_asset_tag("RLF-000007")
    assert tagged.values == {**values, "asset_tag": "RLF-000007"}
    assert tagged.event_changes["asset_tag"] == (None, "RLF-000007")
    assert list(tagged.event_changes) == [f for f in service.UPDATABLE_FIELDS if f in tagged.event_changes]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"make": "  "}, "make"),
        ({"serial": None}, "serial"),
        ({"model": "x" * 201}, "model"),
        ({"kind": "toaster"}, "kind"),
        ({"cosmetic_grade": "Z"}, "cosmetic_grade"),
    ],
)
def test_new_registration_refuses_bad_fields_by_name(override: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        service.new_registration(**{**laptop(), **override})  # type: ignore[arg-type]
    assert field in info.value.errors


def test_created_device_is_its_registration(db_session: Session, people: OrgPeople) -> None:
    """create_device writes what new_registration gives: the event's changes are those values."""
    device = service.create_device(
        db_session, people.lister, organisation_id=people.organisation.id, **laptop(notes=" n ")
    )
    [event] = events(db_session, device)
    snapshot = {f: getattr(device, f) for f in service.UPDATABLE_FIELDS}
    snapshot = {k: (v.value if hasattr(v, "value") else v) for k, v in snapshot.items()}
    assert snapshot["notes"] == "n"
    assert event.changes == {k: list(v) for k, v in service.registration_changes(snapshot).items()}
    assert codes.PATTERN.fullmatch(device.public_code)


def test_public_codes_use_every_symbol_in_every_position() -> None:
    """A label's code draws each of its symbols from the whole alphabet: a mapping of random
    bytes that lost symbols, or fixed a position, would make codes easier to guess."""
    drawn = [codes.new_public_code() for _ in range(3000)]
    assert all(codes.PATTERN.fullmatch(code) for code in drawn)
    assert len(set(drawn)) == len(drawn)
    for position in range(codes.LENGTH):
        assert {code[position] for code in drawn} == set(codes.ALPHABET)
