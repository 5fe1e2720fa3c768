"""Undo and redo of record-level actions in the window (deletions of every kind, node
moves), by keyboard and by the status bar's Undo button; text fields keep their own undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.store.db import DiskFull
from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.helpers import menu_action, open_template, titles


def test_ctrl_z_brings_a_deleted_template_back_with_its_history(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template("Offer", content="<p>one</p>")
    store.update_template(template.templateId, content="<p>two</p>")
    versions = {v.versionId for v in store.versions(template.templateId)}
    window.model.reload()
    open_template(window, "Offer")
    window.list.setFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert titles(window) == []
    assert "Delete template \u201cOffer\u201d" in window._undo_note.text()
    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert titles(window) == ["Offer"]
    assert window.editor.template_id == template.templateId
    assert window.editor.body.toPlainText() == "two"
    assert {v.versionId for v in store.versions(template.templateId)} == versions
    window.redo()
    assert titles(window) == [] and store.count_templates() == 0


def test_deleted_snippets_presets_pages_and_nodes_come_back(
    window: MainWindow, store: Store
) -> None:
    window.sidebar.setCurrentRow(1)
    snippet = window.snippets.new_record("Sign-off")
    window.snippets.delete_button.click()
    assert store.list_snippets() == []

    window.sidebar.setCurrentRow(2)
    preset = window.presets.new_record("Acme")
    store.update_preset(preset.presetId, values={"company": "Acme Ltd"})
    window.presets.delete_button.click()

    window.sidebar.setCurrentRow(3)
    page = window.pages.new_record("Storyboard")
    for title in ("Opening", "Middle", "Close"):
        store.add_node(page.id, title)
    form = window.pages.form
    form.show_nodes()
    form.nodes.setCurrentRow(2)
    form.up.click()  # Close moves above Middle
    form.nodes.setCurrentRow(0)
    form.delete_node.click()  # Opening
    assert [n.title for n in store.nodes(page.id)] == ["Close", "Middle"]
    window.pages.delete_button.click()
    assert store.list_pages() == []

    menu_action(window, "Undo").trigger()  # the page, with its two nodes in their order
    assert [n.title for n in store.nodes(page.id)] == ["Close", "Middle"]
    assert window.sidebar.currentRow() == 3 and window.pages.form.record_id == page.id
    menu_action(window, "Undo").trigger()  # the node, back at the top, selected
    assert [n.title for n in store.nodes(page.id)] == ["Opening", "Close", "Middle"]
    assert form.nodes.currentRow() == 0
    menu_action(window, "Undo").trigger()  # the move
    assert [n.title for n in store.nodes(page.id)] == ["Opening", "Middle", "Close"]
    menu_action(window, "Undo").trigger()  # the preset, shown in its section
    assert store.get_preset(preset.presetId).values == {"company": "Acme Ltd"}
    assert window.sidebar.currentRow() == 2 and window.presets.form.record_id == preset.presetId
    window._undo_button.click()  # the snippet
    assert window.sidebar.currentRow() == 1
    assert window.snippets.list.currentIndex().data().endswith("Sign-off")
    assert store.get_snippet(snippet.snippetId).title == "Sign-off"


def test_undo_in_a_text_field_undoes_the_typing_not_a_deletion(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Doomed")
    store.create_template("Kept")
    window.model.reload()
    open_template(window, "Doomed")
    window.delete_action.trigger()
    open_template(window, "Kept")
    window.editor.title.setFocus()
    qtbot.keyClicks(window.editor.title, " draft")
    menu_action(window, "Undo").trigger()
    assert window.editor.title.text() == "Kept"
    assert titles(window) == ["Kept"], "the deletion is not undone while the field has text undo"
    window.list.setFocus()
    menu_action(window, "Undo").trigger()
    assert sorted(titles(window)) == ["Doomed", "Kept"]


def test_a_delete_that_cannot_be_written_is_reported_and_not_offered_for_undo(
    window: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_template("Stuck")
    window.model.reload()
    open_template(window, "Stuck")
    shown: list[str] = []

    def full(_entity: str, _id: str) -> None:
        raise DiskFull("The disk holding gravy.db is full; free some space and try again.")

    monkeypatch.setattr(window.edits.store, "delete", full)
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: shown.append(title + text))
    window.delete_action.trigger()
    assert titles(window) == ["Stuck"] and window.editor.template_id is not None
    assert shown and "disk" in shown[0] and "full" in shown[0]
    assert not window.edits.stack.canUndo()
