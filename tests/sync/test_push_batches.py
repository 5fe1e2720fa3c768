"""How the push engine batches its writes: PartiQL statements in BatchExecuteStatement,
each with its own outcome, never one key twice in a request (invariant 10)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.store.outbox import Claimed, Op, State
from desktop.store.services import Store
from desktop.sync.push import STATEMENTS_PER_BATCH, _batches
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import USER, EngineFactory, Server

pytestmark = pytest.mark.dynamodb


def _claimed(n: int, record: str) -> tuple[Claimed, dict[str, Any]]:
    entry = Claimed(n, f"op-{n}", "template", record, f"template:{record}", Op.UPDATE, {}, 1)
    return entry, {"Statement": f"statement {n}"}


def test_a_request_holds_at_most_25_statements_and_never_one_record_twice() -> None:
    statements = [_claimed(n, f"t{n}") for n in range(60)]
    statements.insert(3, _claimed(99, "t0"))  # a second write of t0
    batches = _batches(statements)
    assert [len(b) for b in batches] == [STATEMENTS_PER_BATCH, STATEMENTS_PER_BATCH, 11]
    for batch in batches:
        keys = [entry.record_key for entry, _ in batch]
        assert len(keys) == len(set(keys)), keys
    assert sum(len(b) for b in batches) == 61


def test_one_refused_statement_never_holds_back_the_others_in_its_request(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    templates = [store.create_template(f"T{i}", description="base") for i in range(10)]
    engine = engine_for(store, proxy.endpoint_url)
    engine.drain()
    changed = templates[4]
    server.client.update_item(  # the web app saves one of them meanwhile
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": changed.templateId}},
        UpdateExpression="SET description = :d, updatedAt = :u",
        ExpressionAttributeValues={":d": {"S": "theirs"}, ":u": {"S": "2030-01-01T00:00:00Z"}},
    )
    for template in templates:  # a description: no version record, one entry each
        store.update_template(template.templateId, description="mine")
    before = proxy.requests["BatchExecuteStatement"]

    report = engine.drain()

    assert proxy.requests["BatchExecuteStatement"] - before == 1, "one request for all ten"
    assert "TransactWriteItems" not in proxy.requests
    assert (report.sent, report.conflicts, report.failed) == (9, 1, 0)
    remote = {i["templateId"]: i["description"] for i in server.scan("GravyTemplates")}
    assert remote.pop(changed.templateId) == "theirs", "no silent overwrite"
    assert set(remote.values()) == {"mine"}
    (conflict,) = store.queue_entries(State.CONFLICT)
    assert conflict.record_id == changed.templateId


def test_a_create_meeting_another_writers_item_is_never_an_overwrite(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    """The INSERT comes back DuplicateItem without the item: the engine reads it, sees
    another writer's lastOpId, and hands it to the reconciler like any refused write."""
    template = store.create_template("Mine", content="mine")
    server.put(
        "GravyTemplates",
        {
            "userId": USER,
            "templateId": template.templateId,
            "title": "Theirs",
            "content": "theirs",
            "isShared": "false",
            "tags": [],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        },
    )
    report = engine_for(store, proxy.endpoint_url).drain()
    assert proxy.requests["GetItem"] >= 1, "the existing item was read"
    assert report.conflicts == 1 and report.sent == 0
    (conflict,) = store.queue_entries(State.CONFLICT)
    assert conflict.server_copy["state"]["content"] == "theirs"
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["content"] == "theirs"


def test_a_lost_answer_to_a_create_is_settled_by_reading_the_item(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    from desktop.sync.errors import Backoff

    template = store.create_template("Once")  # no text: one entry, no version
    proxy.fail_next("lost_ack", operation="BatchExecuteStatement")
    report = engine_for(store, proxy.endpoint_url, backoff=Backoff(0.0, 0.0)).drain()
    assert (report.sent, report.conflicts, report.failed) == (1, 0, 0)
    assert proxy.requests["BatchExecuteStatement"] == 2 and proxy.requests["GetItem"] == 1
    assert list(store.queue_entries()) == []
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["version"] == 1


def test_a_request_refused_whole_is_halved_until_the_entries_go_through(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    for i in range(10):
        store.create_template(f"T{i}")
    proxy.fail_next("denied", operation="BatchExecuteStatement")
    report = engine_for(store, proxy.endpoint_url).drain()
    assert (report.sent, report.failed, report.requests) == (10, 0, 3)
    assert len(server.scan("GravyTemplates")) == 10


def test_a_throttled_statement_is_retried_alone_and_the_rest_of_its_request_lands(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    from desktop.sync.errors import Backoff

    templates = [store.create_template(f"T{i}") for i in range(3)]  # no text: 3 entries
    proxy.fail_next("throttled_statement", operation="BatchExecuteStatement")
    report = engine_for(store, proxy.endpoint_url, backoff=Backoff(0.0, 0.0)).drain()
    assert (report.sent, report.retried, report.failed, report.conflicts) == (3, 1, 0, 0)
    assert proxy.requests["BatchExecuteStatement"] == 2, "the throttled one, sent again alone"
    assert list(store.queue_entries()) == []
    assert {i["templateId"] for i in server.scan("GravyTemplates")} == {
        t.templateId for t in templates
    }
