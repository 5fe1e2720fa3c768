"""UI tests never read or write the user's real window settings; ``window`` is the main
window on a fresh store, shown, with background sync off."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store.services import Store
from desktop.ui.main import MainWindow


@pytest.fixture(autouse=True)
def _isolated(isolated_qsettings: None) -> None:
    """Every UI test gets its own QSettings (see tests/conftest.py)."""


@pytest.fixture
def window(qtbot: QtBot, store: Store) -> MainWindow:
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    return window
