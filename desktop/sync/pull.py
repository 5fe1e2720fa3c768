"""The pull: other devices' and the web app's changes arrive (DESIGN.md invariant 9).

Delta: per table, one paged Query on its (owner, ``updatedAt``) index (versions, which
never change once written: (owner, ``createdAt``); shares: (``sharedByUserId``,
``createdAt``)) for everything stamped since the table's checkpoint minus an overlap
(``pull_overlap_s``, 15 minutes by default). The overlap tolerates writers whose clocks
run behind and index propagation delay; the records it re-reads are recognised as
unchanged and cost no local write. With nothing changed, a pull is one request per
table, whatever the number of records.

Full reconciliation (on a schedule, ``full_sync_interval_s``, and on demand): reads every
record of the user's partitions (``PageManager``: a Scan for this owner's pages and the
web app's, which carry no owner) and finds what a delta cannot see: remote deletions, the
web app's ``ADD usageCount`` (which leaves ``updatedAt`` alone), and writes stamped by a
clock further behind than the overlap.

Each page of results is applied in transactions of at most ``APPLY_BATCH`` records through the
:class:`~desktop.sync.conflicts.Reconciler` (a record with nothing queued takes the
server's state; one with queued edits is merged or becomes a conflict); the table's
checkpoint advances in a later transaction, only after the data is committed.

Reading runs one page ahead of applying (a reader thread fetches and decodes the next page
while this one is written to SQLite), so a first sync costs about what reading alone costs.

A full read remembers, after each page it applied, where the next page starts
(``RESUME``): a full read cut short (cancelled, offline, the process killed) resumes there
next time instead of reading the table again from its start. A resumed read infers no
deletions (it did not see the first pages); the next full read does.

Progress (``progress``): after each page of a table never pulled before, the records read
so far and, when known, how many there are in all: a ``Select=COUNT`` query per such table
(:meth:`Puller.count`), run beside the first pages, only on a first sync (README).

Cancelling (``cancel``, the window closing) stops the pull before its next request: what
was applied stays, the checkpoint of the table being read stays where it was (its pages
are read again next time, or from the remembered page on a full read), and a full read
cut short infers no deletions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desktop.domain import now_iso, to_iso
from desktop.store import outbox, remote, syncstate
from desktop.store.entities import ENTITIES, PULLED
from desktop.store.outbox import record_key
from desktop.store.remote import PARENTS
from desktop.store.services import Store
from desktop.sync import codec
from desktop.sync.codec import CODECS
from desktop.sync.config import SyncSettings
from desktop.sync.conflicts import Outcome, Reconciler, ServerCopy
from desktop.sync.errors import Backoff, Classified, Kind, classify
from desktop.sync.tables import PAGES, TableSpec

log = logging.getLogger(__name__)

#: Each pulled kind's place in the order they are applied (entities.PULLED: parents first).
_ORDER = {entity: i for i, entity in enumerate(PULLED)}
CHECKPOINT = "pull.checkpoint."  # + table name: ISO time, everything before it was seen
FULL_AT = "pull.full_at."  # + table name: when the table was last read in full
#: + table name: {"started", "key"} of a full read under way: where its next page starts
RESUME = "pull.resume."
READ_ATTEMPTS = 4
READ_BACKOFF = Backoff(0.25, 4.0)
#: Records applied per SQLite transaction. A whole page (1 MB, ~500 templates of 2 KB) held
#: the write lock for 28 ms typically and up to 120 ms with 10,000 records here, and a save
#: in the window waited for it; 100 records hold it for a few milliseconds (README).
APPLY_BATCH = 100


def pulled_tables() -> list[TableSpec]:
    specs = {CODECS[entity].table.name: CODECS[entity].table for entity in PULLED}
    return list(specs.values())


def entity_of(spec: TableSpec, item: dict[str, Any]) -> str:
    if spec is PAGES:
        return "node" if str(item.get("SK", "")).startswith("NODE#") else "page"
    return next(e for e in PULLED if CODECS[e].table is spec)


@dataclass
class PullReport:
    received: int = 0  # items read from the server
    applied: int = 0  # records taken as they are on the server (incl. deletions)
    merged: int = 0
    conflicts: int = 0
    unchanged: int = 0
    skipped: int = 0  # items that cannot be stored here (invalid, or an orphan)
    requests: int = 0
    read_capacity: float = 0.0
    full_tables: list[str] = field(default_factory=list)
    missing_indexes: list[str] = field(default_factory=list)
    stop: Classified | None = None
    cancelled: bool = False  # stopped on request before the end
    changed: list[tuple[str, str]] = field(default_factory=list)  # (entity, id) changed here

    def count(self, outcome: Outcome, entity: str, record_id: str) -> None:
        if outcome in (Outcome.APPLIED, Outcome.MERGED, Outcome.CONFLICT):
            self.changed.append((entity, record_id))
        match outcome:
            case Outcome.APPLIED:
                self.applied += 1
            case Outcome.MERGED:
                self.merged += 1
            case Outcome.CONFLICT:
                self.conflicts += 1
            case Outcome.UNCHANGED | Outcome.KEPT:
                self.unchanged += 1
            case Outcome.SKIPPED:
                self.skipped += 1


class _Cancelled(Exception):
    pass


class _Stop(Exception):
    def __init__(self, problem: Classified) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _missing_index(problem: Classified) -> bool:
    return problem.code == "ValidationException" and "index" in problem.message


def _shift(moment: str, seconds: float) -> str:
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return to_iso(parsed - timedelta(seconds=seconds))


def _read_ahead(pages: Iterator[Any]) -> Iterator[Any]:
    """``pages``, each fetched on a reader thread while the caller handles the one before
    (its exceptions, ``_Stop`` and ``_Cancelled`` included, are raised to the caller)."""
    with ThreadPoolExecutor(1, thread_name_prefix="pull-read") as reader:
        ahead: Future[Any] = reader.submit(next, pages, None)
        while (page := ahead.result()) is not None:
            ahead = reader.submit(next, pages, None)
            yield page


class _FirstSync:
    """The tables a first sync reads (never pulled before), how many of their records were
    read, and how many there are: counted on a thread of its own beside the first pages."""

    def __init__(
        self, count: Callable[[str], tuple[int, int]], tables: list[str], read: int
    ) -> None:
        self.tables = tables
        self.read = read
        self.requests = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pull-count")
        self._total: Future[int | None] = self._pool.submit(self._count_all, count)

    def _count_all(self, count: Callable[[str], tuple[int, int]]) -> int | None:
        total = 0
        try:
            for table in self.tables:
                counted, requests = count(table)
                total += counted
                self.requests += requests
            return total
        except Exception as error:  # only the progress line depends on it
            log.info("could not count the records to download: %s", error)
            return None

    def total(self) -> int | None:
        return self._total.result() if self._total.done() else None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Puller:
    def __init__(
        self,
        store: Store,
        client: Any,
        settings: SyncSettings,
        clock: Callable[[], str] = now_iso,
        page_size: int | None = None,
        backoff: Backoff = READ_BACKOFF,
        cancel: threading.Event | None = None,
    ) -> None:
        if not settings.user_id:
            raise ValueError("a user id is needed to sync")
        self.cancel = cancel if cancel is not None else threading.Event()
        self.backoff = backoff
        self.store = store
        self.client = client
        self.settings = settings
        self.user_id = settings.user_id
        self.reconciler = Reconciler(settings.device_id)
        self.clock = clock
        self.page_size = page_size
        #: Called (on the pulling thread) after each page of a first sync is applied with
        #: the records read so far and how many there are in all (None: not counted yet).
        self.progress: Callable[[int, int | None], None] | None = None
        self._first: _FirstSync | None = None

    def table(self, spec: TableSpec) -> str:
        return self.settings.table_prefix + spec.name

    # -- the pull -------------------------------------------------------------------------

    def pull(self, full: bool | None = None) -> PullReport:
        """Pull every table: a delta, or in full when asked (``full=True``), when due
        (``full=None``), or when the table was never pulled or lacks its index."""
        report = PullReport()
        self._first = self._first_sync() if self.progress is not None else None
        with self.store.operation() as op:  # announces what was pulled once, at the end
            try:
                for spec in pulled_tables():
                    self._pull_table(spec, full, report)
            except _Stop as stop:
                report.stop = stop.problem
            except _Cancelled:
                report.cancelled = True
            finally:
                if self._first is not None:
                    self._first.close()  # the count is done now (or given up)
                    report.requests += self._first.requests
                    if self.progress is not None:
                        self.progress(self._first.read, self._first.total())
                    self._first = None
            op.changed(*report.changed)
        return report

    def _first_sync(self) -> _FirstSync | None:
        """What a first sync reads, when some table was never pulled (None otherwise)."""
        fresh, read = [], 0
        with self.store.database.read() as session:
            for spec in pulled_tables():
                name = self.table(spec)
                if syncstate.get_setting(session, CHECKPOINT + name) is None:
                    fresh.append(spec)
                    resume = syncstate.get_setting(session, RESUME + name)
                    read += int(resume.get("read", 0)) if isinstance(resume, dict) else 0
        if not fresh:
            return None
        by_name = {self.table(spec): spec for spec in fresh}
        return _FirstSync(lambda name: self.count(by_name[name]), list(by_name), read)

    def count(self, spec: TableSpec) -> tuple[int, int]:
        """How many of this owner's records ``spec`` holds, and the requests that took
        (``Select=COUNT``: nothing is transferred, but DynamoDB charges the read capacity
        of the items it counts)."""
        operation, request = self._full_request(spec)
        request["Select"] = "COUNT"
        counted = requests = 0
        while not self.cancel.is_set():
            response = getattr(self.client, operation)(**request)
            requests += 1
            counted += int(response.get("Count", 0))
            if not response.get("LastEvaluatedKey"):
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return counted, requests

    def _pull_table(self, spec: TableSpec, full: bool | None, report: PullReport) -> None:
        name = self.table(spec)
        started = self.clock()
        with self.store.database.read() as session:
            checkpoint = syncstate.get_setting(session, CHECKPOINT + name)
            full_at = syncstate.get_setting(session, FULL_AT + name)
        due = full_at is None or full_at < _shift(started, self.settings.full_sync_interval_s)
        if checkpoint is None or full or (full is None and due):
            self._full(spec, started, report)
            return
        since = _shift(checkpoint, self.settings.pull_overlap_s)
        try:
            stamp = spec.delta.range_key if spec.delta else None  # updatedAt, or createdAt
            for items, _ in self._delta_pages(spec, since, report):
                self._apply(spec, items, report)
                newest = max((str(i.get(stamp or "", "")) for i in items), default="")
                if newest:
                    self._advance(name, min(newest, started))
        except _Stop as stop:
            if not _missing_index(stop.problem):
                raise
            # Provisioned by the web app without the index: read it all (README).
            report.missing_indexes.append(f"{name}.{spec.delta_index}")
            log.warning("%s has no %s; reading it in full", name, spec.delta_index)
            self._full(spec, started, report)
            return
        self._advance(name, started)

    def _advance(self, table: str, moment: str) -> None:
        with self.store.database.write() as session:
            current = syncstate.get_setting(session, CHECKPOINT + table)
            if current is None or moment > current:
                syncstate.put_setting(session, CHECKPOINT + table, moment)

    def _full(self, spec: TableSpec, started: str, report: PullReport) -> None:
        name = self.table(spec)
        report.full_tables.append(name)
        with self.store.database.read() as session:
            resume = syncstate.get_setting(session, RESUME + name)
        start_key = None
        if isinstance(resume, dict) and resume.get("key") and resume.get("started"):
            # A full read cut short: on from its next page, as of when it began.
            started, start_key = str(resume["started"]), resume["key"]
            log.info("%s: resuming a full read begun at %s", name, started)
        seen: set[str] = set()
        try:
            for items, last in self._all_pages(spec, report, start_key=start_key):
                seen.update(self._apply(spec, items, report))
                first = self._first if self._first and name in self._first.tables else None
                if first is not None:
                    first.read += len(items)
                self._remember(name, started, last, first.read if first else 0)
                if first is not None and self.progress is not None:
                    self.progress(first.read, first.total())
        except _Stop as stop:
            if not (spec.owner_index and _missing_index(stop.problem)):
                raise
            # Shares provisioned without the owner's index: scan for this owner's.
            missing = f"{name}.{spec.owner_index}"
            if missing not in report.missing_indexes:
                report.missing_indexes.append(missing)
            start_key = None
            for items, _ in self._all_pages(spec, report, use_index=False):
                seen.update(self._apply(spec, items, report))
        if start_key is not None:
            # Resumed: the first pages were read by the earlier run, so what is missing
            # from `seen` may well be on the server. Deletions wait for the next full read.
            with self.store.database.write() as session:
                syncstate.put_setting(session, CHECKPOINT + name, started)
                syncstate.put_setting(session, FULL_AT + name, started)
                syncstate.put_setting(session, RESUME + name, None)
            return
        # What this device knows from the server but the server no longer has: deleted.
        entities = [e for e in PULLED if CODECS[e].table is spec]
        with self.store.database.read() as session:
            known = [
                key
                for entity in entities
                for key in syncstate.known_keys(session, entity)
                if key not in seen
            ]
        gone = [(key.split(":", 1)[0], key.split(":", 1)[1]) for key in known]
        gone.sort(key=lambda pair: -_ORDER[pair[0]])  # children before their parents
        for start in range(0, len(gone), 500):
            with self.store.database.write() as session:
                for entity, record_id in gone[start : start + 500]:
                    outcome = self.reconciler.reconcile(
                        session, entity, record_id, ServerCopy(None)
                    )
                    report.count(outcome, entity, record_id)
        with self.store.database.write() as session:
            syncstate.put_setting(session, CHECKPOINT + name, started)
            syncstate.put_setting(session, FULL_AT + name, started)
            syncstate.put_setting(session, RESUME + name, None)

    def _remember(self, table: str, started: str, last: dict[str, Any] | None, read: int) -> None:
        """Where the full read of ``table`` begun at ``started`` goes on (None: at its end),
        and how many records a first sync has read so far."""
        with self.store.database.write() as session:
            syncstate.put_setting(
                session,
                RESUME + table,
                {"started": started, "key": last, "read": read} if last else None,
            )

    # -- reading --------------------------------------------------------------------------

    def _call(self, operation: str, report: PullReport, **request: Any) -> dict[str, Any]:
        """One read; transient failures are retried a few times with jittered backoff
        (reads are safe to repeat), anything else stops the pull."""
        for attempt in range(1, READ_ATTEMPTS + 1):
            if self.cancel.is_set():
                raise _Cancelled
            report.requests += 1
            try:
                response: dict[str, Any] = getattr(self.client, operation)(
                    ReturnConsumedCapacity="TOTAL", **request
                )
                break
            except Exception as error:
                problem = classify(error)
                if problem is None:  # a bug, not a fault of the server or the network
                    raise
                if problem.kind != Kind.TRANSIENT or attempt == READ_ATTEMPTS:
                    raise _Stop(problem) from error
                self.cancel.wait(self.backoff.delay(attempt))
        report.read_capacity += float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0))
        return response

    def _paged(
        self, operation: str, report: PullReport, request: dict[str, Any]
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
        """Each page's items (decoded) and the key the next page starts at (None: the
        last page), read one page ahead of the caller."""
        if self.page_size:
            request["Limit"] = self.page_size
        return _read_ahead(self._pages(operation, report, request))

    def _pages(
        self, operation: str, report: PullReport, request: dict[str, Any]
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
        while True:
            response = self._call(operation, report, **request)
            items = [codec.deserialize(item) for item in response.get("Items", [])]
            report.received += len(items)
            last = response.get("LastEvaluatedKey")
            if items or not last:
                yield items, last
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def _delta_pages(
        self, spec: TableSpec, since: str, report: PullReport
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
        index = spec.delta
        assert index is not None and index.range_key is not None
        request = {
            "TableName": self.table(spec),
            "IndexName": index.name,
            "KeyConditionExpression": "#owner = :owner AND #updated >= :since",
            "ExpressionAttributeNames": {"#owner": index.hash_key, "#updated": index.range_key},
            "ExpressionAttributeValues": {
                ":owner": {"S": self.user_id},
                ":since": {"S": since},
            },
        }
        return self._paged("query", report, request)

    def _all_pages(
        self,
        spec: TableSpec,
        report: PullReport,
        use_index: bool = True,
        start_key: dict[str, Any] | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
        operation, request = self._full_request(spec, use_index)
        if start_key is not None:
            request["ExclusiveStartKey"] = start_key
        return self._paged(operation, report, request)

    def _full_request(self, spec: TableSpec, use_index: bool = True) -> tuple[str, dict[str, Any]]:
        """The operation and request that read this owner's records of ``spec`` in full."""
        owner_index = next((i for i in spec.indexes if i.name == spec.owner_index), None)
        if owner_index is not None and not use_index:
            request: dict[str, Any] = {
                "TableName": self.table(spec),
                "FilterExpression": "#owner = :owner",
                "ExpressionAttributeNames": {"#owner": owner_index.hash_key},
                "ExpressionAttributeValues": {":owner": {"S": self.user_id}},
            }
            return "scan", request
        if owner_index is not None:  # not owner-keyed, but one owner's items are an index
            request = {
                "TableName": self.table(spec),
                "IndexName": owner_index.name,
                "KeyConditionExpression": "#owner = :owner",
                "ExpressionAttributeNames": {"#owner": owner_index.hash_key},
                "ExpressionAttributeValues": {":owner": {"S": self.user_id}},
            }
            return "query", request
        if spec.owner_key is None:
            # No owner in the keys: this owner's pages, and the web app's (it has no users).
            request = {
                "TableName": self.table(spec),
                "FilterExpression": "#owner = :owner OR attribute_not_exists(#owner)",
                "ExpressionAttributeNames": {"#owner": "ownerId"},
                "ExpressionAttributeValues": {":owner": {"S": self.user_id}},
            }
            return "scan", request
        request = {
            "TableName": self.table(spec),
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": spec.owner_key},
            "ExpressionAttributeValues": {":owner": {"S": self.user_id}},
        }
        return "query", request

    def _get(self, entity: str, record_id: str, report: PullReport) -> dict[str, Any] | None:
        c = CODECS[entity]
        key = c.key(self.user_id, {ENTITIES[entity].id_field: record_id})
        response = self._call(
            "get_item",
            report,
            TableName=self.table(c.table),
            Key=codec.serialize(key),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return codec.deserialize(item) if item else None

    # -- applying -------------------------------------------------------------------------

    def _copy(self, entity: str, item: dict[str, Any] | None) -> tuple[str, ServerCopy]:
        """The record id and server copy of an item (None: an item that is gone)."""
        decoded = CODECS[entity].decode(item) if item is not None else None
        copy = ServerCopy.from_item(item, decoded, self.settings.device_id)
        return (remote.record_id(entity, decoded) if decoded else ""), copy

    def _apply(self, spec: TableSpec, items: list[dict[str, Any]], report: PullReport) -> list[str]:
        """Apply one page of server items in one transaction (parents first); children
        whose parent is not here are applied after fetching the parent. Returns the
        record keys of the items."""
        copies = sorted(
            ((entity_of(spec, item), *self._copy(entity_of(spec, item), item)) for item in items),
            key=lambda c: _ORDER[c[0]],
        )
        keys = [record_key(entity, record_id) for entity, record_id, _ in copies]
        orphans: list[tuple[str, str, ServerCopy]] = []
        for start in range(0, len(copies), APPLY_BATCH):
            self._apply_batch(
                copies[start : start + APPLY_BATCH],
                keys[start : start + APPLY_BATCH],
                report,
                orphans,
            )
        if orphans:
            self._adopt(orphans, report)
        return keys

    def _apply_batch(
        self,
        copies: list[tuple[str, str, ServerCopy]],
        keys: list[str],
        report: PullReport,
        orphans: list[tuple[str, str, ServerCopy]],
    ) -> None:
        """Apply up to ``APPLY_BATCH`` records (parents first) in one transaction."""
        with self.store.database.write() as session:
            seen = syncstate.remote_states(session, keys, with_base=True)
            queued = outbox.queued_keys(session, keys)
            for (entity, record_id, copy), key in zip(copies, keys, strict=True):
                known = seen[key]
                if (
                    key not in queued
                    and known.known
                    and (known.version, known.updated_at) == (copy.version, copy.updated_at)
                    and known.base == copy.state
                ):
                    report.unchanged += 1  # the common case of an overlap or a full read
                    continue
                outcome = self.reconciler.reconcile(session, entity, record_id, copy, seen=known)
                if outcome == Outcome.SKIPPED and entity in PARENTS:
                    orphans.append((entity, record_id, copy))
                    continue
                report.count(outcome, entity, record_id)

    def _adopt(self, orphans: list[tuple[str, str, ServerCopy]], report: PullReport) -> None:
        """Fetch the parents of children that arrived without them, then apply both."""
        parents: dict[tuple[str, str], dict[str, Any] | None] = {}
        for entity, _, copy in orphans:
            parent_entity, parent_field = PARENTS[entity]
            assert copy.state is not None
            parent = (parent_entity, str(copy.state[parent_field]))
            if parent not in parents:
                parents[parent] = self._get(*parent, report)
        with self.store.database.write() as session:
            for (parent_entity, parent_id), item in parents.items():
                if item is not None:
                    _, copy = self._copy(parent_entity, item)
                    outcome = self.reconciler.reconcile(session, parent_entity, parent_id, copy)
                    report.count(outcome, parent_entity, parent_id)
            for entity, record_id, copy in orphans:
                outcome = self.reconciler.reconcile(session, entity, record_id, copy)
                if outcome == Outcome.SKIPPED:
                    # e.g. a version another device made while this one deleted its template
                    log.debug("skipped %s %s: no parent here or on the server", entity, record_id)
                report.count(outcome, entity, record_id)
