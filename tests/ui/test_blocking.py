"""Nothing long runs on the GUI thread: importing 5,000 templates, exporting them and
catching the search index up run in the background with progress, while the window keeps
handling events (a 10 ms timer keeps ticking; no timing thresholds)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.store import search, transfer
from desktop.store.services import Store
from desktop.ui.dialogs import ImportDialog
from desktop.ui.main import MainWindow

MANY = 5_000


def index_behind(store: Store) -> bool:
    """Whether some records still wait for their search entries."""
    with store.database.read() as session:
        return search.behind(session)


def gravyjs_export(count: int) -> str:
    """A GravyJS browser export of ``count`` templates of about 1.5 KB."""
    templates = {}
    for i in range(count):
        template_id = f"template-1700000{i:06d}-import{i % 1000:03d}"
        templates[template_id] = {
            "templateId": template_id,
            "title": f"Imported {i}",
            "content": "<p>" + "Dear [[name]], thank you for your letter. " * 35 + "</p>",
            "category": "Letters",
            "tags": ["imported"],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        }
    return json.dumps({"gravyTemplatesOffline": templates})


class Ticks:
    """A 10 ms timer on the GUI thread: it only ticks while the event loop runs."""

    def __init__(self, on_tick: Callable[[], None] = lambda: None) -> None:
        self.count = 0
        self.on_tick = on_tick
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1
        self.on_tick()


@pytest.fixture
def ticks() -> Iterator[list[Ticks]]:
    made: list[Ticks] = []
    yield made
    for t in made:
        t.timer.stop()


def action(window: MainWindow, menu: str, text: str) -> QAction:
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu:
            found = top.menu().actions()
            return next(a for a in found if a.text().replace("&", "") == text)
    raise LookupError(f"{menu} > {text}")


def type_file_name(qtbot: QtBot, dialog: QFileDialog, path: Path) -> None:
    """What a person does in the file dialog: type the path over the name, press Enter
    (again, if the name completer's popup took the first Enter: this runs until the dialog
    is gone)."""
    field = dialog.findChild(QLineEdit, "fileNameEdit")
    assert field is not None
    field.setFocus()
    if field.text() != str(path):
        qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(field, str(path))
    qtbot.keyClick(field, Qt.Key.Key_Return)


def answer_modal(answer: Callable[[QWidget], bool]) -> QTimer:
    """Poll for modal dialogs and hand each to ``answer`` (True: stop polling)."""
    poller = QTimer(interval=20)

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None and answer(modal):
            poller.stop()

    poller.timeout.connect(poll)
    poller.start()
    return poller


def test_importing_5000_templates_shows_progress_and_the_window_keeps_responding(
    qtbot: QtBot, window: MainWindow, store: Store, tmp_path: Path, ticks: list[Ticks]
) -> None:
    source = tmp_path / "gravyjs-export.json"
    source.write_text(gravyjs_export(MANY), encoding="utf-8")
    seen = {"clicked_at": -1, "imported_at": -1, "closed": False}
    progress: list[tuple[int, int]] = []
    dialogs: list[ImportDialog] = []

    def while_open() -> None:
        if dialogs and seen["clicked_at"] >= 0 and seen["imported_at"] < 0:
            bar = getattr(dialogs[0], "progress", None)
            if bar is not None and bar.isVisible():
                progress.append((bar.value(), bar.maximum()))

    tick = Ticks(while_open)
    ticks.append(tick)

    def answer(modal: QWidget) -> bool:
        if isinstance(modal, QFileDialog):
            type_file_name(qtbot, modal, source)
        elif isinstance(modal, ImportDialog):
            if not dialogs:
                dialogs.append(modal)
                assert f"{MANY} templates to import" in modal.summary.text()
                seen["clicked_at"] = tick.count
                qtbot.mouseClick(modal.import_button, Qt.MouseButton.LeftButton)
            if "Imported" in modal.summary.text():
                if seen["imported_at"] < 0:
                    seen["imported_at"] = tick.count
                    return False  # one more round: then close it as a person would
                buttons = modal.findChild(QDialogButtonBox)
                close = buttons.button(QDialogButtonBox.StandardButton.Close)
                qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
                seen["closed"] = True
                return True
        return False

    poller = answer_modal(answer)
    action(window, "File", "Import...").trigger()
    qtbot.waitUntil(lambda: bool(seen["closed"]), timeout=120_000)
    poller.stop()

    assert seen["imported_at"] > seen["clicked_at"], "the timer ticked while the import ran"
    assert any(0 < done < total for done, total in progress), progress
    assert f"Imported {MANY} records" in dialogs[0].summary.text()
    assert store.count_templates() == MANY
    assert not index_behind(store), "indexed for search by the import, in the background"
    assert len(store.search_templates("Imported 4999")) >= 1


def test_exporting_5000_templates_runs_in_the_background(
    qtbot: QtBot, window: MainWindow, store: Store, tmp_path: Path, ticks: list[Ticks]
) -> None:
    store.import_records(transfer.read_import(gravyjs_export(MANY)).records)
    target = tmp_path / "backup.json"
    tick = Ticks()
    ticks.append(tick)

    def answer(modal: QWidget) -> bool:
        if isinstance(modal, QFileDialog):
            type_file_name(qtbot, modal, target)
        return False

    poller = answer_modal(answer)
    action(window, "File", "Export backup...").trigger()
    poller.stop()
    started = tick.count
    assert window.statusBar().currentMessage() == f"Writing the backup to {target}..."
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == f"Backup written to {target}",
        timeout=60_000,
    )
    assert tick.count > started, "the timer ticked while the backup was written"
    document = json.loads(target.read_text(encoding="utf-8"))
    assert len(document["templates"]) == MANY


def test_a_search_with_thousands_to_index_catches_up_off_the_gui_thread(
    qtbot: QtBot, window: MainWindow, store: Store, ticks: list[Ticks]
) -> None:
    window.search.setFocus()
    qtbot.keyClicks(window.search, "Imported")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0 and not window._search_timer.isActive())
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    behind_ticks: list[bool] = []
    ticks.append(Ticks(lambda: behind_ticks.append(index_behind(store))))

    # 5,000 records arrive at once (a pull, or an import from the command line): the window
    # searches again at once, with most of them not indexed yet.
    store.import_records(transfer.read_import(gravyjs_export(MANY)).records)
    qtbot.waitUntil(
        lambda: window.model.rowCount() == 200 and not index_behind(store),
        timeout=60_000,
    )
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "")

    assert any(behind_ticks), "the timer ticked while the index caught up"
    assert any(m.startswith("Indexing for search:") for m in messages), messages
    titles = [window.model.template_at(row).title for row in range(window.model.rowCount())]
    assert all(title.startswith("Imported ") for title in titles)
