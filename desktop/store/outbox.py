"""The operation queue (outbox): every local change, captured in the same transaction.

Life of an entry::

    pending --claim--> in_flight --complete--> (removed)
       ^                  |  \\--fail--> failed --retry--> pending
       |                  |   \\-conflict--> conflict --retry--> pending
       +---retry_later----+   (failed / conflict leave only by retry or discard)
       +---release--------+   (sent and refused, merged: an attempt, sent again at once)
       +---unclaim--------+   (never sent: offline, credentials, cancelled, or an innocent
                               entry of a cancelled transaction: the attempt is taken back)

``attempts`` counts the requests that may have reached the server: a claim counts one (the
process may die with the request on the wire) and :func:`unclaim` takes it back when the
request certainly did not go out or changed nothing. Backoff grows with it; an entry with no
attempt is unsent and may still be coalesced.

Coalescing (only ever into the *open tail* of a record: its trailing entries that are
pending and have never been sent. An entry that was sent, even once, may have been applied
by the server before its acknowledgement was lost, so it is never rewritten or dropped.
Retrying or releasing an entry does not reopen it: newer entries may already follow it.)

- create + update(s)      -> one create with the final state
- update + update         -> one update with the final state
- create (+ ...) + delete -> nothing at all
- update + delete         -> delete
- delete + create (undo)  -> update with the restored state
- increment + increment   -> one increment with the sum; create + increment -> the create
  carries the new count. Increments commute with updates (updates never write counters).

Every statement here goes straight to the driver (see ``rows.py`` for why), so each sees
every earlier change of its transaction without a flush; :class:`Entry` is what the queue
hands out (plain data: the ORM class :class:`~desktop.store.models.OutboxEntry` stays the
schema's, for Alembic and the tests).

Readiness: an entry may be sent when no earlier entry of its record is still queued,
no earlier entry of its parent is (a node waits for its page), and, for a delete, no
earlier entry of a child is (a page's delete waits for its nodes). So a failed or
conflicted entry holds back its own record and its dependents, never the rest.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from desktop.domain import now_iso
from desktop.store.rows import raw


class Op(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    INCREMENT = "increment"


class State(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    FAILED = "failed"
    CONFLICT = "conflict"


def record_key(entity: str, record_id: str) -> str:
    return f"{entity}:{record_id}"


@dataclass(frozen=True)
class Change:
    """A local change to capture. ``state`` is the record's full state after the change
    (before it, for a delete); ``amount`` is an increment's step."""

    entity: str
    record_id: str
    op: Op
    state: dict[str, Any]
    amount: int = 0
    parent_key: str | None = None

    @property
    def key(self) -> str:
        return record_key(self.entity, self.record_id)


class QueueError(ValueError):
    """A change that contradicts what is queued (a bug in the caller, not user input)."""


class NoSuchEntry(KeyError):
    """No queue entry has the id asked for."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such queue entry"


@dataclass(frozen=True)
class Entry:
    """A queue entry as plain data, for the panels and the command line."""

    id: int
    op_id: str
    entity: str
    record_id: str
    record_key: str
    parent_key: str | None
    op: Op
    payload: dict[str, Any]
    state: State
    attempts: int
    next_attempt_at: float
    last_error_code: str | None
    last_error_message: str | None
    last_error_at: str | None
    server_copy: dict[str, Any] | None
    created_at: str
    updated_at: str


_ENTRY_COLUMNS = (
    "id, op_id, entity, record_id, record_key, parent_key, op, payload, state, attempts, "
    "next_attempt_at, last_error_code, last_error_message, last_error_at, server_copy, "
    "created_at, updated_at"
)


def _entry(row: tuple[Any, ...]) -> Entry:
    (id_, op_id, entity, record_id, key, parent, op, payload, state, attempts, due) = row[:11]
    code, message, error_at, server, created, updated = row[11:]
    return Entry(
        id_, op_id, entity, record_id, key, parent, Op(op), json.loads(payload), State(state),
        attempts, float(due), code, message, error_at,
        None if server is None else json.loads(server), created, updated,
    )  # fmt: skip


@dataclass(frozen=True)
class _Open:
    """An entry of a record's open tail, as coalescing needs it (no payload for most)."""

    id: int
    op: Op
    payload: dict[str, Any]


def has_unsent_create(session: Session, key: str) -> bool:
    return any(entry.op == Op.CREATE for entry in open_tail(session, key))


def open_tail(session: Session, key: str) -> list[_Open]:
    """The record's trailing entries that are pending and were never sent.

    Statements on the capture path go straight to the driver (see ``rows.py`` for why);
    they see every earlier change of the same transaction.
    """
    rows = (
        raw(session)
        .execute(
            "SELECT id, op, state, attempts, payload FROM outbox "
            "WHERE record_key = ? ORDER BY id DESC",
            (key,),
        )
        .fetchall()
    )
    tail: list[_Open] = []
    for entry_id, op, state, attempts, payload in rows:
        if state != State.PENDING or attempts > 0:
            break
        tail.append(_Open(entry_id, Op(op), json.loads(payload)))
    tail.reverse()
    return tail


def _append(session: Session, change: Change, op: Op, payload: dict[str, Any]) -> None:
    now = now_iso()
    raw(session).execute(
        "INSERT INTO outbox (op_id, entity, record_id, record_key, parent_key, op, payload, "
        "state, attempts, next_attempt_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0.0, ?, ?)",
        (
            str(uuid.uuid4()),
            change.entity,
            change.record_id,
            change.key,
            change.parent_key,
            str(op),
            json.dumps(payload),
            str(State.PENDING),
            now,
            now,
        ),
    )


def _rewrite(session: Session, entry: _Open, op: Op, payload: dict[str, Any]) -> None:
    raw(session).execute(
        "UPDATE outbox SET op = ?, payload = ?, updated_at = ? WHERE id = ?",
        (str(op), json.dumps(payload), now_iso(), entry.id),
    )


def _drop(session: Session, entry: _Open) -> None:
    raw(session).execute("DELETE FROM outbox WHERE id = ?", (entry.id,))


def enqueue(session: Session, change: Change) -> None:
    """Capture ``change`` in the queue, coalescing it with the record's open tail.

    Must run in the same transaction as the change itself (invariant 1).
    """
    tail = open_tail(session, change.key)
    by_op = {entry.op: entry for entry in tail}
    match change.op:
        case Op.CREATE:
            if Op.DELETE in by_op:
                _rewrite(session, by_op[Op.DELETE], Op.UPDATE, change.state)
            elif Op.CREATE in by_op or Op.UPDATE in by_op:
                raise QueueError(f"{change.key} is created twice")
            else:
                _append(session, change, Op.CREATE, change.state)
        case Op.UPDATE:
            if Op.DELETE in by_op:
                raise QueueError(f"{change.key} is updated after its deletion")
            if Op.CREATE in by_op:
                _rewrite(session, by_op[Op.CREATE], Op.CREATE, change.state)
            elif Op.UPDATE in by_op:
                _rewrite(session, by_op[Op.UPDATE], Op.UPDATE, change.state)
            else:
                _append(session, change, Op.UPDATE, change.state)
        case Op.INCREMENT:
            if Op.DELETE in by_op:
                raise QueueError(f"{change.key} is counted after its deletion")
            if Op.CREATE in by_op:
                _rewrite(session, by_op[Op.CREATE], Op.CREATE, change.state)
            elif Op.INCREMENT in by_op:
                entry = by_op[Op.INCREMENT]
                amount = int(entry.payload["amount"]) + change.amount
                _rewrite(session, entry, Op.INCREMENT, {"amount": amount})
            else:
                _append(session, change, Op.INCREMENT, {"amount": change.amount})
        case Op.DELETE:
            if Op.DELETE in by_op:
                raise QueueError(f"{change.key} is deleted twice")
            if Op.CREATE in by_op:
                # Never left this device: nothing to send at all.
                for entry in tail:
                    _drop(session, entry)
                return
            if Op.UPDATE in by_op:
                _drop(session, by_op[Op.UPDATE])
            # Pending increments stay: they are harmless before a delete and keep the
            # server's counter right if the delete is undone (delete + create -> update).
            _append(session, change, Op.DELETE, change.state)


# Walks the queue in id order (the unary + keeps SQLite off the state index, which would
# make it test every pending entry and sort them all) and stops at the first ``limit``
# entries whose record, parent and (for a delete) children have nothing queued before them.
_READY = """
SELECT e.id FROM outbox AS e
WHERE +e.state = 'pending' AND e.next_attempt_at <= :now
  AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.record_key = e.record_key AND p.id < e.id)
  AND (e.parent_key IS NULL OR NOT EXISTS
       (SELECT 1 FROM outbox AS p WHERE p.record_key = e.parent_key AND p.id < e.id))
  AND (e.op != 'delete' OR NOT EXISTS
       (SELECT 1 FROM outbox AS c WHERE c.parent_key = e.record_key AND c.id < e.id))
ORDER BY e.id LIMIT :limit
"""


def _ready_ids(session: Session, limit: int, now: float | None) -> list[int]:
    moment = time.time() if now is None else now
    return [row[0] for row in raw(session).execute(_READY, {"now": moment, "limit": limit})]


def ready(session: Session, limit: int, now: float | None = None) -> list[Entry]:
    """Pending entries that may be sent now, oldest first."""
    ids = _ready_ids(session, limit, now)
    if not ids:
        return []
    rows = raw(session).execute(
        f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id",
        ids,
    )
    return [_entry(row) for row in rows]


@dataclass(frozen=True)
class Claimed:
    """An entry taken for sending, as plain data (the sender never holds ORM objects)."""

    id: int
    op_id: str
    entity: str
    record_id: str
    record_key: str
    op: Op
    payload: dict[str, Any]
    attempts: int


def claim(session: Session, limit: int, now: float | None = None) -> list[Claimed]:
    """Mark up to ``limit`` ready entries in flight (one attempt each) and return them."""
    ids = _ready_ids(session, limit, now)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    connection = raw(session)
    connection.execute(
        f"UPDATE outbox SET state = ?, attempts = attempts + 1, updated_at = ? "
        f"WHERE id IN ({marks})",
        (str(State.IN_FLIGHT), now_iso(), *ids),
    )
    rows = connection.execute(
        "SELECT id, op_id, entity, record_id, record_key, op, payload, attempts FROM outbox "
        f"WHERE id IN ({marks}) ORDER BY id",
        ids,
    )
    return [
        Claimed(id_, op_id, entity, record_id, key, Op(op), json.loads(payload), attempts)
        for id_, op_id, entity, record_id, key, op, payload, attempts in rows
    ]


def get(session: Session, entry_id: int) -> Entry:
    row = (
        raw(session)
        .execute(f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE id = ?", (entry_id,))
        .fetchone()
    )
    if row is None:
        raise NoSuchEntry(f"no queue entry {entry_id}")
    return _entry(row)


def _set(session: Session, entry_id: int, **values: Any) -> None:
    """Update one entry's columns (and ``updated_at``); raises :class:`NoSuchEntry`."""
    values.setdefault("updated_at", now_iso())
    columns = ", ".join(f"{name} = ?" for name in values)
    cursor = raw(session).execute(
        f"UPDATE outbox SET {columns} WHERE id = ?", (*values.values(), entry_id)
    )
    if cursor.rowcount == 0:
        raise NoSuchEntry(f"no queue entry {entry_id}")


def complete(session: Session, entry_id: int) -> None:
    """The server confirmed the entry: it leaves the queue."""
    cursor = raw(session).execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
    if cursor.rowcount == 0:
        raise NoSuchEntry(f"no queue entry {entry_id}")


def complete_many(session: Session, entry_ids: list[int]) -> None:
    """The server confirmed these entries (one statement per 500)."""
    for start in range(0, len(entry_ids), 500):
        chunk = entry_ids[start : start + 500]
        raw(session).execute(
            f"DELETE FROM outbox WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )


def _record_error(
    session: Session, entry_id: int, state: State, code: str, message: str, **more: Any
) -> None:
    stamp = now_iso()
    _set(
        session,
        entry_id,
        state=str(state),
        last_error_code=code,
        last_error_message=message,
        last_error_at=stamp,
        updated_at=stamp,
        **more,
    )


def retry_later(session: Session, entry_id: int, code: str, message: str, delay_s: float) -> None:
    next_attempt = time.time() + delay_s
    _record_error(session, entry_id, State.PENDING, code, message, next_attempt_at=next_attempt)


def release(session: Session, entry_id: int) -> None:
    """Back to pending with no error recorded: the server answered it (its write was refused
    and merged), so the attempt stands."""
    _set(session, entry_id, state=str(State.PENDING))


def unclaim(session: Session, entry_ids: list[int]) -> None:
    """Back to pending, unsent: the request never reached the server (offline, no
    credentials, cancelled) or changed nothing there (an innocent entry of a cancelled
    transaction). The claim's attempt is taken back, so backoff and coalescing see it as
    never sent; except when a newer entry of its record was queued while it was claimed:
    reopening it would put two open entries in the record's tail, so such an entry stays
    closed, one attempt up."""
    stamp = now_iso()
    for start in range(0, len(entry_ids), 500):
        chunk = entry_ids[start : start + 500]
        raw(session).execute(
            "UPDATE outbox SET state = ?, updated_at = ?, attempts = CASE WHEN attempts > 1 "
            "OR (attempts = 1 AND NOT EXISTS (SELECT 1 FROM outbox AS n "
            "WHERE n.record_key = outbox.record_key AND n.id > outbox.id)) "
            "THEN attempts - 1 ELSE attempts END "
            f"WHERE state = ? AND id IN ({','.join('?' * len(chunk))})",
            (str(State.PENDING), stamp, str(State.IN_FLIGHT), *chunk),
        )


def in_backoff(session: Session, now: float | None = None) -> tuple[int, float | None]:
    """Pending entries whose next attempt is not due yet, and the earliest due time."""
    moment = time.time() if now is None else now
    count, due = (
        raw(session)
        .execute(
            "SELECT count(*), min(next_attempt_at) FROM outbox "
            "WHERE state = ? AND next_attempt_at > ?",
            (str(State.PENDING), moment),
        )
        .fetchone()
    )
    return int(count), (float(due) if due is not None else None)


def fail(session: Session, entry_id: int, code: str, message: str) -> None:
    _record_error(session, entry_id, State.FAILED, code, message)


def mark_conflict(session: Session, entry_id: int, code: str, message: str) -> None:
    _record_error(session, entry_id, State.CONFLICT, code, message)


def keep_server_copy(session: Session, entry_id: int, server: dict[str, Any] | None) -> None:
    """Keep the server's version of a conflicted record with its entry (None: deleted)."""
    _set(session, entry_id, server_copy=None if server is None else json.dumps(server))


def recover_in_flight(session: Session) -> int:
    """After a crash, entries left in flight are sent again (the sender makes that safe)."""
    cursor = raw(session).execute(
        "UPDATE outbox SET state = ?, updated_at = ? WHERE state = ?",
        (str(State.PENDING), now_iso(), str(State.IN_FLIGHT)),
    )
    return cursor.rowcount


def retry(session: Session, entry_id: int) -> None:
    """The user asks to try a failed or conflicted entry again, now."""
    entry = get(session, entry_id)
    if entry.state not in (State.FAILED, State.CONFLICT):
        raise QueueError(f"entry {entry_id} is {entry.state}, not failed")
    _set(session, entry_id, state=str(State.PENDING), next_attempt_at=0.0)


def retry_all_failed(session: Session) -> int:
    cursor = raw(session).execute(
        "UPDATE outbox SET state = ?, next_attempt_at = 0.0, updated_at = ? WHERE state = ?",
        (str(State.PENDING), now_iso(), str(State.FAILED)),
    )
    return cursor.rowcount


def discard(session: Session, entry_id: int) -> Entry:
    """The user gives up on an entry: the only way one leaves the queue unsent."""
    entry = get(session, entry_id)
    if entry.state == State.IN_FLIGHT:
        raise QueueError(f"entry {entry_id} is being sent; wait for the result")
    raw(session).execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
    return entry


def _by_state(rows: Any) -> dict[State, int]:
    found = {State(state): int(count) for state, count in rows}
    return {state: found.get(state, 0) for state in State}


def counts(session: Session) -> dict[State, int]:
    return _by_state(raw(session).execute("SELECT state, count(*) FROM outbox GROUP BY state"))


def change_counts(session: Session) -> dict[State, int]:
    """Changed records per state, as a writer counts them: a record's entries are one
    change, and a child's entries (a template's version, a page's node) belong to its
    parent's change. A change counts once, in the state that matters most (conflict, then
    failed, then in flight, then pending): a refused template holds back its version, and
    the writer has one change that could not be synced, not also one waiting.
    ``counts`` counts queue entries; the status bar shows these."""
    order = (State.CONFLICT, State.FAILED, State.IN_FLIGHT, State.PENDING)
    rank = " ".join(f"WHEN '{state}' THEN {number}" for number, state in enumerate(order))
    rows = raw(session).execute(
        f"SELECT rank, count(*) FROM (SELECT min(CASE state {rank} ELSE {len(order) - 1} END)"
        " AS rank FROM outbox GROUP BY coalesce(parent_key, record_key)) GROUP BY rank"
    )
    found = {order[int(number)]: int(count) for number, count in rows}
    return {state: found.get(state, 0) for state in State}


def entries(session: Session, state: State | None = None) -> list[Entry]:
    if state is None:
        rows = raw(session).execute(f"SELECT {_ENTRY_COLUMNS} FROM outbox ORDER BY id")
    else:
        rows = raw(session).execute(
            f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE state = ? ORDER BY id", (str(state),)
        )
    return [_entry(row) for row in rows]


@dataclass(frozen=True)
class Queued:
    """One of a record's queue entries, as the conflict handling sees it."""

    id: int
    op_id: str
    op: Op
    state: State
    attempts: int
    payload: dict[str, Any]


def record_entries(session: Session, key: str) -> list[Queued]:
    """Everything queued for one record, oldest first."""
    rows = raw(session).execute(
        "SELECT id, op_id, op, state, attempts, payload FROM outbox WHERE record_key = ? "
        "ORDER BY id",
        (key,),
    )
    return [
        Queued(id_, op_id, Op(op), State(state), attempts, json.loads(payload))
        for id_, op_id, op, state, attempts, payload in rows
    ]


def queued_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` have anything queued (one statement per 500 keys)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = raw(session).execute(
            f"SELECT DISTINCT record_key FROM outbox WHERE record_key IN "
            f"({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update(key for (key,) in rows)
    return found


def state_of(session: Session, entry_id: int) -> State | None:
    row = raw(session).execute("SELECT state FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    return None if row is None else State(row[0])


def requeue(session: Session, entry_id: int, op: Op, payload: dict[str, Any]) -> None:
    """Give an entry a new operation and state to send, pending at once. Used when the
    server's copy was merged into it: the server has not applied it (its last write is not
    this entry's), so it is rewritten before it is sent again rather than coalesced."""
    raw(session).execute(
        "UPDATE outbox SET op = ?, payload = ?, state = ?, next_attempt_at = 0.0, "
        "server_copy = NULL, updated_at = ? WHERE id = ?",
        (str(op), json.dumps(payload), str(State.PENDING), now_iso(), entry_id),
    )


def pending_keys(session: Session) -> set[str]:
    """Record keys with anything queued (the UI's per-item badge and the puller's guard)."""
    return {key for (key,) in raw(session).execute("SELECT DISTINCT record_key FROM outbox")}
