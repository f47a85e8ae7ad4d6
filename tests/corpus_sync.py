"""Bring new real samples into the repository's test corpus.

New smartctl and battery outputs reach the project in a folder laid out like ``tests/corpus``
(``smart/…``, ``battery/…``, each with a ``MANIFEST.tsv`` naming every file's public source). Nothing
reads that folder at run time or test time: this command copies what is new into ``tests/corpus`` and
appends the new files' manifest rows, so the samples become part of the repository.

    python -m tests.corpus_sync SOURCE_DIR [--dry-run]

Files already present are left alone; a file whose bytes differ from ours is reported, not replaced
(a reviewed expectation may depend on it). Copied SMART files need reviewed expectations: run
``python -m tests.diagnostics.regen_smart_expected`` and review the diff.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tests.corpus_path import CORPUS

SECTIONS = ("smart", "battery")
MANIFEST = "MANIFEST.tsv"


def manifest_rows(manifest: Path) -> dict[str, str]:
    """The data rows of a manifest by file name (comments and the header row left out)."""
    lines = [line for line in manifest.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return {line.split("\t", 1)[0]: line for line in lines[1:]}


def sync(source: Path, target: Path, dry_run: bool) -> tuple[list[str], list[str]]:
    """Copy the files of ``source`` missing from ``target``; return (copied, differing) paths."""
    copied: list[str] = []
    differing: list[str] = []
    for section in SECTIONS:
        incoming = manifest_rows(source / section / MANIFEST) if (source / section / MANIFEST).is_file() else {}
        ours = manifest_rows(target / section / MANIFEST)
        new_rows: list[str] = []
        for path in sorted(p for p in (source / section).rglob("*") if p.is_file() and p.name != MANIFEST):
            name = path.relative_to(source / section).as_posix()
            mine = target / section / name
            if mine.is_file():
                if mine.read_bytes() != path.read_bytes():
                    differing.append(f"{section}/{name}")
                continue
            if name not in incoming:
                print(f"skipped {section}/{name}: no manifest row names its source", file=sys.stderr)
                continue
            copied.append(f"{section}/{name}")
            if name not in ours:
                new_rows.append(incoming[name])
            if not dry_run:
                mine.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, mine)
        if new_rows and not dry_run:
            with (target / section / MANIFEST).open("a", encoding="utf-8") as manifest:
                manifest.write("".join(row + "\n" for row in new_rows))
    return copied, differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a folder laid out like tests/corpus")
    parser.add_argument("--dry-run", action="store_true", help="say what would be copied, copy nothing")
    args = parser.parse_args(argv)
    copied, differing = sync(args.source, CORPUS, args.dry_run)
    for name in copied:
        print(("would copy " if args.dry_run else "copied ") + name)
    for name in differing:
        print(f"differs from ours (left alone): {name}", file=sys.stderr)
    print(f"{len(copied)} new, {len(differing)} differing", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
