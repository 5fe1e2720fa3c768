"""The pull against DynamoDB Local: other devices' and the web app's changes arrive."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.store.outbox import State
from desktop.store.services import NotFound, Store
from tests.sync.conftest import DeviceFactory

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
