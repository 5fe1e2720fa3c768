"""Full-text search over templates and snippets with SQLite FTS5.

The index rows share the rowid (``seq``) of the record they describe and are written in
the same transaction as the record, so search is always current. Content is indexed as
plain text (HTML stripped), tags as words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from desktop.store.models import SnippetRow, TemplateRow
from desktop.variables import html_to_text

_INDEXES: dict[type[TemplateRow] | type[SnippetRow], str] = {
    TemplateRow: "templates_fts",
    SnippetRow: "snippets_fts",
}
_TERM = re.compile(r"\w+", re.UNICODE)
# Column weights for bm25(): title, description, body, tags.
_WEIGHTS = "10.0, 4.0, 1.0, 6.0"


def index(session: Session, row: TemplateRow | SnippetRow) -> None:
    """(Re)write the search entry of ``row``; call after it is flushed."""
    table = _INDEXES[type(row)]
    session.flush()
    session.execute(text(f"DELETE FROM {table} WHERE rowid = :seq"), {"seq": row.seq})
    session.execute(
        text(
            f"INSERT INTO {table} (rowid, title, description, body, tags) "
            "VALUES (:seq, :title, :description, :body, :tags)"
        ),
        {
            "seq": row.seq,
            "title": row.title,
            "description": row.description,
            "body": html_to_text(row.content),
            "tags": " ".join(row.tags),
        },
    )


def unindex(session: Session, row: TemplateRow | SnippetRow) -> None:
    session.execute(text(f"DELETE FROM {_INDEXES[type(row)]} WHERE rowid = :seq"), {"seq": row.seq})


def match_expression(query: str) -> str | None:
    """Turn what a user typed into an FTS5 query: every word must match, as a prefix."""
    terms = _TERM.findall(query)
    if not terms:
        return None
    return " ".join(f'"{term}"*' for term in terms)


def search_ids(
    session: Session,
    row_type: type[TemplateRow] | type[SnippetRow],
    query: str,
    category: str | None = None,
    limit: int = 200,
) -> Sequence[str]:
    """Ids of matching records, best match first."""
    expression = match_expression(query)
    if expression is None:
        return []
    table = _INDEXES[row_type]
    id_column = "template_id" if row_type is TemplateRow else "snippet_id"
    source = row_type.__tablename__
    category_filter = "AND r.category = :category" if category is not None else ""
    rows = session.execute(
        text(
            f"SELECT r.{id_column} FROM {table} f JOIN {source} r ON r.seq = f.rowid "
            f"WHERE {table} MATCH :expression {category_filter} "
            f"ORDER BY bm25({table}, {_WEIGHTS}) LIMIT :limit"
        ),
        {"expression": expression, "category": category, "limit": limit},
    )
    return [row[0] for row in rows]
