"""The only exceptions ``diagnostics`` raises on bad input or a failed probe."""

from __future__ import annotations


class DiagnosticsError(Exception):
    """Base of every error raised on purpose by this library."""


class ParseError(DiagnosticsError):
    """An input could not be read. ``source`` names the file (or ``<stdin>``), ``reason`` says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ProbeError(DiagnosticsError):
    """A live scan could not run (no smartctl, not root, no device …)."""
