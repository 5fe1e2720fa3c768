"""The main window, driven through its real widgets: the list, search, the editor with
autosave, populate, snippets, delete with undo, and sync status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QInputDialog
from pytestqt.qtbot import QtBot

from desktop.app import build_window, open_for_window
from desktop.store.db import AlreadyRunning
from desktop.store.services import Store
from desktop.ui.dialogs import ImportDialog, PopulateDialog, SnippetPicker
from desktop.ui.main import PAGE_SIZE, MainWindow
from desktop.ui.sync import SyncController
from desktop.ui.tasks import Tasks
from desktop.ui.undo import Edits
from tests.ui.helpers import menu_action, open_template, shoot, titles


def test_first_run_says_changes_wait_for_a_sync_target(window: MainWindow, store: Store) -> None:
    assert window.sync_status.text().startswith(
        "Sync is not set up - changes are kept on this computer"
    )
    assert "Ctrl+N for a new one" in window.editor.body.placeholderText()
    shoot(window, "first_run")
    store.create_template("Empty")
    open_template(window, "Empty")
    assert "[[name]]" in window.editor.body.placeholderText()
    store.delete_template(window.editor.template_id or "")
    store.create_template("First", content="<p>Hello <b>world</b></p>")
    assert titles(window) == ["First"]
    # The template and its first version are two queue entries but one change to a writer.
    assert "1 change waiting to sync" in window.sync_status.text()
    store.create_template("Second")
    assert "2 changes waiting to sync" in window.sync_status.text()
    assert not window.sync_button.isEnabled()


def test_search_and_category_filter_the_list_and_selection_opens_the_editor(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template(
        "Invoice reminder", content="<p>Please pay [[amount]]</p>", category="money"
    )
    store.create_template("Welcome aboard", content="<p>Hi [[name]]</p>", category="hr")
    qtbot.keyClicks(window.search, "invo")
    qtbot.waitUntil(lambda: titles(window) == ["Invoice reminder"])
    open_template(window, "Invoice reminder")
    assert "Please pay [[amount]]" in window.editor.body.toPlainText()
    assert window.editor.title.text() == "Invoice reminder"
    window.search.clear()
    qtbot.waitUntil(lambda: len(titles(window)) == 2)
    window.category.setCurrentIndex(window.category.findData("hr"))
    assert titles(window) == ["Welcome aboard"]
    window.category.setCurrentIndex(0)
    assert len(titles(window)) == 2
    shoot(window, "main_window")


def test_typing_formatting_and_a_variable_are_saved_as_clean_html(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template("Letter")
    open_template(window, "Letter")
    body = window.editor.body
    body.setFocus()
    qtbot.keyClicks(body, "Dear ")
    window.editor.insert_variable("name")
    qtbot.keyClick(body, Qt.Key.Key_Return)
    window.editor.actions_by_name["bold"].trigger()
    qtbot.keyClicks(body, "Welcome")
    with qtbot.waitSignal(window.editor.saved, timeout=3000):
        pass  # autosave after the writer pauses
    saved = store.get_template(template.templateId)
    assert saved.content == "<p>Dear [[name]]</p><p><strong>Welcome</strong></p>"
    shoot(window, "editor")
    assert len(store.versions(template.templateId)) == 1  # the first content it had
    window.editor.title.setText("Letter to a new starter")
    window.editor.title.textEdited.emit("Letter to a new starter")
    window.close()  # closing saves what the timer has not yet saved
    assert store.get_template(template.templateId).title == "Letter to a new starter"


def test_invalid_input_is_reported_in_the_editor_and_nothing_is_saved(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template("Keep me")
    open_template(window, "Keep me")
    window.editor.title.setText("")
    window.editor.title.textEdited.emit("")
    assert not window.editor.save()
    assert window.editor.problem.isVisible() and "title" in window.editor.problem.text().lower()
    assert store.get_template(template.templateId).title == "Keep me"
    qtbot.keyClicks(window.editor.title, "Keep me")  # valid again: closing asks nothing


def test_populate_from_a_preset_copies_html_and_text_and_counts_a_use(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template(
        "Offer", content="<p>Dear [[name]], welcome to [[company]].</p>"
    )
    store.create_preset("Acme", values={"company": "Acme & Co"})
    dialog = PopulateDialog(store, template.templateId, window)
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentIndex(dialog.preset.findText("Acme"))
    qtbot.keyClicks(dialog.inputs["name"], "Ann")
    qtbot.waitUntil(lambda: "Ann" in dialog.preview.toPlainText())
    assert "Acme & Co" in dialog.preview.toPlainText()
    shoot(dialog, "populate_dialog")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text().strip() == "Dear Ann, welcome to Acme & Co."
    assert "Acme &amp; Co" in mime.html() and "<p>" in mime.html()
    assert store.get_template(template.templateId).usageCount == 1


def test_insert_snippet_from_the_searchable_picker(
    qtbot: QtBot, window: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_snippet("Sign-off", content="<p>Best regards</p>")
    store.create_snippet("Disclaimer", content="<p>Not legal advice</p>")
    template = store.create_template("Mail", content="<p>Hello</p>")
    open_template(window, "Mail")

    def choose(picker: SnippetPicker) -> int:
        qtbot.keyClicks(picker.search, "sign")
        assert picker.list.count() == 1
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(SnippetPicker, "exec", choose)
    cursor = window.editor.body.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.body.setTextCursor(cursor)
    window.editor.actions_by_name["snippet"].trigger()  # the toolbar's Snippet
    window.editor.save()
    assert "Best regards" in store.get_template(template.templateId).content


def test_delete_can_be_undone(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    template = store.create_template("Precious", content="<p>Words</p>", tags=["a"])
    open_template(window, "Precious")
    window.delete_action.trigger()  # File > Delete
    assert titles(window) == []
    assert window._undo_button.isVisible()
    qtbot.mouseClick(window._undo_button, Qt.MouseButton.LeftButton)
    restored = store.get_template(template.templateId)
    assert (restored.title, restored.content, restored.tags) == ("Precious", "<p>Words</p>", ["a"])
    assert titles(window) == ["Precious"]


def test_new_template_from_the_menu(
    window: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("Typed title", True))
    menu_action(window, "New template").trigger()
    assert [t.title for t in store.list_templates()] == ["Typed title"]
    assert titles(window) == ["Typed title"]
    assert window.editor.template_id == store.list_templates()[0].templateId


def test_large_lists_are_fetched_a_page_at_a_time(qtbot: QtBot, store: Store) -> None:
    for i in range(PAGE_SIZE + 50):
        store.create_template(f"Template {i:04d}")
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    assert window.model.rowCount() == PAGE_SIZE
    assert window.model.canFetchMore()
    window.model.fetchMore()
    assert window.model.rowCount() == PAGE_SIZE + 50
    assert not window.model.canFetchMore()


def test_the_window_is_built_from_parts_it_adopts(qtbot: QtBot, store: Store) -> None:
    """desktop/app.py makes the parts; a test can make its own (here a sync controller that
    syncs a moment after a change) and the window uses and keeps them."""
    store.create_template("Offer letter", content="<p>Dear [[name]]</p>")
    tasks = Tasks()
    sync = SyncController(store, tasks, debounce_ms=10)
    edits = Edits(store)
    window = MainWindow(store, tasks, sync, edits)
    qtbot.addWidget(window)
    window.show()
    assert (window.tasks, window.sync, window.edits) == (tasks, sync, edits)
    assert tasks.parent() is window and sync.parent() is window
    assert edits.stack.parent() is window
    assert window.sync_status.text().startswith("Sync is not set up")
    window.list.setFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_Delete)  # through the window's edits
    qtbot.waitUntil(lambda: store.count_templates() == 0)
    assert edits.stack.canUndo()


def test_a_second_instance_on_the_same_database_is_refused(db_path: Path) -> None:
    store, lock = open_for_window(db_path)
    try:
        with pytest.raises(AlreadyRunning, match="already running"):
            open_for_window(db_path)
    finally:
        lock.release()
        store.database.close()


def test_status_counts_failures_in_plain_words_without_the_target(
    window: MainWindow, store: Store
) -> None:
    from desktop.store import outbox
    from desktop.sync.config import SyncSettings, save_settings

    save_settings(store, SyncSettings(user_id="ann", endpoint_url="http://localhost:8000"))
    store.create_template("One")
    with store.database.write() as session:
        (entry,) = outbox.claim(session, 10)
        outbox.fail(session, entry.id, "ValidationException", "bad")
    window.refresh_status()
    text = window.sync_status.text()
    assert "localhost" not in text and "ann" not in text, "the target is in the settings"
    assert "1 change could not be synced - see Failed" in text
    assert window.sidebar.item(window.FAILED).text() == "Failed (1)"
    assert window.model.badge(0) is not None


def test_import_with_preview_and_export_a_backup_from_the_window(
    qtbot: QtBot, window: MainWindow, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.store.test_transfer import PAGES

    source = tmp_path / "pages.json"
    source.write_text(json.dumps(PAGES), encoding="utf-8")
    shown: list[ImportDialog] = []

    def preview(dialog: ImportDialog) -> int:
        shown.append(dialog)
        assert "1 page, 2 nodes to import" in dialog.summary.text()
        assert dialog.details.count() == 2  # the rejected page and its node, with reasons
        shoot(dialog, "import_dialog")
        dialog.import_button.click()
        return 1

    monkeypatch.setattr(ImportDialog, "exec", preview)
    window.import_file(str(source))  # read, then imported, off the GUI thread
    qtbot.waitUntil(lambda: bool(shown) and "Imported 3" in shown[0].summary.text(), timeout=5_000)
    assert "Imported 3 records" in shown[0].summary.text()
    assert [n.title for n in store.nodes("page-1")] == ["Opening", "Close"]

    target = window.export_backup(str(tmp_path / "backup.json"))
    assert target is not None
    qtbot.waitUntil(lambda: "Backup written" in window.statusBar().currentMessage(), timeout=5_000)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert [p["id"] for p in document["pages"]] == ["page-1"] and len(document["nodes"]) == 2


def test_snippets_presets_and_pages_are_edited_in_their_sections(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    window.sidebar.setCurrentRow(1)
    snippet = window.snippets.new_record("Sign-off")
    form = window.snippets.form
    qtbot.keyClicks(form.body, "Best regards, [[sender]]")
    with qtbot.waitSignal(form.saved, timeout=3000):
        pass
    assert store.get_snippet(snippet.snippetId).content == "<p>Best regards, [[sender]]</p>"
    assert window.snippets.model.index(0).data() == "● Sign-off", "waiting to sync"

    window.sidebar.setCurrentRow(2)
    preset = window.presets.new_record("Acme")
    presets = window.presets.form
    presets.add_row.click()
    presets.table.item(0, 0).setText("company")
    presets.table.item(0, 1).setText("Acme Ltd")
    presets.save()
    assert store.get_preset(preset.presetId).values == {"company": "Acme Ltd"}

    window.sidebar.setCurrentRow(3)
    page = window.pages.new_record("Storyboard")
    page_form = window.pages.form
    for title in ("Opening", "Middle", "Close"):
        store.add_node(page.id, title)
    page_form.show_nodes()
    page_form.nodes.setCurrentRow(2)
    page_form.up.click()
    assert [n.title for n in store.nodes(page.id)] == ["Opening", "Close", "Middle"]
    node_form = page_form.node_form
    node_form.prompt.setPlainText("a castle at dawn")
    node_form.status.setCurrentText("succeeded")
    node_form.save()
    node = store.nodes(page.id)[1]
    assert (node.title, node.prompt, node.predictionStatus) == (
        "Close",
        "a castle at dawn",
        "succeeded",
    )
    page_form.published.setChecked(True)
    page_form.save()
    assert store.get_page(page.id).isPublished
    shoot(window, "pages_section")
    page_form.nodes.setCurrentRow(0)
    page_form.delete_node.click()
    assert [n.title for n in store.nodes(page.id)] == ["Close", "Middle"]


def test_a_process_that_copied_to_the_clipboard_exits_cleanly(tmp_path: Path) -> None:
    # Regression: Qt's offscreen platform segfaulted at exit (code 139) while its clipboard
    # held the populate result, failing every run of the suite after the tests passed.
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop.ui.dialogs import copy_to_clipboard\n"
        "app = QApplication(sys.argv[:1])\n"
        "copy_to_clipboard('<p>x</p>', 'x')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_change_arriving_while_typing_is_merged_into_the_editor(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template("Shared", content="<p>One</p><p>Two</p><p>Three</p>")
    open_template(window, "Shared")
    editor = window.editor
    cursor = editor.body.textCursor()
    cursor.movePosition(cursor.MoveOperation.Start)
    cursor.movePosition(cursor.MoveOperation.EndOfBlock)
    editor.body.setTextCursor(cursor)
    qtbot.keyClicks(editor.body, " typed here")  # not saved yet
    assert editor.dirty
    # A sync brings another device's edit of the last paragraph.
    store.update_template(template.templateId, content="<p>One</p><p>Two</p><p>Three, there</p>")
    qtbot.waitUntil(lambda: "Three, there" in editor.body.toPlainText())
    assert "One typed here" in editor.body.toPlainText()
    editor.save()
    assert store.get_template(template.templateId).content == (
        "<p>One typed here</p><p>Two</p><p>Three, there</p>"
    )

    qtbot.keyClicks(editor.body, "!")  # the same paragraph changes on both sides
    store.update_template(template.templateId, content="<p>Uno</p><p>Two</p><p>Three, there</p>")
    qtbot.waitUntil(editor.banner.isVisible)
    assert "One typed here!" in editor.body.toPlainText(), "the writer's text is kept"
    assert len(store.versions(template.templateId)) >= 3, "the other text is in the history"
