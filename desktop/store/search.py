"""Full-text search over templates and snippets with SQLite FTS5.

The index rows share the rowid (``seq``) of the record they describe and are written in
the same transaction as the record, so search is always current. Content is indexed as
plain text (HTML stripped), tags as words.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from desktop.domain import Snippet, Template
from desktop.store.rows import raw
from desktop.variables import html_to_text

_INDEXES = {"template": "templates_fts", "snippet": "snippets_fts"}
INDEXED = frozenset(_INDEXES)
_TERM = re.compile(r"\w+", re.UNICODE)


def index(session: Session, entity: str, seq: int, record: Template | Snippet) -> None:
    """(Re)write the search entry of a record, in the caller's transaction."""
    table = _INDEXES[entity]
    connection = raw(session)
    connection.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
    connection.execute(
        f"INSERT INTO {table} (rowid, title, description, body, tags) VALUES (?, ?, ?, ?, ?)",
        (
            seq,
            record.title,
            record.description,
            html_to_text(record.content),
            " ".join(record.tags),
        ),
    )


def unindex(session: Session, entity: str, seq: int) -> None:
    raw(session).execute(f"DELETE FROM {_INDEXES[entity]} WHERE rowid = ?", (seq,))


def match_expression(query: str) -> str | None:
    """Turn what a user typed into an FTS5 query: every word must match, as a prefix."""
    terms = _TERM.findall(query)
    if not terms:
        return None
    return " ".join(f'"{term}"*' for term in terms)


def search_seqs(
    session: Session, entity: str, query: str, category: str | None = None, limit: int = 200
) -> list[int]:
    """Row ids (``seq``) of matching records: title matches first, best first (BM25), then
    the other matches, newest first.

    Ranking every match of a common word with BM25 costs tens of milliseconds on 10,000
    templates; title matches are few, so they are ranked, and the rest are read in rowid
    order (FTS5's native order) and stop as soon as the page is full.
    """
    expression = match_expression(query)
    if expression is None:
        return []
    table = _INDEXES[entity]
    connection = raw(session)
    allowed: set[int] | None = None
    if category is not None:
        source = "templates" if entity == "template" else "snippets"
        allowed = {
            row[0]
            for row in connection.execute(
                f"SELECT seq FROM {source} WHERE category = ?", (category,)
            )
        }
    found: list[int] = []
    seen: set[int] = set()
    for sql, match in (
        (
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank",
            f"title : ({expression})",
        ),
        (f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC", expression),
    ):
        for (seq,) in connection.execute(sql, (match,)):
            if seq in seen or (allowed is not None and seq not in allowed):
                continue
            seen.add(seq)
            found.append(seq)
            if len(found) == limit:
                return found
    return found
