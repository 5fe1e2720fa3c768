"""Each control does what it says when a person uses it: clicked with the mouse, chosen from
a menu, or pressed as a shortcut (Qt passes ``clicked(bool)`` / ``triggered(bool)`` to the
slot, which once landed as ``False`` in an optional parameter and broke these)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.store import outbox
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.ui.dialogs import ImportDialog
from desktop.ui.main import MainWindow
from tests.ui.helpers import menu_action, open_template, titles
from tests.ui.modal import answer, cancel, click_button, press, reactivate, type_text

LEFT = Qt.MouseButton.LeftButton
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def test_new_snippet_preset_and_page_buttons_ask_for_a_name(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    for row, section, name in (
        (1, "snippets", "Sign-off"),
        (2, "presets", "Acme"),
        (3, "pages", "Story"),
    ):
        window.sidebar.setCurrentRow(row)
        shown = getattr(window, section)
        answers = answer(type_text(name))
        qtbot.mouseClick(shown.new_button, LEFT)
        (dialog,) = answers.done()
        assert isinstance(dialog, QInputDialog)
        assert not shown.form.problem.isVisible()
        assert name in (shown.list.currentIndex().data() or "")
    assert [s.title for s in store.list_snippets()] == ["Sign-off"]
    assert [p.name for p in store.list_presets()] == ["Acme"]
    assert [p.title for p in store.list_pages()] == ["Story"]


def test_variable_button_and_ctrl_shift_v_insert_a_named_variable(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template("Letter")
    open_template(window, "Letter")
    window.activateWindow()
    qtbot.waitActive(window)
    editor = window.editor
    editor.body.setFocus()
    qtbot.keyClicks(editor.body, "Dear ")
    button = editor.toolbar.widgetForAction(editor.actions_by_name["variable"])
    answers = answer(type_text("name"))
    qtbot.mouseClick(button, LEFT)
    assert len(answers.done()) == 1
    qtbot.keyClicks(editor.body, ", from ")
    reactivate(qtbot, window, editor.body)
    answers = answer(type_text("company"))
    qtbot.keyClick(editor.body, Qt.Key.Key_V, CTRL | SHIFT)
    assert len(answers.done()) == 1
    assert editor.body.toPlainText() == "Dear [[name]], from [[company]]"
    with qtbot.waitSignal(editor.saved, timeout=3000):
        pass
    assert store.get_template(template.templateId).content == (
        "<p>Dear [[name]], from [[company]]</p>"
    )


def test_import_and_export_backup_from_the_file_menu_and_their_shortcuts(
    qtbot: QtBot, window: MainWindow, store: Store, tmp_path: Path
) -> None:
    from tests.store.test_transfer import PAGES

    source = tmp_path / "pages.json"
    source.write_text(json.dumps(PAGES), encoding="utf-8")
    summaries: list[str] = []

    clicked: list[bool] = []

    def import_and_close(preview: QWidget) -> bool:
        """Click Import, then wait (the import runs in the background) for the summary
        before closing, as a person reads it first."""
        assert isinstance(preview, ImportDialog)
        if not clicked:
            click_button(preview, "Import")
            clicked.append(True)
            return False
        if "Imported" not in preview.summary.text():
            return False
        summaries.append(preview.summary.text())
        click_button(preview, "Close")
        return True

    answers = answer(type_text(str(source)), import_and_close)
    menu_action(window, "Import...").trigger()
    assert len(answers.wait(qtbot)) == 2 and isinstance(answers.seen[0], QFileDialog)
    assert "Imported 3 records" in summaries[0]
    assert [n.title for n in store.nodes("page-1")] == ["Opening", "Close"]

    target = tmp_path / "backup.json"
    answers = answer(type_text(str(target)))
    menu_action(window, "Export backup...").trigger()
    assert len(answers.done()) == 1
    qtbot.waitUntil(lambda: "Backup written" in window.statusBar().currentMessage())
    assert [p["id"] for p in json.loads(target.read_text(encoding="utf-8"))["pages"]] == ["page-1"]

    reactivate(qtbot, window, window.list)
    answers = answer(cancel)
    qtbot.keyClick(window.list, Qt.Key.Key_I, CTRL | SHIFT)
    assert len(answers.done()) == 1 and answers.titles == ["Import"]
    reactivate(qtbot, window, window.list)
    answers = answer(cancel)
    qtbot.keyClick(window.list, Qt.Key.Key_E, CTRL | SHIFT)
    assert len(answers.done()) == 1 and answers.titles == ["Export backup"]


def _one_failed_change(store: Store) -> int:
    store.create_template("Refused")
    with store.database.write() as session:
        entries = outbox.claim(session, 10)
        for entry in entries:
            outbox.fail(session, entry.id, "ValidationException", "bad")
    return len(entries)


def test_failed_panel_discard_asks_first(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    count = _one_failed_change(store)
    window.sidebar.setCurrentRow(window.FAILED)
    panel = window.failed
    panel.reload()
    answers = answer(cancel)
    qtbot.mouseClick(panel.discard_button, LEFT)
    assert len(answers.done()) == 1 and answers.titles == ["Discard this change?"]
    assert len(store.queue_entries(State.FAILED)) == count, "cancelled: nothing discarded"
    answers = answer(press("Discard"))
    qtbot.mouseClick(panel.discard_button, LEFT)
    assert len(answers.done()) == 1
    assert len(store.queue_entries(State.FAILED)) == count - 1


def test_file_delete_and_duplicate_act_on_the_section_shown(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Open template")
    open_template(window, "Open template")
    snippet = store.create_snippet("Sign-off")
    window.sidebar.setCurrentRow(1)
    window.snippets.list.setCurrentIndex(window.snippets.model.index(0))
    duplicate, delete = menu_action(window, "Duplicate"), menu_action(window, "Delete")
    duplicate.trigger()
    delete.trigger()
    assert titles(window) == ["Open template"], "the hidden template is left alone"
    assert store.list_snippets() == [], "the snippet shown is deleted"
    menu_action(window, "Undo").trigger()
    assert [s.snippetId for s in store.list_snippets()] == [snippet.snippetId]
    for row in (window.CONFLICTS, window.FAILED):
        window.sidebar.setCurrentRow(row)
        assert not delete.isEnabled() and not duplicate.isEnabled()
        delete.trigger()
        duplicate.trigger()
    window.sidebar.setCurrentRow(0)
    assert delete.isEnabled() and duplicate.isEnabled()
    duplicate.trigger()
    assert len(titles(window)) == 2


def test_a_conflict_counted_in_the_sidebar_is_listed_in_the_panel(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    from desktop.sync.conflicts import ServerCopy

    template = store.create_template("Contract", content="<p>Mine</p>")
    with store.database.write() as session:  # as a sync cycle records it (no store signal)
        for entry in outbox.claim(session, 100):
            if entry.entity == "template":
                outbox.mark_conflict(session, entry.id, "ConditionalCheckFailed", "changed")
                theirs = template.model_dump() | {"content": "<p>Theirs</p>"}
                outbox.keep_server_copy(session, entry.id, ServerCopy(theirs, 2).to_json())
    window.refresh_status()  # what the end of a sync cycle does
    assert window.sidebar.item(window.CONFLICTS).text() == "Conflicts (1)"
    reactivate(qtbot, window, window.sidebar)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert window.stack.currentWidget() is window.conflicts
    assert window.conflicts.list.count() == 1
    assert window.conflicts.keep_mine.isEnabled()
