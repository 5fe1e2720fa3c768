"""The push engine: drains the operation queue to DynamoDB (invariants 5-8, 10).

Each round claims up to 100 ready entries (at most one per record: the queue's readiness
rules) and sends the conditional ones in ``TransactWriteItems`` (<= 100 actions, <= 4 MB)
and usage events in ``BatchWriteItem`` (<= 25, ``UnprocessedItems`` retried).

- Conditions: a create requires the item to be absent; an update or delete requires the
  ``version`` this device last saw (or its absence, for items the web app wrote) AND the
  ``updatedAt`` it last saw (or its absence), so a change by any other writer, device or
  web app, is refused (:meth:`PushEngine._seen_condition`). Counters are sent as ``ADD``
  and never conflict.
- When a transaction is cancelled, ``CancellationReasons`` decide each entry's fate: a
  failed condition hands the server's copy (``ALL_OLD``) to the reconciler
  (:mod:`desktop.sync.conflicts`), which merges it and sends the entry again, or makes it
  a conflict, unless the item shows the entry was already applied; the entries that were
  not at fault go again at once. A request rejected as a whole (an item over 400 KB, a
  wrong type for an index key) is split in halves until the bad entry is alone; it moves
  to failed with DynamoDB's message and everything else goes through.
- Idempotency: every write stores its entry's ``lastOpId`` (counters: a per-device
  ``usageOp_<device>``), so an entry resent after a crash or a lost answer is recognised
  as applied: no duplicate, no false conflict.
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

from desktop.domain import estimate_item_size
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

TRANSACTION_ACTIONS = 100
TRANSACTION_BYTES = 4 * 1024 * 1024 - 64 * 1024  # DynamoDB's 4 MB, less request overhead
BATCH_WRITE_ITEMS = 25
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
    RETRYING = "transient"  # the server kept failing (5xx, throttling): the next cycle retries
    ERROR = "permanent"  # the server refused a read (e.g. access denied)


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
    again: list[Claimed] = field(default_factory=list)  # not at fault: resend at once
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
        batch_size: int = TRANSACTION_ACTIONS,
        concurrency: int = 4,
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
        self.batch_size = min(batch_size, TRANSACTION_ACTIONS)
        # Transactions in flight at once (boto3 clients are thread-safe); results are
        # settled one by one on the draining thread, so SQLite sees a single writer.
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
            report.state = EngineState(stop.kind.value)
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
        conditional = [e for e in claimed if e.entity not in UNCONDITIONAL]
        unconditional = [e for e in claimed if e.entity in UNCONDITIONAL]
        requests: list[Callable[[], _Outcome]] = [
            partial(self._transact, chunk, remote)
            for chunk in _chunks_by_size(conditional, self.batch_size)
        ]
        requests += [
            partial(self._batch_write, unconditional[start : start + BATCH_WRITE_ITEMS])
            for start in range(0, len(unconditional), BATCH_WRITE_ITEMS)
        ]
        return requests

    # -- building requests ----------------------------------------------------------------

    def action(self, entry: Claimed, remote: RemoteState) -> dict[str, Any]:
        """The TransactWriteItems action for ``entry`` given what we last saw remotely."""
        c = CODECS[entry.entity]
        table = self.table(entry.entity)
        # An increment's payload is just its amount; only templates have counters.
        state = {"templateId": entry.record_id} if entry.op == Op.INCREMENT else entry.payload
        key = codec.serialize(c.key(self.user_id, state))
        # DynamoDB rejects names a request declares but does not use: each branch adds its own.
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if entry.op == Op.INCREMENT:
            names["#pk"] = c.hash_key
            names["#count"] = "usageCount"
            names["#mine"] = self.usage_attribute
            values[":n"] = {"N": str(int(entry.payload["amount"]))}
            values[":op"] = {"S": entry.op_id}
            return {
                "Update": {
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": "ADD #count :n SET #mine = :op",
                    "ConditionExpression": "attribute_exists(#pk) AND "
                    "(attribute_not_exists(#mine) OR #mine <> :op)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        if entry.op == Op.DELETE:
            request: dict[str, Any] = {"TableName": table, "Key": key}
            if remote.known:
                request["ConditionExpression"] = self._seen_condition(remote, names, values)
                request["ExpressionAttributeNames"] = names
                if values:  # none for an item seen with neither version nor updatedAt
                    request["ExpressionAttributeValues"] = values
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            return {"Delete": request}
        if entry.op == Op.UPDATE and remote.known:
            sets, removes = c.managed(self.user_id, entry.payload)
            sets[VERSION] = (remote.version or 0) + 1
            sets[LAST_OP] = entry.op_id
            assignments = []
            for i, (name, value) in enumerate(sets.items()):
                names[f"#s{i}"] = name
                values[f":s{i}"] = codec.to_attribute(value)
                assignments.append(f"#s{i} = :s{i}")
            expression = "SET " + ", ".join(assignments)
            if removes:
                for i, name in enumerate(removes):
                    names[f"#r{i}"] = name
                expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
            condition = self._seen_condition(remote, names, values)
            return {
                "Update": {
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        # A create, or an update of a record the server never confirmed: put it whole,
        # only if absent.
        item = c.item(self.user_id, entry.payload) | {VERSION: 1, LAST_OP: entry.op_id}
        return {
            "Put": {
                "TableName": table,
                "Item": codec.serialize(item),
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": c.hash_key},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    @staticmethod
    def _seen_condition(remote: RemoteState, names: dict[str, str], values: dict[str, Any]) -> str:
        """The item is as this device last saw it: the same ``version`` (or still none) AND
        the same ``updatedAt`` (or still none). Every web-app write sets ``updatedAt`` and
        never ``version``; every write from a device sets both; so any other writer's
        change since then fails the condition. ``ADD usageCount`` changes neither."""
        names["#version"] = VERSION
        names["#updated"] = "updatedAt"
        if remote.version is not None:
            values[":seen"] = {"N": str(remote.version)}
            condition = "#version = :seen"
        else:
            condition = "attribute_not_exists(#version)"
        if remote.updated_at is not None:
            values[":seenAt"] = {"S": remote.updated_at}
            return condition + " AND #updated = :seenAt"
        return condition + " AND attribute_not_exists(#updated)"

    # -- sending --------------------------------------------------------------------------

    def _transact(self, chunk: list[Claimed], remote: dict[str, RemoteState]) -> _Outcome:
        if self.cancel.is_set():
            return _Outcome(again=list(chunk))  # never sent: back to pending, untouched
        outcome = _Outcome(requests=1)
        actions = [self.action(e, remote[e.record_key]) for e in chunk]
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                reasons: list[dict[str, Any]] = list(
                    error.response.get("CancellationReasons") or []  # type: ignore[arg-type]
                )
                if len(reasons) == len(chunk):
                    self._cancelled(chunk, reasons, outcome)
                    return outcome
            return self._rejected(chunk, classify(error), remote)
        except Exception as error:  # classify() re-raises what is not a sync error
            return self._rejected(chunk, classify(error), remote)
        outcome.done = [(e, self._written_state(e, remote[e.record_key])) for e in chunk]
        return outcome

    def _rejected(
        self, chunk: list[Claimed], problem: Classified, remote: dict[str, RemoteState]
    ) -> _Outcome:
        """The whole request failed: decide for every entry in it."""
        if problem.kind == Kind.PERMANENT and len(chunk) > 1:
            # Which entry is bad? Halve until it is alone; the others go through.
            middle = len(chunk) // 2
            combined = _Outcome(requests=1)
            for half in (chunk[:middle], chunk[middle:]):
                combined.absorb(self._transact(half, remote))
                if combined.stop:
                    break
            return combined
        outcome = _Outcome(requests=1)
        if problem.kind == Kind.PERMANENT:
            outcome.failed = [(e, problem) for e in chunk]
        elif problem.kind == Kind.TRANSIENT:
            outcome.later = [(e, problem) for e in chunk]
        else:
            outcome.stop = problem
        return outcome

    def _cancelled(
        self, chunk: list[Claimed], reasons: list[dict[str, Any]], outcome: _Outcome
    ) -> None:
        for entry, reason in zip(chunk, reasons, strict=True):
            code = str(reason.get("Code") or "None")
            message = str(reason.get("Message") or "")
            if code == "None":
                outcome.again.append(entry)
                continue
            problem = classify_code(code, message)
            if problem.kind != Kind.CONFLICT:
                (outcome.later if problem.kind == Kind.TRANSIENT else outcome.failed).append(
                    (entry, problem)
                )
                continue
            old = codec.deserialize(reason["Item"]) if reason.get("Item") else None
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
                problem = classify(error)
                if problem.kind == Kind.PERMANENT and len(pending) > 1:
                    for entry in list(pending.values()):
                        outcome.absorb(self._batch_write([entry]))
                    return outcome
                rejected = self._rejected(list(pending.values()), problem, {})
                rejected.done = outcome.done
                rejected.requests += outcome.requests
                return rejected
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


def _chunks_by_size(entries: list[Claimed], actions: int) -> list[list[Claimed]]:
    """Split into transactions of <= ``actions`` actions and <= 4 MB."""
    chunks: list[list[Claimed]] = []
    current: list[Claimed] = []
    size = 0
    for entry in entries:
        entry_size = estimate_item_size(entry.payload) + 512
        if current and (len(current) == actions or size + entry_size > TRANSACTION_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_size
    if current:
        chunks.append(current)
    return chunks
