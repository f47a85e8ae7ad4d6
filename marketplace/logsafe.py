"""Log hygiene: bearer tokens and serial numbers never reach the logs in clear."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"rlf_[A-Za-z0-9_\-]{6,}")
_SERIAL = re.compile(r"(?i)(\"?serial(?:_number)?\"?\s*[:=]\s*\"?)([^\s\",;&]{3,})")


def redact(text: str) -> str:
    text = _TOKEN.sub(lambda m: m.group(0)[:8] + "…", text)
    return _SERIAL.sub(lambda m: m.group(1) + mask_serial(m.group(2)), text)


def mask_serial(serial: str) -> str:
    """Keep the last three characters, enough to tell two devices apart in a log."""
    return "*" * max(len(serial) - 3, 3) + serial[-3:]


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
