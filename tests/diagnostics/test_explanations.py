"""Every finding code the grading can raise has a plain-language explanation in French and English,
kept beside the code that raises it (issue 18, point 7)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import diagnostics
from diagnostics.grading.explain import explain, explanations

ROOT = Path(diagnostics.__file__).resolve().parent
#: Where findings are raised: every grading module and the checklist.
SOURCES = [*sorted((ROOT / "grading").glob("*.py")), ROOT / "manual.py"]
CODE = re.compile(r"[a-z]+\.[a-z_]+")
PREFIXES = {"smart", "ata", "ssd", "selftest", "nvme", "scsi", "disk", "battery", "manual", "device", "hdd", "trend"}


def _is_code(value: object) -> bool:
    return isinstance(value, str) and CODE.fullmatch(value) is not None and value.split(".")[0] in PREFIXES


def raised_codes(path: Path) -> set[str]:
    """The finding codes a module raises: its code-shaped string constants, except those that are not
    finding codes: remaining-life bases (``basis=`` and returned ``(used, basis)`` pairs), codes it only
    compares with, and the keys of its own ``EXPLANATIONS``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        parts: list[ast.AST] = []
        if isinstance(node, ast.keyword) and node.arg == "basis":
            parts = [node.value]
        elif isinstance(node, ast.Compare) or (isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple)):
            parts = [node]
        elif isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "EXPLANATIONS" for t in targets) and node.value is not None:
                parts = [node.value]
        for part in parts:
            skipped |= {id(n) for n in ast.walk(part)}
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in skipped and _is_code(n.value)
    }


ALL_RAISED = set().union(*(raised_codes(p) for p in SOURCES))


def test_the_scan_finds_the_codes_of_every_kind_of_rule() -> None:
    # One code per way a rule names its finding: _finding(...), _count_rule(..., code, ...), a code chosen
    # in a conditional, Finding(code=...), Finding("...") positionally, and a table of trend counters.
    assert {
        "smart.overall_failed",
        "ata.offline_uncorrectable",
        "ssd.wear",
        "nvme.percentage_used",
        "device.replace_part",
        "battery.capacity_worn",
        "manual.function_caveat",
        "trend.pending_growing",
        "trend.retired_blocks_growing",
    } <= ALL_RAISED
    # Remaining-life bases are not findings.
    assert not {"hdd.age_vs_afr", "disk.failing", "battery.fade_to_failing", "trend.wear_rate"} & ALL_RAISED
    assert len(ALL_RAISED) >= 55


def test_every_code_raised_has_both_texts_and_no_text_is_orphaned() -> None:
    explained = set(explanations())
    assert ALL_RAISED - explained == set(), "codes raised without an explanation"
    assert explained - ALL_RAISED == set(), "explanations of codes nothing raises"


@pytest.mark.parametrize("code", sorted(ALL_RAISED))
def test_each_explanation_is_short_plain_and_in_both_languages(code: str) -> None:
    entry = explanations()[code]
    for text in (entry.fr, entry.en):
        assert 20 <= len(text) <= 200, text
        assert text.rstrip().endswith((".", "!", "…")), text
        assert code not in text  # plain words, not the code again
    assert entry.fr != entry.en
    assert explain(code) == entry.fr
    assert explain(code, "en") == entry.en


def test_an_unknown_code_has_no_explanation() -> None:
    assert explain("ata.no_such_rule") is None
