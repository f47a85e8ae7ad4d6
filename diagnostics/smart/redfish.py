"""Parse Redfish ``Drive`` resources (DMTF DSP0268 ``#Drive.v1_x_x.Drive``) as a BMC returns them
(iDRAC, iLO, XClarity, OpenBMC, Supermicro): one Drive, a collection expanded with ``$expand``
(``{"Members": [Drive, …]}``), or a JSON list of Drives saved by a script.

Read: ``Model``, ``SerialNumber``, ``Revision``, ``Manufacturer``, ``CapacityBytes``,
``Protocol`` (SATA/SAS/NVMe), ``MediaType`` (HDD/SSD), ``RotationSpeedRPM``, and the health:

* ``FailurePredicted`` → ``smart_passed`` (true → False: the drive's SMART predicts a failure;
  false → True);
* ``Status.Health`` ``Critical`` → ``smart_passed`` False when ``FailurePredicted`` is absent
  (``Warning`` leaves it unknown: BMCs say Warning for a rebuilding array or a hot spare);
* ``PredictedMediaLifeLeftPercent`` → ``endurance_used_percent`` (100 − left) for SSDs only: BMCs
  fill it with 0 or 100 for spinning drives, where it means nothing.

OEM counters BMCs add beside the standard properties are read when present, whatever the vendor
key under ``Oem``: ``SmartData.PowerOnHours`` and ``SmartData.PowerCycleCount`` (Cisco CIMC),
``MediaErrorCount`` → ``ScsiHealth.read_uncorrected`` and ``PredictiveFailureCount`` above 0 →
``smart_passed`` False (the MegaRAID controller's counters, as in ``storcli``), Dell's
``DellPhysicalDisk.PredictiveFailureState`` ``SmartAlertPresent`` → ``smart_passed`` False.

Empty bays (``Status.State`` ``Absent``) are skipped. Refuses with ``ParseError`` naming the key:
a document that is not a Drive, a drive listed twice (same serial), no drive at all, a value of
the wrong type, a percentage outside 0-100.
"""

from __future__ import annotations

from typing import Any

from diagnostics.errors import ParseError
from diagnostics.smart import _fleet
from diagnostics.smart.records import (
    DiskHealth,
    DiskIdentity,
    NvmeHealth,
    ScsiHealth,
    classify_device_type,
    plausible_hours,
)

SOURCE_FORMAT = "redfish-drive"

_DRIVE_KEYS = frozenset({"FailurePredicted", "PredictedMediaLifeLeftPercent", "MediaType", "CapacityBytes"})


def is_drive(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    odata = doc.get("@odata.type")
    if isinstance(odata, str) and odata.startswith("#Drive."):
        return True
    return len(_DRIVE_KEYS.intersection(doc)) >= 2 and "Status" in doc


def is_drive_document(doc: Any) -> bool:
    """A Drive, a collection holding a Drive (or any ``Members`` object: a collection saved without
    ``$expand``, which the parser explains), or a list holding a Drive."""
    if is_drive(doc):
        return True
    if isinstance(doc, dict):
        odata = doc.get("@odata.type")
        return "Members" in doc or (isinstance(odata, str) and odata.startswith("#DriveCollection."))
    return isinstance(doc, list) and any(is_drive(m) for m in doc)


def parse_redfish_drives(doc: Any, source: str) -> tuple[DiskHealth, ...]:
    if isinstance(doc, dict) and not is_drive(doc):
        if "Members" not in doc:
            raise ParseError(source, "JSON object is neither a Redfish Drive nor a collection of Drives (no Members)")
        members, prefix = doc["Members"], "Members"
    elif isinstance(doc, list):
        members, prefix = doc, ""
    else:
        members, prefix = [doc], None
    if not isinstance(members, list):
        raise ParseError(source, f"Members: expected a list, got {type(members).__name__}")
    disks: list[tuple[DiskHealth, str]] = []
    for index, member in enumerate(members):
        where = f"{prefix}[{index}]" if prefix is not None else "Drive"
        member = _fleet.json_object(member, where, source)
        if set(member) <= {"@odata.id"}:
            raise ParseError(
                source, f"{where}: a link only, not an expanded Drive: save the collection with ?$expand=*"
            )
        if not is_drive(member):
            raise ParseError(source, f"{where}: not a Redfish Drive (no FailurePredicted, MediaType, Status …)")
        disk = _drive(member, where, source)
        if disk is not None:
            disks.append((disk, where))
    if not disks:
        raise ParseError(source, "no drive present (every bay is Absent, or the collection is empty)")
    _fleet.check_unique(((d.identity.serial, f"{w}.SerialNumber") for d, w in disks), source, "drive")
    return tuple(d for d, _ in disks)


def _drive(drive: dict[str, Any], where: str, source: str) -> DiskHealth | None:
    status = drive.get("Status")
    status = _fleet.json_object(status, f"{where}.Status", source) if status is not None else {}
    state = _fleet.json_text(status.get("State"), f"{where}.Status.State", source)
    if state == "Absent":
        return None
    health = _fleet.json_text(status.get("Health"), f"{where}.Status.Health", source)
    predicted = _fleet.json_bool(drive.get("FailurePredicted"), f"{where}.FailurePredicted", source)
    if predicted is not None:
        passed: bool | None = not predicted
    elif health is not None and health.lower() == "critical":
        passed = False
    else:
        passed = None
    key = f"{where}.PredictedMediaLifeLeftPercent"
    life_left_value = drive.get("PredictedMediaLifeLeftPercent")
    if isinstance(life_left_value, float) and life_left_value == life_left_value:
        life_left_value = round(life_left_value)  # a float in the schema (Redfish: Decimal)
    life_left = _fleet.json_count(life_left_value, key, source)
    if life_left is not None and not 0 <= life_left <= 100:
        raise ParseError(source, f"{key}: {life_left} is not a percentage")
    media = (_fleet.json_text(drive.get("MediaType"), f"{where}.MediaType", source) or "").upper()
    protocol = (_fleet.json_text(drive.get("Protocol"), f"{where}.Protocol", source) or "").lower()
    model = _fleet.json_text(drive.get("Model"), f"{where}.Model", source)
    rotation = _fleet.json_count(drive.get("RotationSpeedRPM"), f"{where}.RotationSpeedRPM", source)
    if rotation is not None:
        rotation = round(rotation)
    if media == "SSD" and not rotation:
        rotation = 0
    oem = _oem_counters(drive.get("Oem"), f"{where}.Oem", source)
    if oem.get("predictive"):
        passed = False
    is_nvme = protocol == "nvme"
    interface = {"sata": "ata", "sas": "scsi", "nvme": "nvme", "usb": "usb"}.get(protocol, protocol or None)
    endurance = 100 - life_left if life_left is not None and media == "SSD" else None
    nvme = NvmeHealth(percentage_used=endurance) if is_nvme and endurance is not None else None
    disk = DiskHealth(
        source_format=SOURCE_FORMAT,
        identity=DiskIdentity(
            model=model,
            serial=_fleet.json_text(drive.get("SerialNumber"), f"{where}.SerialNumber", source),
            firmware=_fleet.json_text(drive.get("Revision"), f"{where}.Revision", source),
            capacity_bytes=_fleet.json_count(drive.get("CapacityBytes"), f"{where}.CapacityBytes", source),
            interface=interface,
            device_type="hdd"
            if media in {"HDD", "SMR"} and not is_nvme
            else classify_device_type(interface, rotation if media else None, model, is_nvme),
            rotation_rpm=rotation if media else None,
            vendor=_fleet.json_text(drive.get("Manufacturer"), f"{where}.Manufacturer", source),
        ),
        smart_passed=passed,
        power_on_hours=plausible_hours(oem.get("hours")),
        power_cycles=oem.get("cycles"),
        endurance_used_percent=endurance,
        nvme=nvme,
        scsi=ScsiHealth(read_uncorrected=oem["media_errors"]) if oem.get("media_errors") is not None else None,
    )
    if not disk.has_health_data:
        raise ParseError(
            source, f"{where}: no health data (no FailurePredicted, Status.Health or PredictedMediaLifeLeftPercent)"
        )
    return disk


def _oem_counters(oem: Any, where: str, source: str) -> dict[str, int | None]:
    """The vendor counters under ``Oem`` (see the module docstring); {} when there are none."""
    if oem is None:
        return {}
    oem = _fleet.json_object(oem, where, source)
    found: dict[str, int | None] = {}
    for vendor, block in oem.items():
        if not isinstance(block, dict):
            continue
        at = f"{where}.{vendor}"
        smart = block.get("SmartData")
        if isinstance(smart, dict):
            found["hours"] = _fleet.json_count(smart.get("PowerOnHours"), f"{at}.SmartData.PowerOnHours", source)
            found["cycles"] = _fleet.json_count(smart.get("PowerCycleCount"), f"{at}.SmartData.PowerCycleCount", source)
        if "MediaErrorCount" in block:
            found["media_errors"] = _fleet.json_count(block["MediaErrorCount"], f"{at}.MediaErrorCount", source)
        if "PredictiveFailureCount" in block:
            count = _fleet.json_count(block["PredictiveFailureCount"], f"{at}.PredictiveFailureCount", source)
            found["predictive"] = 1 if count else found.get("predictive")
        dell = block.get("DellPhysicalDisk")
        if isinstance(dell, dict) and dell.get("PredictiveFailureState") == "SmartAlertPresent":
            found["predictive"] = 1
    return found
