"""The push engine against DynamoDB Local (invariants 5-8, 10; faults through the proxy)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from desktop.store import outbox, syncstate
from desktop.store.models import OutboxEntry
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.sync.errors import Backoff
from desktop.sync.push import EngineState
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import USER, EngineFactory, Server

pytestmark = pytest.mark.dynamodb


def entries(store: Store, state: State | None = None) -> list[Any]:
    return list(store.queue_entries(state))


def test_everything_a_user_makes_arrives_in_the_seed_shape(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    template = store.create_template(
        "Offer", content="<p>Dear [[name]]</p>", category="hr", tags=["jobs"], isShared=True
    )
    snippet = store.create_snippet("Sign-off", content="<p>Best</p>")
    preset = store.create_preset("Acme", values={"company": "Acme"})
    page = store.create_page("Board", isPublished=True)
    node = store.add_node(page.id, "Scene", prompt="a cat", generatedImages=["https://x/1.png"])
    store.record_use(template.templateId)

    report = engine_for(store).drain()

    assert (report.state, report.failed, report.conflicts) == (EngineState.IDLE, 0, 0)
    assert entries(store) == []
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None
    assert (item["title"], item["category"], item["tags"], item["usageCount"]) == (
        "Offer",
        "hr",
        ["jobs"],
        1,
    )
    assert item["isShared"] == "true" and item["version"] == 1
    assert server.get("GravySnippets", userId=USER, snippetId=snippet.snippetId) is not None
    assert server.get("GravyVariablePresets", userId=USER, presetId=preset.presetId)["values"] == {
        "company": "Acme"
    }
    page_item = server.get("PageManager", PK=f"PAGE#{page.id}", SK="META#")
    assert page_item is not None and page_item["isPublished"] == 1 and page_item["type"] == "page"
    node_item = server.get("PageManager", PK=f"PAGE#{page.id}", SK=f"NODE#{node.id}")
    assert node_item is not None and node_item["pageId"] == page.id
    assert node_item["generatedImages"] == ["https://x/1.png"]
    (version,) = store.versions(template.templateId)
    version_item = server.get("GravyTemplateVersions", userId=USER, versionId=version.versionId)
    assert version_item is not None and version_item["templateId"] == template.templateId
    assert len(server.scan("GravyAnalytics")) == 1


def test_the_web_apps_own_queries_find_what_the_engine_wrote(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    shared = store.create_template("Shared", category="mail", isShared=True)
    store.create_template("Private", category="mail")
    store.create_template("No category")
    page = store.create_page("Published", isPublished=True)
    store.add_node(page.id, "First")
    store.add_node(page.id, "Second")
    engine_for(store).drain()
    client, t = server.client, server.table

    by_category = client.query(
        TableName=t("GravyTemplates"),
        IndexName="CategoryIndex",
        KeyConditionExpression="userId = :u AND category = :c",
        ExpressionAttributeValues={":u": {"S": USER}, ":c": {"S": "mail"}},
    )["Items"]
    assert sorted(i["title"]["S"] for i in by_category) == ["Private", "Shared"]
    shared_items = client.query(
        TableName=t("GravyTemplates"),
        IndexName="SharedTemplatesIndex",
        KeyConditionExpression="isShared = :s",
        ExpressionAttributeValues={":s": {"S": "true"}},
    )["Items"]
    assert [i["templateId"]["S"] for i in shared_items] == [shared.templateId]
    published = client.query(
        TableName=t("PageManager"),
        IndexName="PublishedPagesIndex",
        KeyConditionExpression="isPublished = :p",
        ExpressionAttributeValues={":p": {"N": "1"}},
    )["Items"]
    assert [i["title"]["S"] for i in published] == ["Published"]
    nodes = client.query(
        TableName=t("PageManager"),
        IndexName="PageNodesIndex",
        KeyConditionExpression="pageId = :p",
        ExpressionAttributeValues={":p": {"S": page.id}},
    )["Items"]
    assert sorted(i["title"]["S"] for i in nodes) == ["First", "Second"]
    under_page = client.query(
        TableName=t("PageManager"),
        KeyConditionExpression="PK = :pk AND begins_with(SK, :n)",
        ExpressionAttributeValues={":pk": {"S": f"PAGE#{page.id}"}, ":n": {"S": "NODE#"}},
    )["Items"]
    assert len(under_page) == 2


def test_a_hundred_offline_edits_are_one_remote_write(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    store.version_window_s = 120
    template = store.create_template("Draft", content="v0")
    for i in range(1, 101):
        store.update_template(template.templateId, content=f"v{i}")
    engine = engine_for(store, proxy.endpoint_url)
    engine.drain()
    writes = proxy.written_keys()
    template_key = f"{server.table('GravyTemplates')}:{USER}/{template.templateId}"
    assert writes[template_key] == 1
    assert sum(writes.values()) == 2, "the template, and its one (folded) version"
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["content"] == "v100" and item["version"] == 1


def test_updates_are_conditional_on_the_version_last_seen_and_carry_it_forward(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    engine = engine_for(store)
    template = store.create_template("T", content="one")
    engine.drain()
    store.update_template(template.templateId, content="two")
    engine.drain()
    store.update_template(template.templateId, title="T2")
    engine.drain()
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and (item["version"], item["content"], item["title"]) == (
        3,
        "two",
        "T2",
    )
    with store.database.read() as session:
        assert syncstate.remote_state(session, f"template:{template.templateId}").version == 3


def test_a_concurrent_server_change_is_a_conflict_with_the_servers_copy(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    engine = engine_for(store)
    mine = store.create_template("Mine", content="base")
    other = store.create_template("Other")
    engine.drain()
    server.client.update_item(  # the web app (or another device) edits it meanwhile
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": mine.templateId}},
        UpdateExpression="SET content = :c, version = :v",
        ExpressionAttributeValues={":c": {"S": "theirs"}, ":v": {"N": "2"}},
    )
    store.update_template(mine.templateId, content="mine")
    store.update_template(other.templateId, content="unrelated edit")
    report = engine.drain()

    assert report.conflicts == 1
    (conflict,) = entries(store, State.CONFLICT)
    assert conflict.record_key == f"template:{mine.templateId}"
    assert conflict.server_copy["state"]["content"] == "theirs"
    assert conflict.server_copy["version"] == 2
    assert "changed here and on the server (content)" in conflict.last_error_message
    assert server.get("GravyTemplates", userId=USER, templateId=mine.templateId)["content"] == (
        "theirs"
    ), "no silent overwrite"
    assert server.get("GravyTemplates", userId=USER, templateId=other.templateId)["content"] == (
        "unrelated edit"
    ), "a conflict holds back only its own record"
    store.update_template(mine.templateId, content="mine again")
    engine.drain()
    assert [e.state for e in entries(store) if e.record_key == conflict.record_key] == [
        State.CONFLICT,
        State.PENDING,
    ], "later edits of the conflicted record wait behind it"


def test_delete_versus_edit_is_a_conflict_both_ways(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    engine = engine_for(store)
    edited = store.create_template("Edited here")
    deleted = store.create_template("Deleted here")
    engine.drain()
    server.client.delete_item(
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": edited.templateId}},
    )
    server.client.update_item(
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": deleted.templateId}},
        UpdateExpression="SET title = :t, version = :v",
        ExpressionAttributeValues={":t": {"S": "Changed there"}, ":v": {"N": "7"}},
    )
    store.update_template(edited.templateId, title="Still wanted")
    store.delete_template(deleted.templateId)
    assert engine.drain().conflicts == 2
    by_key = {e.record_key: e for e in entries(store, State.CONFLICT)}
    assert by_key[f"template:{edited.templateId}"].server_copy["state"] is None
    assert "deleted on the server" in by_key[f"template:{edited.templateId}"].last_error_message
    assert by_key[f"template:{deleted.templateId}"].server_copy["state"]["title"] == (
        "Changed there"
    )
    assert server.get("GravyTemplates", userId=USER, templateId=deleted.templateId) is not None


def test_items_the_web_app_wrote_without_a_version_are_conditioned_on_updated_at(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    engine = engine_for(store)
    template = store.create_template("From the web", content="web")
    with store.database.write() as session:  # the record as if pulled from the web app
        for entry in outbox.entries(session):
            outbox.complete(session, entry.id)
        syncstate.record_remote(
            session, f"template:{template.templateId}", None, "2026-01-01T00:00:00.000Z", None
        )
    server.put(
        "GravyTemplates",
        {
            "userId": USER,
            "templateId": template.templateId,
            "title": "From the web",
            "content": "web",
            "isShared": "false",
            "tags": [],
            "usageCount": 4,
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        },
    )
    store.update_template(template.templateId, content="desktop edit")
    assert engine.drain().sent >= 1
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None
    assert (item["content"], item["version"], item["usageCount"]) == ("desktop edit", 1, 4)

    server.client.update_item(  # the web app saves again, still without a version
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": template.templateId}},
        UpdateExpression="SET content = :c, updatedAt = :u REMOVE version",
        ExpressionAttributeValues={
            ":c": {"S": "web edit"},
            ":u": {"S": "2026-02-01T00:00:00.000Z"},
        },
    )
    store.update_template(template.templateId, content="another edit")
    assert engine.drain().conflicts == 1, "the web app's save moved updatedAt: refused"


def test_counters_are_added_never_conflict_and_survive_a_lost_answer(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    engine = engine_for(store, proxy.endpoint_url, backoff=Backoff(0.0, 0.0))  # resend now
    template = store.create_template("Popular")
    engine.drain()
    for _ in range(3):
        store.record_use(template.templateId)
    server.client.update_item(  # the web app counts a use at the same time
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": template.templateId}},
        UpdateExpression="ADD usageCount :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    proxy.fail_next("lost_ack", operation="UpdateItem")
    report = engine.drain()
    assert report.conflicts == 0 and entries(store) == []
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["usageCount"] == 4, "3 here + 1 there, the resend not doubled"
    assert len(server.scan("GravyAnalytics")) == 3


@pytest.mark.parametrize("operation", ["create", "update", "delete"])
def test_a_lost_answer_is_resent_safely(
    operation: str,
    store: Store,
    engine_for: EngineFactory,
    proxy: FaultProxy,
    server: Server,
) -> None:
    # No backoff: the resend must happen within this drain (with a delay of up to 1 ms the
    # drain could end before the entries were ready again; that is not what is tested).
    engine = engine_for(store, proxy.endpoint_url, backoff=Backoff(0.0, 0.0))
    template = store.create_template("Once", content="v1")
    if operation != "create":
        engine.drain()
        if operation == "update":
            store.update_template(template.templateId, content="v2")
        else:
            store.delete_template(template.templateId)
    proxy.fail_next("lost_ack", operation="BatchExecuteStatement")
    report = engine.drain()
    assert (report.conflicts, report.failed) == (0, 0), "no false conflict"
    assert entries(store) == []
    items = [i for i in server.scan("GravyTemplates") if i["templateId"] == template.templateId]
    if operation == "delete":
        assert items == []
    else:
        assert len(items) == 1
        assert items[0]["content"] == ("v1" if operation == "create" else "v2")


def test_poison_entries_fail_with_dynamodbs_message_and_the_rest_syncs(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    good = [store.create_template(f"Good {i}") for i in range(5)]
    huge = store.create_template("Huge")
    wrong = store.create_template("Wrong type")
    with store.database.write() as session:  # states that slipped past validation
        for entry in session.scalars(select(OutboxEntry)):
            if entry.record_id == huge.templateId:
                entry.payload = entry.payload | {"content": "x" * 420_000}
            if entry.record_id == wrong.templateId:
                entry.payload = entry.payload | {"category": 123}
    later = store.create_template("Created after the poison")

    report = engine_for(store).drain()

    assert report.failed == 2
    failed = {e.record_id: e for e in entries(store, State.FAILED)}
    assert set(failed) == {huge.templateId, wrong.templateId}
    assert "size" in failed[huge.templateId].last_error_message.lower()
    # DynamoDB's code: of the statement, or of the request when it refuses it whole.
    assert failed[huge.templateId].last_error_code in ("ValidationError", "ValidationException")
    assert "type" in failed[wrong.templateId].last_error_message.lower()
    synced = {i["templateId"] for i in server.scan("GravyTemplates")}
    assert synced == {t.templateId for t in [*good, later]}


def test_offline_marks_nothing_failed_and_drains_when_back(
    store: Store, engine_for: EngineFactory, server: Server
) -> None:
    from tests.dynamodb_local import free_port

    for i in range(10):
        store.create_template(f"Offline {i}")
    offline = engine_for(store, f"http://127.0.0.1:{free_port()}").drain()
    assert offline.state == EngineState.OFFLINE
    assert store.queue_counts()[State.FAILED] == 0
    assert all(e.state == State.PENDING and e.last_error_code is None for e in entries(store))
    back = engine_for(store).drain()
    assert back.state == EngineState.IDLE and entries(store) == []
    assert len(server.scan("GravyTemplates")) == 10


def test_offline_pushes_are_not_attempts_for_backoff(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten pushes while offline, then one 503: the wait is the first attempt's (<= 0.2 s
    here), not the eleventh's (up to the 300 s cap). Failed before: attempts 11, due in
    minutes."""
    from tests.dynamodb_local import free_port

    monkeypatch.setattr("desktop.sync.push.SHORT_WAIT_S", 0.0)  # keep it waiting to look at
    store.create_template("Waiting")
    offline = engine_for(store, f"http://127.0.0.1:{free_port()}")
    for _ in range(10):
        assert offline.drain().state == EngineState.OFFLINE
    engine = engine_for(store, proxy.endpoint_url)
    engine.backoff = Backoff(0.2, 300.0)
    proxy.fail_next("503")
    before = time.time()
    report = engine.drain()
    assert report.retried == 1
    (entry,) = entries(store)
    assert entry.attempts == 1, "the 503, not the offline pushes"
    assert before < entry.next_attempt_at <= time.time() + 0.2


def test_an_edit_after_an_offline_push_still_coalesces(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    """An offline push sent nothing, so the next edit still folds into the queued write:
    one remote write per record (failed before: the claimed entry counted as sent)."""
    from tests.dynamodb_local import free_port

    store.version_window_s = 120  # one version for the whole session of edits
    template = store.create_template("Draft", content="v0")
    store.update_template(template.templateId, content="v1")
    assert engine_for(store, f"http://127.0.0.1:{free_port()}").drain().state == "offline"
    store.update_template(template.templateId, content="v2")
    assert len(entries(store)) == 2, "the template and its version, one entry each"
    engine_for(store, proxy.endpoint_url).drain()
    writes = proxy.written_keys()
    template_key = f"{server.table('GravyTemplates')}:{USER}/{template.templateId}"
    assert writes[template_key] == 1, "one write per record"
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["content"] == "v2"


def test_a_retry_due_within_seconds_is_sent_in_the_same_drain(
    store: Store, engine_for: EngineFactory, proxy: FaultProxy, server: Server
) -> None:
    """A 503 with a retry due in milliseconds: the drain waits for it rather than leaving
    the edit for the next cycle, a minute away (the lost-answer tests failed at random on
    this before)."""
    engine = engine_for(store, proxy.endpoint_url)
    engine.backoff = Backoff(0.05, 0.05)
    template = store.create_template("Soon")  # no text: one entry, no version
    proxy.fail_next("503")
    report = engine.drain()
    assert (report.retried, report.sent, report.requests) == (1, 1, 2)
    assert entries(store) == []
    assert server.get("GravyTemplates", userId=USER, templateId=template.templateId)


def test_missing_credentials_pause_without_failing(store: Store, engine_for: EngineFactory) -> None:
    from desktop.sync.config import make_client
    from desktop.sync.errors import MissingCredentials

    store.create_template("Waiting")
    settings = engine_for(store).settings.model_copy(
        update={"access_key_id": "AKIAEXAMPLE", "endpoint_url": "https://dynamodb.example"}
    )
    with pytest.raises(MissingCredentials, match="not in the keyring"):
        make_client(settings)
    assert store.queue_counts()[State.FAILED] == 0


def test_a_fifth_of_requests_failing_still_drains_completely(
    store: Store, engine_for: EngineFactory, dynamodb_local: Any, server: Server
) -> None:
    templates = [store.create_template(f"T{i}", content=f"c{i}") for i in range(150)]
    with FaultProxy(
        dynamodb_local.port,
        rate=0.2,
        seed=7,
        delay_s=0.3,
        modes=("500", "503", "throttle", "throughput", "reset", "lost_ack", "delay"),
    ) as faulty:
        engine = engine_for(store, faulty.endpoint_url, batch_size=10)
        for round_ in range(60):
            engine.drain()
            if not entries(store):
                break
            for i in range(0, 150, 7):
                store.update_template(templates[i].templateId, content=f"edit {round_} {i}")
        faults = sum(faulty.faults.values())
    assert faults >= 5, f"the proxy injected {faults} faults"
    engine_for(store).drain()  # after the storm: anything still waiting for its backoff
    assert entries(store) == []
    remote = {i["templateId"]: i for i in server.scan("GravyTemplates")}
    assert len(remote) == 150, "nothing lost, nothing duplicated"
    for template in templates:
        local = store.get_template(template.templateId)
        assert remote[template.templateId]["content"] == local.content


def test_retry_and_discard_of_a_failed_entry(store: Store, engine_for: EngineFactory) -> None:
    engine = engine_for(store)
    store.create_template("Bad")
    with store.database.write() as session:
        (entry,) = session.scalars(select(OutboxEntry))
        entry.payload = entry.payload | {"category": 5}
    engine.drain()
    (failed,) = entries(store, State.FAILED)
    assert failed.attempts == 1
    store.retry_entry(failed.id)
    engine.drain()
    (again,) = entries(store, State.FAILED)
    assert again.attempts == 2
    store.discard_entry(again.id)
    assert entries(store) == []


def test_secrets_live_only_in_the_keyring(store: Store, memory_keyring: Any) -> None:
    from desktop.sync.config import SyncSettings, save_secret, save_settings

    save_settings(store, SyncSettings(user_id="u", access_key_id="AKIAEXAMPLE"))
    save_secret("AKIAEXAMPLE", "wJalrXUtnFEMI-very-secret")
    assert memory_keyring.secrets == {("gravy-desktop", "AKIAEXAMPLE"): "wJalrXUtnFEMI-very-secret"}
    store.database.close()
    for path in store.database.path.parent.iterdir():
        assert b"very-secret" not in path.read_bytes(), path
