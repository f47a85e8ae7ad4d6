"""Finding a device as the bench does: asset tag, serial, or the label's QR code (typed or as the
address it carries), one device or 404, for members and bench tokens alike."""

from __future__ import annotations

from flask.testing import FlaskClient

from marketplace.devices.lookup import code_from_text
from tests.marketplace.devices.conftest import ApiPeople, create_via_api


def _lookup(client: FlaskClient, people: ApiPeople, who: str = "bench", **query: str):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/devices/lookup", query_string=query, headers=people.headers[who])


def test_each_key_finds_the_device_for_a_bench_token(client: FlaskClient, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    create_via_api(client, api_people)  # another device of the organisation, never returned
    code = device["public_code"]
    for query in (
        {"tag": device["asset_tag"]},
        {"serial": device["serial"]},
        {"code": code},
        {"code": f"{code[:5].lower()}-{code[5:].lower()}"},  # as typed from the label
        {"code": f"https://relife.example.org/d/{code}"},  # the QR code's content
        {"code": f"https://relife.example.org/d/{code}/"},
    ):
        response = _lookup(client, api_people, **query)
        assert response.status_code == 200, (query, response.json)
        assert response.json["id"] == device["id"]
        assert response.headers["ETag"] == f'"{response.json["version"]}"'


def test_unknown_or_foreign_is_404_and_bad_input_is_422(client: FlaskClient, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    assert _lookup(client, api_people, tag="RLF-999999").status_code == 404
    assert _lookup(client, api_people, "other_admin", tag=device["asset_tag"]).status_code == 404
    assert _lookup(client, api_people, "other_admin", serial=device["serial"]).status_code == 404
    both = _lookup(client, api_people, tag=device["asset_tag"], serial=device["serial"])
    assert both.status_code == 422 and set(both.json["errors"]) == {"tag", "serial"}
    assert _lookup(client, api_people).status_code == 422
    bad = _lookup(client, api_people, code="https://relife.example.org/listings/12")
    assert bad.status_code == 422 and "code" in bad.json["errors"]
    assert _lookup(client, api_people, code="0O1IL").status_code == 422  # look-alikes are never in a code


def test_a_tag_in_two_of_the_callers_organisations_asks_which(client: FlaskClient, api_people: ApiPeople) -> None:
    mine = create_via_api(client, api_people, asset_tag="BENCH-7")
    theirs = client.post(
        "/api/v1/devices",
        json={**{k: v for k, v in mine.items() if k in ("kind", "make", "model")}, "serial": "OTHER-1",
              "asset_tag": "BENCH-7", "organisation_id": api_people.other_org_id},
        headers=api_people.headers["other_admin"],
    )  # fmt: skip
    assert theirs.status_code == 201, theirs.json
    assert _lookup(client, api_people, "admin", tag="BENCH-7").json["id"] == mine["id"]
    both = _lookup(client, api_people, "staff", tag="BENCH-7")
    assert both.status_code == 409
    one = _lookup(client, api_people, "staff", tag="BENCH-7", organisation_id=str(api_people.other_org_id))
    assert one.json["id"] == theirs.json["id"]


def test_code_from_text() -> None:
    assert code_from_text("ab23-cd45 ef") == "AB23CD45EF"  # typed with a dash and a space
    assert code_from_text("AB23CD45") is None  # too short
    assert code_from_text("AB23CD45EF") == "AB23CD45EF"
    assert code_from_text("http://x.test/d/ab23cd45ef?utm=1") == "AB23CD45EF"
    assert code_from_text("/d/AB23CD45EF") == "AB23CD45EF"
    assert code_from_text("http://x.test/e/AB23CD45EF") is None
