"""Inventory export: native CSV, formula injection neutralised, round trip unchanged, scoped."""

from __future__ import annotations

import csv
import io

from flask.testing import FlaskClient

from tests.api_helpers import add_member, create_org, register


def _device(client: FlaskClient, headers: dict[str, str], org_id: int, **extra: object) -> dict:  # type: ignore[type-arg]
    body = {
        "organisation_id": org_id,
        "kind": "laptop",
        "make": "Dell",
        "model": "Latitude 7490",
        "serial": "SN1",
        **extra,
    }
    response = client.post("/api/v1/devices", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_export_neutralises_formulas_and_reimports_unchanged(client: FlaskClient) -> None:
    admin = register(client)
    org = create_org(client, admin)
    _device(client, admin.headers, org["id"], specs={"cpu": "i5-8350U", "ram_gb": 16, "storage_gb": 256, "year": 2018})
    _device(client, admin.headers, org["id"], serial="SN2", make='=HYPERLINK("http://x","y")', location="@SUM(A1)")

    response = client.get(f"/api/v1/devices/export?organisation_id={org['id']}", headers=admin.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["serial"] for r in rows] == ["SN1", "SN2"]
    assert rows[0]["ram_gb"] == "16" and rows[0]["cpu"] == "i5-8350U"
    assert rows[1]["make"].startswith("'=") and rows[1]["location"].startswith("'@")

    first = rows[0]
    clean = io.StringIO()
    writer = csv.DictWriter(clean, fieldnames=list(first))
    writer.writeheader()
    writer.writerow(first)
    reimport = client.post(
        "/api/v1/devices/import?dry_run=false",
        data={
            "file": (io.BytesIO(clean.getvalue().encode()), "export.csv"),
            "format": "native",
            "organisation_id": str(org["id"]),
        },
        headers=admin.headers,
        content_type="multipart/form-data",
    )
    assert reimport.status_code == 200, reimport.json
    assert (reimport.json["created"], reimport.json["updated"], reimport.json["unchanged"]) == (0, 0, 1)


def test_export_is_for_the_organisation_inventory_roles(client: FlaskClient) -> None:
    admin = register(client)
    org = create_org(client, admin)
    _device(client, admin.headers, org["id"])
    member = add_member(client, admin, org["id"], "member")
    outsider = register(client)
    path = f"/api/v1/devices/export?organisation_id={org['id']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=member.headers).status_code == 403
    response = client.get(path, headers=outsider.headers)
    assert response.status_code == 404
    assert "SN1" not in response.get_data(as_text=True)
