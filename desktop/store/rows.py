"""The write path's table gateway: prepared SQL generated once from the ORM metadata.

A save runs about a dozen statements in one transaction. Through the ORM each cost
90-240 us of Python on the machines we measure on, through SQLAlchemy's driver-SQL path
about 110 us, on the sqlite3 cursor 25 us; the local-save bar (p99 <= 5 ms,
``bench/local_save.py``) needs the last. The ORM classes
remain the single description of the schema (migrations and the drift test use them) and
serve reads; this module only turns a domain record into a row and back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import JSON, Boolean
from sqlalchemy.orm import Session

from desktop import domain
from desktop.store.entities import row_type as _row_type
from desktop.store.models import RecordRow, snake


@dataclass(frozen=True)
class Loaded:
    """A record read for writing: its domain value and, for indexed tables, its rowid."""

    record: Any
    seq: int | None


@dataclass(frozen=True)
class _Statements:
    table: str
    fields: tuple[str, ...]  # domain field names, in column order
    columns: tuple[str, ...]
    updated: tuple[str, ...]  # the columns an update sets
    json_fields: frozenset[str]
    bool_fields: frozenset[str]
    id_column: str
    has_seq: bool
    select: str
    insert: str
    update: str
    delete: str


def _quote(column: str) -> str:
    return f'"{column}"'  # "values" is an SQL keyword


@cache
def _statements(entity: str) -> _Statements:
    row_type: type[RecordRow] = _row_type(entity)
    table = row_type.__table__
    fields = tuple(row_type.model.model_fields)
    columns = tuple(snake(name) for name in fields)
    json_fields = frozenset(f for f in fields if isinstance(table.c[snake(f)].type, JSON))
    bool_fields = frozenset(f for f in fields if isinstance(table.c[snake(f)].type, Boolean))
    id_column = snake(row_type.id_field)
    has_seq = "seq" in table.c
    name = row_type.__tablename__
    selected = ("seq, " if has_seq else "") + ", ".join(_quote(c) for c in columns)
    # An update never rewrites the key or a foreign key (a version's template, a node's page
    # are fixed): SQLite would re-check the reference, which was slow here at times.
    fixed = {id_column} | {c.name for c in table.c if c.foreign_keys}
    updated = tuple(c for c in columns if c not in fixed)
    assignments = ", ".join(f"{_quote(c)} = ?" for c in updated)
    return _Statements(
        table=name,
        fields=fields,
        columns=columns,
        updated=updated,
        json_fields=json_fields,
        bool_fields=bool_fields,
        id_column=id_column,
        has_seq=has_seq,
        select=f"SELECT {selected} FROM {name} WHERE {id_column} = ?",
        insert=(
            f"INSERT INTO {name} ({', '.join(_quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        ),
        update=f"UPDATE {name} SET {assignments} WHERE {id_column} = ?",
        delete=f"DELETE FROM {name} WHERE {id_column} = ?",
    )


def raw(session: Session) -> sqlite3.Connection:
    """The driver connection under the session's transaction (SQLAlchemy still begins and
    commits it); statements on it skip SQLAlchemy's per-statement bookkeeping."""
    connection = session.info.get("raw")
    if connection is None:
        connection = session.connection().connection.dbapi_connection
        session.info["raw"] = connection
    return cast(sqlite3.Connection, connection)


def _to_row(statements: _Statements, record: domain.Record) -> dict[str, Any]:
    values = {}
    for name in statements.fields:
        value = getattr(record, name)
        if name in statements.json_fields:
            value = json.dumps(value)
        elif name in statements.bool_fields:
            value = int(value)
        values[name] = value
    return values


def _from_row(entity: str, statements: _Statements, row: Sequence[Any]) -> Loaded:
    offset = 1 if statements.has_seq else 0
    fields = {}
    for name, value in zip(statements.fields, row[offset:], strict=True):
        if name in statements.json_fields:
            value = json.loads(value)
        elif name in statements.bool_fields:
            value = bool(value)
        fields[name] = value
    record = _row_type(entity).model.model_construct(**fields)
    return Loaded(record, row[0] if statements.has_seq else None)


def load(session: Session, entity: str, record_id: str) -> Loaded | None:
    statements = _statements(entity)
    row = raw(session).execute(statements.select, (record_id,)).fetchone()
    return None if row is None else _from_row(entity, statements, row)


def load_where(
    session: Session, entity: str, where: str, params: tuple[Any, ...], order: str = ""
) -> list[Loaded]:
    """Records matching a SQL condition on the entity's table (columns by their names)."""
    statements = _statements(entity)
    sql = statements.select.split(" WHERE ")[0] + f" WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    rows = raw(session).execute(sql, params).fetchall()
    return [_from_row(entity, statements, row) for row in rows]


def insert(session: Session, entity: str, record: domain.Record) -> int | None:
    """Insert ``record``; returns its rowid for tables with a search index."""
    statements = _statements(entity)
    values = _to_row(statements, record)
    result = raw(session).execute(
        statements.insert, tuple(values[name] for name in statements.fields)
    )
    return int(result.lastrowid or 0) if statements.has_seq else None


def update(session: Session, entity: str, record: domain.Record) -> None:
    statements = _statements(entity)
    values = _to_row(statements, record)
    id_field = statements.fields[statements.columns.index(statements.id_column)]
    params = [
        values[f]
        for f, c in zip(statements.fields, statements.columns, strict=True)
        if c in statements.updated
    ]
    raw(session).execute(statements.update, (*params, values[id_field]))


def delete(session: Session, entity: str, record_id: str) -> None:
    raw(session).execute(_statements(entity).delete, (record_id,))


_SUMMARY_COLUMNS = (
    "seq, template_id, title, description, category, tags, is_shared, usage_count, updated_at, "
    "is_favorite"
)


def template_summaries(
    session: Session, where: str = "1", params: tuple[Any, ...] = (), order: str = "seq"
) -> list[tuple[int, domain.TemplateSummary]]:
    """(seq, summary) of the templates matching a condition, without their content."""
    rows = raw(session).execute(
        f"SELECT {_SUMMARY_COLUMNS} FROM templates WHERE {where} ORDER BY {order}", params
    )
    return [
        (
            seq,
            domain.TemplateSummary.model_construct(
                templateId=record_id,
                title=title,
                description=description,
                category=category,
                tags=json.loads(tags),
                isShared=bool(shared),
                usageCount=count,
                updatedAt=updated,
                isFavorite=bool(fav),
            ),
        )
        for seq, record_id, title, description, category, tags, shared, count, updated, fav in rows
    ]
