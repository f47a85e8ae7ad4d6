"""Text search on a listing's make, model and CPU, behind one small interface.

``search_text`` is the lower-cased "make model cpu" of the listing. Each word of the query must
appear in it as a substring, in any case, on both databases:

- PostgreSQL: ``LIKE '%word%'`` served by the pg_trgm GIN index ``ix_listings_search_text_trgm``.
- SQLite: the FTS5 table ``listings_fts`` (trigram tokenizer, kept in sync by triggers; see the
  migration); words shorter than a trigram fall back to ``LIKE`` on the row.

A ``plan`` gives the condition's shape (the compiled SQL depends only on it), its bound values,
and a function building the condition with those bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from marketplace.listings.models import Listing

#: A query has at most this many words (the rest is ignored: it would only slow the search).
MAX_WORDS = 8
_TRIGRAM = 3

Plan = tuple[Hashable, dict[str, Any], Callable[[], ColumnElement[bool]]]


def words_of(q: str) -> list[str]:
    return [w for w in re.split(r"\s+", q.strip().lower()) if w][:MAX_WORDS]


def like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(name: str) -> ColumnElement[bool]:
    return Listing.__table__.c.search_text.like(sa.bindparam(name, type_=sa.String()), escape="\\")


class TextSearch(Protocol):
    def plan(self, words: Sequence[str]) -> Plan:
        """A condition on ``listings`` true when every word is in its search text."""
        ...


class PostgresTrigramSearch:
    def plan(self, words: Sequence[str]) -> Plan:
        params = {f"q_{i}": like_pattern(w) for i, w in enumerate(words)}
        return len(words), params, lambda: sa.and_(*(_contains(name) for name in params))


class SqliteFtsSearch:
    def plan(self, words: Sequence[str]) -> Plan:
        short = {f"q_{i}": like_pattern(w) for i, w in enumerate(words) if len(w) < _TRIGRAM}
        long_words = [w for w in words if len(w) >= _TRIGRAM]
        params: dict[str, Any] = dict(short)
        if long_words:
            # FTS5 string literals: each word quoted, inner quotes doubled; AND of all of them.
            params["q_fts"] = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)

        def build() -> ColumnElement[bool]:
            conditions = [_contains(name) for name in short]
            if long_words:
                matching = sa.text("SELECT rowid FROM listings_fts WHERE listings_fts MATCH :q_fts").columns(
                    sa.column("rowid", sa.Integer)
                )
                conditions.append(Listing.__table__.c.id.in_(matching))
            return sa.and_(*conditions)

        return (len(short), bool(long_words)), params, build


def for_dialect(name: str) -> TextSearch:
    if name == "sqlite":
        return SqliteFtsSearch()
    return PostgresTrigramSearch()
