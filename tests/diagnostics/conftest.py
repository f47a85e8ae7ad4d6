"""Shared fixtures and paths for the diagnostics tests."""

from __future__ import annotations

from pathlib import Path

# ../shared/corpus next to the repository: real outputs collected from public sources (see its MANIFEST.tsv).
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
