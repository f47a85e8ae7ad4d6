"""The fast path for query-string schemas can only agree with marshmallow, or step aside."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.api.fastload import FastLoader
from marketplace.devices.models import CosmeticGrade, DeviceKind
from marketplace.listings import schemas, service
from marketplace.listings.models import ListingMode, ListingStatus
from marketplace.members.models import OrganisationKind

SCHEMAS = [schemas.ListingQueryArgsSchema(), schemas.ListingFilterArgsSchema()]

#: Values as people and programs spell them: plain, odd and wrong.
_ENUM_VALUES = [m.value for e in (DeviceKind, ListingMode, CosmeticGrade, OrganisationKind, ListingStatus) for m in e]
_NUMBERS = ["0", "1", "20", "100", "101", "007", "2147483647", "2147483648", "99999999999999999", "1.5", "0.25"]
_ODD = ["", " ", " 5", "5 ", "+5", "-1", "1_000", "1e3", "nan", "inf", "٣", "5.", ".5", "1.2.3", "True", "A", "a"]
_ODD += ["B", "F", "price", "-price", "grade", "newest", "69", "2A", "974", "6", "thinkpad x1", "a\x01b", "é"]
_WORDS = st.sampled_from(_ENUM_VALUES + _NUMBERS + _ODD) | st.text(max_size=12)


def _keys(schema: ma.Schema) -> list[str]:
    return [*schema.load_fields, "unknown", "Kind", "limit "]


def _slow(schema: ma.Schema, data: dict[str, str]) -> tuple[bool, Any]:
    try:
        return True, schema.load(data, unknown=ma.RAISE)
    except ma.ValidationError as error:
        return False, error.messages


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: type(s).__name__)
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_fast_result_equals_marshmallow_or_steps_aside(schema: ma.Schema, data: st.DataObject) -> None:
    loader = FastLoader.for_schema(schema)
    assert loader is not None
    keys = data.draw(st.lists(st.sampled_from(_keys(schema)), max_size=6, unique=True))
    values = {key: data.draw(_WORDS) for key in keys}
    fast = loader.load(values)
    if fast is not None:
        assert _slow(schema, values) == (True, fast)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "limit=20",
        "sort=price&kind=laptop&min_grade=B&price_max=30000&limit=20",
        "sort=newest&kind=desktop&mode=donation&limit=20",
        "sort=price&q=thinkpad&limit=20&cursor=WyJwcmljZSIsMCw4MDhd",
        "ram_min=7.5&storage_min=256&battery_min=80&department=2A&organisation_kind=university",
        "status=closed&organisation_id=12&cpu=i5-8250U",
    ],
)
def test_plain_catalogue_queries_take_the_fast_path(query: str) -> None:
    schema = schemas.ListingQueryArgsSchema()
    loader = FastLoader.for_schema(schema)
    assert loader is not None
    values = dict(parse_qsl(query))
    fast = loader.load(values)
    assert isinstance(fast, service.SearchQuery)
    assert fast == schema.load(values)


@pytest.mark.parametrize(
    "query",
    ["limit=101", "limit=0", "limit= 5", "kind=Laptop", "min_grade=E", "sort=cheapest", "q=", "colour=red"],
)
def test_what_marshmallow_refuses_is_left_to_marshmallow(query: str) -> None:
    loader = FastLoader.for_schema(schemas.ListingQueryArgsSchema())
    assert loader is not None
    assert loader.load(dict(parse_qsl(query, keep_blank_values=True))) is None


def test_schemas_the_fast_path_cannot_mirror_get_none() -> None:
    class WithDate(ma.Schema):
        since = ma.fields.Date()

    class WithDataKey(ma.Schema):
        page_size = ma.fields.Integer(data_key="pageSize")

    class WithValidatesSchema(ma.Schema):
        limit = ma.fields.Integer()

        @ma.validates_schema
        def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
            pass

    for schema_class in (WithDate, WithDataKey, WithValidatesSchema):
        assert FastLoader.for_schema(schema_class()) is None


def test_a_refused_value_through_the_api_is_still_marshmallows_422(client: Any) -> None:
    response = client.get("/api/v1/listings?limit=101")
    assert response.status_code == 422
    assert "limit" in response.get_json()["errors"]
    response = client.get("/api/v1/listings?kind=spaceship")
    assert response.status_code == 422
    assert "kind" in response.get_json()["errors"]
