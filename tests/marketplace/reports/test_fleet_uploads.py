"""The upload endpoint reads the Windows and server exports (CrystalDiskInfo, storcli, Redfish) through
the same ``diagnostics.read_report`` as ``relife-bench grade``: one component per disk of a multi-disk
file, and a refusal naming the file and the line when one is cut short."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import diagnostics
from marketplace.devices.models import DeviceKind
from marketplace.reports.models import DiagnosticFile, DiagnosticReport
from tests.corpus_path import CORPUS
from tests.marketplace.reports.helpers import Org, count, make_device, upload

CDI = CORPUS / "crystaldiskinfo" / "yakumo-saki_example_DiskInfo_excerpt.txt"
STORCLI_JSON = CORPUS / "storcli" / "prometheus-community_storcli_-cALL-eALL-sALL_show_all.json"
REDFISH_SSD = CORPUS / "redfish" / "cisco_ucsc-c220-m5sx_MRAID_Drive1_ssd.json"


def _library(data: bytes, name: str) -> list[dict[str, Any]]:
    return [c.to_dict() for c in diagnostics.read_report(data, name)]


def test_windows_and_server_exports_are_graded_per_disk_on_the_server(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id, DeviceKind.SERVER)
    response = upload(client, device.id, org.bench_token, CDI, STORCLI_JSON, REDFISH_SSD)
    assert response.status_code == 201, response.json
    files = response.json["files"]
    assert [f["components"] for f in files] == [
        _library(p.read_bytes(), p.name) for p in (CDI, STORCLI_JSON, REDFISH_SSD)
    ]
    assert [len(f["components"]) for f in files] == [2, 4, 1]
    assert [c["format"] for c in files[1]["components"]] == ["storcli-json"] * 4
    assert files[2]["components"][0]["identity"]["serial"] == "S3LKNX0K800827"


def test_a_truncated_crystaldiskinfo_export_is_refused_by_line_and_stores_nothing(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id)
    text = CDI.read_text(encoding="utf-8")
    cut = text[: text.index("   Health Status", text.index(" (02) WDC"))].encode()
    before = (count(db_session, DiagnosticReport), count(db_session, DiagnosticFile))
    response = upload(client, device.id, org.bench_token, ("DiskInfo.txt", cut))
    assert response.status_code == 422
    (message,) = response.json["errors"]["files.1"]
    assert message.startswith("DiskInfo.txt: line ") and "no Health Status" in message
    assert (count(db_session, DiagnosticReport), count(db_session, DiagnosticFile)) == before


PS_LIST = CORPUS / "powershell" / "windows-powershell-docs_Get-StorageReliabilityCounter_example1_format-list.txt"
NVME_ERROR_TEXT = CORPUS / "nvme_cli" / "nvme-cli_issue1767_samsung_pm983_error-log_entry.txt"


def test_pasted_powershell_list_and_nvme_error_log_text_are_read_on_the_server(
    client: FlaskClient, db_session: Session, org: Org
) -> None:
    device = make_device(db_session, org.id, DeviceKind.SERVER)
    response = upload(client, device.id, org.bench_token, PS_LIST, NVME_ERROR_TEXT)
    assert response.status_code == 201, response.json
    files = response.json["files"]
    assert [f["components"] for f in files] == [_library(p.read_bytes(), p.name) for p in (PS_LIST, NVME_ERROR_TEXT)]
    assert [f["components"][0]["format"] for f in files] == ["powershell-reliability-list", "nvme-cli-error-log-text"]
    # an error log alone cannot vouch for the drive: unknown, not healthy
    assert files[1]["components"][0]["health"] == "unknown"
