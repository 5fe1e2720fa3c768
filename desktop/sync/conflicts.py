"""What to do when the server's copy of a record differs from what this device last saw:
one decision procedure for the pull (a remote change arrives) and the push (a conditional
write was refused), and the user's resolutions. DESIGN.md invariants 8 and 9.

For a record with nothing queued, the server's copy simply becomes the local state. For a
record with queued edits, the local state is kept and merged three ways with the server's
copy over the base (the server state this device last saw, :mod:`desktop.sync.merge`):

- a clean merge becomes the local state and the state its queued write sends, and the
  server's copy becomes the new base and condition (so the write cannot overwrite an edit
  it has not merged);
- otherwise the record's first queued write becomes a *conflict*, holding the server's
  copy (with its version) next to it; the record's later entries wait behind it;
- a delete against an edit, either way round, is a conflict; counters never are.

A resolution (keep mine, keep theirs, or a merged text) turns the conflict back into an
ordinary queued write, conditioned on the server version the user resolved against: if the
server moved on meanwhile, that write is refused and becomes a new conflict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from desktop.domain import InvalidInput, now_iso
from desktop.html import HTML_ENTITIES, sanitize
from desktop.store import outbox, remote, syncstate
from desktop.store.models import OutboxEntry
from desktop.store.outbox import Op, Queued, State, record_key
from desktop.store.services import NotFound, Store
from desktop.sync.codec import LAST_OP, USAGE_OP_PREFIX, VERSION
from desktop.sync.merge import COUNTERS, LATEST, TEXT_FIELDS, MergeResult, merge_record

log = logging.getLogger(__name__)

#: Fields that never make a change an edit of its own (counters, timestamps).
_NOT_EDITS = COUNTERS | LATEST


@dataclass(frozen=True)
class ServerCopy:
    """The server's copy of a record: its decoded state (None: no such item), the
    engine's attributes on it, and which of this device's writes it last carried."""

    state: dict[str, Any] | None
    version: int | None = None
    updated_at: str | None = None
    last_op: str | None = None
    usage_op: str | None = None  # this device's last counter increment on it

    @classmethod
    def from_item(
        cls, item: dict[str, Any] | None, decoded: dict[str, Any] | None, device_id: str
    ) -> ServerCopy:
        if item is None or decoded is None:
            return cls(None)
        version = item.get(VERSION)
        return cls(
            decoded,
            int(version) if version is not None else None,
            # As the item has it (decoding fills a missing one): the next write's condition.
            item.get("updatedAt"),
            item.get(LAST_OP),
            item.get(USAGE_OP_PREFIX + device_id),
        )

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "version": self.version, "updatedAt": self.updated_at}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> ServerCopy:
        if not value:
            return cls(None)
        return cls(value.get("state"), value.get("version"), value.get("updatedAt"))

    def remote_state(self) -> syncstate.RemoteState:
        return syncstate.RemoteState(
            self.version, self.updated_at, self.state, present=self.state is not None
        )


class Outcome(StrEnum):
    UNCHANGED = "unchanged"  # the server holds what this device last saw
    APPLIED = "applied"  # nothing queued here: the local record now equals the server's
    MERGED = "merged"  # queued edits merged with the server's changes
    CONFLICT = "conflict"  # the user decides
    KEPT = "kept"  # queued work decides later (a failed entry, a create not yet sent)
    SKIPPED = "skipped"  # the server's copy cannot be stored here (see the log)


def _edits(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """A state without the fields whose changes are not edits."""
    if state is None:
        return None
    return {name: value for name, value in state.items() if name not in _NOT_EDITS}


def same_content(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return _edits(a) == _edits(b)


class Reconciler:
    """Brings one record's local state, queue entries and remembered server state in line
    with a copy of it just read from the server. Runs inside the caller's transaction."""

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id

    def _applied(self, entry: Queued, theirs: ServerCopy) -> bool:
        """Did a send of ``entry`` reach the server (its answer lost)?"""
        if entry.attempts == 0:
            return False
        if entry.op == Op.DELETE:
            return theirs.state is None
        if entry.op == Op.INCREMENT:
            return theirs.usage_op == entry.op_id
        return theirs.state is not None and theirs.last_op == entry.op_id

    def reconcile(
        self,
        session: Session,
        entity: str,
        record_id: str,
        theirs: ServerCopy,
        sending: int | None = None,
        seen: syncstate.RemoteState | None = None,
    ) -> Outcome:
        """Reconcile the record with ``theirs``. ``sending`` is the id of the entry whose
        write the server just refused (the push); any other entry in flight means a
        push is under way and the record is left for it. ``seen``: the remembered server
        state, when the caller has read it already."""
        key = record_key(entity, record_id)
        if seen is None:
            seen = syncstate.remote_state(session, key)
        queue = outbox.record_entries(session, key)
        if any(e.state == State.IN_FLIGHT and e.id != sending for e in queue):
            return Outcome.KEPT
        if queue and self._applied(queue[0], theirs):
            outbox.complete_many(session, [queue[0].id])
            queue = queue[1:]
        if not queue:
            return self._take_theirs(session, entity, record_id, seen, theirs)
        if any(e.state == State.FAILED for e in queue):
            return Outcome.KEPT  # merged at push time, once the user retries it
        conflicted = next((e for e in queue if e.state == State.CONFLICT), None)
        if conflicted is not None:  # still the user's to decide; against the newest copy
            outbox.keep_server_copy(session, conflicted.id, theirs.to_json())
            return Outcome.CONFLICT
        return self._merge_queued(session, entity, record_id, seen, theirs, queue)

    def _take_theirs(
        self,
        session: Session,
        entity: str,
        record_id: str,
        seen: syncstate.RemoteState,
        theirs: ServerCopy,
    ) -> Outcome:
        key = record_key(entity, record_id)
        if theirs.state is None:
            if not remote.exists(session, entity, record_id):
                syncstate.forget_remote(session, key)
                return Outcome.UNCHANGED if not seen.known else Outcome.APPLIED
            children = remote.children_keys(session, entity, record_id)
            if outbox.queued_keys(session, children):
                # A child has edits waiting (they meet the deletion at push time, as a
                # conflict); the parent goes once they are settled.
                return Outcome.KEPT
            for gone in remote.remove(session, entity, record_id):
                syncstate.forget_remote(session, gone)
            return Outcome.APPLIED
        local = remote.load_state(session, entity, record_id)
        if local == theirs.state and seen.known and seen == theirs.remote_state():
            return Outcome.UNCHANGED
        if local != theirs.state and not self._write(session, entity, theirs.state):
            return Outcome.SKIPPED
        syncstate.record_remote(session, key, theirs.version, theirs.updated_at, theirs.state)
        return Outcome.APPLIED

    def _write(self, session: Session, entity: str, state: dict[str, Any]) -> bool:
        parent = remote.PARENTS.get(entity)
        if parent is not None and not remote.exists(session, parent[0], state[parent[1]]):
            return False  # its parent is gone (or not here yet): the caller fetches it first
        try:
            remote.write(session, entity, state)
        except InvalidInput as error:
            log.warning(
                "the server's %s %s cannot be stored here: %s",
                entity,
                remote.record_id(entity, state),
                error,
            )
            return False
        return True

    def _merge_queued(
        self,
        session: Session,
        entity: str,
        record_id: str,
        seen: syncstate.RemoteState,
        theirs: ServerCopy,
        queue: list[Queued],
    ) -> Outcome:
        key = record_key(entity, record_id)
        local = remote.load_state(session, entity, record_id)
        writes = [e for e in queue if e.op in (Op.CREATE, Op.UPDATE)]
        if all(e.op == Op.INCREMENT for e in queue):
            # Only uses counted here: the server's copy plus this device's pending counts.
            if theirs.state is None:  # the record is gone, and its counter with it
                outbox.complete_many(session, [e.id for e in queue])
                return self._take_theirs(session, entity, record_id, seen, theirs)
            if not self._write(session, entity, with_pending_uses(theirs.state, queue)):
                return Outcome.SKIPPED
            syncstate.record_remote(session, key, theirs.version, theirs.updated_at, theirs.state)
            return Outcome.APPLIED
        if local is None:  # deleted here, the delete queued
            delete = next((e for e in queue if e.op == Op.DELETE), None)
            if delete is None:
                return Outcome.KEPT
            if theirs.state is None:  # deleted on both sides
                outbox.complete_many(session, [e.id for e in queue])
                syncstate.forget_remote(session, key)
                return Outcome.MERGED
            if seen.base is not None and same_content(seen.base, theirs.state):
                # Only counters moved there: the delete goes ahead, against the new copy.
                syncstate.record_remote(
                    session, key, theirs.version, theirs.updated_at, theirs.state
                )
                return Outcome.MERGED
            return self._conflict(
                session,
                delete,
                theirs,
                f"the {entity} was changed on the server while this device deleted it",
            )
        if theirs.state is None:
            if not seen.known and any(e.op == Op.CREATE for e in queue):
                return Outcome.KEPT  # not on the server yet: the create puts it there
            return self._conflict(
                session,
                writes[0] if writes else queue[0],
                theirs,
                f"the {entity} was deleted on the server while this device changed it",
            )
        base = seen.base if seen.known and seen.base is not None else {}
        result = merge_record(entity, base, local, theirs.state)
        if not result.clean:
            target = writes[0] if writes else queue[0]
            return self._conflict(session, target, theirs, _conflict_message(entity, result))
        # Counters: the server's count plus this device's unsent uses (not the base's,
        # which this device's own increments leave behind).
        merged = with_pending_uses(result.merged, queue, theirs.state)
        if not self._write(session, entity, merged):
            return Outcome.SKIPPED
        syncstate.record_remote(session, key, theirs.version, theirs.updated_at, theirs.state)
        if same_content(merged, theirs.state):
            outbox.complete_many(session, [e.id for e in writes])  # nothing left to send
        else:
            for entry in writes:
                outbox.requeue(session, entry.id, Op.UPDATE, merged)
        return Outcome.MERGED

    @staticmethod
    def _conflict(session: Session, entry: Queued, theirs: ServerCopy, message: str) -> Outcome:
        outbox.mark_conflict(session, entry.id, "ConditionalCheckFailed", message)
        outbox.keep_server_copy(session, entry.id, theirs.to_json())
        return Outcome.CONFLICT


def with_pending_uses(
    state: dict[str, Any], queue: list[Queued], theirs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``state`` with its counter set to the server's (``theirs``, else ``state``'s own)
    plus the uses queued here and not yet sent."""
    source = theirs if theirs is not None else state
    if "usageCount" not in source:
        return state
    pending = sum(int(e.payload.get("amount", 0)) for e in queue if e.op == Op.INCREMENT)
    return state | {"usageCount": int(source.get("usageCount") or 0) + pending}


def _conflict_message(entity: str, result: MergeResult) -> str:
    fields = ", ".join(result.conflicts)
    return f"the {entity} was changed here and on the server ({fields})"


# -- the user's side --------------------------------------------------------------------


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


def _conflict(session: Session, entry: OutboxEntry) -> Conflict:
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
        op=Op(entry.op),
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


def get_conflict(store: Store, entry_id: int) -> Conflict:
    with store.database.read() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.state != State.CONFLICT:
            raise NotFound(f"no conflict {entry_id}")
        return _conflict(session, entry)


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
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.state != State.CONFLICT:
            raise NotFound(f"no conflict {entry_id}")
        conflict = _conflict(session, entry)
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
            if field == "content" and conflict.entity in HTML_ENTITIES
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
