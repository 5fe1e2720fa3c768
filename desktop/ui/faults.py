"""Friendly dialogs for faults of the environment that reach the window from any action:
a full disk, a busy, read-only or damaged database, a file that cannot be read. Anything
else is a bug: the window says so plainly, writes the details to the log file, and keeps
running (every saved edit is already in the database).

The handler is the process's ``sys.excepthook``, which PySide6 calls for an exception that
escapes a slot or an event handler.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from platformdirs import user_log_dir
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.store.db import (
    AlreadyRunning,
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseReadOnly,
    DatabaseTooNew,
    DiskFull,
    NotAGravyDatabase,
    StoreError,
)

log = logging.getLogger(__name__)

KEPT = "Nothing you saved before is lost, and the text you are editing stays in the window."

#: What each fault is called in its dialog's title, and the advice that follows its message.
FAULTS: list[tuple[type[BaseException], str, str]] = [
    (DiskFull, "The disk is full", KEPT),
    (DatabaseBusy, "The database is busy", KEPT),
    (DatabaseReadOnly, "The database cannot be written", KEPT),
    (DatabaseCorrupt, "The database is damaged", ""),
    (DatabaseTooNew, "The database is from a newer Gravy Desktop", ""),
    (NotAGravyDatabase, "This is not a Gravy Desktop database", ""),
    (AlreadyRunning, "Gravy Desktop is already open", ""),
    (StoreError, "The database cannot be used", KEPT),
    (OSError, "A file cannot be read or written", ""),
]


def explain(error: BaseException, at_start: bool = False) -> tuple[str, str] | None:
    """(title, text) for a fault of the environment; None for a bug. ``at_start``: the
    window is not open yet (so there is no text in it to reassure about)."""
    for kind, title, advice in FAULTS:
        if isinstance(error, kind):
            message = str(error)
            if isinstance(error, OSError) and error.strerror:
                message = f"{error.filename or ''}: {error.strerror}".lstrip(": ")
            return title, message if at_start else f"{message}\n\n{advice}".strip()
    return None


def log_file() -> Path:
    return Path(user_log_dir("GravyDesktop", appauthor=False)) / "gravy-desktop.log"


def log_to_file(path: Path | None = None) -> Path:
    """Send warnings and errors to a rotating log file (where bug reports point)."""
    path = path or log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return path


class FaultDialogs:
    """The ``sys.excepthook`` of the window's process."""

    def __init__(self, parent: Callable[[], QWidget | None], log_path: Path | None = None):
        self.parent = parent
        self.log_path = log_path
        self._showing = False
        self.shown: list[tuple[str, str]] = []  # (title, text) of each dialog, newest last

    def install(self) -> None:
        sys.excepthook = self

    def __call__(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        explained = explain(error)
        if explained is None:
            log.error(
                "unexpected error\n%s", "".join(traceback.format_exception(kind, error, trace))
            )
            where = f" The details are in {self.log_path}." if self.log_path else ""
            explained = (
                "Something went wrong",
                f"{kind.__name__}: {error}\n\nThis is a bug in Gravy Desktop.{where} "
                "Your saved work is safe; you can keep working.",
            )
        else:
            log.warning("%s: %s", explained[0], error)
        self.shown.append(explained)
        if self._showing:  # one dialog at a time; the rest are in the log
            return
        self._showing = True
        try:
            QMessageBox.warning(self.parent(), *explained)
        finally:
            self._showing = False
