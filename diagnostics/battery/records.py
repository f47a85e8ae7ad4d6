"""The normalised battery record every battery parser produces.

Capacities are normalised to mWh where the input says mWh, or says mAh *and* gives the design
voltage (mWh = mAh x design V). Where a capacity is only known in mAh (no design voltage), the
``*_mah`` fields carry it and the ``*_mwh`` fields stay ``None``: health is then the ratio of the two
mAh values, which needs no voltage. Nothing is invented: an absent value is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BatteryHealth:
    source_format: str  # "upower", "linux-sysfs", "acpi", "tlp-stat", "windows-batteryreport-html", …
    present: bool = True
    name: str | None = None  # the OS's name for it: "BAT0", "Battery 1", "InternalBattery-0" …
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    chemistry: str | None = None  # normalised: "Li-ion", "Li-polymer", "NiMH" … or the raw code
    chemistry_raw: str | None = None
    design_capacity_mwh: float | None = None
    full_charge_capacity_mwh: float | None = None
    design_capacity_mah: float | None = None  # set only when the input gave mAh
    full_charge_capacity_mah: float | None = None
    design_voltage_mv: float | None = None
    cycle_count: int | None = None  # None when absent, unsupported, or 0 where 0 means "unsupported"
    cycle_count_raw: str | None = None  # the value as written ("0", "N/A", "-", "(not supported)")
    rated_cycles: int | None = None  # the pack's own design cycle count (macOS DesignCycleCount9C)
    state: str | None = None  # charging / discharging / full / idle … as reported (lower-case)
    charge_percent: float | None = None  # state of charge now (not health)
    reported_health_percent: float | None = None  # the tool's own full/design figure, if it prints one
    condition: str | None = None  # a vendor verdict: macOS "Normal"/"Service Recommended", sysfs HEALTH
    permanent_failure: bool | None = None  # True when the pack reports a permanent failure flag
    manufacture_date: str | None = None  # ISO date where it could be read, else as written
    host_model: str | None = None  # the machine the report came from (Windows report, system_profiler)
    notes: tuple[str, ...] = ()  # what the parser had to interpret (e.g. "cycle count 0 = not reported")

    @property
    def has_health_data(self) -> bool:
        """True when anything in the record says how healthy the battery is."""
        return (
            (self.design_capacity_mwh is not None and self.full_charge_capacity_mwh is not None)
            or (self.design_capacity_mah is not None and self.full_charge_capacity_mah is not None)
            or self.reported_health_percent is not None
            or self.condition is not None
            or self.permanent_failure is True
        )
