"""The push engine: drains the operation queue to DynamoDB (invariants 5-8, 10).

Each round claims up to 100 ready entries (at most one per record: the queue's readiness
rules) and sends them, up to :data:`DEFAULT_CONCURRENCY` requests in flight:

- record writes (creates, updates, deletes) as PartiQL statements in
  ``BatchExecuteStatement`` (<= 25 per request, never one key twice): each statement is a
  conditional single-item write with its own outcome, so one refusal never holds back the
  others, and it costs what one conditional ``PutItem``/``UpdateItem``/``DeleteItem``
  costs: measured with ``bench/drain.py``, 9 write units for a 2.5 KB template edit
  (the table 3, ``UserUpdatedIndex`` 6) against 18 for the same write as a transaction;
- usage counters as ``UpdateItem ... ADD`` (PartiQL has no ``ADD`` for an attribute that
  may be missing), one request each, in the same pool;
- usage events in ``BatchWriteItem`` (<= 25, ``UnprocessedItems`` retried).
Nothing needs two writes to land together, so no request is a transaction.

- Conditions: a create is an ``INSERT`` (refused with ``DuplicateItem`` when the key
  exists); an update or delete requires the ``version`` this device last saw (or its
  absence, for items the web app wrote) AND the ``updatedAt`` it last saw (or its
  absence), so a change by any other writer, device or web app, is refused
  (:meth:`PushEngine._seen`). Counters are sent as ``ADD`` and never conflict.
- A refused statement comes back as ``ConditionalCheckFailed`` with the server's copy
  (``ALL_OLD``), handed to the reconciler (:mod:`desktop.sync.conflicts`), which merges it
  and sends the entry again, or makes it a conflict, unless the item shows the entry was
  already applied. A ``DuplicateItem`` carries no copy: the engine reads the item
  (consistent read) and decides the same way. A request rejected as a whole (an item over
  400 KB) is split in halves until the bad entry is alone; it moves to failed with
  DynamoDB's message and everything else goes through.
- Idempotency: every write stores its entry's ``lastOpId`` (counters: a per-device
  ``usageOp_<device>``), so an entry resent after a crash or a lost answer is recognised
  as applied: no duplicate, no false conflict. (A ``DELETE`` of an item already gone
  succeeds: what was wanted.)
- Errors are classified in :mod:`desktop.sync.errors`; transient ones retry with capped,
  fully jittered backoff persisted per entry; offline, missing credentials and missing
  tables stop the drain and mark nothing failed.
- Cancelling (``cancel``, set from any thread: the window closing) stops the drain between
  requests: nothing more is claimed, a request not yet sent puts its entries back to
  pending untouched, and one already sent is settled from its answer. An entry whose answer
  never comes (the process ended first) stays in flight and is resent at the next start,
  which the ``lastOpId`` above makes safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from desktop.store import outbox, syncstate
from desktop.store.db import InstanceLock
from desktop.store.outbox import Claimed, Op, State
from desktop.store.services import Store
from desktop.store.syncstate import RemoteState
from desktop.sync import codec
from desktop.sync.account import identity_mismatch
from desktop.sync.codec import CODECS, LAST_OP, USAGE_OP_PREFIX, VERSION
from desktop.sync.config import SyncSettings
from desktop.sync.conflicts import Outcome, Reconciler, ServerCopy
from desktop.sync.errors import Backoff, Classified, Kind, classify, classify_code

log = logging.getLogger(__name__)

CLAIM_SIZE = 100  # entries claimed per round
STATEMENTS_PER_BATCH = 25  # BatchExecuteStatement's limit
BATCH_WRITE_ITEMS = 25
DEFAULT_CONCURRENCY = 8  # requests in flight (the client's pool holds 16 connections)
UNCONDITIONAL = frozenset({"usage_event"})
DEFAULT_BACKOFF = Backoff()
#: A retry due this soon after a transient failure is waited for within the drain ...
SHORT_WAIT_S = 2.0
#: ... for at most this long in all, per drain.
SHORT_WAIT_BUDGET_S = 4.0
BUSY_MESSAGE = "another Gravy Desktop process is syncing this database"
CANCELLED_MESSAGE = "stopped on request; the rest goes at the next sync"


class EngineState(StrEnum):
    IDLE = "idle"  # nothing (more) to send now
    OFFLINE = "offline"
    CREDENTIALS = "credentials"
    SETUP = "setup"
    BUSY = "busy"  # another process is syncing this database
    CANCELLED = "cancelled"  # asked to stop (the window closing): the rest waits
    TRANSIENT = "transient"  # the server kept failing (5xx, throttling): the next cycle retries
    PERMANENT = "permanent"  # the server refused a read (e.g. access denied)

    @classmethod
    def stopped_by(cls, kind: Kind) -> EngineState:
        """The state of a cycle a fault of this class stopped (a conflict never stops one)."""
        return _STOPPED_BY[kind]


_STOPPED_BY = {
    Kind.TRANSIENT: EngineState.TRANSIENT,
    Kind.OFFLINE: EngineState.OFFLINE,
    Kind.CREDENTIALS: EngineState.CREDENTIALS,
    Kind.SETUP: EngineState.SETUP,
    Kind.PERMANENT: EngineState.PERMANENT,
}


@dataclass
class PushReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    conflicts: int = 0
    merged: int = 0  # refused writes merged with the server's copy and sent again
    requests: int = 0
    state: EngineState = EngineState.IDLE
    message: str = ""


@dataclass
class _Outcome:
    """What happened to the entries of one request (settled in one SQLite transaction)."""

    # Confirmed entries, with what the server now holds (None: the item is gone).
    done: list[tuple[Claimed, RemoteState | None]] = field(default_factory=list)
    conflicts: list[tuple[Claimed, Classified, ServerCopy]] = field(default_factory=list)
    failed: list[tuple[Claimed, Classified]] = field(default_factory=list)
    # Not applied and not at fault (never sent, or undecided): back to pending at once.
    again: list[Claimed] = field(default_factory=list)
    later: list[tuple[Claimed, Classified]] = field(default_factory=list)
    stop: Classified | None = None  # offline / credentials / setup: release and stop
    requests: int = 0

    def absorb(self, other: _Outcome) -> None:
        for name in ("done", "conflicts", "failed", "again", "later"):
            getattr(self, name).extend(getattr(other, name))
        self.stop = self.stop or other.stop
        self.requests += other.requests


class PushEngine:
    def __init__(
        self,
        store: Store,
        client: Any,
        settings: SyncSettings,
        backoff: Backoff = DEFAULT_BACKOFF,
        batch_size: int = CLAIM_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: Callable[[PushReport], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        if not settings.user_id:
            raise ValueError("a user id is needed to sync")
        self.cancel = cancel if cancel is not None else threading.Event()
        self.progress = progress  # called after each settled request, on the draining thread
        self.store = store
        self.client = client
        self.settings = settings
        self.user_id = settings.user_id
        self.backoff = backoff
        self.batch_size = batch_size
        # Requests in flight at once (boto3 clients are thread-safe); results are settled
        # one by one on the draining thread, so SQLite sees a single writer.
        self.concurrency = max(1, concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self.usage_attribute = USAGE_OP_PREFIX + settings.device_id
        self.reconciler = Reconciler(settings.device_id)
        self.lock = InstanceLock(store.database.path, "sync")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def table(self, entity: str) -> str:
        return self.settings.table_prefix + CODECS[entity].table.name

    # -- the drain ------------------------------------------------------------------------

    def drain(self, max_seconds: float | None = None) -> PushReport:
        """Send everything that is ready now; returns what happened."""
        if not self.lock.acquire():
            return PushReport(state=EngineState.BUSY, message=BUSY_MESSAGE)
        try:
            return self.drain_locked(max_seconds)
        finally:
            self.lock.release()

    def drain_locked(self, max_seconds: float | None = None) -> PushReport:
        """:meth:`drain` for a caller that holds :attr:`lock` (a whole sync cycle)."""
        report = PushReport()
        refusal = identity_mismatch(self.store, self.user_id)
        if refusal is not None:  # the queue is bound to its account: never send it as another
            report.state, report.message = EngineState.CREDENTIALS, f"WrongAccount: {refusal}"
            return report
        with self.store.database.write() as session:
            recovered = outbox.recover_in_flight(session)
        if recovered:
            log.info("resending %d entries that were in flight at a crash", recovered)
        with self.store.operation() as op:  # the queue's new states, announced once
            stop = self._pump(report, max_seconds)
            op.queue_changed()
        if stop is not None:
            report.state = EngineState.stopped_by(stop.kind)
            report.message = f"{stop.code}: {stop.message}"
        elif self.cancel.is_set():
            report.state, report.message = EngineState.CANCELLED, CANCELLED_MESSAGE
        return report

    def _pump(self, report: PushReport, max_seconds: float | None) -> Classified | None:
        """Keep up to ``concurrency`` requests in flight; settle each as it returns and
        refill at once (a record's next entry becomes ready when its last one is settled)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="push")
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        in_flight: set[Future[_Outcome]] = set()
        stop: Classified | None = None
        waited = 0.0
        while True:
            while (
                stop is None
                and not self.cancel.is_set()
                and len(in_flight) < self.concurrency
                and (deadline is None or time.monotonic() < deadline)
            ):
                requests = self._next_requests()
                if not requests:
                    break
                in_flight.update(self._pool.submit(request) for request in requests)
            if not in_flight:
                if stop is None and (slept := self._short_wait(report, waited, deadline)):
                    waited += slept
                    continue
                break
            finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()
                self._settle(outcome, report)
                stop = stop or outcome.stop
                if self.progress is not None:
                    self.progress(report)
        if stop is not None:
            # Whatever was claimed but not settled goes back unsent: no attempt was made.
            with self.store.database.write() as session:
                outbox.unclaim(
                    session, [e.id for e in outbox.entries(session, outbox.State.IN_FLIGHT)]
                )
        return stop

    def _short_wait(self, report: PushReport, waited: float, deadline: float | None) -> float:
        """A transient failure in this drain left entries in backoff: when the first is due
        within :data:`SHORT_WAIT_S`, wait for it here (the next cycle may be a minute away),
        at most :data:`SHORT_WAIT_BUDGET_S` per drain; returns the seconds waited (0: stop)."""
        if report.retried == 0 or self.cancel.is_set():
            return 0.0
        with self.store.database.read() as session:
            count, due = outbox.in_backoff(session)
        if not count or due is None:
            return 0.0
        delay = max(0.0, due - time.time()) + 0.001
        if delay > SHORT_WAIT_S or waited + delay > SHORT_WAIT_BUDGET_S:
            return 0.0
        if deadline is not None and time.monotonic() + delay > deadline:
            return 0.0
        self.cancel.wait(delay)
        return delay

    def _next_requests(self) -> list[Callable[[], _Outcome]]:
        """Claim the next ready entries and make them into requests to send."""
        with self.store.database.write() as session:
            claimed = outbox.claim(session, self.batch_size)
            remote = syncstate.remote_states(session, [e.record_key for e in claimed])
        statements = [
            (entry, self.statement(entry, remote[entry.record_key]))
            for entry in claimed
            if entry.entity not in UNCONDITIONAL and entry.op != Op.INCREMENT
        ]
        requests: list[Callable[[], _Outcome]] = [
            partial(self._execute, batch, remote) for batch in _batches(statements)
        ]
        requests += [partial(self._increment, e) for e in claimed if e.op == Op.INCREMENT]
        unconditional = [e for e in claimed if e.entity in UNCONDITIONAL]
        requests += [
            partial(self._batch_write, unconditional[start : start + BATCH_WRITE_ITEMS])
            for start in range(0, len(unconditional), BATCH_WRITE_ITEMS)
        ]
        return requests

    # -- building requests ----------------------------------------------------------------

    def statement(self, entry: Claimed, remote: RemoteState) -> dict[str, Any]:
        """The PartiQL statement that writes ``entry``, given what we last saw remotely."""
        if entry.op == Op.DELETE:
            return self._delete(entry, remote)
        if entry.op == Op.UPDATE and remote.known:
            return self._update(entry, remote)
        # A create, or an update of a record the server never confirmed: whole, if absent.
        return self._insert(entry)

    def _insert(self, entry: Claimed) -> dict[str, Any]:
        item = CODECS[entry.entity].item(self.user_id, entry.payload)
        attributes = codec.serialize(item | {VERSION: 1, LAST_OP: entry.op_id})
        fields = ", ".join(f"{_text(name)}: ?" for name in attributes)
        return _statement(
            f"INSERT INTO {_name(self.table(entry.entity))} VALUE {{{fields}}}",
            list(attributes.values()),
        )

    def _update(self, entry: Claimed, remote: RemoteState) -> dict[str, Any]:
        sets, removes = CODECS[entry.entity].managed(self.user_id, entry.payload)
        sets |= {VERSION: (remote.version or 0) + 1, LAST_OP: entry.op_id}
        where, key = self._where(entry, remote)
        changes = "".join(f" SET {_name(name)} = ?" for name in sets)
        changes += "".join(f" REMOVE {_name(name)}" for name in removes)
        return _statement(
            f"UPDATE {_name(self.table(entry.entity))}{changes} WHERE {where}",
            [codec.to_attribute(value) for value in sets.values()] + key,
        )

    def _delete(self, entry: Claimed, remote: RemoteState) -> dict[str, Any]:
        where, key = self._where(entry, remote)
        return _statement(f"DELETE FROM {_name(self.table(entry.entity))} WHERE {where}", key)

    def _where(self, entry: Claimed, remote: RemoteState) -> tuple[str, list[dict[str, Any]]]:
        """The item's key, and (for a record seen on the server) :meth:`_seen`."""
        key = codec.serialize(CODECS[entry.entity].key(self.user_id, entry.payload))
        terms = [f"{_name(name)} = ?" for name in key]
        values = list(key.values())
        if remote.known:
            seen, seen_values = self._seen(remote)
            terms += seen
            values += seen_values
        return " AND ".join(terms), values

    @staticmethod
    def _seen(remote: RemoteState) -> tuple[list[str], list[dict[str, Any]]]:
        """The item is as this device last saw it: the same ``version`` (or still none) AND
        the same ``updatedAt`` (or still none). Every web-app write sets ``updatedAt`` and
        never ``version``; every write from a device sets both; so any other writer's
        change since then fails the condition. ``ADD usageCount`` changes neither."""
        terms: list[str] = []
        values: list[dict[str, Any]] = []
        for name, seen in ((VERSION, remote.version), ("updatedAt", remote.updated_at)):
            if seen is None:
                terms.append(f"{_name(name)} IS MISSING")
            else:
                terms.append(f"{_name(name)} = ?")
                values.append(codec.to_attribute(seen))
        return terms, values

    def increment(self, entry: Claimed) -> dict[str, Any]:
        """The ``UpdateItem`` that adds ``entry``'s uses to its template's counter, once:
        it also stores the op id in this device's ``usageOp_`` attribute and requires it
        to differ, so a resend after a lost answer is refused, not counted twice."""
        c = CODECS[entry.entity]
        key = codec.serialize(c.key(self.user_id, {"templateId": entry.record_id}))
        return {
            "TableName": self.table(entry.entity),
            "Key": key,
            "UpdateExpression": "ADD #count :n SET #mine = :op",
            "ConditionExpression": "attribute_exists(#pk) AND "
            "(attribute_not_exists(#mine) OR #mine <> :op)",
            "ExpressionAttributeNames": {
                "#pk": c.hash_key,
                "#count": "usageCount",
                "#mine": self.usage_attribute,
            },
            "ExpressionAttributeValues": {
                ":n": {"N": str(int(entry.payload["amount"]))},
                ":op": {"S": entry.op_id},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    # -- sending --------------------------------------------------------------------------

    def _execute(
        self, batch: list[tuple[Claimed, dict[str, Any]]], remote: dict[str, RemoteState]
    ) -> _Outcome:
        """Send one ``BatchExecuteStatement``; every statement has its own outcome."""
        if self.cancel.is_set():  # never sent: back to pending, untouched
            return _Outcome(again=[entry for entry, _ in batch])
        outcome = _Outcome(requests=1)
        try:
            answer = self.client.batch_execute_statement(
                Statements=[statement for _, statement in batch]
            )
        except Exception as error:  # a bug is raised on (_classified)
            return self._rejected(batch, _classified(error), remote)
        duplicates: list[Claimed] = []
        for (entry, _), response in zip(batch, answer["Responses"], strict=True):
            refusal = response.get("Error")
            if refusal is None:
                outcome.done.append((entry, self._written_state(entry, remote[entry.record_key])))
            elif refusal.get("Code") == "DuplicateItem":
                duplicates.append(entry)  # our own earlier INSERT, or someone else's item
            else:
                problem = classify_code(str(refusal.get("Code")), str(refusal.get("Message", "")))
                self._refused(entry, problem, refusal.get("Item"), outcome)
        if duplicates:
            outcome.absorb(self._read_back(duplicates))
        return outcome

    def _increment(self, entry: Claimed) -> _Outcome:
        if self.cancel.is_set():
            return _Outcome(again=[entry])
        outcome = _Outcome(requests=1)
        try:
            self.client.update_item(**self.increment(entry))
        except Exception as error:
            problem = _classified(error)
            item = error.response.get("Item") if isinstance(error, ClientError) else None
            self._refused(entry, problem, item, outcome)  # type: ignore[arg-type]
            return outcome
        outcome.done.append((entry, None))
        return outcome

    def _read_back(self, entries: list[Claimed]) -> _Outcome:
        """An INSERT met an existing item: read it to tell our own earlier write (a lost
        answer, resent) from another writer's record, which is a conflict."""
        outcome = _Outcome()
        for entry in entries:
            if self.cancel.is_set():
                outcome.again.append(entry)  # answered, but undecided: resend later
                continue
            outcome.requests += 1
            try:
                found = self.client.get_item(
                    TableName=self.table(entry.entity),
                    Key=codec.serialize(CODECS[entry.entity].key(self.user_id, entry.payload)),
                    ConsistentRead=True,
                )
            except Exception as error:
                self._refused(entry, _classified(error), None, outcome)
                continue
            if "Item" not in found:  # deleted since: the INSERT can be sent again
                outcome.again.append(entry)
                continue
            conflict = Classified(Kind.CONFLICT, "DuplicateItem", "the record exists already")
            self._refused(entry, conflict, found["Item"], outcome)
        return outcome

    def _rejected(
        self,
        batch: list[tuple[Claimed, dict[str, Any]]],
        problem: Classified,
        remote: dict[str, RemoteState],
    ) -> _Outcome:
        """The whole request failed: decide for every entry in it."""
        if problem.kind == Kind.PERMANENT and len(batch) > 1:
            # Which entry is bad? Halve until it is alone; the others go through.
            middle = len(batch) // 2
            combined = _Outcome(requests=1)
            for half in (batch[:middle], batch[middle:]):
                combined.absorb(self._execute(half, remote))
                if combined.stop:
                    break
            return combined
        outcome = _Outcome(requests=1)
        for entry, _ in batch:
            self._refused(entry, problem, None, outcome)
        return outcome

    def _refused(
        self,
        entry: Claimed,
        problem: Classified,
        item: dict[str, Any] | None,
        outcome: _Outcome,
    ) -> None:
        """File an entry the server did not apply, by the class of the refusal; ``item``
        is the server's copy that came with a failed condition (None: no such item)."""
        if problem.kind == Kind.TRANSIENT:
            outcome.later.append((entry, problem))
        elif problem.kind == Kind.PERMANENT:
            outcome.failed.append((entry, problem))
        elif problem.kind != Kind.CONFLICT:
            outcome.stop = outcome.stop or problem  # left in flight: the drain releases it
        else:
            old = codec.deserialize(item) if item else None
            if self._already_applied(entry, old):
                outcome.done.append((entry, self._server_state(entry, old)))
            else:
                decoded = CODECS[entry.entity].decode(old) if old else None
                copy = ServerCopy.from_item(old, decoded, self.settings.device_id)
                outcome.conflicts.append((entry, problem, copy))

    def _already_applied(self, entry: Claimed, old: dict[str, Any] | None) -> bool:
        """Did an earlier send of this very entry reach the server?"""
        if entry.op == Op.DELETE:
            return old is None  # gone already: what we wanted
        if entry.op == Op.INCREMENT:
            # Missing: the record was deleted, its counter with it. Else: ours, applied.
            return old is None or old.get(self.usage_attribute) == entry.op_id
        return old is not None and old.get(LAST_OP) == entry.op_id

    @staticmethod
    def _written_state(entry: Claimed, remote: RemoteState) -> RemoteState | None:
        """What the server holds after ``entry`` succeeded: the state it carried."""
        if entry.op in (Op.DELETE, Op.INCREMENT):
            return None  # gone; or a counter, of which nothing is remembered
        version = (remote.version or 0) + 1 if entry.op == Op.UPDATE and remote.known else 1
        return RemoteState(version, entry.payload.get("updatedAt"), entry.payload)

    @staticmethod
    def _server_state(entry: Claimed, old: dict[str, Any] | None) -> RemoteState | None:
        """What the server holds, read from the item it returned (None: no item)."""
        if old is None or entry.op == Op.INCREMENT:
            return None
        decoded = CODECS[entry.entity].decode(old)
        version = old.get(VERSION)
        return RemoteState(
            int(version) if version is not None else None, old.get("updatedAt"), decoded, True
        )

    def _batch_write(self, entries: list[Claimed]) -> _Outcome:
        outcome = _Outcome()
        pending = {e.op_id: e for e in entries}
        requests = {
            e.op_id: {
                "PutRequest": {
                    "Item": codec.serialize(CODECS[e.entity].item(self.user_id, e.payload))
                }
            }
            for e in entries
        }
        table = self.table(entries[0].entity)
        for round_ in range(5):
            if self.cancel.is_set():  # what is left was not sent (again): back to pending
                outcome.again.extend(pending.values())
                return outcome
            outcome.requests += 1
            try:
                response = self.client.batch_write_item(
                    RequestItems={table: [requests[op] for op in pending]}
                )
            except Exception as error:
                problem = _classified(error)
                if problem.kind == Kind.PERMANENT and len(pending) > 1:
                    for entry in list(pending.values()):
                        outcome.absorb(self._batch_write([entry]))
                    return outcome
                for entry in pending.values():
                    self._refused(entry, problem, None, outcome)
                outcome.requests += 1
                return outcome
            unprocessed = response.get("UnprocessedItems", {}).get(table, [])
            left = {codec.deserialize(r["PutRequest"]["Item"])["trackingId"] for r in unprocessed}
            for op_id, entry in list(pending.items()):
                if entry.payload["trackingId"] not in left:
                    outcome.done.append((entry, None))
                    del pending[op_id]
            if not pending:
                return outcome
            self.cancel.wait(self.backoff.delay(round_ + 1) / 10)
        outcome.later = [
            (e, Classified(Kind.TRANSIENT, "UnprocessedItems", "DynamoDB left it unprocessed"))
            for e in pending.values()
        ]
        return outcome

    # -- recording the results ------------------------------------------------------------

    def _settle(self, outcome: _Outcome, report: PushReport) -> None:
        """Record one request's results in one SQLite transaction."""
        remembered: list[tuple[str, int | None, str | None, dict[str, Any] | None]] = []
        merged = conflicts = 0
        with self.store.database.write() as session:
            outbox.complete_many(session, [entry.id for entry, _ in outcome.done])
            for entry, state in outcome.done:
                if entry.entity in UNCONDITIONAL or entry.op == Op.INCREMENT:
                    continue  # nothing to condition later writes on
                if state is None:
                    syncstate.forget_remote(session, entry.record_key)
                else:
                    remembered.append(
                        (entry.record_key, state.version, state.updated_at, state.base)
                    )
            syncstate.record_remote_many(session, remembered)
            for entry, problem, server in outcome.conflicts:
                # Refused: the server moved on. Merge with its copy, or ask the user.
                result = self.reconciler.reconcile(
                    session, entry.entity, entry.record_id, server, sending=entry.id
                )
                if result == Outcome.MERGED:
                    merged += 1
                    if outbox.state_of(session, entry.id) == State.IN_FLIGHT:
                        outbox.release(session, entry.id)  # the same write, newly conditioned
                elif outbox.state_of(session, entry.id) == State.IN_FLIGHT:
                    outbox.mark_conflict(session, entry.id, problem.code, problem.message)
                    outbox.keep_server_copy(session, entry.id, server.to_json())
                    conflicts += 1
                elif result == Outcome.CONFLICT:
                    conflicts += 1
                log.info("%s was refused: %s", entry.record_key, result)
            for entry, problem in outcome.failed:
                outbox.fail(session, entry.id, problem.code, problem.message)
                log.warning("failed %s %s: %s", entry.op, entry.record_key, problem.code)
            # Not at fault, never applied: unsent, so the claim's attempt is taken back.
            outbox.unclaim(session, [entry.id for entry in outcome.again])
            for entry, problem in outcome.later:
                delay = self.backoff.delay(entry.attempts)
                outbox.retry_later(session, entry.id, problem.code, problem.message, delay)
        report.requests += outcome.requests
        report.sent += len(outcome.done)
        report.conflicts += conflicts
        report.merged += merged
        report.failed += len(outcome.failed)
        report.retried += len(outcome.later)


def _batches(
    statements: list[tuple[Claimed, dict[str, Any]]],
) -> list[list[tuple[Claimed, dict[str, Any]]]]:
    """Group statements into requests of <= 25 statements in which no item is named twice
    (DynamoDB refuses such a request whole); a second write of one item (never two per
    claim today) waits for a later request. 25 items of at most 400 KB stay well under
    DynamoDB's 16 MB per request."""
    batches: list[list[tuple[Claimed, dict[str, Any]]]] = []
    keys: list[set[str]] = []
    for entry, statement in statements:
        for batch, named in zip(batches, keys, strict=True):
            if len(batch) < STATEMENTS_PER_BATCH and entry.record_key not in named:
                break
        else:
            batch, named = [], set()
            batches.append(batch)
            keys.append(named)
        batch.append((entry, statement))
        named.add(entry.record_key)
    return batches


def _name(name: str) -> str:
    """An attribute or table name in a PartiQL statement (double-quoted)."""
    return '"' + name.replace('"', '""') + '"'


def _text(name: str) -> str:
    """An attribute name as a PartiQL string (an INSERT's field name)."""
    return "'" + name.replace("'", "''") + "'"


def _statement(text: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Statement": text,
        "Parameters": parameters,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _classified(error: Exception) -> Classified:
    """The class of a failed write; a bug (not the server's or the network's fault) is
    raised on, never taken for a refusal of the entries."""
    problem = classify(error)
    if problem is None:
        raise error
    return problem
