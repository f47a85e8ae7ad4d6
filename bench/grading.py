"""Benchmark: how fast saved SMART reports are parsed and graded (issue 4, item 5).

Run: ``.venv/bin/python bench/grading.py [--corpus DIR] [--repeat N]``. Progress goes to stderr;
the last line on stdout is one JSON object:

* ``json_files_per_s`` / ``text_files_per_s``: ``read_report`` (detection + parse + grade) over the
  corpus's smartctl JSON and text files that grade (files refused for holding no health data are
  left out: refusing is cheaper and would flatter the figure);
* ``json_vs_orjson_ratio``: that JSON time divided by a bare ``orjson.loads`` of the same files
  (target ≤ 4: detection, the one JSON reader and the grading cost at most three more decodings);
* ``text_speedup_vs_pysmart``: pySMART's own parsing of the same text files through its replay
  path (``Device`` with a ``Smartctl`` whose ``generic_call`` answers from memory, as pySMART's tests
  do), divided by our parse + grade time (target ≥ 12). Files pySMART cannot parse are left out of
  both sides.
* ``fleet_formats``: the Windows and server exports (issue 18: CrystalDiskInfo, PowerShell
  reliability counters, storcli text and JSON, Redfish Drive JSON, nvme-cli): ``read_report`` over
  the corpus files of each format that grade, by report format, as files and disks per second and
  milliseconds per disk, beside ``json_files_per_s`` / ``text_files_per_s`` for smartctl.

Each figure is the best of ``--repeat`` timed rounds over all files (the minimum is the least
noisy estimate of the cost; timeit's docs give the same advice), the two sides of a ratio timed in
alternation. Rounds are timed in CPU time of this process (``time.process_time``): on a shared
machine, wall-clock rounds are stretched whenever the scheduler runs another process, and a long
round (parse+grade) is stretched far more often than a short one (``orjson.loads``), which inflates
the ratio with the machine's load. ``load_average`` in the output says how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from diagnostics import POLICY_VERSION, ParseError, read_report
from diagnostics.detect import decode_text

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
JSON_RATIO_TARGET = 4.0
PYSMART_SPEEDUP_TARGET = 12.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def best_time(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def best_pair(first: Callable[[], object], second: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best times of two workloads timed in alternation, so a burst of load from other processes
    hits both sides of a ratio rather than one."""
    best_first = best_second = float("inf")
    for _ in range(repeat):
        best_first = min(best_first, best_time(first, 1))
        best_second = min(best_second, best_time(second, 1))
    return best_first, best_second


def gradable(paths: Sequence[Path]) -> list[tuple[Path, bytes]]:
    out = []
    for path in paths:
        data = path.read_bytes()
        try:
            reports = read_report(data, str(path))
        except ParseError:
            continue
        if reports[0].component.value == "disk":
            out.append((path, data))
    return out


def pysmart_parser() -> Callable[[bytes], Any]:
    """pySMART's replay path: a Device built from one saved ``--all`` output held in memory."""
    from diagnostics.smart.probe import _import_pysmart

    pysmart = _import_pysmart()
    logging.getLogger("pySMART").setLevel(logging.CRITICAL)

    class MemorySmartctl(pysmart.Smartctl):  # type: ignore[misc, name-defined]
        def __init__(self, content: bytes) -> None:
            super().__init__(smartctl_path="smartctl-replay", options=[])
            self.content = content

        def generic_call(self, params: list[str], pass_options: bool = False) -> tuple[list[str], int]:
            if any(p in ("--all", "-a", "-x", "--xall", "--info", "-i") for p in params):
                return self.content.decode("utf-8", errors="replace").splitlines(), 0
            return [], 1

    def parse(content: bytes) -> Any:
        text = content[:20000].decode("latin-1")
        if "NVMe" in text:
            name, interface = "nvme0", "nvme"
        elif "Transport protocol" in text or "SCSI" in text:
            name, interface = "sda", "scsi"
        else:
            name, interface = "sda", "ata"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pysmart.Device(name, interface=interface, smartctl=MemorySmartctl(content))

    return parse


def stage_breakdown(
    json_files: Sequence[tuple[Path, bytes]], text_files: Sequence[tuple[Path, bytes]], repeat: int
) -> dict[str, dict[str, float]]:
    """Milliseconds per file for growing pipelines on fresh inputs (load; load+parse; +assess_disk;
    +identity and measurements; the whole ``read_report``), so a slow stage is easy to find: timing
    stages on objects another stage already built would miss the cost of building them. The last
    step minus the one before is what detection and dispatch (``diagnostics.detect``) cost."""
    from diagnostics.grading import disk as grading
    from diagnostics.smart.json_report import parse_smartctl_json
    from diagnostics.smart.text_report import parse_smartctl_text

    def ms(work: Callable[[Any], object], batch: Sequence[tuple[Path, bytes]]) -> float:
        def run() -> None:
            for _path, data in batch:
                work(data)

        return 1000 * best_time(run, max(repeat, 11)) / max(1, len(batch))

    def full(disk: Any) -> object:
        return grading.assess_disk(disk), grading.disk_identity(disk), grading.disk_measurements(disk)

    def cumulative(steps: list[tuple[str, float]]) -> dict[str, float]:
        # Totals, not differences: on a busy machine the differences of noisy totals can go negative.
        return {name: round(total, 4) for name, total in steps}

    def jparse(d: bytes) -> Any:
        return parse_smartctl_json(orjson.loads(d), "b")

    def tparse(d: bytes) -> Any:
        return parse_smartctl_text(decode_text(d), "b")

    json_steps = [
        ("orjson_loads", ms(orjson.loads, json_files)),
        ("+parse_smartctl_json", ms(jparse, json_files)),
        ("+assess_disk", ms(lambda d: grading.assess_disk(jparse(d)), json_files)),
        ("+identity_and_measurements", ms(lambda d: full(jparse(d)), json_files)),
        ("read_report", ms(lambda d: read_report(d, "b"), json_files)),
    ]
    text_steps = [
        ("decode", ms(decode_text, text_files)),
        ("+parse_smartctl_text", ms(tparse, text_files)),
        ("+assess_disk", ms(lambda d: grading.assess_disk(tparse(d)), text_files)),
        ("+identity_and_measurements", ms(lambda d: full(tparse(d)), text_files)),
        ("read_report", ms(lambda d: read_report(d, "b"), text_files)),
    ]
    return {"json": cumulative(json_steps), "text": cumulative(text_steps)}


#: Corpus folders of the Windows and server formats (tests/corpus/<folder>).
FLEET_SECTIONS = ("crystaldiskinfo", "powershell", "storcli", "redfish", "nvme_cli")


def fleet_formats(corpus: Path, repeat: int) -> dict[str, dict[str, float]]:
    """``read_report`` speed on the Windows and server exports, per report format (files that are
    refused are left out, as for smartctl)."""
    by_format: dict[str, list[tuple[Path, bytes, int]]] = {}
    for section in FLEET_SECTIONS:
        for path in sorted(p for p in (corpus / section).rglob("*") if p.is_file() and p.suffix != ".tsv"):
            data = path.read_bytes()
            try:
                reports = read_report(data, path.name)
            except ParseError:
                continue
            by_format.setdefault(reports[0].format, []).append((path, data, len(reports)))
    result: dict[str, dict[str, float]] = {}
    for fmt, batch in sorted(by_format.items()):

        def run(batch: list[tuple[Path, bytes, int]] = batch) -> None:
            for path, data, _disks in batch:
                read_report(data, path.name)

        seconds = best_time(run, max(repeat, 11))
        disks = sum(n for _p, _d, n in batch)
        result[fmt] = {
            "files": len(batch),
            "disks": disks,
            "files_per_s": round(len(batch) / seconds, 1),
            "ms_per_disk": round(1000 * seconds / disks, 4),
        }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)

    files = sorted(p for p in (args.corpus / "smart").rglob("*") if p.is_file() and p.suffix != ".tsv")
    say(f"corpus: {len(files)} SMART files under {args.corpus / 'smart'}")
    usable = gradable(files)
    json_files = [(p, d) for p, d in usable if decode_text(d).lstrip().startswith("{")]
    text_files = [(p, d) for p, d in usable if (p, d) not in json_files]
    say(f"gradable: {len(json_files)} JSON, {len(text_files)} text")

    def grade_all(batch: Sequence[tuple[Path, bytes]]) -> Callable[[], None]:
        def run() -> None:
            for path, data in batch:
                read_report(data, path.name)

        return run

    def orjson_all() -> None:
        for _path, data in json_files:
            orjson.loads(data)

    say("timing JSON parse+grade and bare orjson.loads …")
    t_json, t_orjson = best_pair(grade_all(json_files), orjson_all, args.repeat)

    say("timing text parse+grade …")
    t_text = best_time(grade_all(text_files), args.repeat)

    say("timing pySMART on the same text files (replay path) …")
    pysmart_parse = pysmart_parser()
    pysmart_ok: list[tuple[Path, bytes]] = []
    pysmart_failed: list[str] = []
    for path, data in text_files:
        try:
            pysmart_parse(data)
        except Exception as exc:  # pySMART raises bare errors on layouts it does not know
            pysmart_failed.append(f"{path.name}: {type(exc).__name__}")
            continue
        pysmart_ok.append((path, data))
    if pysmart_failed:
        say(f"pySMART could not parse {len(pysmart_failed)} file(s); left out of the comparison")

    def pysmart_all() -> None:
        for _path, data in pysmart_ok:
            pysmart_parse(data)

    t_pysmart, t_ours_same = best_pair(pysmart_all, grade_all(pysmart_ok), args.repeat)

    say("timing each stage (where the time goes) …")
    breakdown = stage_breakdown(json_files, text_files, args.repeat)

    say("timing the Windows and server formats …")
    fleet = fleet_formats(args.corpus, args.repeat)

    result = {
        "benchmark": "diagnostics.grading",
        "json_files": len(json_files),
        "json_files_per_s": round(len(json_files) / t_json, 1),
        "text_files": len(text_files),
        "text_files_per_s": round(len(text_files) / t_text, 1),
        "json_vs_orjson_ratio": round(t_json / t_orjson, 2),
        "json_vs_orjson_target_max": JSON_RATIO_TARGET,
        "text_files_compared_with_pysmart": len(pysmart_ok),
        "text_speedup_vs_pysmart": round(t_pysmart / t_ours_same, 1),
        "text_speedup_target_min": PYSMART_SPEEDUP_TARGET,
        "pysmart_files_per_s": round(len(pysmart_ok) / t_pysmart, 1),
        "ms_per_file_cumulative": breakdown,
        "fleet_formats": fleet,
        "repeat": args.repeat,
        "clock": "process_time",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "policy": POLICY_VERSION,
        "python": platform.python_version(),
    }
    result["targets_met"] = (
        result["json_vs_orjson_ratio"] <= JSON_RATIO_TARGET
        and result["text_speedup_vs_pysmart"] >= PYSMART_SPEEDUP_TARGET
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
