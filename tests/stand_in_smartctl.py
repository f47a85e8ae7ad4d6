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


#: A stand-in ``dmidecode``: prints the saved output, or fails as dmidecode does without /dev/mem.
DMIDECODE_SCRIPT = """#!{python}
import os, pathlib, sys
path = pathlib.Path(os.environ["RELIFE_SMARTCTL_REPLAY"]) / "dmidecode.out"
if not path.is_file():
    sys.stderr.write("/dev/mem: Permission denied\\n")
    sys.exit(1)
sys.stdout.buffer.write(path.read_bytes())
"""


def install(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answers: Mapping[str, bytes],
    *,
    root: bool = True,
    dmidecode: bytes | None = None,
) -> Path:
    """Put the stand-in first on PATH answering ``answers`` ({"-d nvme -x -j /dev/nvme0": output});
    ``root``: the bench runs ``sudo relife-bench scan``; ``dmidecode``: what the stand-in dmidecode
    prints (None: it fails, whatever the host has installed). Returns the answers' folder."""
    bin_dir, replay = tmp_path / "stand-in-bin", tmp_path / "stand-in-answers"
    bin_dir.mkdir()
    replay.mkdir()
    for name, text in (("smartctl", SCRIPT), ("dmidecode", DMIDECODE_SCRIPT)):
        script = bin_dir / name
        script.write_text(text.format(python=sys.executable))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    if dmidecode is not None:
        (replay / "dmidecode.out").write_bytes(dmidecode)
    for args, content in answers.items():
        (replay / replay_file_name(args.split())).write_bytes(content)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("RELIFE_SMARTCTL_REPLAY", str(replay))
    monkeypatch.setattr("diagnostics.smart.probe.is_root", lambda: root)
    return replay
