"""Issue 17, point 2: after the handover the seller, a former owner, still reads the diagnostics
and erasures recorded up to its departure (the passport's rule,
``members.access.former_owner_history_end``), never what the buyer records afterwards; the
buyer sees the closed listing it bought. Through the API, with real corpus reports."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.marketplace.listings.test_catalogue_follows_device import erase, listed_laptop
from tests.marketplace.listings.test_next_life import buy, buyer_org, hand_over, rediagnose
from tests.marketplace.reports.helpers import NVME_SERIAL, make_org


def ids(client: FlaskClient, path: str, headers: dict[str, str]) -> list[int]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.json
    return sorted(item["id"] for item in response.json["items"])


def test_the_seller_reads_the_records_of_its_own_life_only(client: FlaskClient, db_session: Session) -> None:
    scene = listed_laptop(client, db_session, warranty_months=12)
    seller, device_id = scene.org, scene.device.id
    reports_path, erasures_path = f"/api/v1/devices/{device_id}/diagnostics", f"/api/v1/devices/{device_id}/erasures"
    seller_reports = ids(client, reports_path, seller.member.headers)
    seller_erasures = ids(client, erasures_path, seller.member.headers)
    assert len(seller_reports) == 2 and len(seller_erasures) == 1

    buyer = buyer_org(client, db_session)
    order = buy(client, scene.listing_id, buyer.lister)
    assert client.get(f"/api/v1/listings/{scene.listing_id}", headers=buyer.member.headers).status_code == 404
    hand_over(client, order["id"], seller.lister)

    # The buyer sees the listing it bought, on the terms it bought on.
    bought = client.get(f"/api/v1/listings/{scene.listing_id}", headers=buyer.member.headers)
    assert bought.status_code == 200, bought.json
    assert bought.json["status"] == "closed" and bought.json["warranty_months"] == 12

    # The buyer's next life: a new diagnosis and a new erasure.
    rediagnose(client, buyer, device_id)
    assert erase(client, buyer, device_id, NVME_SERIAL).status_code == 201
    buyer_reports = ids(client, reports_path, buyer.member.headers)
    buyer_erasures = ids(client, erasures_path, buyer.member.headers)
    assert len(buyer_reports) == 3 and len(buyer_erasures) == 2

    # The seller: what it recorded, up to its departure, not the buyer's.
    assert ids(client, reports_path, seller.member.headers) == seller_reports
    assert ids(client, erasures_path, seller.member.headers) == seller_erasures
    assert set(seller_reports) < set(buyer_reports) and set(seller_erasures) < set(buyer_erasures)

    # Nobody else: another organisation, anonymous callers, the seller's bench token.
    outsider = make_org(client)
    for path in (reports_path, erasures_path, f"/api/v1/listings/{scene.listing_id}"):
        assert client.get(path, headers=outsider.member.headers).status_code == 404, path
    assert client.get(reports_path).status_code == 401
    assert client.get(erasures_path).status_code == 401
    assert client.get(f"/api/v1/listings/{scene.listing_id}").status_code == 404
    bench = {"Authorization": f"Bearer {seller.bench_token}"}
    assert client.get(reports_path, headers=bench).status_code == 403
    assert client.get(erasures_path, headers=bench).status_code == 403
