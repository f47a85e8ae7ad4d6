"""``relife-bench``: the bench CLI, thin click over the library (DESIGN §2.4, STYLE §2.11).

Data goes to stdout (a readable table, or JSON with ``--json``), progress and messages to stderr;
``--quiet`` silences progress. Exit status: 0 when everything asked for was done, 1 when an input
could not be read / a probe could not run / an upload failed, 2 on usage errors (click's own).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson

from diagnostics.detect import read_report, sniff_format
from diagnostics.errors import DiagnosticsError, ParseError, ProbeError
from diagnostics.grading.device import assess_device
from diagnostics.grading.explain import LANGUAGES, explain
from diagnostics.grading.trends import Reading, apply_history, reading_of
from diagnostics.manual import EXPECTED_ITEMS, checklist_template
from diagnostics.models import ComponentKind, ComponentReport, DeviceAssessment, Finding, Grade, Health, RemainingLife

T = TypeVar("T")

#: What to do with a component or device of each grade (DESIGN §2.2).
ACTIONS = {
    Grade.A: "reuse as is (like new)",
    Grade.B: "reuse as is (healthy, used)",
    Grade.C: "reuse; worn, expect a shorter life",
    Grade.D: "replace this part, then reuse the device",
    Grade.F: "do not reuse (erase, then recycle)",
}
UNKNOWN_ACTION = "no health data: re-test or check by hand"
_SEVERITY_MARK = {"critical": "!!", "warning": "! ", "info": "- "}


@dataclass
class Graded:
    """The outcome for one input: its reports, or why it could not be read."""

    file: str
    reports: tuple[ComponentReport, ...] = ()
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[dict[str, Any]]:
        if self.error is not None:
            return [{"file": self.file, "error": self.error, **self.extra}]
        return [{"file": self.file, **self.extra, **r.to_dict()} for r in self.reports]


# --- options shared by every command ------------------------------------------------------------


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(dict)["quiet"] = True


quiet_option = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    expose_value=False,
    callback=_set_quiet,
    is_eager=True,
    help="No progress output on stderr (errors are still shown).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine output: JSON on stdout.")
lang_option = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="fr",
    show_default=True,
    help="Language of the plain-language explanation under each finding (human output).",
)
files_argument = click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=Path),
)


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().ensure_object(dict).get("quiet"))


def _say(message: str) -> None:
    click.echo(message, err=True)


def _progress(items: Sequence[T], label: str) -> Any:
    """A click progress bar on stderr, or a silent pass-through with ``--quiet`` / one item."""
    if _quiet() or len(items) < 2 or not sys.stderr.isatty():  # a bar in a log file is noise
        return _NoBar(items)
    return click.progressbar(items, label=label, file=sys.stderr, show_pos=True)


class _NoBar:
    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items

    def __enter__(self) -> Iterable[Any]:
        return self._items

    def __exit__(self, *exc: object) -> None:
        return None


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Data on stdout, progress and messages on stderr. Exit status 0 ok, 1 unreadable input, 2 usage.",
)
@click.version_option(package_name="relife", prog_name="relife-bench")
@quiet_option
def cli() -> None:
    """Relife bench: grade disks, batteries and functional checks, scan this machine, upload reports."""


# --- grade --------------------------------------------------------------------------------------


def expand_files(paths: Sequence[Path]) -> list[Path]:
    """Files as given; a folder stands for every file under it (hidden files skipped), sorted."""
    out: list[Path] = []
    for path in paths:
        if str(path) != "-" and path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            out.append(path)
    return out


def grade_file(path: Path) -> Graded:
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        return Graded(name, error=f"cannot read the file: {exc.strerror or exc}")
    try:
        return Graded(name, reports=read_report(data, name))
    except ParseError as exc:
        return Graded(name, error=exc.reason)


def _grade_all(files: Sequence[Path]) -> list[Graded]:
    results: list[Graded] = []
    with _progress(files, "grading") as bar:
        for path in bar:
            results.append(grade_file(path))
    return results


@cli.command()
@files_argument
@json_option
@lang_option
@quiet_option
def grade(files: tuple[Path, ...], as_json: bool, lang: str) -> None:
    """Grade saved reports: smartctl JSON/text, battery reports, checklists.

    FILE may be a folder (every file under it is graded) or - for stdin. With --json, one JSON
    object per component per input (JSON Lines); an unreadable input gives a line with "error"
    and makes the exit status 1.
    """
    results = _grade_all(expand_files(files))
    if as_json:
        for result in results:
            for line in result.lines():
                _emit_json(line)
    else:
        _print_table(results, lang)
    _finish(results)


def _finish(results: Sequence[Graded]) -> None:
    failed = [r for r in results if r.error is not None]
    if failed:
        _say(f"{len(failed)} of {len(results)} input(s) could not be read")
        raise SystemExit(1)


# --- assess -------------------------------------------------------------------------------------


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _earlier_reports(
    _ctx: click.Context, _param: click.Parameter, value: Sequence[tuple[str, Path]]
) -> list[tuple[str, Path]]:
    out = []
    for when, path in value:
        try:
            out.append((dt.date.fromisoformat(when).isoformat(), path))
        except ValueError:
            raise click.BadParameter(f"{when!r} is not a date (YYYY-MM-DD), before {path}") from None
    return sorted(out, key=lambda item: item[0])


@cli.command()
@files_argument
@click.option(
    "--earlier",
    nargs=2,
    multiple=True,
    type=(str, click.Path(exists=True, dir_okay=False, path_type=Path)),
    callback=_earlier_reports,
    metavar="DATE FILE",
    help="An earlier report of the same device, read on DATE (YYYY-MM-DD); repeatable. Counts that grew, "
    "media errors that appeared and a battery fading faster than its cycles explain become findings.",
)
@click.option("--date", "at", callback=_iso_date, help="When FILES were read (YYYY-MM-DD); default: today.")
@json_option
@lang_option
@quiet_option
def assess(files: tuple[Path, ...], earlier: list[tuple[str, Path]], at: str | None, as_json: bool, lang: str) -> None:
    """Assess one device from all its component reports (disks, batteries, checklist).

    The device is as good as its worst component, except that a failing replaceable part (a
    drive, a battery, a keyboard …) makes it D with a finding saying what to replace. With
    --earlier, the device is graded with its history: each disk and battery is compared with its
    oldest earlier reading (matched by serial).
    """
    results = _grade_all(expand_files(files))
    reports = [r for result in results for r in result.reports]
    errors = [{"file": r.file, "error": r.error} for r in results if r.error is not None]
    readings: list[Reading] = []
    for when, path in earlier:
        old = grade_file(path)
        if old.error is not None:
            errors.append({"file": old.file, "error": old.error})
            continue
        readings.extend(reading_of(r, when, old.file) for r in old.reports)
    for e in errors:
        _say(f"{e['file']}: {e['error']}")
    if not reports:
        raise click.ClickException("no readable report: nothing to assess")
    if readings:
        reports = list(apply_history(reports, readings, at or dt.datetime.now(dt.UTC).date().isoformat(), "latest"))
        results = _with_reports(results, reports)
    device = assess_device(reports)
    if as_json:
        payload = {"files": [r.file for r in results], "errors": errors, **device.to_dict()}
        if earlier:
            payload["earlier"] = [{"date": when, "file": str(path)} for when, path in earlier]
        _emit_json(payload)
    else:
        _print_device(device, [r for r in results if r.error is None], lang)
    if errors:
        _say("the assessment leaves out the unreadable input(s) above")
        raise SystemExit(1)


def _with_reports(results: Sequence[Graded], reports: Sequence[ComponentReport]) -> list[Graded]:
    """The same inputs, each with its reports replaced (in order) by the history-aware ones."""
    it = iter(reports)
    return [
        r if r.error is not None else Graded(r.file, tuple(next(it) for _ in r.reports), r.error, r.extra)
        for r in results
    ]


# --- scan ---------------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--selftest",
    type=click.Choice(["short", "long"]),
    help="Run a SMART self-test on every disk first (short: ~2 min, long: hours), with progress.",
)
@json_option
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the raw outputs (smartctl JSON/text, battery uevent, dmidecode) in this folder, for `upload`.",
)
@click.option("--no-disks", is_flag=True, help="Skip the disks (no root needed).")
@click.option("--no-battery", is_flag=True, help="Skip the battery.")
@click.option("--replay", type=click.Path(exists=True, file_okay=False, path_type=Path), hidden=True)
@click.option("--power-supply", type=click.Path(file_okay=False, path_type=Path), hidden=True)
@lang_option
@quiet_option
def scan(
    selftest: str | None,
    as_json: bool,
    save_dir: Path | None,
    no_disks: bool,
    no_battery: bool,
    replay: Path | None,
    power_supply: Path | None,
    lang: str,
) -> None:
    """Scan this machine: every disk's SMART data (smartctl -x -j via pySMART) and its battery.

    Reading disks needs root (sudo); the battery does not. --save keeps the raw files unchanged,
    ready for `relife-bench upload`, with dmidecode's system, processor and memory output when it
    can run (root), for the specs check. With --json: one JSON line per disk and battery, or `[]` (and a
    message on stderr) when none was read.
    """
    from diagnostics.battery import probe as battery_probe  # only scan needs them
    from diagnostics.smart import probe as smart_probe

    results: list[Graded] = []
    problems: list[str] = []
    raw_files: list[tuple[str, bytes]] = []

    if not no_disks:
        try:
            smartctl = smart_probe.replay_smartctl(replay) if replay else _live_smartctl(smart_probe)
            disk_results, disk_problems, disk_raw = _scan_disks(smart_probe, smartctl, selftest)
            results += disk_results
            problems += disk_problems
            raw_files += disk_raw
        except ProbeError as exc:
            problems.append(str(exc))
            _say(f"disks: {exc}")

    if not no_battery:
        root = power_supply or battery_probe.SYSFS_POWER_SUPPLY
        batteries = battery_probe.probe_batteries(root)
        if not batteries:
            _say("battery: none found (a desktop, or no sysfs/upower battery)")
        for raw in batteries:
            raw_files.append((raw.filename, raw.content))
            result = _graded_raw(raw.source, raw.content, raw.filename)
            if result.error is not None:
                problems.append(f"{raw.source}: {result.error}")
            results.append(result)

    if save_dir is not None and not no_disks:
        # The machine's identity (make, model, serial, CPU, RAM) beside the disks, for the specs
        # check on upload; saved only, it grades nothing.
        from diagnostics import machine

        output, why = machine.probe_dmidecode(root=smart_probe.is_root())
        if output is None:
            _say(f"machine: {why}: make, model, serial, CPU and RAM not saved")
        else:
            raw_files.append((machine.DMIDECODE_FILENAME, output))

    if save_dir is not None:
        _save(save_dir, raw_files, results)

    if as_json:
        for result in results:
            for line in result.lines():
                _emit_json(line)
        if not results:  # never nothing: a script reading stdout tells "none found" from "did not run"
            _emit_json([])
            _say("scan: nothing to report (no disk read, no battery found)")
    elif results:
        _print_table(results, lang)
    if problems:
        raise SystemExit(1)


def _live_smartctl(smart_probe: Any) -> Any:
    smart_probe.check_can_probe()
    return smart_probe.default_smartctl()


def _scan_disks(
    smart_probe: Any, smartctl: Any, selftest: str | None
) -> tuple[list[Graded], list[str], list[tuple[str, bytes]]]:
    results: list[Graded] = []
    problems: list[str] = []
    raw_files: list[tuple[str, bytes]] = []
    disks, skipped = smart_probe.discover(smartctl)
    for s in skipped:
        _say(f"disks: {s.name} skipped: {s.reason}")
    if not disks:
        _say("disks: no SMART-capable disk found (smartctl --scan-open lists none)")
    if selftest and disks:
        for disk, outcome in zip(disks, _run_selftests(smart_probe, smartctl, disks, selftest), strict=True):
            _say(f"{disk.name}: {selftest} self-test {outcome.status.replace('_', ' ')}: {outcome.message}")
            if outcome.status in {"error", "timeout", "busy"}:  # asked for and not done: say so in the exit status
                problems.append(f"{disk.name}: {selftest} self-test {outcome.status}: {outcome.message}")
    for disk in disks:
        try:
            raw = smart_probe.read_disk(smartctl, disk)
        except ProbeError as exc:
            problems.append(str(exc))
            _say(str(exc))
            continue
        raw_files.append((raw.filename, raw.content))
        result = _graded_raw(disk.name, raw.content, raw.filename)
        if result.error is not None:
            problems.append(f"{disk.name}: {result.error}")
        results.append(result)
    return results, problems, raw_files


def _run_selftests(smart_probe: Any, smartctl: Any, disks: Sequence[Any], kind: str) -> list[Any]:
    """Self-test every disk at once (a drive tests itself; a long test takes hours per drive, so a
    server's disks are not tested one after the other), with one progress bar for all of them."""
    lock = threading.Lock()
    state: dict[str, tuple[float, float | None]] = {d.name: (0.0, None) for d in disks}

    def run(disk: Any) -> Any:
        def on_progress(percent: float, seconds_left: float | None) -> None:
            with lock:
                state[disk.name] = (percent, seconds_left)

        try:
            return smart_probe.run_selftest(smartctl, disk, kind, on_progress=on_progress)
        except Exception as exc:  # the outcome says it; other disks go on
            return smart_probe.SelfTestOutcome(disk, kind, "error", str(exc), None)
        finally:
            with lock:
                state[disk.name] = (100.0, 0.0)

    label = f"{kind} self-test on {len(disks)} disk(s)"
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=len(disks)) as pool:
        futures = [pool.submit(run, disk) for disk in disks]
        bar = None
        if not _quiet():
            bar = stack.enter_context(click.progressbar(length=100 * len(disks), label=label, file=sys.stderr))
        shown = 0
        pending = set(futures)
        while pending:
            _done, pending = wait(pending, timeout=1.0)
            if bar is None:
                continue
            with lock:
                total = int(sum(p for p, _ in state.values()))
                lefts = [left for _, left in state.values() if left is not None]
            if lefts:
                bar.label = f"{label}, ~{_duration(max(lefts))} left"
            if total > shown:
                bar.update(total - shown)
                shown = total
        return [f.result() for f in futures]


def _graded_raw(source: str, content: bytes, filename: str) -> Graded:
    try:
        return Graded(source, reports=read_report(content, source), extra={"raw_file": filename})
    except ParseError as exc:
        return Graded(source, error=exc.reason, extra={"raw_file": filename})


def _save(save_dir: Path, raw_files: Sequence[tuple[str, bytes]], results: Sequence[Graded]) -> None:
    try:
        save_dir.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()
        for name, content in raw_files:
            unique, n = name, 1
            while unique in used:
                n += 1
                stem, dot, ext = name.partition(".")
                unique = f"{stem}-{n}{dot}{ext}"
            used.add(unique)
            (save_dir / unique).write_bytes(content)
            for result in results:
                if result.extra.get("raw_file") == name:
                    result.extra["raw_file"] = str(save_dir / unique)
    except OSError as exc:
        raise click.ClickException(f"cannot save to {save_dir}: {exc.strerror or exc}") from exc
    _say(f"saved {len(raw_files)} raw file(s) in {save_dir}")


# --- checklist ----------------------------------------------------------------------------------


@cli.command()
@click.argument("device_kind", type=click.Choice(sorted(EXPECTED_ITEMS)))
@quiet_option
def checklist(device_kind: str) -> None:
    """Print an empty functional checklist for DEVICE_KIND (JSON), to fill in on the bench.

    Set each item's result to pass, fail or na (not applicable), add a note where useful, then
    grade it with `relife-bench grade FILE` or upload it with the other reports. An item left
    empty makes the file unreadable on purpose: an unfilled template never passes for a good device.
    """
    click.echo(orjson.dumps(checklist_template(device_kind), option=orjson.OPT_INDENT_2).decode())


# --- upload -------------------------------------------------------------------------------------


api_option = click.option(
    "--api", required=True, envvar="RELIFE_API", help="Base URL of the Relife API (env RELIFE_API)."
)
token_option = click.option(
    "--token", required=True, envvar="RELIFE_TOKEN", help="Bench token rlf_… (env RELIFE_TOKEN)."
)


def device_options(command: Any) -> Any:
    """--device ID | --tag TAG | --serial SERIAL: exactly one, resolved through the API's lookup."""
    command = click.option("--serial", help="The device's serial number.")(command)
    command = click.option("--tag", help="The asset tag on the device's label (RLF-000123).")(command)
    return click.option("--device", "device_id", help="The device's id in the marketplace.")(command)


def _resolve_device(api: str, token: str, device_id: str | None, tag: str | None, serial: str | None) -> str:
    from diagnostics.upload import UploadError, find_device

    given = [name for name, value in (("--device", device_id), ("--tag", tag), ("--serial", serial)) if value]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one of --device, --tag, --serial" + (f" (got {', '.join(given)})" if given else "")
        )
    if device_id:
        return device_id
    try:
        device = find_device(api, token, tag=tag, serial=serial, retries=2)
    except UploadError as exc:
        raise click.ClickException(f"cannot find the device: {exc}") from exc
    return str(device["id"])


@cli.command()
@api_option
@token_option
@device_options
@click.option("--retries", default=4, show_default=True, type=click.IntRange(0, 10), help="Retries on errors.")
@files_argument
@json_option
@quiet_option
def upload(
    api: str,
    token: str,
    device_id: str | None,
    tag: str | None,
    serial: str | None,
    retries: int,
    files: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Send raw reports (e.g. a `scan --save` folder) to the API, which re-grades them.

    Network errors and 5xx answers are retried with backoff; a refusal (4xx) is shown with the
    server's problem details. Then says what the device still needs to be listed (see `status`).
    """
    from diagnostics.upload import UploadError, UploadFile, device_readiness, upload_reports

    device_id = _resolve_device(api, token, device_id, tag, serial)
    paths = [p for p in expand_files(files) if str(p) != "-"]
    uploads: list[UploadFile] = []
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
        if sniff_format(content) is None:
            _say(f"warning: {path}: not a format relife-bench recognises; the server may refuse it")
        uploads.append(UploadFile(path.name, content))

    def on_retry(attempt: int, reason: str, delay: float) -> None:
        if not _quiet():
            _say(f"upload attempt {attempt} failed ({reason.splitlines()[0]}); retrying in {delay:.1f} s")

    try:
        answer = upload_reports(api, token, device_id, uploads, retries=retries, on_retry=on_retry)
    except UploadError as exc:
        raise click.ClickException(f"upload failed: {exc}") from exc
    try:
        readiness = device_readiness(api, token, device_id, retries=retries)
    except UploadError as exc:
        _say(f"could not read what the device still needs: {exc}")
        readiness = None
    if as_json:
        _emit_json({**answer, "readiness": readiness} if isinstance(answer, dict) else answer)
        return
    duplicate = isinstance(answer, dict) and answer.get("duplicate")
    if duplicate:
        click.echo(
            f"already sent: these {len(uploads)} file(s) are report {answer.get('id')} of device {device_id}; "
            "nothing new was stored"
        )
    else:
        click.echo(f"uploaded {len(uploads)} file(s) for device {device_id}")
    grade_value, health_value = _answer_grade(answer)
    if grade_value:
        click.echo(f"server grade: {grade_value}" + (f" ({health_value})" if health_value else ""))
    if readiness is not None:
        _print_readiness(readiness)


# --- status -------------------------------------------------------------------------------------


@cli.command()
@api_option
@token_option
@device_options
@json_option
@quiet_option
def status(api: str, token: str, device_id: str | None, tag: str | None, serial: str | None, as_json: bool) -> None:
    """What the device still needs to be listed: its reports by kind, the checklist, and the
    erasure of each of its disks. Says "ready to list" when nothing is missing."""
    from diagnostics.upload import UploadError, device_readiness

    device_id = _resolve_device(api, token, device_id, tag, serial)
    try:
        readiness = device_readiness(api, token, device_id)
    except UploadError as exc:
        raise click.ClickException(f"cannot read the device's status: {exc}") from exc
    if as_json:
        _emit_json(readiness)
    else:
        _print_readiness(readiness)


def _print_readiness(readiness: Any) -> None:
    device = readiness.get("device") or {}
    click.echo(
        f"device {device.get('id')} {device.get('asset_tag')}: {device.get('make')} {device.get('model')} "
        f"({device.get('kind')}), {device.get('state')}" + (f", grade {device['grade']}" if device.get("grade") else "")
    )
    for row in readiness.get("reports") or []:
        if row.get("present"):
            state = f"in (report {row.get('report_id')})"
        elif row.get("waived_by_checklist"):
            state = "not needed (the checklist records the part)"
        elif row.get("required"):
            state = "MISSING"
        else:
            state = "none (not required)"
        click.echo(f"  {row.get('kind')}: {state}")
    disks = readiness.get("disks") or []
    if not disks:
        click.echo("  disks: none reported")
    for disk in disks:
        label = disk.get("serial") or "(no serial)"
        if disk.get("model"):
            label += f" ({disk['model']})"
        click.echo(f"  disk {label}: {disk.get('status')}")
    verdict = str(readiness.get("verdict") or "")
    click.echo(("READY TO LIST" if readiness.get("ready") else "NOT READY") + f": {verdict}")


# --- erase --------------------------------------------------------------------------------------


@cli.command()
@api_option
@token_option
@device_options
@click.option("--disk", "disk_serial", help="The disk's serial, where the tool's output does not name it.")
@click.option(
    "--evidence",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The wiping tool's output: nwipe's log, `nvme sanitize-log`, or hdparm's secure-erase output.",
)
@click.option("--operator", help="Who ran the wipe (for the certificate).")
@json_option
@quiet_option
def erase(
    api: str,
    token: str,
    device_id: str | None,
    tag: str | None,
    serial: str | None,
    disk_serial: str | None,
    evidence: Path,
    operator: str | None,
    as_json: bool,
) -> None:
    """Record one disk's erasure from the evidence the wiping tool left.

    The evidence is read here first (a failed or unfinished wipe is not sent) and sent unchanged:
    the server reads it again itself and keeps it with the record. Needs a bench token with the
    erasures:write scope.
    """
    from diagnostics.erasure import parse_evidence
    from diagnostics.upload import UploadError, UploadFile, device_readiness, send_erasure_evidence

    try:
        content = evidence.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{evidence}: cannot read the file: {exc.strerror or exc}") from exc
    try:
        parsed = parse_evidence(content, str(evidence))
    except ParseError as exc:
        raise click.ClickException(f"{evidence}: {exc.reason}") from exc
    if not parsed.succeeded:
        raise click.ClickException(f"{parsed.tool} does not report a completed erasure: {parsed.outcome}")
    device_id = _resolve_device(api, token, device_id, tag, serial)
    try:
        record = send_erasure_evidence(
            api, token, device_id, UploadFile(evidence.name, content), disk_serial=disk_serial, operator=operator
        )
    except UploadError as exc:
        raise click.ClickException(f"erasure not recorded: {exc}") from exc
    try:
        readiness = device_readiness(api, token, device_id)
    except UploadError:
        readiness = None
    if as_json:
        _emit_json({"erasure": record, "readiness": readiness})
        return
    click.echo(
        f"erasure {record.get('id')} recorded for disk {record.get('disk_serial')}: {record.get('method')} "
        f"({record.get('tool')}{' ' + record['tool_method'] if record.get('tool_method') else ''}), "
        + ("verified" if record.get("verified") else "NOT verified")
    )
    if readiness is not None:
        _print_readiness(readiness)


def _answer_grade(answer: Any) -> tuple[str | None, str | None]:
    """The device grade in the server's answer, wherever the report puts it."""
    if not isinstance(answer, dict):
        return None, None
    for key in ("device_assessment", "assessment", "device"):
        inner = answer.get(key)
        if isinstance(inner, dict) and inner.get("grade"):
            return str(inner["grade"]), _str(inner.get("health"))
    if answer.get("grade"):
        return str(answer["grade"]), _str(answer.get("health"))
    return None, None


def _str(value: object) -> str | None:
    return str(value) if value is not None else None


# --- output -------------------------------------------------------------------------------------


def json_line(obj: Any) -> str:
    """One line of JSON. orjson refuses integers beyond 64 bits (NVMe's 128-bit counters can be),
    so those lines go through the standard library instead."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


def _emit_json(obj: Any) -> None:
    click.echo(json_line(obj))


def _action(grade: Grade, health: Health, replaceable: bool = False) -> str:
    if health is Health.UNKNOWN:
        return UNKNOWN_ACTION
    if grade is Grade.F and replaceable:
        return "replace this part (erase it, then recycle it), then reuse the device"
    return ACTIONS[grade]


def _print_table(results: Sequence[Graded], lang: str = "fr") -> None:
    rows: list[tuple[str, str, str, str, str, str]] = []
    details: list[list[str]] = []
    for result in results:
        if result.error is not None:
            rows.append((result.file, "-", "-", "error", "-", f"could not read it: {result.error}"))
            details.append([])
            continue
        for report in result.reports:
            a = report.assessment
            if report.component is ComponentKind.MACHINE:
                rows.append((result.file, "machine", _model(report), "-", "-", _machine_summary(report)))
                details.append([])
                continue
            rows.append(
                (
                    result.file,
                    report.component.value,
                    _model(report),
                    a.health.value,
                    a.grade.value,
                    _action(a.grade, a.health, report.replaceable),
                )
            )
            details.append(
                [line for f in a.findings for line in _finding_lines(f, lang)]
                + ([f"   life: {_life(a.remaining_life)}"] if a.remaining_life else [])
            )
    headers = ("FILE", "COMPONENT", "MODEL", "HEALTH", "GRADE", "WHAT TO DO")
    widths = [min(60, max(len(h), *(len(r[i]) for r in rows))) for i, h in enumerate(headers[:-1])] if rows else []
    click.echo(_row(headers, widths))
    for row, lines in zip(rows, details, strict=True):
        click.echo(_row(row, widths))
        for line in lines:
            click.echo(line)


def _machine_summary(report: ComponentReport) -> str:
    """What a machine component says: its identity, never a grade."""
    cpu, ram = report.measurements.get("cpu"), report.measurements.get("ram_gb")
    serial = report.identity.get("serial")
    parts = [str(cpu) if cpu else "CPU unknown", f"{ram:g} GB RAM" if ram else "RAM unknown"]
    parts.append(f"serial {serial}" if serial else "no serial")
    return "identity, not graded: " + ", ".join(parts)


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    parts = [_fit(c, w).ljust(w) for c, w in zip(cells[:-1], widths, strict=False)]
    return "  ".join([*parts, cells[-1]]).rstrip()


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _finding_lines(f: Finding, lang: str = "fr") -> list[str]:
    """The finding, then what it means in plain words (``diagnostics.grading.explain``)."""
    lines = [f"   {_SEVERITY_MARK.get(f.severity.value, '- ')} {f.code}: {f.message}"]
    text = explain(f.code, lang)
    if text:
        lines.append(f"      = {text}")
    return lines


def _model(report: ComponentReport) -> str:
    identity = report.identity
    value = identity.get("model") or identity.get("name") or identity.get("device_kind") or "-"
    return str(value)


def _life(life: RemainingLife | None) -> str:
    if life is None:
        return "unknown"
    parts = []
    if life.percent is not None:
        parts.append(f"{life.percent:.0f} % left")
    if life.years is not None:
        parts.append(f"~{life.years:.1f} years")
    text = ", ".join(parts) or "estimate"
    return f"{text} (basis: {life.basis}{'; ' + life.detail if life.detail else ''})"


def _print_device(device: DeviceAssessment, results: Sequence[Graded], lang: str = "fr") -> None:
    click.echo(f"DEVICE GRADE {device.grade.value}  ({device.health.value})  {_action(device.grade, device.health)}")
    for f in device.findings:
        for line in _finding_lines(f, lang):
            click.echo(line)
    if device.remaining_life is not None:
        click.echo(f"   life: {_life(device.remaining_life)}")
    click.echo(f"   policy {device.policy}")
    click.echo("")
    _print_table(results, lang)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``relife-bench``) and ``python -m diagnostics``."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="relife-bench")
    except DiagnosticsError as exc:  # a library error the commands did not expect: say it, no traceback
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
