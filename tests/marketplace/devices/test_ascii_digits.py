"""Issue 20, class 6: digits that are not digits. ``str.isdigit``, ``int()`` and ``\\d`` accept
Arabic-Indic, fullwidth, Devanagari… digits; identifiers and quantities here are ASCII, and a
SIRET is checked by python-stdnum with a field error naming the wrong character or digit."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.members.identifiers import InvalidIdentifier, check_siret
from marketplace.members.models import Organisation
from tests.api_helpers import create_org, new_siret, register
from tests.marketplace.devices.conftest import ApiPeople, create_via_api

#: One digit's look-alikes in other scripts: each is ``str.isdigit()`` and ``int()``-readable.
SCRIPTS = {
    "arabic-indic": 0x0660,
    "extended-arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "fullwidth": 0xFF10,
    "mathematical-bold": 0x1D7CE,
}


def in_script(text: str, script: str) -> str:
    return "".join(chr(SCRIPTS[script] + int(c)) if c in "0123456789" else c for c in text)


def organisations(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0)


def post_org(client: FlaskClient, headers: dict[str, str], siret: str, postcode: str = "69007") -> Any:
    return client.post(
        "/api/v1/organisations",
        json={"name": "Twin", "kind": "company", "siret": siret, "postcode": postcode},
        headers=headers,
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_an_existing_siret_with_its_last_digit_in_another_script_is_refused_not_a_twin(
    client: FlaskClient, db_session: Session, script: str
) -> None:
    admin = register(client)
    existing = create_org(client, admin)["siret"]
    before = organisations(db_session)
    twin = existing[:-1] + in_script(existing[-1], script)
    assert twin[-1].isdigit() and int(twin[-1]) == int(existing[-1])  # what fooled the old check
    response = post_org(client, admin.headers, twin)
    assert response.status_code == 422, response.get_json()
    [message] = response.get_json()["errors"]["siret"]
    assert "Character 14" in message and "0-9" in message
    assert organisations(db_session) == before


@pytest.mark.parametrize("script", SCRIPTS)
def test_postcodes_are_ascii_digits(client: FlaskClient, db_session: Session, script: str) -> None:
    admin = register(client)
    before = organisations(db_session)
    response = post_org(client, admin.headers, new_siret(), postcode=in_script("69007", script))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["postcode"]
    assert "Character 1" in response.get_json()["errors"]["postcode"][0]
    assert organisations(db_session) == before


@pytest.mark.parametrize(
    ("siret", "reason"),
    [
        ("73282932000075", "digit 14 should be 4, not 5"),
        ("73282932100074", "digit 9 should be 0, not 1"),
        ("7328293200007", "13 digits; a SIRET has 14"),
        ("7328293200007X", "Character 14 is 'X' (LATIN CAPITAL LETTER X), not a digit"),
        ("35600000000002", "multiple of 5; these sum to 16"),
    ],
)
def test_a_wrong_siret_says_which_digit_is_wrong_and_why(siret: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        check_siret(siret)
    assert reason in raised.value.reason


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",
        "732 829 320 00074",
        "732.829.320.00074",
        "35600000000001",  # La Poste establishment: digit sum, not Luhn
        "35600000000048",  # La Poste head office: Luhn, as stdnum knows
    ],
)
def test_valid_sirets_are_compacted(siret: str) -> None:
    assert check_siret(siret) == siret.replace(" ", "").replace(".", "")


def test_the_field_error_reaches_the_client(client: FlaskClient) -> None:
    admin = register(client)
    response = post_org(client, admin.headers, "73282932000075")
    assert response.status_code == 422
    assert response.get_json()["errors"]["siret"] == [
        "Not a valid SIRET: The SIRET fails its Luhn check: with digits 1-13 as given, digit 14 should be 4, not 5."
    ]


def import_csv(client: FlaskClient, people: ApiPeople, rows: str, *, dry_run: bool) -> Any:
    header = "asset_tag,serial,kind,make,model,cpu,ram_gb,storage_gb,year,screen_in\n"
    response = client.post(
        f"/api/v1/devices/import?dry_run={'true' if dry_run else 'false'}",
        data={
            "file": (BytesIO((header + rows).encode()), "devices.csv", "text/csv"),
            "format": "native",
            "organisation_id": str(people.org_id),
        },
        content_type="multipart/form-data",
        headers=people.headers["admin"],
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize("script", ["arabic-indic", "fullwidth", "devanagari"])
def test_import_cells_with_other_scripts_digits_are_row_errors(
    client: FlaskClient, api_people: ApiPeople, script: str, dry_run: bool
) -> None:
    cells = in_script("8,256,2018,14", script)
    body = import_csv(client, api_people, f"T1,SN-A,laptop,Dell,Latitude,i5,{cells}\n", dry_run=dry_run)
    assert (body["created"], body["failed"]) == (0, 1)
    assert {e["field"] for e in body["errors"]} == {"ram_gb", "storage_gb", "year", "screen_in"}


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ("1" * 400 + ",256,2018,14", "ram_gb"),
        ("1" * 400 + " GB,256,2018,14", "ram_gb"),
        ("8," + "9" * 400 + ",2018,14", "storage_gb"),
        ("8," + "9" * 400 + " TB,2018,14", "storage_gb"),
        ("8,256,2018," + "1" * 400, "screen_in"),
    ],
)
def test_a_400_digit_number_in_an_import_is_a_row_error_not_a_500(
    client: FlaskClient, api_people: ApiPeople, cells: str, field: str, dry_run: bool
) -> None:
    """Issue 20, class 7: the number became an infinite float, and its conversion to an integer
    raised OverflowError (500), in a dry run too."""
    body = import_csv(client, api_people, f"T1,SN-A,laptop,Dell,Latitude,i5,{cells}\n", dry_run=dry_run)
    assert (body["created"], body["failed"]) == (0, 1)
    assert [e["field"] for e in body["errors"]] == [field]


def test_json_specs_read_ascii_digits_only(client: FlaskClient, api_people: ApiPeople) -> None:
    for specs in ({"ram_gb": "٨"}, {"ram_gb": "８"}, {"screen_in": "١٤"}, {"ram_gb": "1" * 5000}):
        body = {"organisation_id": api_people.org_id, "kind": "laptop", "make": "Dell", "model": "X", "serial": "S1"}
        response = client.post("/api/v1/devices", json={**body, "specs": specs}, headers=api_people.headers["lister"])
        assert response.status_code == 422, (specs, response.get_json())
        assert list(response.get_json()["errors"]) == [f"specs.{next(iter(specs))}"]
    assert create_via_api(client, api_people, specs={"ram_gb": "8"})["specs"]["ram_gb"] == 8


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/devices", {"limit": "٥"}, "limit"),
        ("/api/v1/listings", {"limit": "５"}, "limit"),
        ("/api/v1/listings", {"price_max": "١٠٠"}, "price_max"),
        ("/api/v1/listings", {"ram_min": "٨"}, "ram_min"),
        ("/api/v1/listings", {"department": "٦٩"}, "department"),
        ("/api/v1/listings/facets", {"price_min": "١"}, "price_min"),
    ],
)
def test_query_numbers_are_ascii_digits(
    client: FlaskClient, api_people: ApiPeople, path: str, query: dict[str, str], field: str
) -> None:
    response = client.get(path, query_string=query, headers=api_people.headers["admin"])
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [field]


def test_an_if_match_version_in_other_digits_matches_no_version(client: FlaskClient, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    response = client.patch(
        f"/api/v1/devices/{device['id']}",
        json={"model": "T490"},
        headers={**(api_people.headers["lister"] or {}), "If-Match": '"١"'},
    )
    assert response.status_code == 412


def test_a_pickup_postcode_is_ascii_digits(client: FlaskClient, api_people: ApiPeople) -> None:
    response = client.post(
        "/api/v1/listings",
        json={"device_id": 1, "mode": "donation", "postcode": "٦٩٠٠٧"},
        headers=api_people.headers["lister"],
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["postcode"]


def test_ids_in_paths_are_ascii_digits(client: FlaskClient, api_people: ApiPeople) -> None:
    device = create_via_api(client, api_people)
    headers = api_people.headers["lister"]
    assert client.get(f"/api/v1/devices/{device['id']}", headers=headers).status_code == 200
    for script in ("arabic-indic", "fullwidth"):
        response = client.get(f"/api/v1/devices/{in_script(str(device['id']), script)}", headers=headers)
        assert response.status_code == 404, script
    assert client.get("/api/v1/devices/" + "1" * 5000, headers=headers).status_code == 404
