"""The documentation stays true to the code (sqlite-utils checks its docs with tests; so do we).

Read: ``README.md``, every Markdown file under ``docs/`` and ``marketplace/imports/README.md``. Checked:

* every ``/api/v1/...`` path they name exists in the app's OpenAPI document, with the method when one is
  written before it (``POST /api/v1/devices``) or given to curl (``-X``, or ``-d``/``-F`` for POST);
* every relative Markdown link resolves to a file of the repository (and a ``#anchor`` to a heading of it);
* every ``relife-bench COMMAND`` and ``flask --app wsgi COMMAND [SUBCOMMAND]`` written in code exists,
  with the ``--options`` written after it;
* ``docs/grading-policy.md``: each row of a table with ``constant`` and ``value`` columns names a
  constant of ``diagnostics`` holding that value; every threshold and source constant of the disk and
  battery policies is named on the page; the finding codes and remaining-life bases it names are the
  ones the code emits, all of them; the checklist table matches ``EXPECTED_ITEMS``, ``PART_SWAPS`` and ``CAVEAT_ITEMS``.
"""

from __future__ import annotations

import ast
import enum
import importlib
import pkgutil
import re
import shlex
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

import diagnostics
from diagnostics.cli import cli as bench_cli
from diagnostics.manual import CAVEAT_ITEMS, EXPECTED_ITEMS, PART_SWAPS
from marketplace import create_app
from marketplace.config import Config

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
POLICY = DOCS / "grading-policy.md"
#: Written on another branch: a link to it is accepted while it does not exist yet, and checked like any
#: other link once it does.
PENDING = {DOCS / "deployment.md"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Served by flask-smorest beside the API, not operations of the OpenAPI document itself.
NOT_IN_SPEC = {"/api/v1/openapi.json", "/api/v1/docs"}


def doc_files() -> list[Path]:
    """The README, the product docs, and the import notes the guides send readers to."""
    return [REPO / "README.md", *sorted(DOCS.rglob("*.md")), REPO / "marketplace" / "imports" / "README.md"]


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def doc_params() -> list[Any]:
    return [pytest.param(path, id=rel(path)) for path in doc_files()]


# --- Markdown pieces ------------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
INDENTED = re.compile(r"(?:^(?: {4}|\t)[^\n]*\n?)+", re.MULTILINE)


def code_lines(text: str) -> list[str]:
    """The shell-like lines of a document: fenced and indented blocks (continuations joined) and
    inline code spans."""
    lines: list[str] = []
    blocks = [m.group(2) for m in FENCE.finditer(text)]
    rest = FENCE.sub("", text)
    blocks += [m.group(0) for m in INDENTED.finditer(rest)]
    for block in blocks:
        lines += re.sub(r"\\\n\s*", " ", block).splitlines()
    lines += [m.group(2) for m in INLINE_CODE.finditer(INDENTED.sub("", rest))]
    return lines


def tables(text: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Each Markdown table as (header cells, rows of cells), cells stripped, header lower-cased."""
    lines = text.splitlines()
    i = 0
    while i < len(lines) - 1:
        if lines[i].startswith("|") and re.match(r"^\|(\s*:?-+:?\s*\|)+\s*$", lines[i + 1]):
            header = [c.strip().lower() for c in split_row(lines[i])]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in split_row(lines[i])])
                i += 1
            yield header, rows
        else:
            i += 1


def split_row(line: str) -> list[str]:
    cells, current, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current)
            current = ""
        else:
            current += char
    cells.append(current)
    return cells


def code_names(cell: str) -> list[str]:
    return [m.group(2) for m in INLINE_CODE.finditer(cell)]


# --- the app --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docs_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'relife.db'}"
    return create_app(Config(database_url=url, testing=True))


@pytest.fixture(scope="module")
def spec_paths(docs_app: Flask) -> dict[str, set[str]]:
    spec = docs_app.test_client().get("/api/v1/openapi.json").get_json()
    return {path: {m.upper() for m in ops if m.upper() in METHODS} for path, ops in spec["paths"].items()}


# --- API paths ------------------------------------------------------------------------------------

PATH_CHARS = r"[A-Za-z0-9_{}.\-/$]"
NAMED_PATH = re.compile(
    rf"(?:\b((?:{'|'.join(METHODS)})(?:/(?:{'|'.join(METHODS)}))*)\s+)?(?:https?://[^/\s`]+|\$\w+)?(/api/v1/{PATH_CHARS}*)"
)


def shape(path: str) -> str:
    """A path with its parameters made alike: ``{id}``, ``$DEVICE``, ``${ORG}`` and numbers become ``*``."""
    path = path.split("?")[0].rstrip(".,;:)")
    parts = []
    for part in path.split("/"):
        if re.fullmatch(r"\{[^}]*\}|\$\{?\w+\}?|\d+", part):
            part = "*"
        parts.append(part)
    return "/".join(parts)


def curl_method(line: str) -> str | None:
    if "curl " not in line:
        return None
    explicit = re.search(r"(?:-X|--request)\s+([A-Z]+)", line)
    if explicit:
        return explicit.group(1)
    return "POST" if re.search(r"\s(-d|--data\S*|-F|--form|-T)\s", line) else "GET"


def named_paths(text: str) -> list[tuple[str | None, str]]:
    found: list[tuple[str | None, str]] = []
    curl_lines = [line for line in code_lines(text) if "curl " in line]
    curl_spans = set()
    for line in curl_lines:
        method = curl_method(line)
        for match in NAMED_PATH.finditer(line):
            found.append((method, match.group(2)))
            curl_spans.add(match.group(2))
    for match in NAMED_PATH.finditer(text):
        methods, path = match.group(1), match.group(2)
        if methods:
            found += [(m, path) for m in methods.split("/")]
        elif path not in curl_spans:
            found.append((None, path))
    return found


@pytest.mark.parametrize("doc", doc_params())
def test_every_api_path_named_exists(doc: Path, spec_paths: dict[str, set[str]], docs_app: Flask) -> None:
    by_shape: dict[str, set[str]] = {}
    for path, methods in spec_paths.items():
        by_shape.setdefault(shape(path), set()).update(methods)
    served = {rule.rule for rule in docs_app.url_map.iter_rules()}
    wrong = []
    for method, path in named_paths(doc.read_text(encoding="utf-8")):
        key = shape(path)
        if key in NOT_IN_SPEC:
            if key not in served:
                wrong.append(f"{path} (not served)")
            continue
        if key not in by_shape:
            wrong.append(f"{path} (no such path)")
        elif method is not None and method not in by_shape[key]:
            wrong.append(f"{method} {path} (the path takes {', '.join(sorted(by_shape[key]))})")
    assert not wrong, f"{rel(doc)} names API operations the app does not have: {wrong}"


def test_the_path_finder_sees_methods_curl_and_placeholders() -> None:
    text = (
        "`GET/PATCH /api/v1/devices/{id}` and\n\n"
        "    curl -s -X POST $RELIFE/api/v1/devices/$DEVICE/erasures \\\n      -d '{}'\n\n"
        '    curl -s -F file=@x.csv "$RELIFE/api/v1/devices/import?dry_run=true"\n'
    )
    found = {(m, shape(p)) for m, p in named_paths(text)}
    assert found == {
        ("GET", "/api/v1/devices/*"),
        ("PATCH", "/api/v1/devices/*"),
        ("POST", "/api/v1/devices/*/erasures"),
        ("POST", "/api/v1/devices/import"),
    }


# --- links ----------------------------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = "".join(c for c in text if c.isalnum() or c in " -" or unicodedata.category(c).startswith("L"))
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}


@pytest.mark.parametrize("doc", doc_params())
def test_every_relative_link_resolves(doc: Path) -> None:
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if not path.is_relative_to(REPO):
            broken.append(f"{target} (outside the repository)")
        elif not path.exists():
            if path not in PENDING:
                broken.append(f"{target} (no such file)")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{rel(doc)} has broken links: {broken}"


def test_docs_and_readme_link_each_other() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/README.md" in readme
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for guide in sorted(DOCS.rglob("*.md")):
        if guide != DOCS / "README.md":
            assert rel(guide).removeprefix("docs/") in index, f"docs/README.md does not link {rel(guide)}"


# --- commands -------------------------------------------------------------------------------------

SEPARATORS = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "&"}


def words_after(line: str, marker: re.Pattern[str]) -> Iterator[list[str]]:
    for match in marker.finditer(line):
        rest = line[match.end() :]
        try:
            words = shlex.split(rest, comments=True)
        except ValueError:
            words = rest.split()
        taken = []
        for word in words:
            if word in SEPARATORS or word.startswith(("|", ";", "&&", ">")):
                break
            taken.append(word)
        yield taken


def check_command(group: click.Group, ctx: click.Context, words: list[str], label: str) -> str | None:
    """None when ``words`` (command, maybe subcommand, then arguments and options) exist in ``group``."""
    if not words or words[0].startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
        return None  # `relife-bench --version`, `relife-bench` alone, a placeholder
    command = group.get_command(ctx, words[0])
    if command is None:
        return f"{label} {words[0]}: no such command"
    if isinstance(command, click.Group):
        sub = click.Context(command, parent=ctx, info_name=words[0])
        return check_command(command, sub, words[1:], f"{label} {words[0]}")
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    options |= {"--help", "-h"}
    unknown = [w.split("=")[0] for w in words[1:] if w.startswith("-") and w != "-" and w.split("=")[0] not in options]
    return f"{label} {words[0]}: unknown options {unknown}" if unknown else None


BENCH = re.compile(r"(?<![\w-])relife-bench(?![\w-])")
FLASK = re.compile(r"(?<![\w-])flask\s+--app\s+wsgi(?![\w-])")


@pytest.mark.parametrize("doc", doc_params())
def test_every_command_named_exists(doc: Path, docs_app: Flask) -> None:
    flask_group = FlaskGroup(create_app=lambda: docs_app)
    flask_ctx = click.Context(flask_group, obj=ScriptInfo(create_app=lambda: docs_app), info_name="flask")
    bench_ctx = click.Context(bench_cli, info_name="relife-bench")
    wrong = []
    with docs_app.app_context():
        for line in code_lines(doc.read_text(encoding="utf-8")):
            for words in words_after(line, BENCH):
                wrong.append(check_command(bench_cli, bench_ctx, words, "relife-bench"))
            for words in words_after(line, FLASK):
                wrong.append(check_command(flask_group, flask_ctx, words, "flask --app wsgi"))
    problems = [w for w in wrong if w]
    assert not problems, f"{rel(doc)}: {problems}"


def test_the_command_check_refuses_unknown_commands_and_options(docs_app: Flask) -> None:
    ctx = click.Context(bench_cli, info_name="relife-bench")
    assert check_command(bench_cli, ctx, ["scan", "--selftest", "short", "--save", "out"], "b") is None
    assert check_command(bench_cli, ctx, ["scna"], "b") is not None
    assert check_command(bench_cli, ctx, ["scan", "--self-test"], "b") is not None
    flask_group = FlaskGroup(create_app=lambda: docs_app)
    flask_ctx = click.Context(flask_group, obj=ScriptInfo(create_app=lambda: docs_app), info_name="flask")
    with docs_app.app_context():
        assert check_command(flask_group, flask_ctx, ["db", "upgrade"], "f") is None
        assert check_command(flask_group, flask_ctx, ["db", "upgrad"], "f") is not None
        assert check_command(flask_group, flask_ctx, ["regrade", "--device", "3"], "f") is None


# --- the grading policy page ----------------------------------------------------------------------


def diagnostics_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.walk_packages(diagnostics.__path__, "diagnostics.")]
    skipped = {"diagnostics.__main__", "diagnostics.cli"}
    return [diagnostics, *(importlib.import_module(n) for n in sorted(names) if n not in skipped)]


def defined_here(module: ModuleType) -> dict[str, Any]:
    """Upper-case names a module assigns itself (not the ones it imports)."""
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return {name: getattr(module, name) for name in names}


def doc_value(cell: str) -> Any:
    token = (code_names(cell) or [cell])[0].strip()
    try:
        return ast.literal_eval(token)
    except (ValueError, SyntaxError):
        return token


def same(doc: Any, actual: Any) -> bool:
    if isinstance(actual, enum.Enum):
        actual = actual.value
    if isinstance(actual, bool) or isinstance(doc, bool):
        return doc is actual
    if isinstance(actual, int | float) and isinstance(doc, int | float):
        return doc == actual
    return str(doc) == str(actual)


def policy_text() -> str:
    return POLICY.read_text(encoding="utf-8")


def test_every_constant_in_the_policy_tables_has_the_value_written() -> None:
    constants: dict[str, list[tuple[str, Any]]] = {}
    for module in diagnostics_modules():
        for name, value in defined_here(module).items():
            constants.setdefault(name, []).append((module.__name__, value))
    checked, wrong = 0, []
    for header, rows in tables(policy_text()):
        if "constant" not in header or "value" not in header:
            continue
        name_at, value_at = header.index("constant"), header.index("value")
        for row in rows:
            name = code_names(row[name_at])[0]
            expected = doc_value(row[value_at])
            found = constants.get(name)
            checked += 1
            if not found:
                wrong.append(f"{name}: no such constant in diagnostics")
            for module, actual in found or []:
                if not same(expected, actual):
                    wrong.append(f"{name} = {actual!r} in {module}, the page says {expected!r}")
    assert checked >= 35
    assert not wrong, wrong


def is_threshold(value: Any) -> bool:
    return isinstance(value, int | float | enum.Enum) and not isinstance(value, bool)


@pytest.mark.parametrize(
    "module_name", ["diagnostics.grading.disk", "diagnostics.grading.battery", "diagnostics.grading.trends"]
)
def test_every_threshold_and_source_is_on_the_policy_page(module_name: str) -> None:
    named = {name for line in code_lines(policy_text()) for name in re.findall(r"\b[A-Z][A-Z0-9_]+\b", line)}
    module = importlib.import_module(module_name)
    missing = [
        name
        for name, value in defined_here(module).items()
        if not name.startswith("_")
        and (is_threshold(value) or name.startswith(("SRC_", "SOURCE")))
        and name not in named
    ]
    assert not missing, f"{module_name} constants missing from docs/grading-policy.md: {missing}"


CODE_PREFIXES = "smart|ata|ssd|selftest|nvme|scsi|disk|battery|manual|device|hdd|trend"


def test_the_policy_page_names_exactly_the_finding_codes_the_code_emits() -> None:
    emitted = set()
    for path in (REPO / "diagnostics").rglob("*.py"):
        emitted |= set(re.findall(rf"\"((?:{CODE_PREFIXES})\.[a-z_]+)\"", path.read_text(encoding="utf-8")))
    spans = [line.strip() for line in code_lines(policy_text())]
    named = {m for m in spans if re.fullmatch(rf"(?:{CODE_PREFIXES})\.[a-z_]+", m) and not m.endswith(".py")}
    assert len(emitted) > 40
    assert emitted - named == set(), "codes the page does not explain"
    assert named - emitted == set(), "codes the page names that the code never emits"


def test_the_checklist_table_matches_the_code() -> None:
    rows = next(rows for header, rows in tables(policy_text()) if header[:1] == ["device kind"])
    documented = {code_names(r[0])[0]: (code_names(r[1]), set(code_names(r[2])), set(code_names(r[3]))) for r in rows}
    assert documented == {
        kind: (list(items), set(PART_SWAPS[kind]), set(CAVEAT_ITEMS[kind])) for kind, items in EXPECTED_ITEMS.items()
    }
