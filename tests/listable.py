"""A device made directly with the models is listable only with diagnostics behind it: the one
rule (``listability.rules.listing_problems``) reads its checklist like any other device's."""

from __future__ import annotations

import hashlib

import orjson
from sqlalchemy.orm import Session

import diagnostics
from diagnostics.manual import EXPECTED_ITEMS
from marketplace.devices.models import Device
from marketplace.reports.models import DiagnosticFile, DiagnosticReport, ReportKind
from marketplace.reports.service import CHECKLIST_CONTENT_TYPE, CHECKLIST_FILENAME, files_digest, json_safe


def add_checklist(session: Session, device: Device, **results: str) -> DiagnosticReport:
    """Store a functional checklist for ``device`` as ``POST /devices/{id}/checklist`` stores it:
    every expected item of its kind passes unless ``results`` says otherwise; ``storage`` and
    ``battery`` are ``na`` (no disk to erase, no battery report needed). The device's own grade
    fields are left as the caller set them. Flushes only."""
    kind = device.kind.value
    items = dict.fromkeys(EXPECTED_ITEMS[kind], "pass") | {"storage": "na", "battery": "na"} | results
    doc = {
        "kind": "relife-checklist",
        "device_kind": kind,
        "items": [{"item": name, "result": result} for name, result in items.items()],
    }
    content = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    component = diagnostics.grade_checklist(doc, CHECKLIST_FILENAME)
    report = DiagnosticReport(
        device=device,
        kind=ReportKind.MANUAL,
        files_digest=files_digest([content]),
        policy=diagnostics.POLICY_VERSION,
        grade=component.assessment.grade.value,
        health=component.assessment.health.value,
        assessment={},
    )
    report.files.append(
        DiagnosticFile(
            position=1,
            filename=CHECKLIST_FILENAME,
            content_type=CHECKLIST_CONTENT_TYPE,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            format=component.format,
            components=json_safe([component.to_dict()]),
        )
    )
    session.add(report)
    session.flush()
    return report
