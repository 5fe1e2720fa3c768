"""The writer's side of conflicts: the conflicts as a writer sees them (mine, theirs and
their base) and their resolution. DESIGN.md invariant 9. The engine's side (reconciling a
record with the server's copy, making the conflict) is :mod:`desktop.sync.conflicts`.

A resolution (keep mine, keep theirs, or a merged text) turns the conflict back into an
ordinary queued write, conditioned on the server version the user resolved against: if the
server moved on meanwhile, that write is refused and becomes a new conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from desktop.domain import InvalidInput, now_iso
from desktop.html import sanitize
from desktop.store import outbox, remote, syncstate
from desktop.store.entities import ENTITIES
from desktop.store.outbox import Entry, NoSuchEntry, Op, State, record_key
from desktop.store.services import NotFound, Store
from desktop.sync.conflicts import ServerCopy, same_content, with_pending_uses
from desktop.sync.merge import TEXT_FIELDS, merge_record


@dataclass(frozen=True)
class Conflict:
    """A conflict as the user sees it: mine, theirs and their common base."""

    entry_id: int
    entity: str
    record_id: str
    op: Op
    message: str
    since: str
    mine: dict[str, Any] | None  # the local record now (None: deleted here)
    theirs: dict[str, Any] | None  # the server's copy (None: deleted there)
    base: dict[str, Any] | None  # what both started from (None: unknown)
    fields: list[str]  # the fields that need a decision
    server_version: int | None
    server_updated_at: str | None

    @property
    def title(self) -> str:
        state = self.mine or self.theirs or {}
        return str(state.get("title") or state.get("name") or self.record_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "entity": self.entity,
            "recordId": self.record_id,
            "title": self.title,
            "op": str(self.op),
            "message": self.message,
            "since": self.since,
            "fields": self.fields,
            "mine": self.mine,
            "theirs": self.theirs,
            "base": self.base,
            "serverVersion": self.server_version,
        }


class Resolution(StrEnum):
    MINE = "mine"
    THEIRS = "theirs"
    MERGED = "merged"


def _conflict(session: Session, entry: Entry) -> Conflict:
    theirs = ServerCopy.from_json(entry.server_copy)
    seen = syncstate.remote_state(session, entry.record_key)
    mine = remote.load_state(session, entry.entity, entry.record_id)
    base = seen.base
    if mine is None or theirs.state is None:
        fields = ["(deleted)"]
    else:
        fields = merge_record(entry.entity, base or {}, mine, theirs.state).conflicts
    return Conflict(
        entry_id=entry.id,
        entity=entry.entity,
        record_id=entry.record_id,
        op=entry.op,
        message=entry.last_error_message or "",
        since=entry.last_error_at or entry.updated_at,
        mine=mine,
        theirs=theirs.state,
        base=base,
        fields=fields,
        server_version=theirs.version,
        server_updated_at=theirs.updated_at,
    )


def list_conflicts(store: Store) -> list[Conflict]:
    with store.database.read() as session:
        return [_conflict(session, e) for e in outbox.entries(session, State.CONFLICT)]


def _conflicted(session: Session, entry_id: int) -> Entry:
    try:
        entry = outbox.get(session, entry_id)
    except NoSuchEntry:
        raise NotFound(f"no conflict {entry_id}") from None
    if entry.state != State.CONFLICT:
        raise NotFound(f"no conflict {entry_id}")
    return entry


def get_conflict(store: Store, entry_id: int) -> Conflict:
    with store.database.read() as session:
        return _conflict(session, _conflicted(session, entry_id))


def resolve(
    store: Store,
    entry_id: int,
    how: Resolution,
    merged_text: str | None = None,
    field: str | None = None,
) -> dict[str, Any] | None:
    """Settle a conflict; returns the record's resulting state (None: deleted).

    - ``MINE``: fields changed on one side only still merge; on the conflicting fields
      (or a delete) this device's version wins.
    - ``THEIRS``: the same, with the server's version winning.
    - ``MERGED``: like MINE, with ``merged_text`` as the value of the conflicting text
      ``field`` (which may be left out when only one text field conflicts).

    The result is queued as an ordinary write conditioned on the server version the
    conflict holds, or, when it equals the server's copy, nothing is sent at all.
    """
    with store.operation() as op, op.write() as session:
        conflict = _conflict(session, _conflicted(session, entry_id))
        result = _settle(session, conflict, _resolved_state(conflict, how, merged_text, field))
        op.changed((conflict.entity, conflict.record_id))
    return result


def _resolved_state(
    conflict: Conflict, how: Resolution, merged_text: str | None, field: str | None
) -> dict[str, Any] | None:
    mine, theirs, base = conflict.mine, conflict.theirs, conflict.base or {}
    if mine is None or theirs is None:  # delete versus edit
        if how == Resolution.MERGED:
            raise InvalidInput(["a deleted record has no text to merge; keep mine or theirs"])
        return mine if how == Resolution.MINE else theirs
    result = merge_record(conflict.entity, base, mine, theirs)
    merged = dict(result.merged)  # conflicting fields hold mine
    if how == Resolution.THEIRS:
        for name in result.conflicts:
            merged[name] = theirs.get(name)
    elif how == Resolution.MERGED:
        if merged_text is None:
            raise InvalidInput(["a merged resolution needs the merged text"])
        text_fields = [f for f in result.conflicts if f in TEXT_FIELDS.get(conflict.entity, ())]
        if field is None:
            if len(text_fields) != 1:
                raise InvalidInput(
                    [f"say which field the merged text is for (one of: {', '.join(text_fields)})"]
                    if text_fields
                    else ["no text field is in conflict; keep mine or theirs"]
                )
            field = text_fields[0]
        if field not in mine:
            raise InvalidInput([f"{conflict.entity} has no field {field!r}"])
        # Written here: HTML is reduced to the subset the web apps render safely.
        merged[field] = (
            sanitize(merged_text)
            if field == "content" and ENTITIES[conflict.entity].html_content
            else merged_text
        )
    if same_content(merged, theirs):
        return theirs
    merged["updatedAt"] = now_iso()
    return merged


def _settle(
    session: Session, conflict: Conflict, result: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Queue the resolution; returns the record's state now (None: deleted)."""
    key = record_key(conflict.entity, conflict.record_id)
    queue = outbox.record_entries(session, key)
    writes = [e for e in queue if e.op in (Op.CREATE, Op.UPDATE, Op.DELETE)]
    # From now on the record is conditioned on the copy the user resolved against.
    if conflict.theirs is None:
        syncstate.forget_remote(session, key)
    else:
        syncstate.record_remote(
            session, key, conflict.server_version, conflict.server_updated_at, conflict.theirs
        )
    later = [e.id for e in writes if e.id != conflict.entry_id]
    if result is None:
        if conflict.mine is not None:
            for gone in remote.remove(session, conflict.entity, conflict.record_id):
                if gone != key:
                    syncstate.forget_remote(session, gone)
                    if conflict.theirs is None:  # no parent to hold them anywhere now
                        children = outbox.record_entries(session, gone)
                        outbox.complete_many(session, [e.id for e in children])
        if conflict.theirs is None:  # deleted on both sides now: nothing to send
            outbox.complete_many(session, [e.id for e in queue])
        else:
            outbox.complete_many(session, later)
            outbox.requeue(session, conflict.entry_id, Op.DELETE, conflict.mine or conflict.theirs)
        return None
    outbox.complete_many(session, later)  # the resolved state includes what they carried
    if conflict.theirs is None:
        # Put back whole, with this device's count: its queued increments go with it.
        remote.write(session, conflict.entity, result)
        outbox.complete_many(session, [e.id for e in queue if e.op == Op.INCREMENT])
        outbox.requeue(session, conflict.entry_id, Op.CREATE, result)
        return result
    result = with_pending_uses(result, queue, conflict.theirs)
    remote.write(session, conflict.entity, result)
    if same_content(result, conflict.theirs):
        outbox.complete_many(session, [conflict.entry_id])  # nothing to send
    else:
        outbox.requeue(session, conflict.entry_id, Op.UPDATE, result)
    return result
