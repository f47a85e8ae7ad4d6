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


def test_the_bench_needs_only_the_base_dependencies() -> None:
    """``pip install relife`` (no extra) is the bench install: every third-party module that
    ``diagnostics`` imports, anywhere, must come from a base dependency, never from the server extra."""
    import ast
    import re
    import tomllib
    from importlib.metadata import packages_distributions
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {re.split(r"[<>=!\[ ;]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}
    server = {
        re.split(r"[<>=!\[ ;]", spec, maxsplit=1)[0].lower() for spec in project["optional-dependencies"]["server"]
    }
    assert "flask" in server and not base & server

    imported: set[str] = set()
    for path in (repo / "diagnostics").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"diagnostics", "__future__"}
    owners = packages_distributions()
    needed = {dist.lower() for name in third_party for dist in owners.get(name, [name])}
    assert third_party and needed <= base, needed - base
