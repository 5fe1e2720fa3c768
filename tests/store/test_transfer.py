"""Import (GravyJS export, Page Manager export, backup) and export: nothing half-imported,
every rejection explained, a backup round trip is lossless."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.domain import InvalidInput
from desktop.store.db import open_database
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.store.transfer import UnreadableImport, backup_document, read_import
from tests.test_cli import gravy

GRAVYJS = {
    "gravyTemplatesOffline": json.dumps(
        {
            "template-1710000000000-abcdefghi": {
                "templateId": "template-1710000000000-abcdefghi",
                "userId": "ann",
                "title": "Offer letter",
                "content": "<p>Dear [[name]]</p>",
                "category": "hr",
                "tags": ["jobs"],
                "isShared": "true",
                "usageCount": 3,
                "createdAt": "2024-03-15T12:00:00.000Z",
                "updatedAt": "2024-03-15T12:00:00.000Z",
                "isOffline": True,
                "lastModified": 1710504000000,
            },
            "template-1710000000001-abcdefghj": {
                "templateId": "template-1710000000001-abcdefghj",
                "title": "Deleted later in the browser",
                "createdAt": "2024-03-15T12:00:00.000Z",
                "updatedAt": "2024-03-15T12:00:00.000Z",
            },
            "template-1710000000002-abcdefghk": {
                "templateId": "template-1710000000002-abcdefghk",
                "title": "",
                "createdAt": "2024-03-15T12:00:00.000Z",
                "updatedAt": "2024-03-15T12:00:00.000Z",
            },
        }
    ),
    "gravySyncQueue": json.dumps(
        [
            {
                "id": 1,
                "action": "update",
                "data": {
                    "templateId": "template-1710000000000-abcdefghi",
                    "title": "Offer letter (edited offline)",
                },
                "timestamp": "2024-03-16T09:00:00.000Z",
            },
            {
                "id": 2,
                "action": "delete",
                "data": {"templateId": "template-1710000000001-abcdefghj"},
                "timestamp": "2024-03-16T10:00:00.000Z",
            },
        ]
    ),
}

PAGES = [
    {
        "id": "page-1",
        "title": "Storyboard",
        "isPublished": True,
        "nodes": [
            {
                "id": "node-1",
                "pageId": "page-1",
                "title": "Opening",
                "description": "Sunrise",
                "prompt": "a sunrise over hills",
                "generatedImages": ["https://img/1.png"],
                "predictionId": "p1",
                "predictionStatus": "succeeded",
            },
            {"id": "node-2", "pageId": "page-1", "title": "Close", "description": ""},
        ],
    },
    {"id": "page-2", "title": "", "isPublished": False, "nodes": [{"id": "n", "title": "x"}]},
]


def test_a_gravyjs_export_imports_its_templates_with_the_queued_changes(store: Store) -> None:
    plan = read_import(json.dumps(GRAVYJS))
    assert plan.source == "GravyJS browser export"
    assert [r.name for r in plan.rejected] == ["template-1710000000002-abcdefghk"]
    assert "title" in plan.rejected[0].reason
    imported, skipped = store.import_records(plan.records)
    assert (len(imported), skipped) == (1, [])
    template = store.get_template("template-1710000000000-abcdefghi")
    assert (template.title, template.isShared, template.usageCount, template.tags) == (
        "Offer letter (edited offline)",
        True,
        3,
        ["jobs"],
    )
    assert store.queue_counts()[State.PENDING] == 1, "queued to sync like any new template"
    again, skipped = store.import_records(read_import(json.dumps(GRAVYJS)).records)
    assert again == [] and skipped[0][2].startswith("already here")


def test_a_page_manager_export_keeps_node_order_and_rejects_whole_pages(store: Store) -> None:
    plan = read_import(json.dumps({"pages": json.dumps(PAGES)}))
    assert plan.counts() == {"page": 1, "node": 2}
    assert {r.kind for r in plan.rejected} == {"page", "node"}
    store.import_records(plan.records)
    assert [n.title for n in store.nodes("page-1")] == ["Opening", "Close"]
    assert store.nodes("page-1")[0].generatedImages == ["https://img/1.png"]
    assert store.get_page("page-1").isPublished


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "42",
        json.dumps({"something": "else"}),
        json.dumps({"format": "gravy-desktop-backup", "version": 9}),
    ],
)
def test_a_file_of_another_shape_is_refused_with_a_reason(store: Store, text: str) -> None:
    with pytest.raises(UnreadableImport) as raised:
        read_import(text)
    assert raised.value.problems and isinstance(raised.value, InvalidInput)
    assert store.count_templates() == 0


def everything(store: Store) -> dict[str, Any]:
    return {
        name: [r.model_dump() for r in records] for name, records in store.export_sections().items()
    }


def test_a_backup_round_trip_is_lossless(store: Store, tmp_path: Path) -> None:
    template = store.create_template("Offer", content="<p>v1</p>", tags=["a", "b"], isShared=True)
    store.update_template(template.templateId, content="<p>v2</p>")
    store.record_use(template.templateId)
    store.create_snippet("Sign-off", content="<p>Best</p>", category="mail")
    store.create_preset("Acme", values={"company": "Acme"})
    page = store.create_page("Board", isPublished=True)
    store.add_node(page.id, "One", prompt="p", generatedImages=["https://x/1.png"])
    store.add_node(page.id, "Two")
    document = backup_document(store.export_sections())

    other = Store(open_database(tmp_path / "restored.db"))
    try:
        plan = read_import(json.dumps(document))
        assert plan.rejected == []
        _, skipped = other.import_records(plan.records)
        assert skipped == []
        assert everything(other) == everything(store)
    finally:
        other.database.close()


def test_import_and_export_from_the_command_line(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "browser.json"
    source.write_text(json.dumps(GRAVYJS), encoding="utf-8")
    dry = gravy("import", str(source), "--dry-run", db=db_path)
    assert "would import 1 template" in dry.stdout and dry.returncode == 1  # one rejected
    assert json.loads(gravy("--json", "templates", "list", db=db_path).stdout) == []
    done = gravy("--json", "import", str(source), db=db_path)
    report = json.loads(done.stdout)
    assert report["imported"] == {"template": 1}
    assert report["rejected"][0]["reason"] == "template title: must not be empty"
    backup = tmp_path / "backup.json"
    assert gravy("export", str(backup), db=db_path).returncode == 0
    restored = tmp_path / "restored.db"
    assert gravy("import", str(backup), db=restored).returncode == 0
    listed = json.loads(gravy("--json", "templates", "list", db=restored).stdout)
    assert [t["title"] for t in listed] == ["Offer letter (edited offline)"]


# -- what an import reports instead of ignoring ------------------------------------------------


def gravyjs(templates: dict[str, Any], queue: list[dict[str, Any]]) -> str:
    return json.dumps(
        {"gravyTemplatesOffline": json.dumps(templates), "gravySyncQueue": json.dumps(queue)}
    )


def test_queued_changes_that_cannot_be_applied_are_reported(store: Store) -> None:
    stored = {"template-1": {"templateId": "template-1", "title": "Kept"}}
    queue = [
        {"action": "archive", "data": {"templateId": "template-1"}, "timestamp": "2024-03-16T09"},
        {"action": "delete", "data": {"templateId": "template-9"}, "timestamp": "2024-03-16T10"},
        {"action": "update", "data": {"title": "whose?"}, "timestamp": "2024-03-16T11"},
        "not an entry",
    ]
    plan = read_import(gravyjs(stored, queue))
    assert [r.kind for r in plan.rejected] == ["queued change"] * 4
    reasons = " | ".join(f"{r.name}: {r.reason}" for r in plan.rejected)
    assert "unknown action 'archive'" in reasons
    assert "'delete' of 'template-9'" in reasons and "nothing to delete" in reasons
    assert "names no template" in reasons
    assert "not an object" in reasons
    assert [record.title for _, record in plan.records] == ["Kept"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ([{"id": "page-1", "title": "Board", "isPublished": "yes"}], "isPublished"),
        ([{"id": "page-1", "title": "Board", "isPublished": 1}], "isPublished"),
        ([{"id": "page-1", "title": 7}], "title"),
        (
            {
                "gravyTemplatesOffline": {
                    "t-1": {"templateId": "t-1", "title": "T", "isShared": "yes"}
                }
            },
            "isShared",
        ),
        (
            {
                "gravyTemplatesOffline": {
                    "t-1": {"templateId": "t-1", "title": "T", "usageCount": "3"}
                }
            },
            "usageCount",
        ),
        (
            {
                "format": "gravy-desktop-backup",
                "version": 1,
                "presets": [{"name": "P", "values": {"a": 1}}],
            },
            "values",
        ),
    ],
)
def test_types_are_strict_at_the_import_boundary(document: Any, field: str) -> None:
    plan = read_import(json.dumps(document))
    assert plan.records == []
    (rejected,) = plan.rejected
    assert field in rejected.reason


def test_a_node_naming_another_page_is_rejected_with_that_reason(store: Store) -> None:
    pages = [
        {
            "id": "page-1",
            "title": "Board",
            "nodes": [
                {"id": "node-1", "pageId": "page-1", "title": "Mine"},
                {"id": "node-2", "pageId": "page-2", "title": "Elsewhere"},
            ],
        }
    ]
    plan = read_import(json.dumps(pages))
    assert [(e, r.id) for e, r in plan.records] == [("page", "page-1"), ("node", "node-1")]  # type: ignore[attr-defined]
    (rejected,) = plan.rejected
    assert (rejected.kind, rejected.name) == ("node", "Elsewhere")
    assert "names another page ('page-2')" in rejected.reason


def test_a_rejection_lists_every_reason(store: Store) -> None:
    pages = [
        {
            "id": "page-1",
            "title": "Board",
            "nodes": [{"id": "bad id!", "pageId": "page-2", "title": "", "predictionStatus": "?"}],
        }
    ]
    (rejected,) = read_import(json.dumps(pages)).rejected
    for reason in ("names another page", "node id", "node title", "node predictionStatus"):
        assert reason in rejected.reason, rejected.reason
    document = {
        "gravyTemplatesOffline": 5,
        "gravySyncQueue": {"not": "a list"},
    }
    with pytest.raises(UnreadableImport) as raised:
        read_import(json.dumps(document))
    assert len(raised.value.problems) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"pages": "' + "[" * 100_000 + '"}', "nested too deeply"),
        ('[{"id": "p", "title": "\\ud800"}]', "not valid Unicode"),
        (
            '{"gravyTemplatesOffline": "{\\"t\\": {\\"title\\": \\"\\\\udfff\\"}}"}',
            "not valid Unicode",
        ),
        ('{"pages": 5}', "must be a list"),
        ('{"format": "gravy-desktop-backup", "version": 1, "templates": 5}', "must hold a list"),
    ],
)
def test_a_file_nested_too_deeply_or_with_broken_text_is_refused_plainly(
    text: str, reason: str
) -> None:
    with pytest.raises(UnreadableImport) as raised:
        read_import(text)
    assert reason in str(raised.value)


def test_what_the_web_app_keeps_on_a_template_is_imported_as_extras(store: Store) -> None:
    """A GravyJS template with attributes this client does not know (the web app's
    ``variables``) is kept whole, not rejected (failed before: "Extra inputs are not
    permitted")."""
    variables = [{"name": "name", "type": "text"}, {"name": "start", "type": "date"}]
    document = {
        "gravyTemplatesOffline": {
            "template-1710000000003-abcdefghl": {
                "templateId": "template-1710000000003-abcdefghl",
                "title": "Welcome",
                "content": "<p>Hi [[name]], you start on [[start]]</p>",
                "variables": variables,
                "createdAt": "2024-03-15T12:00:00.000Z",
                "updatedAt": "2024-03-15T12:00:00.000Z",
            }
        },
        "gravySyncQueue": [],
    }
    plan = read_import(json.dumps(document))
    assert plan.rejected == []
    store.import_records(plan.records)
    template = store.get_template("template-1710000000003-abcdefghl")
    assert template.extras == {"variables": variables}
