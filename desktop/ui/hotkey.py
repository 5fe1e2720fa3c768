"""The global shortcut that opens Quick Fill from any application.

``pynput``'s ``GlobalHotKeys`` watches the keyboard on X11 (the RECORD extension), Windows
(a low-level hook) and macOS (a Quartz event tap; the app needs the Accessibility
permission there). It observes and does not swallow the keys. Wayland gives no client a
global view of the keyboard: there the compositor binds a key to ``gravy-desktop fill``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

log = logging.getLogger(__name__)

DEFAULT_SHORTCUT = "Ctrl+Alt+Space"

_MODIFIERS = {"ctrl": "<ctrl>", "alt": "<alt>", "shift": "<shift>", "meta": "<cmd>"}
_NAMED = {"pgup": "page_up", "pgdown": "page_down", "return": "enter", "del": "delete"}


def pynput_hotkey(sequence: str) -> str:
    """Qt's portable text of a shortcut (``Ctrl+Alt+Space``) in pynput's form
    (``<ctrl>+<alt>+<space>``)."""
    parts = []
    for token in sequence.replace(" ", "").split("+"):
        lowered = token.lower()
        if not lowered:
            raise ValueError(f"not a shortcut: {sequence!r}")
        if lowered in _MODIFIERS:
            parts.append(_MODIFIERS[lowered])
        elif len(lowered) == 1:
            parts.append(lowered)
        else:
            parts.append(f"<{_NAMED.get(lowered, lowered)}>")
    return "+".join(parts)


def global_shortcuts_possible() -> bool:
    """False on Wayland (no global keyboard for clients) and without any display."""
    if sys.platform in ("win32", "darwin"):
        return True
    if QGuiApplication.platformName() == "wayland" or os.environ.get("WAYLAND_DISPLAY"):
        return False
    return bool(os.environ.get("DISPLAY"))


class GlobalShortcut(QObject):
    """Emits ``activated`` on the GUI thread when the shortcut is pressed anywhere."""

    activated = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener: Any = None
        self.sequence = ""
        self.problem = ""

    def start(self, sequence: str) -> bool:
        """Listen for ``sequence``; False (and ``problem`` says why) when it cannot be had."""
        self.stop()
        self.sequence = sequence
        if not global_shortcuts_possible():
            self.problem = "this desktop (Wayland) keeps global shortcuts to itself"
            return False
        try:
            from pynput import keyboard

            combination = pynput_hotkey(sequence)
            keyboard.HotKey.parse(combination)
            # pynput calls back on its own thread; a signal crosses to the GUI thread queued.
            self._listener = keyboard.GlobalHotKeys({combination: self.activated.emit})
            self._listener.start()
            self._listener.wait()
        except Exception as error:
            log.warning("global shortcut %s not available: %s", sequence, error)
            self.problem = str(error) or type(error).__name__
            self._listener = None
            return False
        self.problem = ""
        return True

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
