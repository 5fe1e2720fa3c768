"""Pasting into another application: remember which window had the focus, give it back,
send the paste keystroke, and keep the clipboard as the writer left it.

The keystroke goes through ``pynput`` (XTest on X11, SendInput on Windows, Quartz events on
macOS). Focus is remembered and returned through the platform's own API: on X11 the
window manager's ``_NET_ACTIVE_WINDOW`` when there is one, else the X input focus; on
Windows the foreground window; on macOS the frontmost application.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Protocol

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

log = logging.getLogger(__name__)


class Focus(Protocol):
    def remember(self) -> None: ...

    def restore(self) -> None: ...


class NoFocus:
    """Where the platform gives no way back: hiding the palette is all we can do."""

    def remember(self) -> None:
        pass

    def restore(self) -> None:
        pass


class X11Focus:
    def __init__(self) -> None:
        from Xlib import X, display

        self._X = X
        self.display = display.Display()
        self.root = self.display.screen().root
        self.active_atom = self.display.intern_atom("_NET_ACTIVE_WINDOW")
        self.window: Any = None
        self.through_manager = False

    def remember(self) -> None:
        active = self.root.get_full_property(self.active_atom, self._X.AnyPropertyType)
        if active is not None and active.value and active.value[0]:
            self.window = self.display.create_resource_object("window", active.value[0])
            self.through_manager = True
        else:
            focus = self.display.get_input_focus().focus
            self.window = focus if not isinstance(focus, int) else None
            self.through_manager = False

    def restore(self) -> None:
        if self.window is None:
            return
        if self.through_manager:
            from Xlib import protocol

            message = protocol.event.ClientMessage(
                window=self.window,
                client_type=self.active_atom,
                data=(32, [2, self._X.CurrentTime, 0, 0, 0]),  # 2: asked by the user's tool
            )
            mask = self._X.SubstructureRedirectMask | self._X.SubstructureNotifyMask
            self.root.send_event(message, event_mask=mask)
        else:
            self.window.set_input_focus(self._X.RevertToParent, self._X.CurrentTime)
        self.display.sync()


class WindowsFocus:
    def __init__(self) -> None:
        import ctypes

        self.user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        self.window = 0

    def remember(self) -> None:
        self.window = self.user32.GetForegroundWindow()

    def restore(self) -> None:
        if self.window:
            self.user32.SetForegroundWindow(self.window)


class MacFocus:
    def __init__(self) -> None:
        from AppKit import NSWorkspace

        self.workspace = NSWorkspace.sharedWorkspace()
        self.application: Any = None

    def remember(self) -> None:
        self.application = self.workspace.frontmostApplication()

    def restore(self) -> None:
        if self.application is not None:
            self.application.activateWithOptions_(0)


def platform_focus() -> Focus:
    """The focus keeper for this platform (:class:`NoFocus` where none works)."""
    try:
        if sys.platform == "win32":
            return WindowsFocus()
        if sys.platform == "darwin":
            return MacFocus()
        if os.environ.get("DISPLAY") and QGuiApplication.platformName() == "xcb":
            return X11Focus()
    except Exception as error:  # a missing library or display: paste without refocusing
        log.warning("cannot track the focused window: %s", error)
    return NoFocus()


def send_paste() -> bool:
    """Press the platform's paste keys (Ctrl+V, Cmd+V on macOS) in the focused window.

    False where no keys can be sent to other apps: on Wayland synthetic keys would reach
    only XWayland's windows, so the writer pastes by hand from the clipboard."""
    if os.environ.get("WAYLAND_DISPLAY") or QGuiApplication.platformName() == "wayland":
        return False
    try:
        from pynput.keyboard import Controller, Key
    except Exception as error:  # no X display, Wayland without XWayland, missing library
        log.warning("cannot send the paste keys: %s", error)
        return False
    keyboard = Controller()
    with keyboard.pressed(Key.cmd if sys.platform == "darwin" else Key.ctrl):
        keyboard.press("v")
        keyboard.release("v")
    return True


def clipboard_snapshot() -> QMimeData:
    """A copy of what the clipboard holds now (every format), to put back later."""
    copy = QMimeData()
    current = QGuiApplication.clipboard().mimeData()
    if current is not None:
        for name in current.formats():
            copy.setData(name, current.data(name))
    return copy


def put_on_clipboard(data: QMimeData) -> None:
    QGuiApplication.clipboard().setMimeData(data)


def rich_text(html: str, text: str) -> QMimeData:
    data = QMimeData()
    data.setHtml(html)
    data.setText(text)
    return data
