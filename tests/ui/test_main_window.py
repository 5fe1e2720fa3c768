"""The first window: lists templates through a Qt model, searches, says the queue waits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from desktop.store.db import AlreadyRunning
from desktop.store.services import Store
from desktop.ui.main import PAGE_SIZE, MainWindow, open_for_window

SCREENSHOTS = Path(os.environ.get("GRAVY_SCREENSHOTS", Path(__file__).parents[2] / "screenshots"))


@pytest.fixture
def window(qtbot: QtBot, store: Store) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    return window


def titles(window: MainWindow) -> list[str]:
    model = window.model
    return [model.template_at(row).title for row in range(model.rowCount())]


def test_first_run_says_changes_wait_for_a_sync_target(window: MainWindow, store: Store) -> None:
    assert window.sync_status.text() == "No sync target configured"
    store.create_template("First", content="<p>Hello <b>world</b></p>")
    assert titles(window) == ["First"]
    assert window.sync_status.text() == ("No sync target configured: 2 changes waiting to sync")


def test_search_filters_the_list_and_selection_shows_the_template(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Invoice reminder", content="<p>Please pay [[amount]]</p>")
    store.create_template("Welcome aboard", content="<p>Hi [[name]]</p>")
    qtbot.keyClicks(window.search, "invo")
    qtbot.waitUntil(lambda: titles(window) == ["Invoice reminder"])
    window.list.setCurrentIndex(window.model.index(0))
    assert "Please pay [[amount]]" in window.preview.toPlainText()
    window.search.clear()
    qtbot.waitUntil(lambda: len(titles(window)) == 2)
    assert window.preview.toPlainText() == "", "no stale preview once the selection is gone"
    SCREENSHOTS.mkdir(exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "main_window.png"))


def test_new_template_from_the_menu(
    window: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("Typed title", True))
    window.new_template()
    assert [t.title for t in store.list_templates()] == ["Typed title"]
    assert titles(window) == ["Typed title"]


def test_large_lists_are_fetched_a_page_at_a_time(qtbot: QtBot, store: Store) -> None:
    for i in range(PAGE_SIZE + 50):
        store.create_template(f"Template {i:04d}")
    window = MainWindow(store)
    qtbot.addWidget(window)
    assert window.model.rowCount() == PAGE_SIZE
    assert window.model.canFetchMore()
    window.model.fetchMore()
    assert window.model.rowCount() == PAGE_SIZE + 50
    assert not window.model.canFetchMore()


def test_a_second_instance_on_the_same_database_is_refused(db_path: Path) -> None:
    store, lock = open_for_window(db_path)
    try:
        with pytest.raises(AlreadyRunning, match="already running"):
            open_for_window(db_path)
    finally:
        lock.release()
        store.database.close()


def test_status_names_the_sync_target_and_counts_failures(window: MainWindow, store: Store) -> None:
    from desktop.store import outbox
    from desktop.sync.config import SyncSettings, save_settings

    save_settings(store, SyncSettings(user_id="ann", endpoint_url="http://localhost:8000"))
    store.create_template("One")
    with store.database.write() as session:
        (entry,) = outbox.claim(session, 10)
        outbox.fail(session, entry.id, "ValidationException", "bad")
    window.refresh_status()
    assert window.sync_status.text() == (
        "Sync target http://localhost:8000 as ann: 1 change waiting to sync, 1 failed"
    )
