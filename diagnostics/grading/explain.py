"""Plain-language explanations of the finding codes (issue 18, point 7).

Each module that raises finding codes keeps an ``EXPLANATIONS`` mapping (code -> ``Explanation``, French
and English) beside its rules; this module gathers them for the CLI's human output and the web pages.
A grading module added under ``diagnostics/grading/`` is found on its own: it only has to define
``EXPLANATIONS`` (``tests/diagnostics/test_explanations.py`` checks every code raised has both texts).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache

import diagnostics.grading
from diagnostics.models import Explanation

LANGUAGES = ("fr", "en")
#: Modules outside ``diagnostics.grading`` that raise finding codes.
OTHER_MODULES = ("diagnostics.manual",)


@cache
def explanations() -> Mapping[str, Explanation]:
    """Every finding code's explanation, from every module that defines ``EXPLANATIONS``."""
    names = [f"diagnostics.grading.{m.name}" for m in pkgutil.iter_modules(diagnostics.grading.__path__)]
    merged: dict[str, Explanation] = {}
    for name in sorted(names) + list(OTHER_MODULES):
        if name == __name__:
            continue
        module = importlib.import_module(name)
        merged.update(getattr(module, "EXPLANATIONS", {}))
    return merged


def explain(code: str, lang: str = "fr") -> str | None:
    """The explanation of ``code`` in ``lang`` ("fr" or "en"), or None for a code without one."""
    entry = explanations().get(code)
    if entry is None:
        return None
    return entry.en if lang == "en" else entry.fr
