"""Writing what the server holds into the local store: the pull's and the conflict
resolver's way in. Unlike the services, nothing here is queued: these states came *from*
the server. Search entries are kept current in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from desktop import domain
from desktop.domain import validated_in
from desktop.store import rows, search
from desktop.store.models import ROW_TYPES, snake
from desktop.store.outbox import record_key
from desktop.store.rows import raw

#: A child's parent: (parent entity, the child's field holding the parent's id).
PARENTS: dict[str, tuple[str, str]] = {
    "version": ("template", "templateId"),
    "node": ("page", "pageId"),
}
#: A parent's children, the other way round: (child entity, child table, foreign key column).
CHILDREN: dict[str, tuple[str, str, str]] = {
    "template": ("version", "template_versions", "template_id"),
    "page": ("node", "nodes", "page_id"),
}


def record_id(entity: str, state: dict[str, Any]) -> str:
    return str(state[ROW_TYPES[entity].id_field])


def load_state(session: Session, entity: str, record_id: str) -> dict[str, Any] | None:
    loaded = rows.load(session, entity, record_id)
    return None if loaded is None else dict(loaded.record.model_dump())


def exists(session: Session, entity: str, record_id: str) -> bool:
    return rows.load(session, entity, record_id) is not None


def write(session: Session, entity: str, state: dict[str, Any]) -> domain.Record:
    """Insert or replace the local record with ``state`` (validated first: raises
    :class:`desktop.domain.InvalidInput` and writes nothing if the state is not valid).
    Server data: types are checked, this client's input limits are not (lossless pull)."""
    model: type[domain.Record] = ROW_TYPES[entity].model
    record = validated_in({"server": True}, model, entity, state)
    loaded = rows.load(session, entity, record_id(entity, state))
    if loaded is None:
        seq = rows.insert(session, entity, record)
    else:
        rows.update(session, entity, record)
        seq = loaded.seq
    if entity in search.INDEXED:
        assert seq is not None
        search.mark(session, entity, seq)
    return record


def remove(session: Session, entity: str, record_id: str) -> list[str]:
    """Delete the local record (its children go with it); returns the record keys removed,
    whose remembered server state the caller forgets."""
    loaded = rows.load(session, entity, record_id)
    if loaded is None:
        return []
    removed = [record_key(entity, record_id), *children_keys(session, entity, record_id)]
    if entity in search.INDEXED:
        assert loaded.seq is not None
        search.mark(session, entity, loaded.seq)
    rows.delete(session, entity, record_id)  # the foreign keys cascade to the children
    return removed


def children_keys(session: Session, entity: str, record_id: str) -> list[str]:
    child = CHILDREN.get(entity)
    if child is None:
        return []
    child_entity, table, column = child
    id_column = snake(ROW_TYPES[child_entity].id_field)
    ids = raw(session).execute(f"SELECT {id_column} FROM {table} WHERE {column} = ?", (record_id,))
    return [record_key(child_entity, str(child_id)) for (child_id,) in ids]
