"""Keys bound to one widget each, for keyboard navigation that Qt does not give by itself
(Escape from a search box to its list, Enter from a list into the editor, Ctrl+Tab out
of a text body that takes Tab for itself)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QWidget

Modifier = Qt.KeyboardModifier
_IGNORED = Modifier.KeypadModifier
ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
#: Keys that take the focus from a search box to its list.
LEAVE_SEARCH = (Qt.Key.Key_Escape, Qt.Key.Key_Down, *ENTER)


class KeyMap(QObject):
    """Calls an action when a bound widget gets a bound key (the key goes no further)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._actions: dict[tuple[QObject, int, int], Callable[[], object]] = {}
        self._watched: set[int] = set()

    def bind(
        self,
        widget: QWidget,
        key: Qt.Key,
        action: Callable[[], object],
        modifiers: Qt.KeyboardModifier = Modifier.NoModifier,
    ) -> None:
        self._actions[(widget, int(key.value), int(modifiers.value))] = action
        if id(widget) not in self._watched:
            widget.installEventFilter(self)
            self._watched.add(id(widget))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(
            event, QKeyEvent
        ):
            modifiers = int((event.modifiers() & ~_IGNORED).value)
            action = self._actions.get((watched, event.key(), modifiers))
            if action is not None:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    action()
                return True
        return False


def focus_next(widget: QWidget, forward: bool = True) -> Callable[[], None]:
    """An action that moves the focus on from ``widget`` as Tab would elsewhere."""

    def move() -> None:
        window = widget.window()
        target = widget.nextInFocusChain() if forward else widget.previousInFocusChain()
        while target is not None and target is not widget:
            if (
                target.isVisible()
                and target.isEnabled()
                and target.focusPolicy() & Qt.FocusPolicy.TabFocus
                and target.window() is window
            ):
                target.setFocus(
                    Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
                )
                return
            target = target.nextInFocusChain() if forward else target.previousInFocusChain()

    return move


def name_controls(root: QWidget) -> None:
    """Give every focusable control under ``root`` that has no accessible name one from its
    form label, else its placeholder text (what a screen reader announces)."""
    labels = {
        id(label.buddy()): label.text().replace("&", "")
        for label in root.findChildren(QLabel)
        if label.buddy() is not None
    }
    for widget in root.findChildren(QWidget):
        if widget.accessibleName() or not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        name = labels.get(id(widget)) or getattr(widget, "placeholderText", lambda: "")()
        if name:
            widget.setAccessibleName(str(name))
