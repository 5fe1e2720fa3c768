"""Answering the dialogs a click opens: the click blocks in the dialog's ``exec()``, so the
answer comes from a timer that waits for the modal widget and acts on it as a person would
(types into it, presses its buttons)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

#: An act on a dialog; returning False means "not taken yet, try again" (a file dialog
#: still filling its list can reset the name typed into it).
Act = Callable[[QWidget], bool | None]
TRIES = 50


class Answers:
    """Acts on the next modal widgets to open, one act each, in order, once each has been
    shown for a moment (as a person would); records what opened (``seen``, ``titles``) so
    a test can check that a dialog did open."""

    def __init__(self, *acts: Act, poll_ms: int = 40) -> None:
        self.acts = list(acts)
        self.seen: list[QWidget] = []
        self.titles: list[str] = []  # a static dialog (QMessageBox.question) is gone after
        self.errors: list[BaseException] = []
        self._tries = 0
        self._timer = QTimer(interval=poll_ms)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _poll(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible():
            return
        if not any(modal is s for s in self.seen):
            self.seen.append(modal)  # acted on at the next poll, once it has settled
            self.titles.append(modal.windowTitle())
            self._tries = 0
            return
        if modal is not self.seen[-1] or not self.acts or self._tries < 0:
            return
        self._tries += 1
        try:
            taken = self.acts[0](modal) is not False
        except BaseException as error:  # reported by done(), not lost in Qt
            self.errors.append(error)
            modal.close()
            taken = True
        if not taken and self._tries < TRIES:
            return
        self._tries = -1  # this modal is answered
        self.acts.pop(0)
        if not self.acts:
            self._timer.stop()

    def wait(self, qtbot: QtBot, timeout_ms: int = 10_000) -> list[QWidget]:
        """``done()`` once every act was taken: for dialogs that open after the action
        returned (an import reads its file in the background, then shows the preview)."""
        qtbot.waitUntil(lambda: not self.acts or bool(self.errors), timeout=timeout_ms)
        return self.done()

    def done(self) -> list[QWidget]:
        self._timer.stop()
        if self.errors:
            raise self.errors[0]
        return self.seen


def answer(*acts: Act) -> Answers:
    return Answers(*acts)


def reactivate(qtbot: QtBot, window: QWidget, focus: QWidget | None = None) -> None:
    """Give the window the focus back after a dialog closed, as a desktop would (the
    offscreen platform leaves no window active, and shortcuts then go nowhere)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    if focus is not None:
        focus.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is focus)


def click_button(dialog: QWidget, text: str) -> None:
    """Click the dialog's button whose text (without its '&') is ``text``."""
    for button in dialog.findChildren(QAbstractButton):
        if button.text().replace("&", "") == text and button.isVisible():
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            return
    names = [b.text() for b in dialog.findChildren(QAbstractButton)]
    raise AssertionError(f"no button {text!r} in {type(dialog).__name__}: {names}")


def type_text(text: str) -> Act:
    """Type ``text`` into the dialog's focused line (a name, a file name) and press Enter."""

    def act(dialog: QWidget) -> bool:
        line = dialog.focusWidget()
        if isinstance(dialog, QFileDialog):
            found = dialog.findChild(QLineEdit, "fileNameEdit")
            assert found is not None
            line = found
        assert isinstance(line, QLineEdit), f"no text field focused in {dialog!r}"
        line.selectAll()
        QTest.keyClicks(line, text)
        popup = QApplication.activePopupWidget()  # a file name completer's list
        if popup is not None:
            QTest.keyClick(popup, Qt.Key.Key_Escape)  # closes the list, not the dialog
        if line.text() != text:
            return False
        QTest.keyClick(line, Qt.Key.Key_Return)
        return not dialog.isVisible()

    return act


def press(text: str) -> Act:
    def act(dialog: QWidget) -> None:
        click_button(dialog, text)

    return act


def cancel(dialog: QWidget) -> None:
    """Close a dialog without doing anything: Cancel (or Close) if it has one, else Escape."""
    boxes = dialog.findChildren(QDialogButtonBox)
    for box in boxes:
        for role in (
            QDialogButtonBox.StandardButton.Cancel,
            QDialogButtonBox.StandardButton.Close,
        ):
            button = box.button(role)
            if button is not None and button.isVisible():
                QTest.mouseClick(button, Qt.MouseButton.LeftButton)
                return
    if isinstance(dialog, QMessageBox):
        for role in (QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.No):
            button = dialog.button(role)
            if button is not None:
                QTest.mouseClick(button, Qt.MouseButton.LeftButton)
                return
    QTest.keyClick(dialog, Qt.Key.Key_Escape)


__all__ = ["Answers", "answer", "cancel", "click_button", "press", "reactivate", "type_text"]


def when_modal(action: Callable[[QWidget], None], above: QWidget | None = None) -> None:
    """Run ``action`` on the next active modal dialog (other than ``above``) once it is
    open, then close it (a failed check must not leave the test waiting on the dialog)."""

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog is above or not dialog.isActiveWindow():
            QTimer.singleShot(20, run)
            return
        try:
            action(dialog)
        finally:
            dialog.close()

    QTimer.singleShot(0, run)
