"""The user actions of the local store, each checked on the records, the search index and
the queue (one transaction per action: sync invariant 1)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.domain import InvalidInput
from desktop.store import outbox
from desktop.store.services import Changes, NotFound, Store


def queue(store: Store) -> list[tuple[str, str]]:
    return [(e.record_key, e.op) for e in store.queue_entries()]


def test_creating_a_template_writes_it_its_first_version_and_their_queue_entries(
    store: Store,
) -> None:
    template = store.create_template("Welcome", content="<p>Hi [[name]]</p>", category="mail")
    assert store.get_template(template.templateId) == template
    (version,) = store.versions(template.templateId)
    assert template.latestVersion == version.versionId
    assert version.content == "<p>Hi [[name]]</p>"
    assert queue(store) == [
        (f"template:{template.templateId}", "create"),
        (f"version:{version.versionId}", "create"),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"title": "ok", "tags": ["x" * 60]},
        {"title": "ok", "content": "é" * 210_000},
        {"title": "ok", "unknown": 1},
    ],
)
def test_invalid_input_writes_nothing(store: Store, fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        store.create_template(**fields)
    assert store.count_templates() == 0
    assert queue(store) == []


def test_an_invalid_edit_leaves_the_record_and_queue_as_they_were(store: Store) -> None:
    template = store.create_template("Keep me", content="v1")
    before = queue(store)
    with pytest.raises(InvalidInput, match="tags"):
        store.update_template(template.templateId, content="v2", tags=[str(i) for i in range(30)])
    assert store.get_template(template.templateId).content == "v1"
    assert queue(store) == before
    assert len(store.versions(template.templateId)) == 1


def test_a_failure_inside_the_transaction_rolls_back_the_change_too(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(OSError):
        store.create_template("Half written?")
    monkeypatch.undo()
    assert store.count_templates() == 0
    assert store.search_templates("half") == []


def test_edits_rename_categorise_tag_and_share(store: Store) -> None:
    template = store.create_template("Draft")
    store.update_template(template.templateId, title="Final", category="legal", tags=["nda"])
    shared = store.set_shared(template.templateId, True)
    assert (shared.title, shared.category, shared.tags, shared.isShared) == (
        "Final",
        "legal",
        ["nda"],
        True,
    )
    assert shared.updatedAt >= template.updatedAt
    assert queue(store) == [(f"template:{template.templateId}", "create")], "coalesced"


def test_saving_without_a_change_queues_nothing(store: Store) -> None:
    template = store.create_template("Same")
    with store.database.write() as session:
        for entry in outbox.claim(session, 10):
            outbox.complete(session, entry.id)
    assert store.update_template(template.templateId, title="Same") == template
    assert queue(store) == []


def test_protected_fields_cannot_be_edited(store: Store) -> None:
    template = store.create_template("T")
    with pytest.raises(InvalidInput, match="usageCount"):
        store.update_template(template.templateId, usageCount=99)


def test_duplicate_is_a_new_unshared_unused_copy(store: Store) -> None:
    original = store.create_template("Offer", content="<p>x</p>", tags=["a"], category="c")
    store.set_shared(original.templateId, True)
    store.record_use(original.templateId)
    copy = store.duplicate_template(original.templateId)
    assert copy.title == "Copy of Offer"
    assert copy.templateId != original.templateId
    assert (copy.content, copy.tags, copy.category) == ("<p>x</p>", ["a"], "c")
    assert (copy.isShared, copy.usageCount) == (False, 0)


def test_delete_removes_template_versions_and_search_entry(store: Store) -> None:
    template = store.create_template("Gone soon", content="<p>unique words</p>")
    store.delete_template(template.templateId)
    with pytest.raises(NotFound):
        store.get_template(template.templateId)
    assert store.versions(template.templateId) == []
    assert store.search_templates("unique") == []
    assert queue(store) == [], "created and deleted offline: nothing to send"


def test_versions_saved_in_the_same_millisecond_stay_newest_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids made in one millisecond differ only in their random suffix, so they must not
    decide the order of the history (this test failed at random before: 1 run in 3)."""
    import desktop.domain as domain

    suffixes = iter(["c" * 9, "b" * 9, "a" * 9, "9" * 9])
    import desktop.store.services as services

    monkeypatch.setattr(domain.time, "time", lambda: 1_700_000_000.0)
    monkeypatch.setattr(services, "now_iso", lambda: "2099-01-01T00:00:00.000Z")
    monkeypatch.setattr(domain, "_base36_suffix", lambda length=9: next(suffixes))
    template = store.create_template("Letter", content="one")
    store.update_template(template.templateId, content="two")
    store.update_template(template.templateId, content="three")
    history = store.versions(template.templateId)
    assert [v.content for v in history] == ["three", "two", "one"]
    assert store.get_template(template.templateId).latestVersion == history[0].versionId


def test_every_content_change_records_a_version_and_restore_brings_it_back(store: Store) -> None:
    template = store.create_template("Letter", content="one")
    store.update_template(template.templateId, content="two")
    store.update_template(template.templateId, title="Letter (renamed)")
    store.update_template(template.templateId, content="three")
    history = store.versions(template.templateId)
    assert [v.content for v in history] == ["three", "two", "one"]
    restored = store.restore_version(template.templateId, history[-1].versionId)
    assert restored.content == "one"
    assert restored.latestVersion == store.versions(template.templateId)[0].versionId
    assert store.versions(template.templateId)[0].changes.startswith("Restored")


def test_a_burst_of_saves_folds_into_one_unsent_version(store: Store) -> None:
    store.version_window_s = 120
    template = store.create_template("Autosaved", content="a")
    for text in ("ab", "abc", "abcd"):
        store.update_template(template.templateId, content=text)
    (version,) = store.versions(template.templateId)
    assert version.content == "abcd"
    versions_queued = [key for key, _ in queue(store) if key.startswith("version:")]
    assert len(versions_queued) == 1


def test_a_use_counts_and_records_an_event(store: Store) -> None:
    template = store.create_template("Used")
    event = store.record_use(template.templateId)
    assert store.get_template(template.templateId).usageCount == 1
    assert (event.templateId, event.action, event.date) == (
        template.templateId,
        "populate",
        event.timestamp[:10],
    )
    assert queue(store) == [
        (f"template:{template.templateId}", "create"),
        (f"usage_event:{event.trackingId}", "create"),
    ]
    (create, _) = store.queue_entries()
    assert create.payload["usageCount"] == 1, "the count rides on the unsent create"


def test_search_is_current_ranked_and_filtered(store: Store) -> None:
    a = store.create_template(
        "Invoice reminder", content="<p>Please <b>pay</b></p>", category="billing", tags=["money"]
    )
    b = store.create_template(
        "Welcome", description="reminder for new users", category="onboarding"
    )
    assert [t.templateId for t in store.search_templates("remind")] == [a.templateId, b.templateId]
    assert [t.templateId for t in store.search_templates("remind", category="onboarding")] == [
        b.templateId
    ]
    assert [t.title for t in store.search_templates("money")] == ["Invoice reminder"]
    assert store.search_templates("b") == [], "markup is not indexed"
    store.update_template(a.templateId, content="<p>Kindly settle</p>")
    assert store.search_templates("pay") == []
    assert [t.title for t in store.search_templates("settle")] == ["Invoice reminder"]
    assert store.search_templates('"; DROP TABLE templates; --') == []
    assert store.categories() == ["billing", "onboarding"]


def test_snippets_and_presets(store: Store) -> None:
    snippet = store.create_snippet("Signature", content="<p>Best, Ann</p>")
    store.update_snippet(snippet.snippetId, content="<p>Cheers, Ann</p>")
    assert [s.title for s in store.search_snippets("cheers")] == ["Signature"]
    preset = store.create_preset("Acme", values={"company": "Acme Ltd"})
    store.update_preset(preset.presetId, values={"company": "Acme Inc", "city": "Oslo"})
    assert store.get_preset(preset.presetId).values == {"company": "Acme Inc", "city": "Oslo"}
    store.delete_snippet(snippet.snippetId)
    store.delete_preset(preset.presetId)
    assert (store.list_snippets(), store.list_presets(), queue(store)) == ([], [], [])


def test_pages_keep_their_nodes_in_order(store: Store) -> None:
    page = store.create_page("Storyboard")
    first = store.add_node(page.id, "First")
    last = store.add_node(page.id, "Last", prompt="a cat")
    middle = store.add_node(page.id, "Middle", position=1)
    assert [n.title for n in store.nodes(page.id)] == ["First", "Middle", "Last"]
    store.move_node(last.id, 0)
    assert [(n.title, n.position) for n in store.nodes(page.id)] == [
        ("Last", 0),
        ("First", 1),
        ("Middle", 2),
    ]
    store.update_node(middle.id, predictionStatus="succeeded", generatedImages=["https://x/1.png"])
    store.delete_node(first.id)
    assert [(n.title, n.position) for n in store.nodes(page.id)] == [("Last", 0), ("Middle", 1)]
    assert store.nodes(page.id)[1].generatedImages == ["https://x/1.png"]
    store.update_page(page.id, isPublished=True)
    assert store.get_page(page.id).isPublished is True


def test_deleting_a_synced_page_sends_node_deletes_before_the_page(store: Store) -> None:
    page = store.create_page("P")
    node = store.add_node(page.id, "N")
    with store.database.write() as session:  # pretend everything was synced
        for entry in outbox.entries(session):
            outbox.complete(session, entry.id)
    store.delete_page(page.id)
    assert queue(store) == [(f"node:{node.id}", "delete"), (f"page:{page.id}", "delete")]
    assert store.list_pages() == []


def test_listeners_hear_committed_changes_only(store: Store) -> None:
    heard: list[Changes] = []
    store.subscribe(heard.append)
    template = store.create_template("Loud")
    with pytest.raises(InvalidInput):
        store.create_template("")
    assert [changes.records for changes in heard] == [(("template", template.templateId),)]


def test_search_puts_title_matches_first_then_newest_matches(store: Store) -> None:
    old_body = store.create_template("Old", content="<p>quarterly numbers</p>")
    titled = store.create_template("Quarterly report", content="<p>text</p>")
    new_body = store.create_template("New", description="the quarterly plan")
    found = [t.templateId for t in store.search_templates("quart")]
    assert found == [titled.templateId, new_body.templateId, old_body.templateId]
    assert [t.title for t in store.search_templates("quart", limit=2)] == [
        "Quarterly report",
        "New",
    ]


def _all_sent(store: Store) -> None:
    with store.database.write() as session:  # pretend everything was synced
        for entry in outbox.entries(session):
            outbox.complete(session, entry.id)


def test_a_deleted_template_comes_back_with_its_id_versions_and_search_entry(
    store: Store,
) -> None:
    template = store.create_template("Offer letter", content="<p>Dear [[name]]</p>")
    store.update_template(template.templateId, content="<p>Dear [[name]], welcome</p>")
    versions = store.versions(template.templateId)
    _all_sent(store)
    taken = store.with_children("template", template.templateId)
    assert [entity for entity, _ in taken] == ["template"] + ["version"] * len(versions)
    store.delete_template(template.templateId)
    _all_sent(store)  # the deletion reached the server
    store.restore(taken)
    back = store.get_template(template.templateId)
    assert back.content == "<p>Dear [[name]], welcome</p>"
    assert back.updatedAt > template.updatedAt  # edited now: it wins over the deletion
    assert {v.versionId for v in store.versions(template.templateId)} == {
        v.versionId for v in versions
    }
    assert [t.templateId for t in store.search_templates("welcome")] == [template.templateId]
    # The deletion was sent, so the server gets the template, then its versions, again.
    assert queue(store) == [(f"template:{template.templateId}", "create")] + [
        (f"version:{v.versionId}", "create") for v in sorted(versions, key=lambda v: v.createdAt)
    ]


def test_undoing_an_unsent_deletion_leaves_one_queue_entry_per_record(store: Store) -> None:
    snippet = store.create_snippet("Sign-off", content="<p>Best</p>")
    _all_sent(store)
    store.update_snippet(snippet.snippetId, content="<p>Best wishes</p>")
    taken = store.with_children("snippet", snippet.snippetId)
    store.delete_snippet(snippet.snippetId)
    store.restore(taken)
    assert store.get_snippet(snippet.snippetId).content == "<p>Best wishes</p>"
    assert [key for key, _ in queue(store)] == [f"snippet:{snippet.snippetId}"]
    assert queue(store)[0][1] != "delete"


def test_a_deleted_page_comes_back_with_its_nodes_in_order(store: Store) -> None:
    page = store.create_page("Storyboard", isPublished=True)
    for title in ("One", "Two", "Three"):
        store.add_node(page.id, title, prompt=f"{title} prompt")
    taken = store.with_children("page", page.id)
    store.delete_page(page.id)
    assert store.nodes(page.id) == []
    store.restore(taken)
    assert store.get_page(page.id).isPublished is True
    assert [(n.title, n.position, n.prompt) for n in store.nodes(page.id)] == [
        ("One", 0, "One prompt"),
        ("Two", 1, "Two prompt"),
        ("Three", 2, "Three prompt"),
    ]


def test_a_deleted_node_goes_back_to_its_place(store: Store) -> None:
    page = store.create_page("P")
    nodes = [store.add_node(page.id, title) for title in ("A", "B", "C")]
    taken = store.with_children("node", nodes[1].id)
    store.delete_node(nodes[1].id)
    store.restore(taken)
    assert [(n.title, n.position) for n in store.nodes(page.id)] == [("A", 0), ("B", 1), ("C", 2)]
    # Restoring twice changes nothing; a node whose page is gone cannot come back.
    store.restore(taken)
    assert len(store.nodes(page.id)) == 3
    taken = store.with_children("node", nodes[0].id)
    store.delete_page(page.id)
    with pytest.raises(NotFound):
        store.restore(taken)
