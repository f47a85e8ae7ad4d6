"""Device specs: a JSON column validated per device kind by a marshmallow schema.

Specs stay a JSON document (no per-kind tables, no runtime DDL); what may go in it is fixed
here, per kind. Unknown keys are refused so a typo (``ram_gbs``) never lands silently in the
inventory; the error names the field as ``specs.<key>``.

``validate_specs(kind, data)`` is the one entry point: the device service and the bulk
importer call it. It returns the cleaned document (strings stripped, enumerations lower-case,
empty values dropped) or raises ``ValidationFailed``. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from marketplace.api.fields import AsciiNumbers
from marketplace.devices.models import DeviceKind
from marketplace.errors import ValidationFailed

#: Storage technologies a buyer filters on ("mixed": an SSD plus an HDD, as in many desktops).
STORAGE_TYPES = ("hdd", "ssd", "nvme", "mixed")
#: Screen panel technologies.
PANEL_TYPES = ("ips", "va", "tn", "oled", "other")
#: Video inputs of a screen.
SCREEN_INPUTS = ("hdmi", "displayport", "mini_displayport", "usb_c", "thunderbolt", "dvi", "vga")
DESKTOP_FORM_FACTORS = ("tower", "sff", "usff", "all_in_one")
SERVER_FORM_FACTORS = ("tower", "rack_1u", "rack_2u", "rack_3u", "rack_4u", "blade")

#: The first personal computers worth listing are well after this; it catches "0" and "19" typos.
MIN_YEAR = 1980

#: Bounds of the free-form specs of ``other`` devices: small and flat.
OTHER_MAX_KEYS = 30
OTHER_MAX_KEY_LENGTH = 64
OTHER_MAX_TEXT_LENGTH = 200


def _text(max_length: int = 120) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(min=1, max=max_length), allow_none=True)


def _choice(choices: tuple[str, ...]) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.OneOf(choices), allow_none=True)


#: A whole number written in a CSV cell or a JSON string: ASCII digits (``str.isdigit`` also takes
#: ``٨`` or ``８``, and ``int()`` reads them), and few enough that ``int()`` is cheap and bounded.
_WHOLE = re.compile(r"-?[0-9]{1,15}")


class WholeNumber(ma.fields.Integer):
    """An integer, also given as ``"8"`` or ``8.0`` (CSV imports); ``8.5`` is refused, not truncated."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            value = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


def _int(low: int, high: int) -> ma.fields.Integer:
    return WholeNumber(validate=ma.validate.Range(min=low, max=high), allow_none=True)


def _inches(low: float, high: float) -> ma.fields.Float:
    return ma.fields.Float(validate=ma.validate.Range(min=low, max=high), allow_none=True)


def _not_in_future(value: int | None) -> None:
    # Next year's models are sold from the autumn before.
    if value is not None and value > dt.datetime.now(dt.UTC).year + 1:
        raise ma.ValidationError("Must not be in the future.")


def _year() -> ma.fields.Integer:
    return WholeNumber(
        validate=[ma.validate.Range(min=MIN_YEAR, error=f"Must be {MIN_YEAR} or later."), _not_in_future],
        allow_none=True,
    )


class _SpecsSchema(AsciiNumbers, ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _normalise(self, data: Any, **_kwargs: Any) -> Any:
        """Strip strings (blank ones become null); lower-case enumerated values (``SSD`` → ``ssd``)."""
        if not isinstance(data, Mapping):
            return data
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip() or None  # an empty cell is an unknown spec, not a value
                field = self.fields.get(key)
                if value and field is not None and any(isinstance(v, ma.validate.OneOf) for v in field.validators):
                    value = value.lower()
            cleaned[key] = value
        return cleaned


class ComputerSpecsSchema(_SpecsSchema):
    """What buyers filter a computer on; every field optional."""

    cpu = _text()
    cpu_cores = _int(1, 1024)
    cpu_threads = _int(1, 4096)
    ram_gb = _int(0, 65536)
    storage_gb = _int(0, 10_000_000)
    storage_type = _choice(STORAGE_TYPES)
    gpu = _text()
    year = _year()
    os = _text()


class LaptopSpecsSchema(ComputerSpecsSchema):
    screen_in = _inches(7, 21)
    resolution = _text(32)
    keyboard_layout = _text(32)
    webcam = ma.fields.Boolean(allow_none=True)


class DesktopSpecsSchema(ComputerSpecsSchema):
    form_factor = _choice(DESKTOP_FORM_FACTORS)
    optical_drive = ma.fields.Boolean(allow_none=True)


class ServerSpecsSchema(ComputerSpecsSchema):
    form_factor = _choice(SERVER_FORM_FACTORS)
    cpu_sockets = _int(1, 16)
    drive_bays = _int(0, 256)
    power_supplies = _int(0, 8)
    remote_management = _text(60)


class ScreenSpecsSchema(_SpecsSchema):
    size_in = _inches(7, 110)
    resolution = ma.fields.String(
        validate=ma.validate.Regexp(r"^[1-9][0-9]{2,4}x[1-9][0-9]{2,4}$", error="Width x height, e.g. 1920x1080."),
        allow_none=True,
    )
    panel = _choice(PANEL_TYPES)
    refresh_hz = _int(24, 1000)
    inputs = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(SCREEN_INPUTS)), allow_none=True)
    height_adjustable = ma.fields.Boolean(allow_none=True)
    year = _year()

    @ma.pre_load
    def _lower_inputs(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("inputs"), list):
            data = dict(data)
            data["inputs"] = [v.strip().lower() if isinstance(v, str) else v for v in data["inputs"]]
        return data


class MobileSpecsSchema(_SpecsSchema):
    """Phones and tablets. No IMEI here: like a serial, it is an identifier, never a spec."""

    storage_gb = _int(0, 100_000)
    ram_gb = _int(0, 1024)
    screen_in = _inches(2, 20)
    year = _year()
    os = _text()
    cellular = ma.fields.Boolean(allow_none=True)
    colour = _text(40)


class OtherSpecsSchema(_SpecsSchema):
    """Free keys for anything else, kept small and flat: up to 30 keys of letters, digits and
    underscores, each a short text, a number, a boolean or null."""

    class Meta:
        unknown = ma.INCLUDE

    @ma.validates_schema(pass_original=True)
    def _bounded(self, _data: Any, original: Any, **_kwargs: Any) -> None:
        if not isinstance(original, Mapping):
            return
        if len(original) > OTHER_MAX_KEYS:
            raise ma.ValidationError(f"At most {OTHER_MAX_KEYS} keys.", "_schema")
        errors: dict[str, list[str]] = {}
        for key, value in original.items():
            if not isinstance(key, str) or not key.isidentifier() or not key.isascii() or len(key) > 64:
                errors[str(key)[:80]] = [f"Keys are letters, digits and _ (at most {OTHER_MAX_KEY_LENGTH})."]
            elif isinstance(value, str) and len(value) > OTHER_MAX_TEXT_LENGTH:
                errors[key] = [f"At most {OTHER_MAX_TEXT_LENGTH} characters."]
            elif not (value is None or isinstance(value, str | int | float | bool)):
                errors[key] = ["A text, a number, a boolean or null."]
        if errors:
            raise ma.ValidationError(errors)


SPECS_SCHEMAS: dict[DeviceKind, type[_SpecsSchema]] = {
    DeviceKind.LAPTOP: LaptopSpecsSchema,
    DeviceKind.DESKTOP: DesktopSpecsSchema,
    DeviceKind.SERVER: ServerSpecsSchema,
    DeviceKind.SCREEN: ScreenSpecsSchema,
    DeviceKind.PHONE: MobileSpecsSchema,
    DeviceKind.TABLET: MobileSpecsSchema,
    DeviceKind.OTHER: OtherSpecsSchema,
}

_INSTANCES = {kind: schema() for kind, schema in SPECS_SCHEMAS.items()}


def _flatten(messages: Any, prefix: str) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}"
            for sub, msgs in _flatten(value, path).items():
                flat.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for sub, msgs in _flatten(item, prefix).items():
                flat.setdefault(sub, []).extend(msgs)
    else:
        flat[prefix] = [str(messages)]
    return flat


def validate_specs(kind: DeviceKind | str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The cleaned specs of a ``kind`` device, or ``ValidationFailed`` with errors keyed
    ``specs.<field>`` (``specs`` itself when the document is not an object).

    Null values are dropped: a spec is either known or absent.
    """
    try:
        kind = DeviceKind(kind)
    except ValueError:
        raise ValidationFailed("Unknown device kind.", errors={"kind": [f"Not a device kind: {kind}."]}) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValidationFailed("The specs are not valid.", errors={"specs": ["Must be an object."]})
    try:
        loaded: dict[str, Any] = _INSTANCES[kind].load(data)
    except ma.ValidationError as exc:
        errors = _flatten(exc.messages, "specs")
        raise ValidationFailed(
            f"The {kind.value} specs are not valid: {', '.join(sorted(errors))}.", errors=errors
        ) from None
    return {key: value for key, value in loaded.items() if value is not None and value != ""}


def allowed_keys(kind: DeviceKind) -> list[str]:
    """The spec keys a kind accepts (empty for ``other``, whose keys are free)."""
    if kind is DeviceKind.OTHER:
        return []
    return list(SPECS_SCHEMAS[kind]().fields)
