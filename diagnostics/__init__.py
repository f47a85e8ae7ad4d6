"""Relife diagnostics: grade a device from the data its disks, battery and technician report.

A pure library (no Flask, no SQLAlchemy, no marketplace) plus the ``relife-bench`` CLI
(``diagnostics.cli``). The public API is what ``__all__`` lists::

    from diagnostics import read_report, assess_device
    reports = read_report(path.read_bytes(), source=str(path))   # -> tuple[ComponentReport, ...]
    device = assess_device(reports)                                # -> DeviceAssessment

Importing this package loads neither pySMART (it rewrites ``os.environ["LANG"]`` at import) nor any
parser: they are imported on first use. Live probes (``diagnostics.smart.probe``,
``diagnostics.battery.probe``) and the HTTP client (``diagnostics.upload``) are imported explicitly.
"""

from __future__ import annotations

from diagnostics import errors, models
from diagnostics.detect import decode_text, read_report, sniff_format
from diagnostics.errors import DiagnosticsError, ParseError, ProbeError
from diagnostics.grading.device import assess_device
from diagnostics.grading.policy import POLICY_VERSION
from diagnostics.manual import grade_checklist
from diagnostics.models import (
    Assessment,
    ComponentKind,
    ComponentReport,
    DeviceAssessment,
    Finding,
    Grade,
    Health,
    RemainingLife,
    Severity,
)

__all__ = [
    "POLICY_VERSION",
    "Assessment",
    "ComponentKind",
    "ComponentReport",
    "DeviceAssessment",
    "DiagnosticsError",
    "Finding",
    "Grade",
    "Health",
    "ParseError",
    "ProbeError",
    "RemainingLife",
    "Severity",
    "assess_device",
    "decode_text",
    "errors",
    "grade_checklist",
    "models",
    "read_report",
    "sniff_format",
]
