"""The sweep: in every section of the window, click every visible, enabled button and
trigger every menu action, as a person trying the window out would, answering each dialog
that opens (Cancel or Escape; a name where a name is asked). It fails on

- an exception anywhere (a slot, an event handler) or a critical Qt message;
- an error shown: a warning or critical message box, a visible problem line;
- a control whose text ends in "..." that opens nothing;
- a control that changes records of another section than the one shown (File > Delete
  once deleted the hidden template while Snippets was shown).

Controls that open a dialog ("...") go first in each section: cancelled, they change
nothing, and the others (Retry all, Keep mine, Delete) may disable them afterwards."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pytest
from PySide6.QtCore import QMessageLogContext, Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store import outbox
from desktop.store.services import Store
from desktop.sync.conflicts import ServerCopy
from desktop.ui.main import MainWindow
from tests.ui.helpers import shoot
from tests.ui.modal import cancel

KINDS = {0: "template", 1: "snippet", 2: "preset", 3: "page"}
SETTLE_MS = 700  # longer than the autosave pause (600 ms): a late save fails here, not later


@dataclass
class Observer:
    """Answers every modal dialog and records what went wrong, for the control at hand."""

    problems: list[str] = field(default_factory=list)
    control: str = ""
    opened: list[str] = field(default_factory=list)  # dialogs opened by the current control
    _handled: list[QWidget] = field(default_factory=list)
    _first_seen: dict[int, int] = field(default_factory=dict)
    _names: int = 0
    _polls: int = 0

    def start(self) -> QTimer:
        timer = QTimer(interval=40)
        timer.timeout.connect(self.poll)
        timer.start()
        return timer

    def problem(self, what: str) -> None:
        self.problems.append(f"{self.control}: {what}")

    def poll(self) -> None:
        self._polls += 1
        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible():
            return
        if any(modal is handled for handled in self._handled):
            if self._polls - self._first_seen.get(id(modal), self._polls) > 125:  # ~5 s
                self.problem(f"dialog {modal.windowTitle()!r} would not close")
                modal.close()
            return
        if id(modal) not in self._first_seen:
            self._first_seen[id(modal)] = self._polls  # acted on at the next poll
            return
        self._handled.append(modal)
        self.opened.append(modal.windowTitle())
        self.answer(modal)

    def answer(self, modal: QWidget) -> None:
        if isinstance(modal, QMessageBox):
            if modal.icon() in (QMessageBox.Icon.Warning, QMessageBox.Icon.Critical):
                self.problem(f"error shown: {modal.windowTitle()}: {modal.text()}")
            cancel(modal)
        elif isinstance(modal, QInputDialog) and isinstance(modal.focusWidget(), QLineEdit):
            self._names += 1
            line = modal.focusWidget()
            assert isinstance(line, QLineEdit)
            line.selectAll()
            QTest.keyClicks(line, f"Sweep {self._names}")
            QTest.keyClick(line, Qt.Key.Key_Return)
        elif isinstance(modal, QFileDialog):
            modal.reject()  # Cancel: the file system is not part of the sweep
        else:
            cancel(modal)

    def excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        self.problem(f"exception {kind.__name__}: {error}")

    def qt_message(self, kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            self.problem(f"Qt: {message}")


@pytest.fixture
def observer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Observer]:
    observer = Observer()
    monkeypatch.setattr(sys, "excepthook", observer.excepthook)
    previous = qInstallMessageHandler(observer.qt_message)
    timer = observer.start()
    yield observer
    timer.stop()
    qInstallMessageHandler(previous)


def stock(store: Store) -> None:
    """A bit of everything: templates, a snippet, a preset, a page with nodes, failed
    changes and conflicts (the server's copies crafted, as a sync would have kept them)."""
    for title in ("Refused one", "Refused two"):
        store.create_template(title, content=f"<p>{title}</p>")
    contested = [
        store.create_template(title, content="<p>Mine</p>")
        for title in ("Contract A", "Contract B", "Contract C")
    ]
    contested_ids = {t.templateId for t in contested}
    with store.database.write() as session:
        for entry in outbox.claim(session, 100):
            if entry.entity == "template" and entry.record_id in contested_ids:
                outbox.mark_conflict(session, entry.id, "ConditionalCheckFailed", "changed there")
                theirs = store.get_template(entry.record_id).model_dump() | {
                    "content": "<p>Theirs</p>"
                }
                outbox.keep_server_copy(session, entry.id, ServerCopy(theirs, 3).to_json())
            else:
                outbox.fail(session, entry.id, "ValidationException", "refused by the server")
    store.create_template(
        "Offer letter", content="<p>Dear [[name]], welcome to [[company]].</p>", category="hr"
    )
    store.create_snippet("Sign-off", content="<p>Best regards</p>")
    store.create_preset("Acme", values={"company": "Acme Ltd", "name": "Ann"})
    page = store.create_page("Storyboard")
    for title in ("Opening", "Middle", "Close"):
        store.add_node(page.id, title)


def snapshot(store: Store) -> dict[str, list[Any]]:
    return {
        "template": [t.model_dump() for t in store.list_templates(limit=10_000)],
        "snippet": [s.model_dump() for s in store.list_snippets()],
        "preset": [p.model_dump() for p in store.list_presets()],
        "page": [
            (p.model_dump(), [n.model_dump() for n in store.nodes(p.id)])
            for p in store.list_pages()
        ],
    }


def menu_actions(window: MainWindow) -> list[QAction]:
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())  # type: ignore[arg-type]
            elif not action.isSeparator():
                found.append(action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu())  # type: ignore[arg-type]
    return found


def label(control: QAbstractButton | QAction) -> str:
    text = control.text().replace("&", "")
    return text or control.toolTip() or control.accessibleName() or type(control).__name__


def visible_buttons(window: MainWindow) -> list[QAbstractButton]:
    buttons = [
        b
        for b in window.findChildren(QAbstractButton)
        if b.isVisible() and b.objectName() != "qt_toolbar_ext_button"
    ]
    return sorted(buttons, key=lambda b: not label(b).endswith("..."))  # dialogs first


def alive(widget: QWidget) -> bool:
    try:
        return widget.isVisible() and widget.isEnabled()
    except RuntimeError:  # deleted by an earlier control (a reloaded list's widgets)
        return False


def shown_problems(window: MainWindow) -> list[str]:
    """The problem lines under the editor and the forms that are on screen."""
    lines = []
    for widget in [window, *window.findChildren(QWidget)]:
        problem = getattr(widget, "problem", None)
        if isinstance(problem, QWidget) and problem.isVisible():
            lines.append(problem.text())  # type: ignore[attr-defined]
    return lines


def use(
    qtbot: QtBot, window: MainWindow, store: Store, observer: Observer, section: int, control: Any
) -> None:
    """Click the button (or trigger the action) and check what it did."""
    observer.control = f"{window.SECTIONS[section]} / {label(control)}"
    observer.opened = []
    windows = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
    before = snapshot(store)
    if isinstance(control, QAction):
        control.trigger()
    else:
        qtbot.mouseClick(control, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    opened_windows = [
        w for w in QApplication.topLevelWidgets() if w.isVisible() and id(w) not in windows
    ]
    for extra in opened_windows:
        if extra.windowType() != Qt.WindowType.Popup:
            observer.opened.append(extra.windowTitle())
        extra.close()
    if label(control).endswith("...") and not observer.opened:
        observer.problem("says '...' but opened nothing")
    for line in shown_problems(window):
        observer.problem(f"problem shown: {line}")
    now_shown = window.stack.currentIndex()
    if section in KINDS:
        after = snapshot(store)
        for kind, records in after.items():
            if records != before[kind] and KINDS.get(now_shown) != kind:
                observer.problem(f"changed {kind}s while {window.SECTIONS[now_shown]} is shown")


def test_every_control_in_every_section_works(
    qtbot: QtBot, store: Store, observer: Observer
) -> None:
    stock(store)
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    actions = menu_actions(window)
    quit_action = next(a for a in actions if label(a) == "Quit")
    for section in range(len(window.SECTIONS)):
        window.sidebar.setCurrentRow(section)
        QApplication.processEvents()
        for button in visible_buttons(window):
            if alive(button):
                use(qtbot, window, store, observer, section, button)
        for action in actions:
            if action is quit_action or not action.isEnabled():
                continue
            window.sidebar.setCurrentRow(section)
            use(qtbot, window, store, observer, section, action)
        window.sidebar.setCurrentRow(section)
        qtbot.wait(SETTLE_MS)
        observer.control = f"{window.SECTIONS[section]} / (after a pause)"
        for line in shown_problems(window):
            observer.problem(f"problem shown: {line}")
        shoot(window, f"sweep_{section + 1}_{window.SECTIONS[section].lower().replace(' ', '_')}")
    observer.control = "File / Quit"
    quit_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert not observer.problems, "\n".join(["what went wrong:", *observer.problems])
