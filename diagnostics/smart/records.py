"""Normalised disk records produced by both smartctl parsers (JSON and text).

``parse_smartctl_json`` and ``parse_smartctl_text`` fill the same immutable records, so the
grading policy (``diagnostics.grading.disk``) is one pure function of a ``DiskHealth`` whatever the
input format. Fields are ``None`` where the report does not say; counts are plain integers taken
from raw values only when the raw value is a plain count (see ``AtaAttribute.raw_count``).

The records of plain values (ATA attribute rows, self-test entries, the identity, the NVMe and SCSI
sections) are ``typing.NamedTuple``: immutable and typed like a frozen dataclass, but built by
``tuple.__new__`` in one allocation, where a frozen dataclass's ``__init__`` calls
``object.__setattr__`` once per field (about three times the cost for a 9-field row, and a report
has a dozen rows or more). ``DiskHealth`` stays a frozen dataclass: it keeps the values it derives
from its fields in its instance ``__dict__``.

This module also holds the small number helpers both parsers share.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar, overload

#: Raw values above this are vendor-packed bit fields (several 16-bit counters in the 48-bit raw
#: field, e.g. Seagate 1/7/195, SandForce ECC counters), not counts: smartmontools wiki
#: "FAQ: Seagate raw values", ATA-8 ACS SMART attribute raw field is 6 bytes, vendor defined.
PACKED_RAW_ABOVE = 0xFFFF_FFFF

#: Attribute names smartctl prints when it does not know the drive's attribute meaning
#: (smartmontools ``drivedb.h`` default presets): their raw values cannot be interpreted.
#: (Unknown_Attribute, Unknown_SSD_Attribute, Unknown_HDD_Attribute, Unknown_Apple_Attrib …).
GUESSED_NAME_PREFIX = "Unknown_"


_V = TypeVar("_V")


def _count(index: dict[int, AtaAttribute], attr_id: int, name_parts: tuple[str, ...]) -> int | None:
    """Attribute ``attr_id``'s raw count when its name contains one of ``name_parts`` (the id alone
    is not enough: vendors reuse ids for other meanings)."""
    attr = index.get(attr_id)
    if attr is None:
        return None
    lowered = attr.name.lower()
    for part in name_parts:
        if part in lowered:
            # attr.raw_count, inlined (the properties cost more than the test)
            raw = attr.raw
            if raw is None or raw > PACKED_RAW_ABOVE or attr.name.startswith(GUESSED_NAME_PREFIX):
                return None
            return raw
    return None


class cached(Generic[_V]):
    """``functools.cached_property`` without its lock: computed on first access and stored in the
    instance ``__dict__``, where later lookups find it before this (non-data) descriptor. Python
    3.11's ``cached_property`` takes a class-wide ``RLock`` on every first access, which costs more
    than most of the values cached here; records are immutable, so a race computes the same value
    twice at worst."""

    def __init__(self, func: Callable[[Any], _V]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached[_V]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _V: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> _V | cached[_V]:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


class DiskIdentity(NamedTuple):
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    capacity_bytes: int | None = None
    interface: str | None = None  # ata | sat | nvme | scsi | usb | megaraid | …
    device_type: str = "unknown"  # hdd | ssd | nvme | unknown
    rotation_rpm: int | None = None  # 0 would mean solid state; None unknown
    form_factor: str | None = None  # e.g. '2.5 inches', 'M.2'
    vendor: str | None = None
    model_family: str | None = None


class AtaAttribute(NamedTuple):
    id: int
    name: str
    value: int | None
    worst: int | None
    thresh: int | None
    raw: int | None  # leading integer of the raw value, None if not numeric
    raw_string: str
    when_failed: str  # '' | 'FAILING_NOW' | 'In_the_past' (as smartctl prints it)
    prefailure: bool

    @property
    def failing_now(self) -> bool:
        """smartctl's own rule (``ataprint.cpp``): threshold non-zero and value at or below it."""
        if self.when_failed:
            return self.when_failed.upper().startswith("FAILING")
        return bool(self.thresh) and self.value is not None and self.value <= (self.thresh or 0)

    @property
    def failed_in_past(self) -> bool:
        """smartctl's rule: worst value at or below a non-zero threshold. A worst of 0 (or none) reads
        as not kept by the drive rather than as a past failure: some firmware leaves WORST at 0."""
        if self.when_failed:
            return self.when_failed.lower().startswith("in_the_past")
        return bool(self.thresh) and bool(self.worst) and (self.worst or 0) <= (self.thresh or 0)

    @property
    def name_is_guessed(self) -> bool:
        return self.name.startswith(GUESSED_NAME_PREFIX)

    @property
    def raw_count(self) -> int | None:
        """The raw value as an event count, or None when it is packed or not a plain number.
        (Not ``count``: that is ``tuple.count``.)"""
        if self.raw is None or self.raw > PACKED_RAW_ABOVE or self.name_is_guessed:
            return None
        return self.raw


class SelfTestEntry(NamedTuple):
    test_type: str  # 'Short offline', 'Extended offline', 'Background long', …
    status: str  # as smartctl words it
    passed: bool | None  # True completed without error; False failed; None aborted/in progress
    failure: str | None  # 'read failure', 'electrical failure', … when passed is False
    lifetime_hours: int | None = None
    lba_of_first_error: int | None = None
    remaining_percent: int | None = None

    @property
    def is_extended(self) -> bool:
        t = self.test_type.lower()
        return "extended" in t or "long" in t


class NvmeHealth(NamedTuple):
    critical_warning: int | None = None
    temperature_c: int | None = None
    available_spare: int | None = None
    available_spare_threshold: int | None = None
    percentage_used: int | None = None
    data_units_read: int | None = None
    data_units_written: int | None = None
    power_cycles: int | None = None
    power_on_hours: int | None = None
    unsafe_shutdowns: int | None = None
    media_errors: int | None = None
    num_err_log_entries: int | None = None


class ScsiHealth(NamedTuple):
    grown_defects: int | None = None
    read_uncorrected: int | None = None
    write_uncorrected: int | None = None
    verify_uncorrected: int | None = None
    read_corrected: int | None = None
    write_corrected: int | None = None
    verify_corrected: int | None = None
    non_medium_errors: int | None = None
    start_stop_cycles: int | None = None
    start_stop_cycles_rated: int | None = None
    load_unload_cycles: int | None = None
    load_unload_cycles_rated: int | None = None
    percentage_used_endurance: int | None = None
    pending_defects: int | None = None  # SBC-4 Pending Defects log: blocks that could not be read

    @property
    def uncorrected_total(self) -> int | None:
        values = [v for v in (self.read_uncorrected, self.write_uncorrected, self.verify_uncorrected) if v]
        known = (self.read_uncorrected, self.write_uncorrected, self.verify_uncorrected)
        if all(v is None for v in known):
            return None
        return sum(values)


class _AtaCount:
    """A count ``DiskHealth`` reads from its ATA attributes. The first read of any of them calls
    ``DiskHealth._read_counts``, which stores all of them in the instance ``__dict__``, where later
    reads find them before this (non-data) descriptor: one call instead of one per count."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _AtaCount: ...
    @overload
    def __get__(self, instance: DiskHealth, owner: type | None = None) -> int | None: ...
    def __get__(self, instance: DiskHealth | None, owner: type | None = None) -> int | _AtaCount | None:
        if instance is None:
            return self
        instance._read_counts()
        value: int | None = instance.__dict__[self.name]
        return value


@dataclass(frozen=True)
class DiskHealth:
    """One drive's SMART data, normalised from smartctl JSON or text output."""

    source_format: str  # 'smartctl-json' | 'smartctl-text'
    identity: DiskIdentity
    smartctl_version: str | None = None
    smart_supported: bool | None = None
    smart_passed: bool | None = None
    power_on_hours: int | None = None
    power_cycles: int | None = None
    temperature_c: int | None = None
    attributes: tuple[AtaAttribute, ...] = ()
    nvme: NvmeHealth | None = None
    scsi: ScsiHealth | None = None
    self_tests: tuple[SelfTestEntry, ...] = ()  # most recent first
    endurance_used_percent: int | None = None  # ATA device statistics 'Percentage Used Endurance'
    ata_error_count: int | None = None  # ATA error log: errors the drive recorded over its life

    @cached
    def _attribute_index(self) -> dict[int, AtaAttribute]:
        # Stored in the instance __dict__ (works on a frozen dataclass; eq/repr use the declared
        # fields only). First occurrence wins: built from the end, earlier rows overwrite later ones.
        return {attr.id: attr for attr in reversed(self.attributes)}

    def attribute(self, attr_id: int) -> AtaAttribute | None:
        return self._attribute_index.get(attr_id)

    # Counts read from the ATA attributes (``_AtaCount``): the first read of any of them reads all.
    reallocated_sectors = _AtaCount()
    pending_sectors = _AtaCount()
    offline_uncorrectable = _AtaCount()
    reported_uncorrectable = _AtaCount()
    load_cycles = _AtaCount()  # SMART 193, else the SCSI load/unload counter

    def _read_counts(self) -> None:
        if not self.attributes:  # NVMe, SCSI: no ATA counts
            load_cycles = self.scsi.load_unload_cycles if self.scsi is not None else None
            self.__dict__.update(
                reallocated_sectors=None,
                pending_sectors=None,
                offline_uncorrectable=None,
                reported_uncorrectable=None,
                load_cycles=load_cycles,
            )
            return
        index = self._attribute_index
        load_cycles = _count(index, 193, ("load",))
        if load_cycles is None and self.scsi is not None:
            load_cycles = self.scsi.load_unload_cycles
        self.__dict__.update(
            reallocated_sectors=_count(index, 5, ("realloc", "retired")),
            pending_sectors=_count(index, 197, ("pending",)),
            offline_uncorrectable=_count(index, 198, ("uncorrect",)),
            reported_uncorrectable=_count(index, 187, ("uncorrect",)),
            load_cycles=load_cycles,
        )

    @cached
    def has_health_data(self) -> bool:
        return bool(
            self.smart_passed is not None
            or self.attributes
            or self.nvme is not None
            or self.scsi is not None
            or self.self_tests
        )


#: A leading integer: optional sign, a run of digits, then the groups of exactly three digits that
#: each follow one thousands separator (locale: ',', '.', "'", spaces). The first separator not
#: followed by exactly three digits ends it (a decimal mark, or text). Possessive: one pass, no
#: backtracking.
_INT_RE = re.compile(r"([-+]?)(\d++)((?:[,.' \u00a0\u202f]\d{3}(?!\d))*+)")
_DROP_SEPARATORS = str.maketrans("", "", ",.' \u00a0\u202f")


def parse_int(text: str | None) -> int | None:
    """Leading integer of ``text``, tolerating the thousands separators smartctl prints by locale
    ('1,954,515', '1.954.515', '12 000 138 625 024', "1'234"). Returns None when there is none.

    A separator followed by other than three digits is a decimal mark ('38280,02' → 38280,
    '38280.5' → 38280); three digits after it read as a thousands group ('38280,029' → 38280029).
    """
    if not text:
        return None
    if text.isdecimal():  # a plain count (what \d matches, so the same digits): no search needed
        return int(text) if len(text) <= 30 else None
    m = _INT_RE.search(text)
    if m is None:
        return None
    sign, digits, groups = m.groups()
    if groups:
        digits += groups.translate(_DROP_SEPARATORS)
    if len(digits) > 30:  # no smartctl count has more digits
        return None
    return -int(digits) if sign == "-" else int(digits)


#: No drive has been powered for 17 years straight; a larger Power_On_Hours raw value is a unit the
#: smartctl database did not know (minutes, half-minutes: smartmontools ``-v 9,minutes`` presets).
PLAUSIBLE_MAX_POWER_ON_HOURS = 150_000

#: Attributes only a spinning drive has (ATA-8 / smartmontools attribute names): spin-up, seek, load.
_MECHANICAL_NAMES = (
    "Spin_Up_Time",
    "Spin_Retry_Count",
    "Seek_Error_Rate",
    "Load_Cycle_Count",
    "Head_Flying_Hours",
    "Calibration_Retry_Count",
    "Power-Off_Retract_Count",
)
_SSD_NAMES = (
    "Wear_Leveling",
    "Media_Wearout",
    "SSD_Life_Left",
    "Percent_Lifetime",
    "Total_LBAs_Written",
    "Host_Writes",
    "NAND",
    "Erase_Fail",
    "Program_Fail",
    "Lifetime_Remain",
    "Perc_Rated_Life",
)


def plausible_hours(hours: int | None) -> int | None:
    if hours is None or hours < 0 or hours > PLAUSIBLE_MAX_POWER_ON_HOURS:
        return None
    return hours


def classify_device_type(
    interface: str | None,
    rotation_rpm: int | None,
    model: str | None,
    is_nvme: bool,
    attributes: tuple[AtaAttribute, ...] = (),
) -> str:
    """hdd | ssd | nvme | unknown from what the report states: rotation rate first, then the model
    name, then which attributes exist (old smartctl 5.x never printed a rotation rate)."""
    if is_nvme:
        return "nvme"
    if rotation_rpm is not None:
        return "ssd" if rotation_rpm == 0 else "hdd"
    if model and _SSD_MODEL_RE.search(model):
        return "ssd"
    names = "\n".join(a.name for a in attributes)
    if _SSD_NAME_RE.search(names):
        return "ssd"
    if _MECHANICAL_NAME_RE.search(names):
        return "hdd"
    return "unknown"


_SSD_MODEL_RE = re.compile(r"\bSSD|SSD\b|Solid State|\bMZ[0-9A-Z]", re.IGNORECASE)
_SSD_NAME_RE = re.compile("|".join(map(re.escape, _SSD_NAMES)))
_MECHANICAL_NAME_RE = re.compile("^(?:" + "|".join(map(re.escape, _MECHANICAL_NAMES)) + ")$", re.MULTILINE)
