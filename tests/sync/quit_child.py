"""Child process for tests/sync/test_cancel.py: ``python -m tests.sync.quit_child DB SIGNAL``
runs the app on DB and, once the file SIGNAL exists (the test creates it when a sync
request is held by its proxy), prints ``quitting`` and triggers File > Quit; the test times
how long the process then takes to end."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.app import run_gui
from desktop.ui.application import make_application
from desktop.ui.main import MainWindow


def quit_when_told(poll: QTimer, signal: Path) -> None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    if not windows or not signal.exists():
        return
    poll.stop()
    file_menu = windows[0].menuBar().actions()[0].menu()
    quit_action = next(a for a in file_menu.actions() if a.text().replace("&", "") == "Quit")
    print("quitting", flush=True)
    quit_action.trigger()


def main(path: str, signal: str) -> int:
    app = make_application()
    poll = QTimer(app, interval=20)
    poll.timeout.connect(lambda: quit_when_told(poll, Path(signal)))
    poll.start()
    return run_gui(Path(path))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
