"""What a writer does with the window, step by step, with real keys on a real X server
(see conftest.py). Each journey checks its result in the database (or the clipboard) and
leaves a screenshot per step in screenshots/journeys/."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.store.services import Store
from tests.journeys.conftest import App, SyncTarget, seed, wait_for


def test_a_create_and_edit_a_template(app: App) -> None:
    app.start()
    app.shoot("empty_window")
    app.key("ctrl+n")
    dialog = app.wait_window("^New template$")
    app.focus(dialog)
    app.type("Offer letter")
    app.shoot("title_asked")
    app.key("Return")
    app.wait_closed("^New template$")
    template = app.wait_store("the new template", lambda s: next(iter(s.list_templates()), None))
    assert template.title == "Offer letter"

    # The text has the focus: type, a variable, bold, a heading.
    app.type("Dear ")
    app.key("ctrl+shift+v")
    asked = app.wait_window("^Insert variable$")
    app.focus(asked)
    app.type("candidate")
    app.key("Return")
    app.wait_closed("^Insert variable$")
    app.type(",")
    app.key("Return", "ctrl+b")
    app.type("Welcome aboard")
    app.key("ctrl+b")
    app.type(" - see you on Monday.")
    app.key("Return")
    app.type("Next steps")
    app.key("ctrl+2")
    expected = (
        "<p>Dear [[candidate]],</p>"
        "<p><strong>Welcome aboard</strong> - see you on Monday.</p>"
        "<h2>Next steps</h2>"
    )
    app.wait_store(
        "the text saved by autosave",
        lambda s: "</h2>" in s.get_template(template.templateId).content,
    )
    # The heading comes out as <h2><strong>Next steps</strong></h2> today (the editor
    # makes heading text bold): the same to a reader, so compared without it.
    saved = app.store.get_template(template.templateId).content
    assert saved.replace("<h2><strong>", "<h2>").replace("</strong></h2>", "</h2>") == expected
    app.shoot("formatted_and_saved")

    # Back up to the description (Ctrl+Shift+Tab leaves the text), and the tags.
    app.key("ctrl+shift+Tab")
    app.type("Sent to new starters")
    app.key("shift+Tab", "shift+Tab")  # Shared, then the tags
    app.type("jobs, hr")
    saved = app.wait_store(
        "the description and tags saved",
        lambda s: (t := s.get_template(template.templateId)).tags == ["jobs", "hr"] and t,
    )
    assert saved.description == "Sent to new starters"
    app.shoot("fields_saved")
    assert app.quit() == 0, app.log()


def test_b_find_populate_with_a_preset_and_copy(app: App) -> None:
    def build(store: Store) -> None:
        store.create_template("Invoice reminder", content="<p>Please pay [[amount]]</p>")
        store.create_template(
            "Offer letter",
            content="<p>Dear [[name]],</p><p>welcome to [[company]].</p>",
            category="hr",
        )
        store.create_template("Quarterly report", content="<p>Numbers</p>")
        store.create_preset("Acme", values={"company": "Acme & Co", "name": "Ann"})

    seed(app.db_path, build)
    app.start()
    app.key("ctrl+f")
    app.type("offer")
    app.shoot("searched")
    app.key("Return")  # to the list (the found template is selected)
    app.key("Return")  # into the editor
    app.key("ctrl+p")
    populate = app.wait_window("^Populate - Offer letter$")
    app.focus(populate)
    # The focus starts on the first variable; the preset is the field before it.
    app.key("shift+Tab", "Down")  # the first preset, Acme
    app.key("Tab")  # back to the first variable, now filled
    app.shoot("preset_chosen")
    app.key("Return")  # Enter in a field copies (Copy is the default button)
    html = wait_for("the clipboard's HTML", lambda: app.clipboard("text/html"))
    text = app.clipboard()
    app.shoot("copied")
    assert "Acme &amp; Co" in html and "<p>" in html
    assert "Dear Ann," in text and "welcome to Acme & Co." in text
    app.wait_store(
        "the use counted",
        lambda s: next(t for t in s.list_templates() if t.title == "Offer letter").usageCount == 1,
    )
    app.key("Escape")
    app.wait_closed("^Populate - ")
    assert app.quit() == 0, app.log()


def test_c_insert_a_snippet_and_undo_it(app: App) -> None:
    def build(store: Store) -> None:
        store.create_snippet("Sign-off", content="<p>Best regards, Ann</p>")
        store.create_snippet("Disclaimer", content="<p>Not legal advice</p>")
        store.create_template("Mail", content="<p>Hello Bob</p>")

    seed(app.db_path, build)
    app.start()
    template_id = app.store.list_templates()[0].templateId
    app.key("alt+1", "Escape", "Return")  # Templates: the search, Escape to the list, the text
    app.key("ctrl+End", "Return")
    app.key("ctrl+shift+s")
    picker = app.wait_window("Snippet")
    app.focus(picker)
    app.type("sign")
    app.shoot("picker")
    app.key("Return")
    app.wait_closed("^Insert snippet")
    app.wait_store(
        "the snippet saved into the template",
        lambda s: "Best regards, Ann" in s.get_template(template_id).content,
    )
    app.shoot("inserted")
    app.key("ctrl+z")
    app.wait_store(
        "the insertion undone and saved",
        lambda s: "Best regards" not in s.get_template(template_id).content,
    )
    assert "Hello Bob" in app.store.get_template(template_id).content
    app.shoot("undone")
    assert app.quit() == 0, app.log()


def test_g_import_and_export(app: App, tmp_path: Path) -> None:
    from tests.store.test_transfer import PAGES

    source = tmp_path / "pages.json"
    source.write_text(json.dumps(PAGES), encoding="utf-8")
    app.start()
    app.key("ctrl+shift+i")
    chooser = app.wait_window("^Import$")
    app.focus(chooser)
    app.type(str(source))
    app.shoot("file_chosen")
    app.key("Return")
    preview = wait_for(
        "the import preview", lambda: [w for w in app.windows("^Import$") if w != chooser]
    )[0]
    app.focus(preview)
    app.shoot("preview")
    app.key("Return")  # Import, the default button
    app.wait_store("the pages imported", lambda s: [n.title for n in s.nodes("page-1")])
    assert [n.title for n in app.store.nodes("page-1")] == ["Opening", "Close"]
    app.shoot("imported")
    app.key("Escape")
    app.wait_closed("^Import$")

    target = tmp_path / "backup.json"
    app.focus(app.window)
    app.key("ctrl+shift+e")
    saver = app.wait_window("^Export backup$")
    app.focus(saver)
    app.key("ctrl+a")
    app.type(str(target))
    app.key("Return")
    document = wait_for("the backup written", lambda: target.exists() and target.read_text())
    assert [p["id"] for p in json.loads(document)["pages"]] == ["page-1"]
    app.shoot("exported")
    assert app.quit() == 0, app.log()


def test_d_presets_and_pages(app: App) -> None:
    app.start()
    # A preset: Alt+3, Tab to "New preset" (search, list, New), a name.
    app.key("alt+3", "Tab", "Tab", "space")
    app.wait_window("^New preset$")
    app.type("Acme")
    app.key("Return")
    app.wait_closed("^New preset$")
    preset = app.wait_store("the new preset", lambda s: next(iter(s.list_presets()), None))
    assert preset.name == "Acme"
    app.key("alt+3", "Tab", "Return")  # search, list, Enter into the form: the name
    app.key("Tab", "Tab", "Tab", "space")  # description, the table, "Add variable"
    app.type("company")
    app.key("Tab")
    app.type("Acme Ltd")
    app.key("Return")
    app.shoot("preset_variable")
    app.wait_store(
        "the preset's variable saved",
        lambda s: s.get_preset(preset.presetId).values == {"company": "Acme Ltd"},
    )

    # A page with two nodes, the second moved up.
    app.key("alt+4", "Tab", "Tab", "space")
    app.wait_window("^New page$")
    app.type("Storyboard")
    app.key("Return")
    app.wait_closed("^New page$")
    page = app.wait_store("the new page", lambda s: next(iter(s.list_pages()), None))
    app.key("alt+4", "Tab", "Return")  # into the page's title
    app.key("Tab", "Tab", "Tab", "space")  # Published, the nodes, "Add node"
    for title in ("Opening", "Close"):
        app.wait_window("^Add node$")
        app.type(title)
        app.key("Return")
        app.wait_closed("^Add node$")
        if title == "Opening":
            app.key("space")  # the focus is back on "Add node"
    app.wait_store(
        "two nodes", lambda s: [n.title for n in s.nodes(page.id)] == ["Opening", "Close"]
    )
    app.shoot("nodes_added")
    app.key("Tab", "space")  # "Move up", with the new node selected
    app.wait_store(
        "the node moved up",
        lambda s: [n.title for n in s.nodes(page.id)] == ["Close", "Opening"],
    )
    app.shoot("node_moved")
    assert app.quit() == 0, app.log()


def test_f_fix_and_retry_a_failed_change(app: App, sync_target: SyncTarget) -> None:
    from desktop.store import outbox
    from desktop.store.outbox import State
    from desktop.sync.config import save_settings
    from tests.sync.conftest import USER

    made: list[str] = []

    def build(store: Store) -> None:
        save_settings(store, sync_target.settings("app"))
        made.append(store.create_template("Refused", content="<p>Draft</p>").templateId)
        with store.database.write() as session:  # as a push refused by the server leaves it
            for entry in outbox.claim(session, 100):
                outbox.fail(session, entry.id, "ValidationException", "refused by the server")

    seed(app.db_path, build)
    template_id = made[0]
    app.start()
    app.key("alt+6")
    app.shoot("failed_panel")
    # Fix it: a new title (Templates, the list, Enter into the text, back up to the title).
    app.key("alt+1", "Escape", "Return", "ctrl+shift+Tab")
    app.key("shift+Tab", "shift+Tab", "shift+Tab", "shift+Tab", "ctrl+a")
    app.type("Accepted")
    app.wait_store("the fix saved", lambda s: s.get_template(template_id).title == "Accepted")
    assert sync_target.server.get("GravyTemplates", userId=USER, templateId=template_id) is None
    app.shoot("fixed")
    app.key("alt+6", "Tab", "Tab", "space")  # the failed changes, Retry, Retry all
    item = wait_for(
        "the fixed change on the server",
        lambda: (
            (found := sync_target.server.get("GravyTemplates", userId=USER, templateId=template_id))
            and found["title"] == "Accepted"
            and found
        ),
    )
    assert item["content"] == "<p>Draft</p>"
    app.wait_store("nothing failed", lambda s: not s.queue_entries(State.FAILED))
    app.shoot("retried_and_synced")
    assert app.quit() == 0, app.log()


def test_e_resolve_a_conflict_by_hand(app: App, sync_target: SyncTarget) -> None:
    from desktop.store.db import open_database
    from desktop.sync.config import make_client, save_settings
    from desktop.sync.conflicts import list_conflicts
    from desktop.sync.engine import SyncEngine
    from tests.sync.conftest import USER

    def sync(store: Store, device: str) -> None:
        settings = sync_target.settings(device)
        save_settings(store, settings)
        engine = SyncEngine(store, make_client(settings), settings)
        try:
            assert engine.run_once(False).ok
        finally:
            engine.close()

    made: list[str] = []

    def build(store: Store) -> None:  # this computer and the web, editing one paragraph
        template_id = store.create_template("Contract", content="<p>One</p><p>Two</p>")
        made.append(template_id.templateId)
        sync(store, "app")
        other = Store(open_database(app.db_path.with_name("web.db")))
        try:
            sync(other, "web")
            other.update_template(made[0], content="<p>One, said the web</p><p>Two</p>")
            sync(other, "web")
        finally:
            other.database.close()
        store.update_template(made[0], content="<p>One, said I</p><p>Two</p>")

    seed(app.db_path, build)
    app.start()
    app.wait_store("the conflict", lambda s: list_conflicts(s))
    app.key("alt+5")
    app.shoot("conflict_shown")
    app.click(app.window, -77, -57)  # "Merge by hand...", placed from a screenshot
    merge = app.wait_window("^Merge by hand - Contract$")
    app.focus(merge)
    app.shoot("merge_editor")
    # The merge editor: mine and theirs side by side, the result (mine to start with, as
    # rich text, the cursor at its start) below. Add the web's words to the first paragraph.
    merged = "<p>One, said I and the web</p><p>Two</p>"
    app.key("End")
    app.type(" and the web")
    app.shoot("merged_by_hand")
    app.click(merge, -157, -24)  # "Use the result", placed from a screenshot
    app.wait_closed("^Merge by hand - ")
    app.wait_store("the conflict resolved", lambda s: not list_conflicts(s))
    item = wait_for(
        "the merged text on the server",
        lambda: (
            (found := sync_target.server.get("GravyTemplates", userId=USER, templateId=made[0]))
            and found["content"] == merged
            and found
        ),
    )
    assert item["title"] == "Contract"
    assert app.store.get_template(made[0]).content == merged
    app.shoot("resolved_and_synced")
    assert app.quit() == 0, app.log()
