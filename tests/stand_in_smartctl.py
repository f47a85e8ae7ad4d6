"""A stand-in ``smartctl`` on PATH: a script that answers each call with a saved real output,
the way the bench CLI would see the real binary (subprocess, exit status, stdout bytes).

Answers are named as pySMART's test data names them (``replay_file_name``: "_" + the arguments
joined by "_", "/" → "_"), so the pySMART listings of tests/corpus/smart/pysmart replay as they are.
A call without an answer exits 2 with nothing on stdout, as smartctl does for a device it cannot open.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from diagnostics.smart.probe import replay_file_name

SCRIPT = """#!{python}
import os, pathlib, sys
name = "_" + "_".join(sys.argv[1:]).replace("/", "_").replace(":", "_")
path = pathlib.Path(os.environ["RELIFE_SMARTCTL_REPLAY"]) / name
if not path.is_file():
    sys.exit(2)
sys.stdout.buffer.write(path.read_bytes())

"""


def install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: Mapping[str, bytes], *, root: bool = True
) -> Path:
    """Put the stand-in first on PATH answering ``answers`` ({"-d nvme -x -j /dev/nvme0": output});
    ``root``: the bench runs ``sudo relife-bench scan``. Returns the answers' folder."""
    bin_dir, replay = tmp_path / "stand-in-bin", tmp_path / "stand-in-answers"
    bin_dir.mkdir()
    replay.mkdir()
    script = bin_dir / "smartctl"
    script.write_text(SCRIPT.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    for args, content in answers.items():
        (replay / replay_file_name(args.split())).write_bytes(content)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("RELIFE_SMARTCTL_REPLAY", str(replay))
    monkeypatch.setattr("diagnostics.smart.probe.is_root", lambda: root)
    return replay
