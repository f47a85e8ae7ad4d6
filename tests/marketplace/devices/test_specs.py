"""Specs per device kind: what each kind accepts, how values are cleaned, how errors are named."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from marketplace.devices.models import DeviceKind
from marketplace.devices.specs import allowed_keys, validate_specs
from marketplace.errors import ValidationFailed


def errors_of(kind: str, data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as info:
        validate_specs(kind, data)
    return info.value.errors


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "laptop",
            {
                "cpu": "Intel Core i7-8650U",
                "cpu_cores": "4",
                "ram_gb": 16.0,
                "storage_gb": 512,
                "storage_type": " SSD ",
            },
            {"cpu": "Intel Core i7-8650U", "cpu_cores": 4, "ram_gb": 16, "storage_gb": 512, "storage_type": "ssd"},
        ),
        (
            "laptop",
            {"screen_in": "14", "webcam": "yes", "os": "Debian 12"},
            {"screen_in": 14.0, "webcam": True, "os": "Debian 12"},
        ),
        ("desktop", {"form_factor": "SFF", "optical_drive": False}, {"form_factor": "sff", "optical_drive": False}),
        (
            "server",
            {"form_factor": "rack_2u", "cpu_sockets": 2, "drive_bays": 8},
            {"form_factor": "rack_2u", "cpu_sockets": 2, "drive_bays": 8},
        ),
        (
            "screen",
            {"size_in": 23.8, "resolution": "1920x1080", "panel": "IPS", "inputs": ["HDMI", " VGA "], "refresh_hz": 60},
            {"size_in": 23.8, "resolution": "1920x1080", "panel": "ips", "inputs": ["hdmi", "vga"], "refresh_hz": 60},
        ),
        ("phone", {"storage_gb": 128, "ram_gb": 6, "screen_in": 6.1, "year": 2021, "cellular": True}, None),
        ("tablet", {"storage_gb": 64, "os": "iPadOS 17"}, None),
        (
            "other",
            {"what": "docking station", "ports": 6, "usb_c": True, "note": None},
            {"what": "docking station", "ports": 6, "usb_c": True},
        ),
        ("laptop", None, {}),
        ("laptop", {"gpu": None, "cpu": ""}, {}),
    ],
)
def test_valid_specs_are_cleaned(kind: str, data: dict[str, Any] | None, expected: dict[str, Any] | None) -> None:
    assert validate_specs(kind, data) == (data if expected is None else expected)


@pytest.mark.parametrize(
    ("kind", "data", "fields"),
    [
        ("laptop", {"ram": 8}, {"specs.ram"}),
        ("laptop", {"size_in": 24}, {"specs.size_in"}),  # a screen's key on a laptop
        ("desktop", {"screen_in": 15.6}, {"specs.screen_in"}),
        ("screen", {"ram_gb": 8}, {"specs.ram_gb"}),
        ("phone", {"imei": "356938035643809"}, {"specs.imei"}),  # an identifier, never a spec
        ("laptop", {"ram_gb": 8.5}, {"specs.ram_gb"}),  # refused, not truncated
        ("laptop", {"ram_gb": True}, {"specs.ram_gb"}),
        ("laptop", {"ram_gb": -4, "cpu_cores": 0}, {"specs.ram_gb", "specs.cpu_cores"}),
        ("laptop", {"cpu": "x" * 121}, {"specs.cpu"}),
        ("laptop", {"storage_type": "tape"}, {"specs.storage_type"}),
        ("laptop", {"year": 1975}, {"specs.year"}),
        ("laptop", {"year": dt.datetime.now(dt.UTC).year + 2}, {"specs.year"}),
        ("screen", {"resolution": "1920*1080"}, {"specs.resolution"}),
        ("screen", {"inputs": ["hdmi", "scart"]}, {"specs.inputs.1"}),
        ("other", {"bad key": 1}, {"specs.bad key"}),
        ("other", {"long": "x" * 201}, {"specs.long"}),
        ("other", {"list": [1, 2]}, {"specs.list"}),
        ("other", {f"k{i}": i for i in range(31)}, {"specs"}),
        ("laptop", "16 GB", {"specs"}),
    ],
)
def test_invalid_specs_name_each_field(kind: str, data: Any, fields: set[str]) -> None:
    assert set(errors_of(kind, data)) == fields


def test_unknown_kind_is_an_error_on_kind() -> None:
    assert set(errors_of("toaster", {})) == {"kind"}


def test_every_kind_has_a_schema_and_documented_keys() -> None:
    for kind in DeviceKind:
        validate_specs(kind, {})
    assert {"cpu", "ram_gb", "storage_gb", "storage_type", "screen_in", "gpu", "year", "os"} <= set(
        allowed_keys(DeviceKind.LAPTOP)
    )
    assert "screen_in" not in allowed_keys(DeviceKind.DESKTOP)
    assert {"size_in", "resolution", "panel", "inputs"} <= set(allowed_keys(DeviceKind.SCREEN))
    assert allowed_keys(DeviceKind.OTHER) == []


def test_the_demo_catalogue_specs_are_valid() -> None:
    from marketplace.demo.catalogue import DEVICES

    for device in DEVICES:
        assert validate_specs(device.kind, device.specs) == device.specs, device.model
