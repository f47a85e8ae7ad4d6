"""The text parser's row patterns are tuned for speed (possessive quantifiers); they must find exactly
what the plain patterns they replaced find, on every corpus file and on generated rows."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics.detect import decode_text
from diagnostics.smart.text_report import _ATA_TEST_ROWS, _ATTR_ROWS
from tests.diagnostics.regen_smart_expected import corpus_files

#: The patterns as they were before the possessive quantifiers: the reference.
PLAIN_ATTR_ROWS = re.compile(
    r"^[ \t]*(\d{1,3})[ \t]+(\S+)[ \t]+(0x[0-9a-fA-F]{4}|[A-Z+-]{5,8})[ \t]+"
    r"(\d{1,3}|---)[ \t]+(\d{1,3}|---)[ \t]+(\d{1,3}|---)"
    r"(?:[ \t]+(?:Pre-fail|Old_age))?(?:[ \t]+(?:Always|Offline))?"
    r"(?:[ \t]+(-|FAILING_NOW|In_the_past|NOW|Past)(?=[ \t]+\S))?"
    r"[ \t]*((\d{0,24})[^\n]{0,300})$",
    re.MULTILINE,
)
PLAIN_ATA_TEST_ROWS = re.compile(
    r"^#[ \t]*\d+[ \t]+(\S+(?: \S+)*)[ \t]{2,}(\S+(?: \S+)*?)[ \t]+(\d{1,3})%[ \t]+(\d+|-)[ \t]*(\S*)",
    re.MULTILINE,
)

TEXTS = [text for text in (decode_text(p.read_bytes()) for p in corpus_files()) if not text.lstrip().startswith("{")]


def _same(text: str) -> None:
    assert _ATTR_ROWS.findall(text) == PLAIN_ATTR_ROWS.findall(text)
    assert _ATA_TEST_ROWS.findall(text) == PLAIN_ATA_TEST_ROWS.findall(text)


def test_corpus_rows_match_the_plain_patterns() -> None:
    assert sum(bool(PLAIN_ATTR_ROWS.search(t)) for t in TEXTS) > 30
    assert sum(bool(PLAIN_ATA_TEST_ROWS.search(t)) for t in TEXTS) > 20
    for text in TEXTS:
        _same(text)


# Rows assembled from the tokens each column can hold (and tokens it cannot), joined by blanks of
# every width, so that generated rows hit the boundaries between columns.
BLANKS = st.sampled_from(["", " ", "  ", "\t", " \t", "      ", "\u00a0"])
LEADS = st.sampled_from(["", "", "", "", " ", "  ", "\t"])
COLUMN_GAPS = st.sampled_from([" ", "  ", "   ", "\t", " \t", "      "] * 3 + ["", "\u00a0"])
ATTR_TOKENS = st.sampled_from(
    ["1", "194", "1000", "---", "--", "0x002f", "0x2f", "PO--CK", "-O---K", "Raw_Read_Error_Rate", "Pre-fail",
     "Old_age", "Always", "Offline", "-", "FAILING_NOW", "In_the_past", "NOW", "Past", "0", "35", "(Min/Max",
     "20/45)", "123456789012345678901234567", "h+", "1,234", "x" * 310, "#", "%", "90%", "Completed:", "read",
     "failure", "Short", "offline", "Extended"]
)  # fmt: skip
ROW = st.lists(st.tuples(BLANKS, ATTR_TOKENS | st.text(max_size=4)), max_size=14).map(
    lambda parts: "".join(blank + token for blank, token in parts)
)


def _columns(*columns: list[str], gaps: st.SearchStrategy[str] = COLUMN_GAPS) -> st.SearchStrategy[str]:
    """Rows shaped like a table's: each column from its list (or a token it cannot hold), gaps between."""
    cells = [st.sampled_from([*column * 8, "", "x", "1"]) for column in columns]
    first, *rest = cells
    return st.tuples(LEADS, first, *(st.tuples(gaps, cell) for cell in rest)).map(
        lambda parts: parts[0] + parts[1] + "".join(blank + cell for blank, cell in parts[2:])
    )


ATTR_ROW = _columns(
    ["1", "194", "1000"], ["Raw_Read_Error_Rate", "Temperature_Celsius"], ["0x002f", "0x2f", "PO--CK", "-O---K"],
    ["100", "---", "1"], ["200", "---"], ["051", "000", "---"], ["Pre-fail", "Old_age"], ["Always", "Offline"],
    ["-", "FAILING_NOW", "In_the_past", "NOW", "Past"], ["0", "35", "1234567890123456789012345"],
    ["(Min/Max", "h+", "x" * 300], ["20/45)", "-"],
)  # fmt: skip
SELFTEST_ROW = _columns(
    ["# 1", "#10", "#  3"], ["Short", "Extended"], ["offline", "captive"], ["Completed", "Aborted"],
    ["without", "read"], ["error", "failure"], ["00%", "90%", "100%", "1000%"], ["1819", "-"], ["-", "0x1234"],
    gaps=st.sampled_from([" "] * 6 + ["  ", "   ", "\t", " \t", ""]),  # words within a column: one space
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(ROW | ATTR_ROW | SELFTEST_ROW, min_size=1, max_size=6))
def test_generated_rows_match_the_plain_patterns(rows: list[str]) -> None:
    _same("\n".join(rows))
    _same("\n".join(rows) + "\n")
