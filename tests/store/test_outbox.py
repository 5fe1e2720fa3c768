"""The operation queue: coalescing rules, readiness, states (sync invariants 1, 3, 4, 5)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from desktop.store import outbox
from desktop.store.db import Database, open_database
from desktop.store.models import OutboxEntry
from desktop.store.outbox import Change, Op, QueueError, State, record_key


@pytest.fixture
def database(db_path: Path) -> Any:
    database = open_database(db_path)
    yield database
    database.close()


def put(database: Database, op: Op, record: str = "r1", amount: int = 0, **state: Any) -> None:
    entity, record_id = record.split(":") if ":" in record else ("template", record)
    parent = state.pop("parent", None)
    with database.write() as session:
        outbox.enqueue(session, Change(entity, record_id, op, state, amount, parent))


def queued(database: Database) -> list[tuple[str, str, dict[str, Any]]]:
    with database.read() as session:
        return [(e.record_key, e.op, e.payload) for e in outbox.entries(session)]


def claim(database: Database, limit: int = 100) -> list[OutboxEntry]:
    with database.write() as session:
        return outbox.claim(session, limit)


# -- the coalescing rules, one by one ------------------------------------------------------


def test_create_then_updates_is_one_create_with_the_final_state(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    for v in range(2, 101):
        put(database, Op.UPDATE, v=v)
    assert queued(database) == [("template:r1", "create", {"v": 100})]


def test_updates_collapse_into_one_update(database: Database) -> None:
    put(database, Op.UPDATE, v=1)
    put(database, Op.UPDATE, v=2)
    assert queued(database) == [("template:r1", "update", {"v": 2})]


def test_create_then_delete_leaves_nothing(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    put(database, Op.UPDATE, v=2)
    put(database, Op.INCREMENT, amount=1, v=2, usageCount=1)
    put(database, Op.DELETE, v=2)
    assert queued(database) == []


def test_update_then_delete_is_a_delete(database: Database) -> None:
    put(database, Op.UPDATE, v=1)
    put(database, Op.DELETE, v=1)
    assert queued(database) == [("template:r1", "delete", {"v": 1})]


def test_delete_then_create_again_is_an_update(database: Database) -> None:
    put(database, Op.DELETE, v=1)
    put(database, Op.CREATE, v=1)
    assert queued(database) == [("template:r1", "update", {"v": 1})]


def test_increments_sum_and_fold_into_a_pending_create(database: Database) -> None:
    put(database, Op.UPDATE, v=1)
    put(database, Op.INCREMENT, amount=1, v=1)
    put(database, Op.INCREMENT, amount=2, v=1)
    put(database, Op.UPDATE, v=2)
    assert queued(database) == [
        ("template:r1", "update", {"v": 2}),
        ("template:r1", "increment", {"amount": 3}),
    ]
    put(database, Op.CREATE, "r2", usageCount=0)
    put(database, Op.INCREMENT, "r2", amount=1, usageCount=1)
    assert queued(database)[-1] == ("template:r2", "create", {"usageCount": 1})


def test_an_entry_in_flight_is_never_rewritten(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    claim(database)
    put(database, Op.UPDATE, v=2)
    put(database, Op.UPDATE, v=3)
    put(database, Op.DELETE, v=3)
    assert queued(database) == [
        ("template:r1", "create", {"v": 1}),
        ("template:r1", "delete", {"v": 3}),
    ]
    with database.read() as session:
        assert outbox.entries(session)[0].state == State.IN_FLIGHT


def test_contradictory_changes_are_refused(database: Database) -> None:
    put(database, Op.UPDATE, v=1)
    put(database, Op.DELETE, v=1)
    with pytest.raises(QueueError):
        put(database, Op.UPDATE, v=2)
    with pytest.raises(QueueError):
        put(database, Op.DELETE, v=2)


def test_atomic_capture_a_failed_transaction_leaves_neither_change_nor_entry(
    database: Database,
) -> None:
    with pytest.raises(RuntimeError), database.write() as session:
        outbox.enqueue(session, Change("template", "r1", Op.CREATE, {"v": 1}))
        raise RuntimeError("power cut in the middle of a save")
    assert queued(database) == []


# -- readiness: order per record, parents first, failures isolated --------------------------


def test_per_record_order_and_parent_before_child(database: Database) -> None:
    put(database, Op.CREATE, "page:p1", title="p")
    put(database, Op.CREATE, "node:n1", title="n", parent="page:p1")
    put(database, Op.CREATE, "template:t1", v=1)
    first = claim(database)
    assert [e.record_key for e in first] == ["page:p1", "template:t1"]
    assert claim(database) == [], "the node waits while its page is in flight"
    with database.write() as session:
        outbox.complete(session, first[0].id)
    assert [e.record_key for e in claim(database)] == ["node:n1"]


def test_a_parent_delete_waits_for_its_childrens_entries(database: Database) -> None:
    put(database, Op.DELETE, "node:n1", parent="page:p1")
    put(database, Op.DELETE, "page:p1")
    assert [e.record_key for e in claim(database)] == ["node:n1"]


def test_a_failed_entry_holds_back_only_its_record_and_dependents(database: Database) -> None:
    put(database, Op.CREATE, "page:p1", title="p")
    put(database, Op.CREATE, "template:t1", v=1)
    entries = claim(database)
    with database.write() as session:
        outbox.fail(session, entries[0].id, "ValidationException", "bad page")
        outbox.complete(session, entries[1].id)
    put(database, Op.CREATE, "node:n1", title="n", parent="page:p1")
    put(database, Op.UPDATE, "page:p1", title="p2")
    put(database, Op.UPDATE, "template:t1", v=2)
    put(database, Op.CREATE, "template:t2", v=1)
    assert [e.record_key for e in claim(database)] == ["template:t1", "template:t2"]


def test_failed_entries_keep_their_error_until_retried_or_discarded(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    (entry,) = claim(database)
    with database.write() as session:
        outbox.fail(session, entry.id, "ValidationException", "Item size has exceeded the maximum")
    with database.read() as session:
        (kept,) = outbox.entries(session, State.FAILED)
        assert (kept.last_error_code, kept.attempts) == ("ValidationException", 1)
        assert kept.last_error_message == "Item size has exceeded the maximum"
        assert kept.last_error_at is not None
        assert outbox.counts(session)[State.FAILED] == 1
    assert claim(database) == []
    with database.write() as session:
        outbox.retry(session, entry.id)
    (again,) = claim(database)
    assert again.id == entry.id
    with database.write() as session:
        outbox.fail(session, entry.id, "ValidationException", "still too big")
        outbox.discard(session, entry.id)
    assert queued(database) == []


def test_retry_later_waits_for_its_time_and_release_is_not_a_failure(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    (entry,) = claim(database)
    with database.write() as session:
        outbox.retry_later(session, entry.id, "ThrottlingException", "slow down", delay_s=60)
    assert claim(database) == [], "not before its next attempt time"
    with database.read() as session:
        later = time.time() + 61
        assert [e.id for e in outbox.ready(session, 10, now=later)] == [entry.id]
        kept = session.get(OutboxEntry, entry.id)
        assert kept is not None and kept.last_error_code == "ThrottlingException"
    with database.write() as session:
        (again,) = outbox.claim(session, 10, now=later)
        assert again.attempts == 2
        outbox.release(session, entry.id)
    with database.read() as session:
        released = session.get(OutboxEntry, entry.id)
        assert released is not None and (released.state, released.attempts) == ("pending", 2)


def test_entries_in_flight_at_a_crash_are_sent_again(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    claim(database)
    with database.write() as session:
        assert outbox.recover_in_flight(session) == 1
    assert [e.record_key for e in claim(database)] == ["template:r1"]


def test_an_entry_in_flight_cannot_be_discarded(database: Database) -> None:
    put(database, Op.CREATE, v=1)
    (entry,) = claim(database)
    with pytest.raises(QueueError), database.write() as session:
        outbox.discard(session, entry.id)


# -- property: whatever happens, draining the queue makes the server equal local ----------


class QueueMachine(RuleBasedStateMachine):
    """Random edits, claims, acks, failures, retries and crashes against a model server."""

    records = Bundle("records")

    def __init__(self) -> None:
        super().__init__()
        # On tmpfs when there is one: fsync cost is not what this test is about.
        shm = Path("/dev/shm")
        self.tmp = tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None)
        self.database = open_database(Path(self.tmp.name) / "q.db")
        self.local: dict[str, dict[str, int]] = {}
        self.deleted: dict[str, dict[str, int]] = {}
        self.server: dict[str, dict[str, int]] = {}
        self.applied_ops: set[str] = set()
        self.in_flight: dict[int, tuple[str, dict[str, Any]]] = {}
        self.counter = 0

    def teardown(self) -> None:
        self.database.close()
        self.tmp.cleanup()

    def enqueue(self, op: Op, record: str, state: dict[str, int], amount: int = 0) -> None:
        with self.database.write() as session:
            outbox.enqueue(session, Change("template", record, op, dict(state), amount))

    @initialize()
    def start(self) -> None:
        self.counter = 0

    @rule(target=records)
    def create(self) -> str:
        self.counter += 1
        record = f"r{self.counter}"
        self.local[record] = {"v": 0, "usageCount": 0}
        self.enqueue(Op.CREATE, record, self.local[record])
        return record

    @rule(record=records)
    def update(self, record: str) -> None:
        if record in self.local:
            self.local[record] = self.local[record] | {"v": self.local[record]["v"] + 1}
            self.enqueue(Op.UPDATE, record, self.local[record])

    @rule(record=records)
    def count_use(self, record: str) -> None:
        if record in self.local:
            self.local[record]["usageCount"] += 1
            self.enqueue(Op.INCREMENT, record, self.local[record], amount=1)

    @rule(record=records)
    def delete(self, record: str) -> None:
        if record in self.local:
            self.deleted[record] = self.local.pop(record)
            self.enqueue(Op.DELETE, record, self.deleted[record])

    @rule(record=records)
    def undo_delete(self, record: str) -> None:
        if record in self.deleted and record not in self.local:
            self.local[record] = self.deleted.pop(record)
            self.enqueue(Op.CREATE, record, self.local[record])

    @rule(limit=st.integers(1, 5))
    def claim(self, limit: int) -> None:
        with self.database.write() as session:
            for entry in outbox.claim(session, limit):
                assert entry.record_key not in {k for k, _ in self.in_flight.values()}
                self.in_flight[entry.id] = (entry.record_key, {"op": entry.op, **entry.payload})

    def _apply(self, entry: OutboxEntry) -> None:
        """The server side, idempotent per operation id as the sync engine guarantees."""
        if entry.op_id in self.applied_ops:
            return
        self.applied_ops.add(entry.op_id)
        record = entry.record_id
        if entry.op == Op.CREATE:
            assert record not in self.server, f"create of {record} would be a false conflict"
            self.server[record] = dict(entry.payload)
        elif entry.op == Op.UPDATE:
            assert record in self.server, f"update of missing {record}"
            self.server[record] = entry.payload | {"usageCount": self.server[record]["usageCount"]}
        elif entry.op == Op.INCREMENT:
            if record in self.server:
                self.server[record]["usageCount"] += entry.payload["amount"]
        else:
            self.server.pop(record, None)

    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        if not self.in_flight:
            return
        entry_id = data.draw(st.sampled_from(sorted(self.in_flight)))
        with self.database.write() as session:
            entry = session.get(OutboxEntry, entry_id)
            assert entry is not None
            self._apply(entry)
            outbox.complete(session, entry_id)
        del self.in_flight[entry_id]

    @rule(data=st.data())
    def lost_acknowledgement(self, data: st.DataObject) -> None:
        """The server applied the entry but the answer never came back."""
        if not self.in_flight:
            return
        entry_id = data.draw(st.sampled_from(sorted(self.in_flight)))
        with self.database.read() as session:
            entry = session.get(OutboxEntry, entry_id)
            assert entry is not None
            self._apply(entry)

    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        if not self.in_flight:
            return
        entry_id = data.draw(st.sampled_from(sorted(self.in_flight)))
        with self.database.write() as session:
            entry = session.get(OutboxEntry, entry_id)
            assert entry is not None
            if entry.op_id in self.applied_ops:
                return  # the server took it: it cannot also refuse it
            outbox.fail(session, entry_id, "ValidationException", "refused")
        del self.in_flight[entry_id]

    @rule()
    def retry_failed(self) -> None:
        with self.database.write() as session:
            outbox.retry_all_failed(session)

    @rule()
    def crash(self) -> None:
        with self.database.write() as session:
            outbox.recover_in_flight(session)
        self.in_flight.clear()

    @invariant()
    def in_flight_entries_are_never_rewritten(self) -> None:
        with self.database.read() as session:
            for entry_id, (key, snapshot) in self.in_flight.items():
                entry = session.get(OutboxEntry, entry_id)
                assert entry is not None and entry.state == State.IN_FLIGHT
                assert (entry.record_key, {"op": entry.op, **entry.payload}) == (key, snapshot)

    @invariant()
    def pending_tails_are_coalesced(self) -> None:
        with self.database.read() as session:
            for key in outbox.pending_keys(session):
                tail = outbox.open_tail(session, key)
                ops = [entry.op for entry in tail]
                assert len(ops) == len(set(ops)), ops
                assert not {Op.CREATE, Op.UPDATE} <= set(ops), ops
                assert Op.DELETE not in ops or ops[-1] == Op.DELETE, ops
                assert len(tail) <= 2, ops

    def drain(self) -> None:
        with self.database.write() as session:
            outbox.retry_all_failed(session)
            outbox.recover_in_flight(session)
        self.in_flight.clear()
        while True:
            with self.database.write() as session:
                batch = outbox.claim(session, 50)
                for entry in batch:
                    self._apply(entry)
                    outbox.complete(session, entry.id)
            if not batch:
                break
        with self.database.read() as session:
            assert outbox.entries(session) == [], "every entry could be sent: no deadlock"

    @rule()
    def drain_and_compare(self) -> None:
        self.drain()
        assert self.server == self.local


QueueMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_queue_coalescing_keeps_server_equal_to_local = QueueMachine.TestCase


def test_n_offline_edits_of_a_record_are_one_remote_write(database: Database) -> None:
    put(database, Op.CREATE, v=0)
    for v in range(1, 500):
        put(database, Op.UPDATE, v=v)
    (entry,) = claim(database)
    assert (entry.op, entry.payload) == ("create", {"v": 499})
    assert record_key("template", "r1") == entry.record_key


def test_an_entry_sent_before_a_crash_is_never_coalesced_away(database: Database) -> None:
    """Found by the property test: the create may have reached the server before the crash."""
    put(database, Op.CREATE, v=1)
    claim(database)
    with database.write() as session:
        outbox.recover_in_flight(session)
    put(database, Op.UPDATE, v=2)
    put(database, Op.DELETE, v=2)
    assert queued(database) == [
        ("template:r1", "create", {"v": 1}),
        ("template:r1", "delete", {"v": 2}),
    ]


def test_a_retried_entry_is_not_reopened_behind_newer_entries(database: Database) -> None:
    """Found by the property test: reopening it double-counted a usage increment."""
    put(database, Op.CREATE, v=1, usageCount=0)
    (sent,) = claim(database)
    with database.write() as session:
        outbox.fail(session, sent.id, "ValidationException", "refused")
    put(database, Op.INCREMENT, amount=1, v=1, usageCount=1)
    with database.write() as session:
        outbox.retry(session, sent.id)
    put(database, Op.INCREMENT, amount=1, v=1, usageCount=2)
    assert queued(database) == [
        ("template:r1", "create", {"v": 1, "usageCount": 0}),
        ("template:r1", "increment", {"amount": 2}),
    ]


def test_change_counts_count_records_with_parents_absorbing_children(tmp_path: Path) -> None:
    """A template and its version are one change to a writer (issue 15)."""
    from desktop.store.services import Store

    store = Store(open_database(tmp_path / "g.db"))
    template = store.create_template("One", content="<p>a</p>")
    store.create_template("Two")
    assert store.queue_counts()[State.PENDING] > 2
    assert store.change_counts()[State.PENDING] == 2
    store.update_template(template.templateId, content="<p>b</p>")
    assert store.change_counts()[State.PENDING] == 2
    store.database.close()
