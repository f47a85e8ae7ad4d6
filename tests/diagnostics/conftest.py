"""Shared fixtures and paths for the diagnostics tests."""

from __future__ import annotations

from tests.corpus_path import CORPUS

__all__ = ["CORPUS"]
