"""Helpers shared by the window tests."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store.services import Store
from desktop.ui.main import MainWindow

SCREENSHOTS = Path(os.environ.get("GRAVY_SCREENSHOTS", Path(__file__).parents[2] / "screenshots"))


def shoot(widget: object, name: str) -> Path:
    """Save a screenshot of ``widget`` into the (uncommitted) screenshots folder."""
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(target))  # type: ignore[attr-defined]
    return target


def titles(window: MainWindow) -> list[str]:
    model = window.model
    return [model.template_at(row).title for row in range(model.rowCount())]


def open_template(window: MainWindow, title: str) -> None:
    row = titles(window).index(title)
    window.list.setCurrentIndex(window.model.index(row))


def shown_window(qtbot: QtBot, store: Store) -> MainWindow:
    """The window on ``store``, shown, its sync not started (a test starts it by a click)."""
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    return window


def menu_action(window: MainWindow, text: str) -> QAction:
    """The window's menu action named ``text`` (without its '&'), to trigger as a menu does."""
    for action in window.findChildren(QAction):
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no menu action {text!r}")
