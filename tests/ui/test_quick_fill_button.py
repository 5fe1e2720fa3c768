"""The window's Quick Fill button (issue 15): next to Populate and History, it opens the
Quick Fill palette; what is filled there is copied, never typed into the open template."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from desktop.store import quickfill as data
from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.helpers import open_template

LETTER = "<p>Dear [[client]], thank you.</p>"


def toolbar_words(window: MainWindow) -> list[str]:
    toolbar = window.editor.toolbar
    return [action.text() for action in toolbar.actions() if not action.isSeparator()]


def test_quick_fill_sits_with_populate_and_history_in_bold(
    window: MainWindow, store: Store
) -> None:
    store.create_template("Thanks", content=LETTER)
    open_template(window, "Thanks")
    assert toolbar_words(window)[:3] == ["Populate", "Quick Fill", "History"]
    editor = window.editor
    button = editor.toolbar.widgetForAction(editor.actions_by_name["quickfill"])
    assert isinstance(button, QToolButton) and button.isVisible()
    assert button.font().bold()
    assert button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon


def test_the_button_opens_the_palette_and_the_result_is_copied_not_typed_here(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    letter = store.create_template("Thanks", content=LETTER)
    store.create_template("Invoice", content="<p>Pay [[amount]]</p>")
    open_template(window, "Thanks")
    editor = window.editor
    before = editor.body.toHtml()
    button = editor.toolbar.widgetForAction(editor.actions_by_name["quickfill"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    palette = window.quick_fill.palette  # type: ignore[attr-defined]
    qtbot.addWidget(palette)
    assert palette.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is palette.search)
    qtbot.keyClicks(palette.search, "thanks")
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    client = palette.inputs["client"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is client)
    assert palette.hint.text().startswith("Enter: copy")
    qtbot.keyClicks(client, "Ms Lee")
    qtbot.keyClick(client, Qt.Key.Key_Return)
    assert not palette.isVisible()
    assert QGuiApplication.clipboard().text() == "Dear Ms Lee, thank you."
    assert (
        window.statusBar().currentMessage().startswith("\u201cThanks\u201d is filled in and copied")
    )
    assert editor.body.toHtml() == before, "nothing typed into the open template"
    assert store.get_template(letter.templateId).usageCount == 1
    assert data.recent_template_ids(store) == [letter.templateId]


def test_escape_in_the_palette_opened_by_the_button_copies_nothing(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    letter = store.create_template("Thanks", content=LETTER)
    open_template(window, "Thanks")
    QGuiApplication.clipboard().setText("kept")
    editor = window.editor
    button = editor.toolbar.widgetForAction(editor.actions_by_name["quickfill"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    palette = window.quick_fill.palette  # type: ignore[attr-defined]
    qtbot.addWidget(palette)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is palette.search)
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()
    assert QGuiApplication.clipboard().text() == "kept"
    assert store.get_template(letter.templateId).usageCount == 0
