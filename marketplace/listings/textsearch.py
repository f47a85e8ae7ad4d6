"""Text search on a listing's make, model and CPU, behind one small interface.

``search_text`` is the lower-cased "make model cpu" of the listing. Each word of the query must
appear in it as a substring, in any case, on both databases:

- PostgreSQL: ``LIKE '%word%'`` served by the pg_trgm GIN index ``ix_listings_search_text_trgm``.
- SQLite: the FTS5 table ``listings_fts`` (trigram tokenizer, kept in sync by triggers; see the
  migration); words shorter than a trigram fall back to ``LIKE`` on the row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from marketplace.listings.models import Listing

#: A query has at most this many words (the rest is ignored: it would only slow the search).
MAX_WORDS = 8
_TRIGRAM = 3


def words_of(q: str) -> list[str]:
    return [w for w in re.split(r"\s+", q.strip().lower()) if w][:MAX_WORDS]


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(word: str) -> ColumnElement[bool]:
    return Listing.search_text.like(_like_pattern(word), escape="\\")


class TextSearch(Protocol):
    def matches(self, words: Sequence[str]) -> ColumnElement[bool]:
        """A condition on ``listings`` true when every word is in its search text."""
        ...


class PostgresTrigramSearch:
    def matches(self, words: Sequence[str]) -> ColumnElement[bool]:
        return sa.and_(*(_contains(w) for w in words))


class SqliteFtsSearch:
    def matches(self, words: Sequence[str]) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = [_contains(w) for w in words if len(w) < _TRIGRAM]
        long_words = [w for w in words if len(w) >= _TRIGRAM]
        if long_words:
            # FTS5 string literals: each word quoted, inner quotes doubled; AND of all of them.
            expression = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
            matching = sa.text("SELECT rowid FROM listings_fts WHERE listings_fts MATCH :fts_query").bindparams(
                fts_query=expression
            )
            conditions.append(Listing.id.in_(matching.columns(sa.column("rowid", sa.Integer))))
        return sa.and_(*conditions)


def for_dialect(name: str) -> TextSearch:
    if name == "sqlite":
        return SqliteFtsSearch()
    return PostgresTrigramSearch()
