"""Cycles holding Qt objects are destroyed on the GUI thread, never in a worker thread that
happened to allocate when a collection was due (desktop/ui/collector.py)."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from desktop.ui.application import make_application
from desktop.ui.collector import GuiThreadCollector


class Cycle:
    """A Qt object in a reference cycle; says on which thread it was destroyed."""

    def __init__(self, died_on: list[str]) -> None:
        self.died_on = died_on
        self.timer = QTimer()  # a Qt object, owned by the cycle
        self.me = self

    def __del__(self) -> None:
        self.died_on.append(threading.current_thread().name)


def _allocate_in_a_worker() -> list[list[int]]:
    """What the sync engine does all day: make many container objects (each counts
    towards a collection) on its own thread; they are handed back, so they still count
    when the worker is done."""
    made: list[list[int]] = []

    def work() -> None:
        made.extend([index] for index in range(100_000))

    worker = threading.Thread(target=work, name="sync-worker")
    worker.start()
    worker.join()
    return made


def test_a_cycle_with_a_qt_object_dies_on_the_gui_thread(qtbot: QtBot) -> None:
    assert not gc.isenabled(), "the suite runs as the app does (tests/conftest.py)"
    died_on: list[str] = []
    Cycle(died_on)
    made = _allocate_in_a_worker()
    assert died_on == [], "nothing was collected in the worker"
    qtbot.waitUntil(lambda: died_on == [threading.main_thread().name], timeout=5_000)
    del made


def test_the_application_collects_on_its_own_thread_and_only_when_due(qtbot: QtBot) -> None:
    app = make_application()
    (collector,) = app.findChildren(GuiThreadCollector)
    assert collector.thread() is app.thread()
    gc.collect()
    assert collector.collect() == 0, "below the thresholds: nothing to do"
    died_on: list[str] = []
    Cycle(died_on)
    kept = [[QObject()] for _ in range(gc.get_threshold()[0] + 1)]  # a busy window's
    qtbot.waitUntil(lambda: bool(died_on), timeout=5_000)
    del kept
    assert died_on == [threading.main_thread().name]
