"""The domain packages import each other in one direction only, and migrations import no
application code.

A cycle between two services is how a rule ends up copied (the second copy avoids the import) or
imported inside a function (the cycle hidden until the call). Every ``import`` in ``marketplace/``
is read with ``ast``, function bodies included, and each edge between two domain packages must go
down the declared ``LAYERS``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketplace"

#: Lowest first; a package may import only from a package of a lower layer (or from itself).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"models"}),  # every domain's models.py: the schema
    frozenset({"core"}),  # see CORE
    frozenset({"notifications"}),  # the outbox: every domain writes its messages there
    frozenset({"members", "listability", "media"}),  # media: photos, stored for listings, returns, loans
    frozenset({"devices", "reports", "impact"}),
    frozenset({"erasures", "reservations"}),
    frozenset({"listings"}),
    frozenset({"loans", "orders"}),
    frozenset({"payments", "imports"}),
    frozenset({"web"}),  # the pages: read every domain to show it; their locale rule serves documents too
    frozenset({"documents", "fleet"}),  # read every domain to print or sum it up
)
#: Modules every domain builds on, below every service: each imports only models (or another of
#: these), so writing a passport event, taking a row lock or asking who calls creates no cycle.
CORE = frozenset(
    {
        "marketplace.members.access",  # the Principal and the role checks
        "marketplace.devices.passport",  # the append-only history every domain writes to
        "marketplace.devices.lifecycle",  # the state machine every domain moves devices through
        "marketplace.devices.reconcile",  # registered specs against what an upload measured
        "marketplace.reservations.locks",  # the row-lock order every writer follows
        "marketplace.loans.availability",  # whether a loan books a device on a date
        "marketplace.payments.gateway",  # the payment provider interface
        "marketplace.listings.visibility",  # who sees a listing
        "marketplace.payments.runtime",  # the app's payment provider, for the routes
    }
)
#: Plain helpers the schema itself uses (a column's default): they import nothing of the application.
SCHEMA_HELPERS = frozenset({"marketplace.devices.codes"})  # a device's public code, drawn for its row
DOMAINS = frozenset().union(*LAYERS) - {"models", "core"}
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports (``from a import b`` counts ``a.b`` when ``b`` is a module)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*candidate.split("."))
                ).is_dir()
                yield node.lineno, candidate if is_module else node.module


def _layer_of(module: str) -> str | None:
    """The layer name of a ``marketplace`` module, or None outside the domain packages."""
    parts = module.split(".")
    if parts[0] != "marketplace" or len(parts) < 3:
        return None
    if module in CORE:
        return "core"
    if parts[-1] == "models" or module in SCHEMA_HELPERS:
        return "models"
    return parts[1] if parts[1] in DOMAINS else None


def _edges() -> Iterator[tuple[str, int, str, str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module_name(path)
        source_layer = _layer_of(source)
        if source_layer is None:
            continue
        for line, target in _imports(path):
            target_layer = _layer_of(target)
            if target_layer is None or (target.split(".")[1] == source.split(".")[1] and source_layer == target_layer):
                continue  # outside the domains, or within one package's own layer
            if source_layer == target_layer and source_layer in {"models", "core"}:
                continue  # models reference each other (foreign keys); so may the core modules
            yield source, line, target, source_layer, target_layer


def test_every_domain_package_has_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "models.py").exists() or (p / "service.py").exists()}
    assert packages <= DOMAINS


def test_domain_packages_import_downwards_only() -> None:
    upward = [
        f"{source}:{line} imports {target} ({source_layer} -> {target_layer})"
        for source, line, target, source_layer, target_layer in _edges()
        if RANK[target_layer] >= RANK[source_layer]
    ]
    assert upward == []


def test_core_and_models_import_no_service() -> None:
    for source, line, target, source_layer, target_layer in _edges():
        if source_layer in {"models", "core"}:
            assert target_layer in {"models", "core"}, f"{source}:{line} imports {target}"


def test_the_check_sees_an_upward_import_inside_a_function(tmp_path: Path) -> None:
    """The parser reads function bodies: a hidden import is an edge like any other."""
    module = tmp_path / "hidden.py"
    module.write_text("def f():\n    from marketplace.listings.service import search\n", encoding="utf-8")
    assert ("marketplace.listings.service" in {t for _line, t in _imports(module)}) is True


@pytest.mark.parametrize("path", sorted((ROOT / "migrations" / "versions").glob("*.py")), ids=lambda p: p.name)
def test_migrations_import_no_application_code(path: Path) -> None:
    """A revision runs the same in a year: it must not depend on what ``marketplace`` is then."""
    imported = {target for _line, target in _imports(path)}
    assert {m for m in imported if m.split(".")[0] == "marketplace"} == set()
