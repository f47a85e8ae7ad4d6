"""diagnostics is a pure library (STYLE.md §2.9): importing it loads no web, database or pySMART code."""

from __future__ import annotations

import os
import subprocess
import sys

_CHECK = """
import os, sys
lang = os.environ.get("LANG")
import diagnostics
import diagnostics.cli  # the bench CLI too: pySMART is loaded only when a scan runs
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"flask", "sqlalchemy", "marketplace", "pySMART"})
assert not heavy, heavy
assert os.environ.get("LANG") == lang, "importing diagnostics changed LANG"
print("ok")
"""


def test_importing_diagnostics_loads_no_flask_sqlalchemy_or_pysmart() -> None:
    env = {**os.environ, "LANG": "fr_FR.UTF-8"}
    out = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_public_api_is_declared() -> None:
    import diagnostics

    for name in diagnostics.__all__:
        assert hasattr(diagnostics, name), name
    assert callable(diagnostics.read_report)
    assert callable(diagnostics.assess_device)
    assert callable(diagnostics.grade_checklist)
