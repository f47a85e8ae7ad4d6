"""Where the real outputs the tests read live: ``tests/corpus`` inside the repository.

Every file there was collected from a public source; ``smart/MANIFEST.tsv`` and ``battery/MANIFEST.tsv``
name each file's repository, path, commit and licence. New samples are copied in with
``python -m tests.corpus_sync SOURCE_DIR`` (see that module).
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SMART_CORPUS = CORPUS / "smart"
BATTERY_CORPUS = CORPUS / "battery"
