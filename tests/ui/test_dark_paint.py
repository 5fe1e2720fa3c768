"""Painting in the dark appearance keeps None alive: its style's Python override of
``drawPrimitive`` runs for every frame and check box painted, and PySide6 6.12 on CPython
3.11 drops a reference to None on each void call it makes (the interpreter aborts with
"deallocating None" once they are used up: minutes of use in dark)."""

from __future__ import annotations

import sys

from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui import theme
from desktop.ui.main import MainWindow


def test_repainting_the_window_in_dark_keeps_none_alive(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    for number in range(30):
        store.create_template(f"Row {number}", content="<p>text</p>", category="c")
    theme.apply("dark")
    try:
        window.resize(900, 900)
        window.repaint()
        before = sys.getrefcount(None)
        for _ in range(20):
            window.repaint()
        assert sys.getrefcount(None) >= before - 20, (before, sys.getrefcount(None))
    finally:
        theme.apply("light")
