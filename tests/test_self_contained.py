"""The repository stands on its own: nothing names a path outside it, and the real samples the tests
and the demo read are inside it, each with its public source in a manifest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace.demo.catalogue import DEVICES
from marketplace.demo.seed import DEMO_REPORTS
from tests.corpus_path import CORPUS
from tests.corpus_sync import manifest_rows, sync

REPO = Path(__file__).resolve().parents[1]
#: Folders that are not the project's own text: virtualenvs, caches, build output, copied real samples.
SKIPPED_DIRS = {".git", ".venv", ".ci-venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                ".hypothesis", ".schemathesis", "build", "dist", "instance", "node_modules"}  # fmt: skip
DATA_DIRS = {CORPUS, DEMO_REPORTS, *(REPO / "tests" / "diagnostics" / name for name in ("samples", "expected"))}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".sh", ".mako", ".yml", ".yaml", ".html", ".css", ".js"}
#: A path of one particular machine, or the folder beside the repository that a clone never has.
OUTSIDE = re.compile(r"\.\./shared|(?<![\w.])/(?:work|home|Users|root|mnt)/\w")
#: ``Path(__file__)…`` climbing above the repository root.
CLIMB = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?((?:\.parent(?!s))*)(?:\.parents\[(\d+)\])?((?:\.parent(?!s))*)")


def project_text_files() -> list[Path]:
    found: list[Path] = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO)
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in relative.parts):
            continue
        if any(path.is_relative_to(data) for data in DATA_DIRS) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or relative.parent.name == ".ci" or path.name == "wsgi.py":
            found.append(path)
    return sorted(found)


def climbs_out(path: Path, text: str) -> list[str]:
    """The ``Path(__file__)`` expressions of ``text`` that reach above the repository root."""
    depth = len(path.relative_to(REPO).parts) - 1  # folders between the root and the file
    bad = []
    for match in CLIMB.finditer(text):
        before, index, after = match.group(1), match.group(2), match.group(3)
        # ``.parent`` once is the file's own folder, as is ``.parents[0]``.
        up = before.count(".parent") + (int(index) if index is not None else -1) + after.count(".parent")
        if up > depth:
            bad.append(match.group(0))
    return bad


def test_the_walk_sees_the_projects_files() -> None:
    names = {p.relative_to(REPO).as_posix() for p in project_text_files()}
    expected = {"README.md", "pyproject.toml", ".ci/run", "marketplace/cli.py", "bench/soak.py", "wsgi.py"}
    assert expected | {Path(__file__).relative_to(REPO).as_posix()} <= names


def test_no_file_names_a_path_outside_the_repository() -> None:
    offences = []
    for path in project_text_files():
        if path == Path(__file__).resolve():
            continue  # its examples are offences on purpose
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                offences.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
        offences += [f"{path.relative_to(REPO)}: {expr}" for expr in climbs_out(path, text)]
    assert offences == []


@pytest.mark.parametrize(
    ("relative", "expression", "outside"),
    [
        ("bench/x.py", "Path(__file__).resolve().parents[1]", False),
        ("bench/x.py", "Path(__file__).resolve().parents[1].parent", True),
        ("tests/diagnostics/x.py", "Path(__file__).resolve().parents[2]", False),
        ("tests/diagnostics/x.py", "Path(__file__).parent.parent.parent.parent", True),
        ("marketplace/cli.py", "Path(__file__).resolve().parent.parent", False),
    ],
)
def test_climbing_above_the_root_is_caught(relative: str, expression: str, outside: bool) -> None:
    assert bool(climbs_out(REPO / relative, expression)) is outside


@pytest.mark.parametrize("section", ["smart", "battery", "machine"])
def test_the_corpus_manifest_names_every_file_and_its_source(section: str) -> None:
    rows = manifest_rows(CORPUS / section / "MANIFEST.tsv")
    on_disk = {p.relative_to(CORPUS / section).as_posix() for p in (CORPUS / section).rglob("*") if p.is_file()}
    on_disk.discard("MANIFEST.tsv")
    assert set(rows) == on_disk
    lines = (CORPUS / section / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if not line.startswith("#"))
    columns = header.split("\t")
    for row in rows.values():
        fields = dict(zip(columns, row.split("\t"), strict=True))
        assert fields["source_repo"].count("/") == 1 and re.fullmatch(r"[0-9a-f]{40}", fields["commit"]), row


def test_the_demo_reports_are_package_data_copied_from_the_corpus() -> None:
    used = {path for item in DEVICES for path in item.reports}
    shipped = {p.relative_to(DEMO_REPORTS).as_posix() for p in DEMO_REPORTS.rglob("*") if p.is_file()}
    assert shipped - {"MANIFEST.tsv"} == used
    assert set(manifest_rows(DEMO_REPORTS / "MANIFEST.tsv")) == used
    for path in used:
        assert (DEMO_REPORTS / path).read_bytes() == (CORPUS / path).read_bytes(), path


def test_corpus_sync_copies_new_samples_with_their_manifest_rows(tmp_path: Path) -> None:
    ours, incoming = tmp_path / "ours", tmp_path / "incoming"
    header = "# comment\nfile\tformat\tsource_repo\tcommit\n"
    for root in (ours, incoming):
        for section in ("smart", "battery"):
            (root / section).mkdir(parents=True)
            (root / section / "MANIFEST.tsv").write_text(header + "a.txt\ttext\to/r\tc1\n")
            (root / section / "a.txt").write_text("same")
    (incoming / "smart" / "MANIFEST.tsv").write_text(header + "a.txt\ttext\to/r\tc1\nnew/b.json\tjson\to/r\tc2\n")
    (incoming / "smart" / "new").mkdir()
    (incoming / "smart" / "new" / "b.json").write_text("{}")
    (incoming / "smart" / "unsourced.txt").write_text("no manifest row")
    (incoming / "battery" / "a.txt").write_text("changed upstream")

    assert sync(incoming, ours, dry_run=True) == (["smart/new/b.json"], ["battery/a.txt"])
    assert not (ours / "smart" / "new").exists()

    assert sync(incoming, ours, dry_run=False) == (["smart/new/b.json"], ["battery/a.txt"])
    assert (ours / "smart" / "new" / "b.json").read_text() == "{}"
    assert set(manifest_rows(ours / "smart" / "MANIFEST.tsv")) == {"a.txt", "new/b.json"}
    assert (ours / "battery" / "a.txt").read_text() == "same"
    assert not (ours / "smart" / "unsourced.txt").exists()
    assert sync(incoming, ours, dry_run=False) == ([], ["battery/a.txt"])
