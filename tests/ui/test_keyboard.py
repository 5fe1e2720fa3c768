"""Keyboard navigation: the Tab order of the main window, keys between search, list and
editor, no focus trap in the text body, F6 between panes, sections by Alt+number, and a
whole write-find-delete-undo flow without the mouse. Every focusable control has a name
for screen readers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QInputDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.helpers import titles

CTRL, SHIFT, ALT = (
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
    Qt.KeyboardModifier.AltModifier,
)


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def press(
    qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    widget = focused()
    assert widget is not None
    qtbot.keyClick(widget, key, modifiers)


@pytest.fixture
def ready(qtbot: QtBot, window: MainWindow, store: Store) -> MainWindow:
    store.create_template("Quarterly report", content="<p>Numbers</p>")
    store.create_template("Welcome", content="<p>Hello</p>")
    window.model.reload()
    window.activateWindow()
    window.sidebar.setFocus()
    qtbot.waitUntil(lambda: focused() is window.sidebar)
    return window


def test_tab_walks_the_window_in_reading_order_and_ctrl_tab_leaves_the_text(
    qtbot: QtBot, ready: MainWindow
) -> None:
    window, editor = ready, ready.editor
    expected = [
        window.search,
        window.view_box,
        window.category,
        window.order_box,
        window.list,
        window.new_button,
        editor.title,
        editor.category,
        editor.tags,
        editor.shared,
        editor.description,
        editor.body,
    ]
    window.list.setCurrentIndex(window.model.index(0))
    window.sidebar.setFocus()
    walked = []
    for _ in expected:
        press(qtbot, Qt.Key.Key_Tab)
        walked.append(focused())
    assert walked == expected
    press(qtbot, Qt.Key.Key_Tab)  # Tab is a tab in the text...
    assert focused() is editor.body and "\t" in editor.body.toPlainText()
    press(qtbot, Qt.Key.Key_Backtab, CTRL | SHIFT)  # ...Ctrl+Shift+Tab goes back
    assert focused() is editor.description
    editor.body.setFocus()
    press(qtbot, Qt.Key.Key_Tab, CTRL)  # ...and Ctrl+Tab goes on, out of the editor
    assert focused() is not editor.body and not editor.isAncestorOf(focused())
    assert editor.body.toPlainText().count("\t") == 1


def test_write_find_delete_and_undo_without_the_mouse(
    qtbot: QtBot, ready: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = ready
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("Typed by keyboard", True))
    press(qtbot, Qt.Key.Key_N, CTRL)
    assert focused() is window.editor.body
    qtbot.keyClicks(window.editor.body, "Only keys")
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert focused() is window.search
    qtbot.keyClicks(window.search, "quarter")
    qtbot.waitUntil(lambda: titles(window) == ["Quarterly report"])
    press(qtbot, Qt.Key.Key_Down)
    assert focused() is window.list
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is window.editor.body
    assert window.editor.body.toPlainText() == "Numbers"
    press(qtbot, Qt.Key.Key_Escape)
    assert focused() is window.list
    press(qtbot, Qt.Key.Key_Delete)
    assert "Quarterly report" not in [t.title for t in store.list_templates()]
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert "Quarterly report" in [t.title for t in store.list_templates()]
    typed = next(t for t in store.list_templates() if t.title == "Typed by keyboard")
    assert store.get_template(typed.templateId).content == "<p>Only keys</p>"


def test_sections_by_alt_number_and_panes_by_f6(
    qtbot: QtBot, ready: MainWindow, store: Store
) -> None:
    window = ready
    store.create_snippet("Sign-off")
    press(qtbot, Qt.Key.Key_2, ALT)
    assert window.sidebar.currentRow() == 1 and focused() is window.snippets.search
    press(qtbot, Qt.Key.Key_Escape)
    assert focused() is window.snippets.list and window.snippets.list.currentIndex().row() == 0
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is window.snippets.form.title
    press(qtbot, Qt.Key.Key_1, ALT)
    assert focused() is window.search
    window.list.setCurrentIndex(window.model.index(0))
    window.sidebar.setFocus()
    visited = []
    for _ in range(4):
        press(qtbot, Qt.Key.Key_F6)
        visited.append(focused())
    assert visited == [window.search, window.list, window.editor.body, window.sidebar], (
        "Sync now is disabled with no sync target, so F6 skips it"
    )
    press(qtbot, Qt.Key.Key_F6, SHIFT)
    assert focused() is window.editor.body
    press(qtbot, Qt.Key.Key_5, ALT)  # Conflicts: nothing to focus but the panel itself
    assert window.sidebar.currentRow() == 4


def test_every_focusable_control_has_a_name_for_screen_readers(ready: MainWindow) -> None:
    window = ready
    window.list.setCurrentIndex(window.model.index(0))
    for row in range(len(window.SECTIONS)):
        window.show_section(row)
        unnamed = [
            f"{type(w).__name__} in {type(w.parentWidget()).__name__}"
            for w in window.findChildren(QWidget)
            if w.isVisible()
            and w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and not w.accessibleName()
            and not (isinstance(w, QAbstractButton) and w.text())
        ]
        assert unnamed == [], (window.SECTIONS[row], unnamed)
