"""Full-text search over templates and snippets with SQLite FTS5.

The index rows share the rowid (``seq``) of the record they describe. A save does not
write its index entry: it marks the record in ``search_pending``, in its own transaction
(so the mark is as durable as the save). The index catches up in the background once the
database has been idle for half a second, and before every search, so a search always
sees every saved change. Why: FTS5 writes its changes, and merges its segments, when a
transaction commits; that made about 1.5% of saves take 5 to 150 ms (bench/local_save.py),
while a save without it stays under 2 ms. Content is indexed as plain text (HTML
stripped), tags as words.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from desktop.domain import Snippet, Template
from desktop.store.entities import SEARCHED
from desktop.store.rows import load_where, raw
from desktop.variables import html_to_text

_INDEXES = SEARCHED
INDEXED = frozenset(_INDEXES)
_TERM = re.compile(r"\w+", re.UNICODE)


def mark(session: Session, entity: str, seq: int) -> None:
    """Note, in the caller's transaction, that the search entry of record ``seq`` (written,
    changed or deleted) must be brought up to date."""
    raw(session).execute(
        "INSERT OR IGNORE INTO search_pending (entity, seq) VALUES (?, ?)", (entity, seq)
    )


def behind(session: Session) -> bool:
    """Whether any search entry is still to be written."""
    return raw(session).execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is not None


def pending(session: Session) -> int:
    """How many search entries are still to be written."""
    return int(raw(session).execute("SELECT count(*) FROM search_pending").fetchone()[0])


def catch_up(session: Session, limit: int | None = None) -> int:
    """Bring up to ``limit`` pending search entries up to date (the record as it is now,
    or no entry if it is gone); returns how many, in the caller's write transaction."""
    connection = raw(session)
    sql = "SELECT entity, seq FROM search_pending ORDER BY entity, seq"
    pending = connection.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
    done = pending.fetchall()
    for entity, seq in done:
        table = _INDEXES[entity]
        connection.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
        found = load_where(session, entity, "seq = ?", (seq,))
        if found:
            record: Template | Snippet = found[0].record
            connection.execute(
                f"INSERT INTO {table} (rowid, title, description, body, tags) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    seq,
                    record.title,
                    record.description,
                    html_to_text(record.content),
                    " ".join(record.tags),
                ),
            )
        connection.execute("DELETE FROM search_pending WHERE entity = ? AND seq = ?", (entity, seq))
    return len(done)


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
