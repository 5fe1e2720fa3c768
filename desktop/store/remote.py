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
from desktop.store.entities import ENTITIES
from desktop.store.outbox import record_key
from desktop.store.rows import raw

#: A child's parent: (parent entity, the child's field holding the parent's id).
PARENTS: dict[str, tuple[str, str]] = {
    e.name: (e.parent.entity, e.parent.field) for e in ENTITIES.values() if e.parent is not None
}


def record_id(entity: str, state: dict[str, Any]) -> str:
    return str(state[ENTITIES[entity].id_field])


def load_state(session: Session, entity: str, record_id: str) -> dict[str, Any] | None:
    loaded = rows.load(session, entity, record_id)
    return None if loaded is None else dict(loaded.record.model_dump())


def exists(session: Session, entity: str, record_id: str) -> bool:
    return rows.load(session, entity, record_id) is not None


def write(session: Session, entity: str, state: dict[str, Any]) -> domain.Record:
    """Insert or replace the local record with ``state`` (validated first: raises
    :class:`desktop.domain.InvalidInput` and writes nothing if the state is not valid).
    Server data: types are checked, this client's input limits are not (lossless pull)."""
    model: type[domain.Record] = ENTITIES[entity].model
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
    keys: list[str] = []
    for child in ENTITIES[entity].children:
        assert child.parent is not None
        ids = raw(session).execute(
            f"SELECT {child.id_column} FROM {child.table} WHERE {child.parent.column} = ?",
            (record_id,),
        )
        keys += [record_key(child.name, str(child_id)) for (child_id,) in ids]
    return keys
