"""The pull against DynamoDB Local: other devices' and the web app's changes arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from desktop import domain
from desktop.domain import now_iso
from desktop.store.outbox import State
from desktop.store.services import NotFound, Store
from desktop.store.syncstate import get_setting
from desktop.sync.pull import CHECKPOINT, pulled_tables
from desktop.sync.push import EngineState
from desktop.sync.tables import ALL_TABLES, ensure_indexes
from tests.fault_proxy import FaultProxy
from tests.remote_data import put_all, template_items
from tests.sync.conftest import USER, DeviceFactory, Server

pytestmark = pytest.mark.dynamodb


def everything(store: Store) -> dict[str, Any]:
    """A device's records, comparable across devices."""
    templates = {
        t.templateId: store.get_template(t.templateId).model_dump() for t in store.list_templates()
    }
    return {
        "templates": templates,
        "versions": {tid: sorted(v.versionId for v in store.versions(tid)) for tid in templates},
        "snippets": {s.snippetId: s.model_dump() for s in store.list_snippets()},
        "presets": {p.presetId: p.model_dump() for p in store.list_presets()},
        "pages": {p.id: p.model_dump() for p in store.list_pages()},
        "nodes": {p.id: [n.model_dump() for n in store.nodes(p.id)] for p in store.list_pages()},
    }


def test_another_devices_changes_arrive_and_deletions_on_reconciliation(
    device_for: DeviceFactory,
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content="<p>Dear [[name]]</p>", tags=["hr"])
    snippet = ann.store.create_snippet("Sign-off", content="<p>Best</p>")
    ann.store.create_preset("Acme", values={"company": "Acme"})
    page = ann.store.create_page("Board", isPublished=True)
    first = ann.store.add_node(page.id, "One", prompt="a cat")
    ann.store.add_node(page.id, "Two")
    ann.sync()

    report = bob.sync(full=None)  # never pulled: reads everything
    assert report.pull.applied >= 7
    assert everything(bob.store) == everything(ann.store)
    assert bob.store.queue_counts()[State.PENDING] == 0, "pulled records are not sent back"

    ann.store.update_template(template.templateId, title="Offer letter", content="<p>Hi</p>")
    ann.store.move_node(first.id, 1)
    ann.store.delete_snippet(snippet.snippetId)
    ann.sync()
    delta = bob.sync()
    assert delta.pull.full_tables == []
    assert bob.store.get_template(template.templateId).title == "Offer letter"
    assert [n.title for n in bob.store.nodes(page.id)] == ["Two", "One"]
    assert bob.store.get_snippet(snippet.snippetId), "a delta cannot see a deletion"

    bob.sync(full=True)
    with pytest.raises(NotFound):
        bob.store.get_snippet(snippet.snippetId)
    assert everything(bob.store) == everything(ann.store)
    assert bob.store.queue_counts()[State.PENDING] == 0


def web_app_writes(server: Server, stamp: str) -> dict[str, str]:
    """Records as the seeds' web apps write them: no version, no owner on pages."""
    ids = {
        "template": "template-1763900000000-webapp001",
        "snippet": "snippet-1763900000000-webapp002",
        "preset": "preset-1763900000000-webapp003",
        "page": "page-web-1",
        "node": "node-web-1",
    }
    common = {"userId": USER, "createdAt": stamp, "updatedAt": stamp}
    server.put(
        "GravyTemplates",
        common
        | {
            "templateId": ids["template"],
            "title": "From the browser",
            "description": "",
            "content": "<p>Hello [[name]]</p>",
            "category": "web",
            "tags": ["a", "b"],
            "isShared": "false",
            "usageCount": 0,
        },
    )
    server.put(
        "GravySnippets",
        common | {"snippetId": ids["snippet"], "title": "Web snippet", "content": "<p>Hi</p>"},
    )
    server.put(
        "GravyVariablePresets",
        common | {"presetId": ids["preset"], "name": "Web preset", "values": {"name": "Ann"}},
    )
    page = {"PK": f"PAGE#{ids['page']}", "createdAt": stamp, "updatedAt": stamp}
    server.put(
        "PageManager",
        page
        | {"SK": "META#", "type": "page", "id": ids["page"], "title": "Web page", "isPublished": 1},
    )
    server.put(
        "PageManager",
        page
        | {
            "SK": f"NODE#{ids['node']}",
            "type": "node",
            "id": ids["node"],
            "pageId": ids["page"],
            "title": "Web node",
            "description": "",
            "prompt": "a dog",
            "generatedImages": ["https://img/1.png"],
            "predictionId": "p-1",
            "predictionStatus": "succeeded",
        },
    )
    return ids


def test_what_the_web_app_writes_arrives_and_its_counter_never_conflicts(
    device_for: DeviceFactory, server: Server
) -> None:
    ann = device_for("ann")
    ids = web_app_writes(server, now_iso())
    ann.sync()
    template = ann.store.get_template(ids["template"])
    assert (template.title, template.category, template.tags, template.isShared) == (
        "From the browser",
        "web",
        ["a", "b"],
        False,
    )
    assert ann.store.get_snippet(ids["snippet"]).title == "Web snippet"
    assert ann.store.get_preset(ids["preset"]).values == {"name": "Ann"}
    assert ann.store.get_page(ids["page"]).isPublished is True
    (node,) = ann.store.nodes(ids["page"])
    assert (node.prompt, node.generatedImages, node.predictionStatus) == (
        "a dog",
        ["https://img/1.png"],
        "succeeded",
    )

    later = now_iso()
    key = {"userId": {"S": USER}, "templateId": {"S": ids["template"]}}
    server.client.update_item(
        TableName=server.table("GravyTemplates"),
        Key=key,
        UpdateExpression="SET title = :t, updatedAt = :u",
        ExpressionAttributeValues={":t": {"S": "Renamed in the browser"}, ":u": {"S": later}},
    )
    server.client.update_item(  # the seed's incrementUsage
        TableName=server.table("GravyTemplates"),
        Key=key,
        UpdateExpression="ADD usageCount :inc",
        ExpressionAttributeValues={":inc": {"N": "1"}},
    )
    server.client.delete_item(
        TableName=server.table("GravySnippets"),
        Key={"userId": {"S": USER}, "snippetId": {"S": ids["snippet"]}},
    )
    server.client.update_item(
        TableName=server.table("PageManager"),
        Key={"PK": {"S": f"PAGE#{ids['page']}"}, "SK": {"S": f"NODE#{ids['node']}"}},
        UpdateExpression="SET prompt = :p, updatedAt = :u",
        ExpressionAttributeValues={":p": {"S": "a wet dog"}, ":u": {"S": later}},
    )
    server.client.update_item(
        TableName=server.table("GravyVariablePresets"),
        Key={"userId": {"S": USER}, "presetId": {"S": ids["preset"]}},
        UpdateExpression="SET #v = :v, updatedAt = :u",
        ExpressionAttributeNames={"#v": "values"},
        ExpressionAttributeValues={":v": {"M": {"name": {"S": "Bob"}}}, ":u": {"S": later}},
    )
    second = {"PK": {"S": f"PAGE#{ids['page']}"}, "SK": {"S": "NODE#node-web-2"}}
    server.put(
        "PageManager",
        {
            "PK": f"PAGE#{ids['page']}",
            "SK": "NODE#node-web-2",
            "type": "node",
            "id": "node-web-2",
            "pageId": ids["page"],
            "title": "Second",
            "createdAt": later,
            "updatedAt": later,
        },
    )
    ann.store.record_use(ids["template"])
    ann.store.update_template(ids["template"], description="edited on the desktop")
    report = ann.sync(full=True)
    assert (report.pull.conflicts, report.push.conflicts) == (0, 0)
    item = server.get("GravyTemplates", userId=USER, templateId=ids["template"])
    assert item is not None
    assert (item["title"], item["description"], item["usageCount"]) == (
        "Renamed in the browser",
        "edited on the desktop",
        2,
    )
    assert ann.store.get_template(ids["template"]).usageCount == 2
    assert ann.store.nodes(ids["page"])[0].prompt == "a wet dog"
    with pytest.raises(NotFound):
        ann.store.get_snippet(ids["snippet"])
    assert ann.store.get_preset(ids["preset"]).values == {"name": "Bob"}
    assert [n.title for n in ann.store.nodes(ids["page"])] == ["Web node", "Second"]

    server.client.delete_item(TableName=server.table("PageManager"), Key=second)
    for sk in (f"NODE#{ids['node']}", "META#"):  # the web app deletes a page and its nodes
        server.client.delete_item(
            TableName=server.table("PageManager"),
            Key={"PK": {"S": f"PAGE#{ids['page']}"}, "SK": {"S": sk}},
        )
    ann.sync(full=True)
    with pytest.raises(NotFound):
        ann.store.get_page(ids["page"])
    assert ann.store.queue_counts()[State.PENDING] == 0


def test_a_device_whose_clock_is_ten_minutes_behind_is_still_pulled(
    device_for: DeviceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    carol = device_for("carol", pull_overlap_s=300)  # tolerates 5 minutes only
    ann.sync()  # their checkpoints: now
    carol.sync()
    pulled_at = now_iso()
    real = domain.datetime

    class Behind(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real.now(tz) - timedelta(minutes=10)

    monkeypatch.setattr(domain, "datetime", Behind)
    late = bob.store.create_template("Written by a slow clock")
    bob.sync()
    monkeypatch.setattr(domain, "datetime", real)
    assert late.updatedAt < pulled_at, "stamped before the others' checkpoints"

    report = ann.sync()  # a delta, not a full read
    assert report.pull.full_tables == []
    assert ann.store.get_template(late.templateId).title == "Written by a slow clock"
    carol.sync()
    with pytest.raises(NotFound):  # beyond carol's overlap: the delta misses it...
        carol.store.get_template(late.templateId)
    carol.sync(full=True)  # ...and the full reconciliation finds it
    assert carol.store.get_template(late.templateId).title == "Written by a slow clock"


def test_an_idle_pull_costs_the_same_few_requests_for_100_or_10000_records(
    device_for: DeviceFactory, server: Server, proxy: FaultProxy
) -> None:
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()[:23] + "Z"
    requests = {}
    for count in (100, 10_000):
        put_all(
            server.client,
            server.table("GravyTemplates"),
            template_items(USER, count - len(requests) * 100, an_hour_ago, "<p>Hello</p>"),
        )
        device = device_for(f"reader{count}", endpoint_url=proxy.endpoint_url)
        device.sync()  # the first pull reads everything
        assert device.store.count_templates() == count
        proxy.requests.clear()
        idle = device.sync()
        assert (idle.pull.received, idle.pull.applied, idle.push.requests) == (0, 0, 0)
        requests[count] = sum(proxy.requests.values())
    assert requests[100] == requests[10_000] == len(pulled_tables())


def test_a_checkpoint_advances_only_past_pages_that_were_committed(
    device_for: DeviceFactory, server: Server, proxy: FaultProxy
) -> None:
    ann = device_for("ann", endpoint_url=proxy.endpoint_url)
    ann.sync()
    start = datetime.now(UTC)  # after the checkpoint, and before the pull below starts
    stamps = [(start + timedelta(milliseconds=i)).isoformat()[:23] + "Z" for i in range(30)]
    for i, stamp in enumerate(stamps):
        put_all(
            server.client,
            server.table("GravyTemplates"),
            template_items(USER, 1, stamp, f"<p>{i}</p>"),
        )
    ann.engine.puller.page_size = 10
    proxy.fail_next("reset", count=10, operation="Query")  # the connection keeps dropping
    assert ann.engine.run_once().state == EngineState.TRANSIENT
    assert ann.store.count_templates() == 0
    proxy.scripted.clear()

    original = ann.engine.puller._call
    calls = {"n": 0}

    def third_page_fails(operation: str, report: Any, **request: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 3:
            proxy.fail_next("reset", count=10, operation="Query")
        return original(operation, report, **request)

    ann.engine.puller._call = third_page_fails  # type: ignore[method-assign]
    assert ann.engine.run_once().state == EngineState.TRANSIENT
    assert ann.store.count_templates() == 20, "two pages committed"
    with ann.store.database.read() as session:
        checkpoint = get_setting(session, CHECKPOINT + server.table("GravyTemplates"))
    assert checkpoint == stamps[19], "up to the last committed record, not beyond"

    ann.engine.puller._call = original  # type: ignore[method-assign]
    proxy.scripted.clear()  # back online
    ann.sync()
    assert ann.store.count_templates() == 30


def test_tables_the_web_app_made_without_the_delta_index_are_read_in_full(
    device_for: DeviceFactory, dynamodb: Any, prefix: str
) -> None:
    web = f"w{prefix}"
    for spec in ALL_TABLES:  # as the web app's provisioning made them
        request = spec.create_request(web)
        indexes = [
            i
            for i in request.get("GlobalSecondaryIndexes", [])
            if i["IndexName"] != spec.delta_index
        ]
        request.pop("GlobalSecondaryIndexes", None)
        if indexes:
            request["GlobalSecondaryIndexes"] = indexes
        used = {k["AttributeName"] for i in [request, *indexes] for k in i["KeySchema"]}
        request["AttributeDefinitions"] = [
            d for d in request["AttributeDefinitions"] if d["AttributeName"] in used
        ]
        dynamodb.create_table(**request)
    ann, bob = device_for("ann", table_prefix=web), device_for("bob", table_prefix=web)
    template = ann.store.create_template("Still arrives")
    ann.sync()
    bob.sync()
    ann.store.update_template(template.templateId, title="Still arrives, renamed")
    ann.sync()
    report = bob.sync()
    assert f"{web}GravyTemplates.UserUpdatedIndex" in report.pull.missing_indexes
    assert bob.store.get_template(template.templateId).title == "Still arrives, renamed"

    added = ensure_indexes(dynamodb, web)  # what `gravy-desktop tables create` does
    assert f"{web}GravyTemplates.UserUpdatedIndex" in added
    assert bob.sync().pull.missing_indexes == []


def test_pulled_records_are_searchable_with_nothing_left_for_the_window_to_index(
    device_for: DeviceFactory,
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    for i in range(130):  # more than one catch-up batch
        ann.store.create_template(f"Pulled {i}", content=f"<p>marmalade {i}</p>")
    ann.sync()
    bob.sync()
    with bob.store.database.read() as session:
        left = session.connection().exec_driver_sql("SELECT count(*) FROM search_pending")
        assert left.scalar() == 0, "indexed on the sync thread, not in the next search"
    assert len(bob.store.search_templates("marmalade")) == 130
