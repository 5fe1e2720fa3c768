"""Concurrent edits on two devices (and the web app): merged when they can be, surfaced as
conflicts when not, and resolved into ordinary queued writes (invariant 8)."""

from __future__ import annotations

import pytest

from desktop.store.outbox import State
from desktop.store.services import NotFound
from desktop.sync.resolution import Resolution, list_conflicts, resolve
from tests.sync.conftest import USER, DeviceFactory, Server

pytestmark = pytest.mark.dynamodb

BASE = "<p>Dear [[name]],</p><p>Thank you for applying.</p><p>Best regards</p>"


def test_edits_to_different_fields_and_paragraphs_merge_without_asking(
    device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content=BASE, tags=["hr"])
    ann.sync()
    bob.sync()
    tid = template.templateId

    ann.store.update_template(
        tid, title="Offer letter", content=BASE.replace("Dear", "Hello"), tags=["hr", "jobs"]
    )
    bob.store.update_template(
        tid,
        category="letters",
        content=BASE.replace("Best regards", "Kind regards"),
        tags=["hr", "offers"],
    )
    ann.sync()
    report = bob.sync()  # bob's queued edit meets ann's: merged at pull time
    assert report.pull.merged == 1 and report.pull.conflicts == 0
    ann.sync()

    expected = "<p>Hello [[name]],</p><p>Thank you for applying.</p><p>Kind regards</p>"
    for device in (ann, bob):
        got = device.store.get_template(tid)
        assert (got.title, got.category, got.content) == ("Offer letter", "letters", expected)
        assert sorted(got.tags) == ["hr", "jobs", "offers"]
        assert device.store.queue_counts()[State.CONFLICT] == 0
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and (item["content"], item["category"]) == (expected, "letters")


def test_a_refused_push_is_merged_with_the_servers_copy_and_sent_again(
    device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content=BASE)
    ann.sync()
    bob.sync()
    ann.store.update_template(template.templateId, title="Renamed by ann")
    ann.sync()
    bob.store.update_template(template.templateId, description="described by bob")
    push = bob.engine.pusher.drain()  # no pull first: the conditional write is refused
    assert (push.merged, push.conflicts) == (1, 0)
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None
    assert (item["title"], item["description"]) == ("Renamed by ann", "described by bob")


def test_overlapping_edits_are_a_conflict_with_mine_theirs_and_base(
    device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content=BASE)
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.update_template(tid, content=BASE.replace("Thank you", "Many thanks"))
    bob.store.update_template(tid, content=BASE.replace("Thank you", "Thanks a lot"))
    ann.sync()
    report = bob.sync()
    assert report.pull.conflicts == 1

    (conflict,) = list_conflicts(bob.store)
    assert conflict.fields == ["content"]
    assert conflict.base is not None and conflict.base["content"] == BASE
    assert conflict.mine is not None and "Thanks a lot" in conflict.mine["content"]
    assert conflict.theirs is not None and "Many thanks" in conflict.theirs["content"]
    assert bob.store.get_template(tid).content == conflict.mine["content"], "mine kept locally"
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and "Many thanks" in item["content"], "no silent overwrite"

    merged = BASE.replace("Thank you", "Many thanks, and thanks a lot")
    resolve(bob.store, conflict.entry_id, Resolution.MERGED, merged_text=merged)
    bob.sync()
    ann.sync()
    for device in (ann, bob):
        assert device.store.get_template(tid).content == merged
        assert device.store.queue_counts()[State.CONFLICT] == 0
    assert server.get("GravyTemplates", userId=USER, templateId=tid)["content"] == merged


def test_a_resolution_overtaken_by_another_edit_is_a_new_conflict(
    device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer")
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.update_template(tid, title="Ann's title")
    bob.store.update_template(tid, title="Bob's title")
    ann.sync()
    bob.sync()
    (conflict,) = list_conflicts(bob.store)
    resolve(bob.store, conflict.entry_id, Resolution.MINE)
    ann.store.update_template(tid, title="Ann's second title")  # before bob sends it
    ann.sync()

    push = bob.engine.pusher.drain()
    assert push.conflicts == 1, "resolved against version 2; the server is at 3"
    assert server.get("GravyTemplates", userId=USER, templateId=tid)["title"] == (
        "Ann's second title"
    )
    (again,) = list_conflicts(bob.store)
    assert again.theirs is not None and again.theirs["title"] == "Ann's second title"
    resolve(bob.store, again.entry_id, Resolution.THEIRS)
    bob.sync()
    assert bob.store.get_template(tid).title == "Ann's second title"
    assert bob.store.queue_counts()[State.PENDING] == 0, "keeping theirs sends nothing"


def test_delete_versus_edit_is_a_conflict_either_way_round(
    device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    kept = ann.store.create_template("Edited by ann, deleted by bob")
    dropped = ann.store.create_template("Deleted by ann, edited by bob")
    ann.sync()
    bob.sync()
    ann.store.update_template(kept.templateId, content="<p>ann's words</p>")
    bob.store.delete_template(kept.templateId)
    ann.store.delete_template(dropped.templateId)
    bob.store.update_template(dropped.templateId, content="<p>bob's words</p>")
    ann.sync()
    bob.sync(full=True)  # a remote deletion is found by a full read

    conflicts = {c.record_id: c for c in list_conflicts(bob.store)}
    assert set(conflicts) == {kept.templateId, dropped.templateId}
    assert conflicts[kept.templateId].mine is None  # deleted here, edited there
    assert conflicts[dropped.templateId].theirs is None  # edited here, deleted there
    assert server.get("GravyTemplates", userId=USER, templateId=kept.templateId) is not None

    resolve(bob.store, conflicts[kept.templateId].entry_id, Resolution.THEIRS)
    resolve(bob.store, conflicts[dropped.templateId].entry_id, Resolution.MINE)
    bob.sync()
    ann.sync(full=True)
    for device in (ann, bob):
        assert device.store.get_template(kept.templateId).content == "<p>ann's words</p>"
        assert device.store.get_template(dropped.templateId).content == "<p>bob's words</p>"


def test_counters_never_conflict_with_edits_or_the_web_apps_add(
    device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Popular")
    ann.sync()
    bob.sync()
    tid = template.templateId
    for _ in range(3):
        ann.store.record_use(tid)
    for _ in range(2):
        bob.store.record_use(tid)
    bob.store.update_template(tid, title="Popular, renamed")
    server.client.update_item(  # the web app counts a use, exactly as the seed does
        TableName=server.table("GravyTemplates"),
        Key={"userId": {"S": USER}, "templateId": {"S": tid}},
        UpdateExpression="ADD usageCount :inc",
        ExpressionAttributeValues={":inc": {"N": "1"}},
    )
    ann.sync()
    bob.sync()
    ann.sync(full=True)  # the web app's ADD leaves updatedAt alone: a full read finds it
    bob.sync(full=True)
    for device in (ann, bob):
        got = device.store.get_template(tid)
        assert (got.usageCount, got.title) == (6, "Popular, renamed")
        assert device.store.queue_counts()[State.CONFLICT] == 0
    assert server.get("GravyTemplates", userId=USER, templateId=tid)["usageCount"] == 6


def test_a_remote_deletion_never_removes_a_record_with_queued_edits_silently(
    device_for: DeviceFactory,
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    page = ann.store.create_page("Board")
    node = ann.store.add_node(page.id, "Scene")
    ann.sync()
    bob.sync()
    bob.store.update_node(node.id, prompt="a new prompt")
    ann.store.delete_page(page.id)
    ann.sync()
    bob.sync(full=True)
    (conflict,) = list_conflicts(bob.store)
    assert (conflict.entity, conflict.theirs) == ("node", None)
    assert bob.store.get_page(page.id), "the page stays while its node's edit is undecided"
    resolve(bob.store, conflict.entry_id, Resolution.THEIRS)
    bob.sync(full=True)
    with pytest.raises(NotFound):
        bob.store.get_page(page.id)
    assert bob.store.queue_counts()[State.PENDING] == 0


def test_a_merge_counts_from_the_servers_counter_not_a_stale_base(
    device_for: DeviceFactory, server: Server
) -> None:
    # Regression: the merge added (mine - base) to the server's count, and the base is not
    # moved by this device's own increments, so an increment already sent was added twice.
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Counted")
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.record_use(tid)
    ann.sync()  # sent as ADD: the server says 1, ann's base still says 0
    bob.store.update_template(tid, title="Renamed by bob")
    bob.sync()
    ann.store.update_template(tid, description="described by ann")
    ann.sync()  # ann's queued edit merges with bob's
    assert ann.store.get_template(tid).usageCount == 1
    assert server.get("GravyTemplates", userId=USER, templateId=tid)["usageCount"] == 1


def test_a_merge_by_hand_is_reduced_to_the_html_subset_before_it_is_stored(
    device_for: DeviceFactory, server: Server
) -> None:
    """The merged text is written here: a pasted script or handler never reaches the
    store, the queue or the web app (failed before: stored as typed)."""
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content=BASE)
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.update_template(tid, content=BASE.replace("Thank you", "Many thanks"))
    bob.store.update_template(tid, content=BASE.replace("Thank you", "Thanks a lot"))
    ann.sync()
    bob.sync()
    (conflict,) = list_conflicts(bob.store)
    hostile = '<p>Merged<script>alert(1)</script><img src=x onerror="alert(2)"></p>'
    resolve(bob.store, conflict.entry_id, Resolution.MERGED, merged_text=hostile)
    bob.sync()
    stored = bob.store.get_template(tid).content
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None
    for content in (stored, item["content"]):
        assert "Merged" in content
        assert "script" not in content and "onerror" not in content and "<img" not in content
