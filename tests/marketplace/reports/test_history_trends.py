"""The server grades a device with its history (issue 18, point 4): a disk whose media errors appear
between two uploads is failing, with both reports as evidence; re-grading gives the same answer."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from diagnostics.grading.explain import explanations
from marketplace.reports import service
from tests.marketplace.reports.helpers import NVME_JSON, Org, make_device, upload


def nvme_with(media_errors: int, hours: int) -> tuple[str, bytes]:
    doc = json.loads(NVME_JSON.read_text(encoding="utf-8"))  # real INTEL SSDPEKNW010T8 report
    doc["nvme_smart_health_information_log"].update(media_errors=media_errors, power_on_hours=hours)
    doc["power_on_time"] = {"hours": hours}
    return (f"nvme-{hours}.json", json.dumps(doc).encode())


def disk_findings(body: dict) -> list[dict]:  # type: ignore[type-arg]
    (disk,) = [c for c in body["device_assessment"]["components"] if c["component"] == "disk"]
    return list(disk["findings"])


def test_media_errors_that_appear_between_two_uploads_fail_the_disk(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    first = upload(client, device.id, org.bench_token, nvme_with(0, 2401))
    assert first.status_code == 201, first.json
    assert not [f for f in disk_findings(first.json) if f["code"].startswith("trend.")]

    second = upload(client, device.id, org.bench_token, nvme_with(4, 2900))
    assert second.status_code == 201, second.json
    (trend,) = [f for f in disk_findings(second.json) if f["code"] == "trend.media_errors_growing"]
    assert trend["evidence"]["earlier"]["report"] == f"report {first.json['id']}"
    assert trend["evidence"]["earlier"]["value"] == 0
    assert trend["evidence"]["later"] == {
        "report": f"report {second.json['id']}",
        "date": trend["evidence"]["later"]["date"],
        "value": 4,
    }
    assert trend["evidence"]["earlier"]["date"] <= trend["evidence"]["later"]["date"]
    db_session.refresh(device)
    assert device.health == "failing"

    # Re-grading every stored file with the policy finds the same trend: nothing changes.
    outcome = service.RegradeOutcome()
    service.regrade_device(db_session, device.id, outcome)
    assert outcome.changed == 0
    db_session.refresh(device)
    assert device.health == "failing"


def test_a_first_upload_has_no_history_and_a_steady_disk_none_either(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    upload(client, device.id, org.bench_token, nvme_with(0, 2401))
    again = upload(client, device.id, org.bench_token, nvme_with(0, 3000))
    assert again.status_code == 201
    assert not [f for f in disk_findings(again.json) if f["code"].startswith("trend.")]


def test_findings_come_with_their_explanation_in_both_languages(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    upload(client, device.id, org.bench_token, nvme_with(0, 2401))
    second = upload(client, device.id, org.bench_token, nvme_with(4, 2900))
    body = client.get(f"/api/v1/diagnostics/{second.json['id']}", headers=org.admin.headers).json
    by_code = {f["code"]: f for f in body["findings"]}
    explanation = by_code["nvme.media_errors"]["explanation"]
    assert explanation == explanations()["nvme.media_errors"]._asdict()
    assert explanation["fr"] != explanation["en"]
    # The trend is the device's (it needs the history), in the device assessment of the report.
    assert "trend.media_errors_growing" in {f["code"] for f in disk_findings(body)}
