"""Faults of the environment reach the writer as plain dialogs or messages, never as a
crash or a silent loss: a full disk (real SQLITE_FULL, through SQLite's page limit), a
damaged database at start-up, a bug in an action, credentials that are missing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import run_gui
from desktop.store import db
from desktop.store.services import Store
from desktop.sync.config import SyncSettings, save_settings
from desktop.ui.faults import FaultDialogs, explain
from desktop.ui.main import MainWindow
from tests.full_disk import Disk
from tests.ui.helpers import open_template, shoot


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The title and text of every message box the code under test opens."""
    shown: list[tuple[str, str]] = []

    def record(_parent: Any, title: str, text: str, *_rest: Any) -> QMessageBox.StandardButton:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, record)
    return shown


def test_a_full_disk_while_typing_keeps_the_text_and_saves_once_there_is_room(
    window: MainWindow, store: Store, disk: Disk
) -> None:
    template = store.create_template("Train notes", content="<p>Start</p>")
    window.model.reload()
    open_template(window, "Train notes")
    disk.fill()
    text = " ".join(f"word{i}" for i in range(8_000))  # needs new pages
    window.editor.body.setPlainText(text)
    assert window.editor.save() is False
    problem = window.editor.problem.text()
    assert window.editor.problem.isVisible()
    assert "is full" in problem and "Your text stays here" in problem
    assert window.editor.body.toPlainText() == text
    assert store.get_template(template.templateId).content == "<p>Start</p>"
    assert window.editor._timer.isActive(), "it tries again by itself"
    shoot(window, "fault_disk_full")
    disk.free()
    assert window.editor.save() is True
    assert store.get_template(template.templateId).content == f"<p>{text}</p>"
    assert not window.editor.problem.isVisible()


def test_an_action_that_hits_a_full_disk_explains_itself_in_a_dialog(
    window: MainWindow,
    store: Store,
    disk: Disk,
    dialogs: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    FaultDialogs(lambda: window).install()  # restored by pytest-qt after the test
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("A" * 60 + " title", True))
    disk.fill()
    new = next(a for a in window.findChildren(QAction) if a.text() == "&New template")
    big = "x" * 30_000
    monkeypatch.setattr(
        store, "create_template", lambda title: Store.create_template(store, title, content=big)
    )
    new.trigger()
    ((title, text),) = dialogs
    assert title == "The disk is full"
    assert "free some space" in text and "Nothing you saved before is lost" in text
    assert store.count_templates() == 0


def test_a_bug_in_an_action_is_reported_and_logged_and_the_window_carries_on(
    window: MainWindow, store: Store, dialogs: list[tuple[str, str]], tmp_path: Path
) -> None:
    import logging

    from desktop.ui.faults import log_to_file

    log_path = log_to_file(tmp_path / "gravy.log")
    try:
        FaultDialogs(lambda: window, log_path).install()

        def broken() -> None:
            raise RuntimeError("the populate dialog fell over")

        window.sync_button.setEnabled(True)
        window.sync_button.clicked.disconnect()
        window.sync_button.clicked.connect(broken)
        window.sync_button.click()
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "baseFilename", None) == str(log_path):
                logging.getLogger().removeHandler(handler)
                handler.close()
    ((title, text),) = dialogs
    assert title == "Something went wrong"
    assert "RuntimeError: the populate dialog fell over" in text and str(log_path) in text
    assert "Traceback" in log_path.read_text() and "broken" in log_path.read_text()
    store.create_template("Still working")
    assert window.isVisible()


def test_a_damaged_database_at_start_is_explained_and_left_untouched(
    tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    damaged = tmp_path / "gravy.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x13" * 8_000)
    before = damaged.read_bytes()
    assert run_gui(damaged) == 2
    ((title, text),) = dialogs
    assert title == "The database is damaged"
    assert str(damaged) in text and "left untouched" in text
    assert damaged.read_bytes() == before


def test_missing_credentials_pause_sync_and_point_to_the_settings(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    # An access key is configured, but its secret is not in the keyring.
    save_settings(
        store,
        SyncSettings(
            user_id="ann", endpoint_url="http://127.0.0.1:9", access_key_id="AKIDNOSECRET"
        ),
    )
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.sync.status.mode == "signed out", timeout=20_000)
    text = window.sync_status.text()
    assert "Sync paused: the sign-in for sync is missing or was refused" in text
    assert '<a href="settings"' in text and "Sync settings...</a>" in text
    assert window.sync_status.toolTip(), "the reason is one hover away"
    shoot(window, "fault_credentials")


def _locked_error(path: Path) -> sqlite3.Error:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        sqlite3.connect(path, timeout=0).execute("CREATE TABLE t (x)")
    except sqlite3.Error as error:
        return error
    finally:
        holder.close()
    raise AssertionError("the database was not locked")


def test_every_environment_fault_has_a_plain_title_and_the_message(tmp_path: Path) -> None:
    path = tmp_path / "gravy.db"
    locked = db.classify_sqlite_error(_locked_error(path), path)
    assert isinstance(locked, db.DatabaseBusy)
    cases = {
        locked: "The database is busy",
        db.DiskFull("The disk holding x is full"): "The disk is full",
        db.DatabaseReadOnly("x is read-only"): "The database cannot be written",
        db.DatabaseCorrupt("x is damaged"): "The database is damaged",
        db.DatabaseTooNew("x is newer"): "The database is from a newer Gravy Desktop",
        db.AlreadyRunning("open elsewhere"): "Gravy Desktop is already open",
        FileNotFoundError(2, "No such file or directory", "/gone/export.json"): (
            "A file cannot be read or written"
        ),
    }
    for error, title in cases.items():
        explained = explain(error)
        assert explained is not None and explained[0] == title
        assert (str(error) if not isinstance(error, OSError) else "/gone/export.json") in explained[
            1
        ]
    assert explain(RuntimeError("a bug")) is None
