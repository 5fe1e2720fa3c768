"""Populate as a writer reaches it: from the editor, the list (Ctrl+P, context menu), the
search box (Ctrl+P) and Template > Populate...; unfilled variables are never copied
without a word; the plain text keeps its paragraphs; Enter in the search opens what was
found."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui.dialogs import PopulateDialog
from desktop.ui.main import MainWindow
from tests.ui.helpers import open_template, shoot
from tests.ui.modal import when_modal

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton
OFFER = (
    "<p>Dear [[name]],</p><p>We are glad to offer you the post in [[country]].</p>"
    "<ul><li>Start: [[start]]</li><li>Salary: agreed</li></ul><p>Best regards</p>"
)


def button(box: QWidget, text: str) -> QPushButton:
    assert isinstance(box, QMessageBox)
    return next(b for b in box.buttons() if b.text() == text)  # type: ignore[misc]


def focused() -> QWidget:
    """The focused widget, once a window is active again (a dialog just closed)."""
    for _ in range(100):
        widget = QApplication.focusWidget()
        if widget is not None:
            return widget
        QTest.qWait(20)
    raise AssertionError("no widget has the focus")


def populated_title(window: MainWindow, open_it: Callable[[], None]) -> str:
    """``open_it`` should open Populate: the title of the template it opened for."""
    seen: list[str] = []

    def record(dialog: QWidget) -> None:
        assert isinstance(dialog, PopulateDialog)
        seen.append(dialog.template.title)
        dialog.close()

    when_modal(record)
    open_it()
    assert seen, "Populate did not open"
    return seen[0]


def test_unfilled_variables_are_not_copied_without_asking(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Offer letter", content=OFFER)
    window.model.reload()
    open_template(window, "Offer letter")
    QGuiApplication.clipboard().clear()
    asked: list[str] = []

    def fill_in(box: QWidget) -> None:
        asked.append(box.text())  # type: ignore[attr-defined]
        shoot(box, "populate_missing_question")
        qtbot.mouseClick(button(box, "Fill them in"), LEFT)

    def fill_then_copy(dialog: QWidget) -> None:
        assert isinstance(dialog, PopulateDialog)
        assert focused() is dialog.inputs["name"], "the focus starts on the first field"
        qtbot.keyClicks(focused(), "Ann")
        when_modal(fill_in, above=dialog)
        qtbot.mouseClick(dialog.copy_button, LEFT)
        assert asked and "[[country]]" in asked[0] and "[[start]]" in asked[0]
        assert not QGuiApplication.clipboard().text(), "nothing copied yet"
        assert dialog.focusWidget() is dialog.inputs["country"], "on to the first one left"
        dialog.activateWindow()  # as the window manager does when the question closes
        qtbot.keyClicks(focused(), "Spain")
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        qtbot.keyClicks(focused(), "1 May")
        qtbot.waitUntil(lambda: "1 May" in dialog.preview.toPlainText())
        shoot(dialog, "populate_filled")
        qtbot.mouseClick(dialog.copy_button, LEFT)
        dialog.close()

    when_modal(fill_then_copy)
    window.editor.actions_by_name["populate"].trigger()
    assert len(asked) == 1, "asked once: nothing was missing the second time"
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text() == (
        "Dear Ann,\n\nWe are glad to offer you the post in Spain.\n\n"
        "- Start: 1 May\n- Salary: agreed\n\nBest regards"
    )
    assert "<li>Start: 1 May</li>" in mime.html()
    assert store.list_templates()[0].usageCount == 1


def test_copy_anyway_keeps_the_placeholders(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    template = store.create_template("Offer letter", content=OFFER)
    window.model.reload()
    open_template(window, "Offer letter")

    def copy_anyway(dialog: QWidget) -> None:
        when_modal(lambda box: qtbot.mouseClick(button(box, "Copy anyway"), LEFT), dialog)
        qtbot.mouseClick(dialog.copy_button, LEFT)  # type: ignore[attr-defined]
        dialog.close()

    when_modal(copy_anyway)
    window.editor.actions_by_name["populate"].trigger()
    assert "in [[country]]." in QGuiApplication.clipboard().text()
    assert store.get_template(template.templateId).usageCount == 1


def test_populate_from_the_list_the_search_box_and_the_template_menu(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Offer letter", content=OFFER)
    store.create_template("Memo", content="<p>To [[team]]</p>")
    window.model.reload()
    open_template(window, "Memo")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    window.list.setFocus()
    title = populated_title(window, lambda: qtbot.keyClick(window.list, Qt.Key.Key_P, CTRL))
    assert title == "Memo"
    window.activateWindow()  # as the window manager does when the dialog closes
    qtbot.waitUntil(window.isActiveWindow)

    # In the search box, Ctrl+P takes the best match, even before the list has caught up.
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    assert focused() is window.search
    qtbot.keyClicks(window.search, "offer")
    title = populated_title(window, lambda: qtbot.keyClick(window.search, Qt.Key.Key_P, CTRL))
    assert title == "Offer letter"
    assert window.editor.title.text() == "Offer letter"

    # Nothing found: nothing to populate (not the template open before).
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    assert focused() is window.search
    qtbot.keyClicks(window.search, "zebra")
    opened: list[QWidget] = []

    def close_any() -> None:  # a dialog that should not have opened (exec would block)
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            opened.append(dialog)
            dialog.close()

    QTimer.singleShot(0, close_any)
    qtbot.keyClick(window.search, Qt.Key.Key_P, CTRL)
    QApplication.processEvents()  # the check runs now, whether a dialog opened or not
    assert not opened, "no Populate for what was not found"
    assert window.statusBar().currentMessage() == "No template matches the search"
    window.search.clear()
    qtbot.keyClick(window.search, Qt.Key.Key_Return)

    window.show_section(1)  # Snippets shown: the menu still populates the current template
    assert populated_title(window, window.populate_action.trigger) == "Offer letter"
    assert window.stack.currentWidget() is window.splitter
    assert "Ctrl+P" in window.populate_action.shortcut().toString()


def test_the_lists_context_menu_offers_populate(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Memo", content="<p>To [[team]]</p>")
    window.model.reload()
    open_template(window, "Memo")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.list.setFocus()
    offered: list[list[str]] = []

    def choose_populate() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, choose_populate)
            return
        offered.append([action.text() for action in menu.actions()])
        shoot(menu, "template_list_context_menu")
        chosen = next(a for a in menu.actions() if a.text() == "&Populate...")
        when_modal(lambda dialog: (seen.append(dialog), dialog.close()))  # type: ignore[func-returns-value]
        qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(chosen).center())

    seen: list[QWidget] = []
    QTimer.singleShot(0, choose_populate)
    row = window.list.visualRect(window.model.index(0)).center()
    at = window.list.viewport().mapTo(window, row)
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.RightButton, pos=at)
    qtbot.waitUntil(lambda: bool(seen))
    assert offered and "&Populate..." in offered[0]
    assert isinstance(seen[0], PopulateDialog) and seen[0].template.title == "Memo"


def test_enter_in_the_search_opens_the_template_found(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Offer letter", content=OFFER)
    store.create_template("Memo", content="<p>To [[team]]</p>")
    window.model.reload()
    open_template(window, "Memo")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(focused(), "offer")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)  # at once, as a quick typist does
    assert window.editor.title.text() == "Offer letter"
    assert focused() is window.list
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    assert focused() is window.editor.body
    shoot(window, "search_enter_opens_found")


def test_enter_in_the_last_field_copies_and_keeps_the_dialog_open(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    template = store.create_template("Memo", content="<p>To [[team]] from [[me]]</p>")
    window.model.reload()
    open_template(window, "Memo")
    after: list[bool] = []

    def fill_and_press_enter(dialog: QWidget) -> None:
        assert isinstance(dialog, PopulateDialog)
        qtbot.keyClicks(focused(), "sales")
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        qtbot.keyClicks(focused(), "Ann")
        qtbot.keyClick(focused(), Qt.Key.Key_Return)
        after.append(dialog.isVisible())

    when_modal(fill_and_press_enter)
    window.editor.actions_by_name["populate"].trigger()
    assert after == [True], "Enter copies; it does not close the dialog"
    assert QGuiApplication.clipboard().text() == "To sales from Ann"
    assert store.get_template(template.templateId).usageCount == 1
