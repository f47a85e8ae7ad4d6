"""A fast path for loading flat query-string schemas, for hot read endpoints (the catalogue search).

marshmallow's ``Schema.load`` walks every declared field on every call (19 for the search, most
of them absent), wraps each in error handling and runs its hooks: about as long as the search's
own Python work. Yet nearly every real query string is plain: known keys, enum values spelled
exactly, small decimal numbers. ``FastLoader`` turns such input into the very same result
with a precomputed converter per field, using the schema's own validator objects, and says
``None`` to anything else (an unknown key, a missing required field, a value not in its plain
form, a value a validator refuses). The caller then runs the real ``load``, which gives the
result or the 422 with marshmallow's messages. So the fast path can only ever agree with the
slow one; ``tests/marketplace/api/test_fastload.py`` checks that on generated query strings.

Only what a flat query schema uses is supported: ``String`` (with its validators), ``Integer``
and ``Float`` (non-strict, with validators), ``Enum`` by value, ``load_default``, and
``post_load`` hooks. A schema with any other field type, ``data_key``/``attribute``, or another
kind of hook gets no fast path (``for_schema`` returns None), which costs speed, not correctness.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma

#: Plain spellings that Python's ``int``/``float`` and marshmallow read the same way (no signs,
#: spaces, underscores, exponents, ``nan``/``inf``), short enough to stay exact.
_PLAIN_INT = re.compile(r"[0-9]{1,15}")
_PLAIN_FLOAT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,6})?")


class _NotPlain(Exception):
    """The value is not in a form the fast path reads; marshmallow must decide."""


Converter = Callable[[str], Any]


def _validated(convert: Converter, validators: list[Callable[[Any], Any]]) -> Converter:
    if not validators:
        return convert

    def run(raw: str) -> Any:
        value = convert(raw)
        for validator in validators:
            try:
                ok = validator(value)
            except ma.ValidationError:
                raise _NotPlain from None
            if ok is False:  # marshmallow treats a validator returning False as a failure
                raise _NotPlain
        return value

    return run


def _string(raw: str) -> str:
    return raw


def _integer(raw: str) -> int:
    if _PLAIN_INT.fullmatch(raw) is None:
        raise _NotPlain
    return int(raw)


def _float(raw: str) -> float:
    if _PLAIN_FLOAT.fullmatch(raw) is None:
        raise _NotPlain
    return float(raw)


def _enum_by_value(enum_class: type[enum.Enum]) -> Converter:
    members = {str(member.value): member for member in enum_class}

    def convert(raw: str) -> enum.Enum:
        member = members.get(raw)
        if member is None:
            raise _NotPlain
        return member

    return convert


def _converter(field: ma.fields.Field[Any]) -> Converter | None:
    convert: Converter
    # Exact types: a subclass may deserialise differently.
    if type(field) is ma.fields.String:
        convert = _string
    elif type(field) is ma.fields.Integer and not field.strict:
        convert = _integer
    elif type(field) is ma.fields.Float and not field.allow_nan:
        convert = _float
    elif type(field) is ma.fields.Enum and field.by_value and all(isinstance(m.value, str) for m in field.enum):
        convert = _enum_by_value(field.enum)
    else:
        return None
    return _validated(convert, list(field.validators))


class FastLoader:
    """Loads plain inputs of one schema instance; ``None`` means "ask marshmallow"."""

    def __init__(
        self,
        schema: ma.Schema,
        converters: Mapping[str, Converter],
        defaults: Mapping[str, Any],
        required: frozenset[str],
        post_loads: list[Callable[..., Any]],
    ) -> None:
        self.schema = schema
        self.converters = converters
        self.defaults = defaults
        self.required = required
        self.post_loads = post_loads

    @classmethod
    def for_schema(cls, schema: ma.Schema) -> FastLoader | None:
        hooks = getattr(schema, "_hooks", None)  # marshmallow's registry (a defaultdict: skip empty tags)
        if hooks is None or {tag for tag, registered in hooks.items() if registered} - {"post_load"}:
            return None
        post_loads = []
        for name, pass_collection, options in hooks.get("post_load", []):
            if pass_collection or options.get("pass_original"):
                return None
            post_loads.append(getattr(schema, name))
        converters: dict[str, Converter] = {}
        defaults: dict[str, Any] = {}
        required = set()
        for name, field in schema.load_fields.items():
            convert = _converter(field)
            if convert is None or field.data_key not in (None, name) or field.attribute not in (None, name):
                return None
            if field.allow_none:  # the query string cannot carry a null; keep the rule simple
                return None
            converters[name] = convert
            if field.required:
                required.add(name)
            if field.load_default is not ma.missing:
                defaults[name] = field.load_default
        if schema.many or schema.partial or schema.only is not None or schema.exclude:
            return None
        return cls(schema, converters, defaults, frozenset(required), post_loads)

    def load(self, data: Mapping[str, str]) -> Any | None:
        """The schema's result for ``data`` (first value per key), or None if it is not plain."""
        converters = self.converters
        loaded: dict[str, Any] = {}
        try:
            for key, raw in data.items():
                convert = converters.get(key)
                if convert is None:
                    return None  # an unknown key: marshmallow's error (or EXCLUDE) applies
                loaded[key] = convert(raw)
        except _NotPlain:
            return None
        if not self.required.issubset(loaded):
            return None
        for name, default in self.defaults.items():
            if name not in loaded:
                loaded[name] = default() if callable(default) else default
        result: Any = loaded
        for post_load in self.post_loads:
            result = post_load(result, many=False, partial=None, unknown=self.schema.unknown)
        return result
