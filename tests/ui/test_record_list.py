"""The snippet, preset and page lists are Qt models (issue 13): typing in a record's form
updates its row in place once saved, without rebuilding the list (the selection and the
rows stay as they are)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.test_editing import click_into, click_row


def test_a_saved_snippet_title_updates_its_row_without_a_reset(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_snippet("Greeting", content="<p>Hello</p>")
    store.create_snippet("Thanks", content="<p>Thank you</p>")
    window.sidebar.setFocus()
    qtbot.keyClick(window.sidebar, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    section = window.snippets
    qtbot.waitUntil(lambda: window.stack.currentWidget() is section)
    row = next(
        i
        for i in range(section.model.rowCount())
        if section.model.ids[i]
        == next(s.snippetId for s in store.list_snippets() if s.title == "Greeting")
    )
    click_row(qtbot, section.list, row)
    resets: list[None] = []
    section.model.modelReset.connect(lambda: resets.append(None))
    title = section.form.title  # type: ignore[attr-defined]
    click_into(qtbot, title)
    qtbot.keyClick(title, Qt.Key.Key_End)
    with qtbot.waitSignal(section.form.saved, timeout=3_000):
        qtbot.keyClicks(title, " card")
    assert section.model.index(row).data().endswith("Greeting card")
    assert section.list.currentIndex().row() == row
    assert resets == [], "the list was rebuilt for a save"
