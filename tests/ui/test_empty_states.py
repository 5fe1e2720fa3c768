"""Empty states say what happens there and what to do (issue 15): no conflicts, nothing
failed, in the middle of the panel, reached by the keys a writer uses; and the template
list at 900x600 shows its rows and its choices whole."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from desktop.store import outbox
from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.helpers import shoot

ALT = Qt.KeyboardModifier.AltModifier


def test_no_conflicts_says_what_would_wait_here(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_5, ALT)
    panel = window.conflicts
    assert window.stack.currentWidget() is panel
    assert panel.empty.isVisible() and panel.empty.heading.text() == "No conflicts"
    assert "choose which version to keep" in panel.empty.text.text()
    assert not panel.keep_mine.isVisible() and not panel.views["mine"].isVisible()
    assert not panel.empty.icon.pixmap().isNull()
    shoot(window, "empty_conflicts")


def test_nothing_failed_then_a_refused_change_replaces_the_message(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    qtbot.keyClick(window, Qt.Key.Key_6, ALT)
    panel = window.failed
    assert window.stack.currentWidget() is panel
    assert panel.empty.isVisible() and panel.empty.heading.text() == "Nothing failed"
    assert not panel.table.isVisible() and not panel.retry_all_button.isVisible()
    shoot(window, "empty_failed")
    store.create_template("Refused")
    with store.database.write() as session:
        (entry,) = outbox.claim(session, 10)
        outbox.fail(session, entry.id, "ValidationException", "bad")
    panel.reload()
    assert panel.table.isVisible() and not panel.empty.isVisible()
    assert panel.model.rowCount() == 1
    buttons = (panel.open_button, panel.retry_button, panel.retry_all_button, panel.discard_button)
    assert all(not button.icon().isNull() for button in buttons), "one set, every button"


def test_at_900_by_600_list_rows_and_choices_are_shown_whole(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Meeting follow-up", category="Networking", content="<p>Hi</p>")
    window.model.reload()
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.width() == 900)
    qtbot.wait(50)  # the layout settles
    assert not window.list.horizontalScrollBar().isVisible(), "no sideways scrolling"
    row = window.list.visualRect(window.model.index(0))
    assert row.width() <= window.list.viewport().width()
    for box in (window.view_box, window.category, window.order_box):
        assert isinstance(box, QComboBox)
        assert box.width() >= box.sizeHint().width(), (box.currentText(), box.width())
    shoot(window, "list_900x600")
