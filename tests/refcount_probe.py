"""Which PySide6 calls take references from None, True and False, on the PySide6 installed
(without the app's guard, desktop/ui/immortal.py). On CPython 3.12+ the three are immortal
and nothing shows. Run it on CPython 3.11 before lifting pyproject.toml's PySide6 cap:

    .venv/bin/python -m tests.refcount_probe

Prints each call's loss per call; exit status 1 if any call loses references.
Measured with 6.12.0 on 3.11.7: None 1 per void call (setText, update, save, setPen,
repaint...), True 1 per Signal.emit; 6.7.3 to 6.11.3: none.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QLabel

SHARED: dict[str, object] = {"None": None, "True": True, "False": False}
CALLS = 1000


class _Source(QObject):
    changed = Signal()


def _give(obj: object, count: int) -> None:
    for _ in range(max(0, count)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _lost(call: Callable[[], object]) -> dict[str, float]:
    call()
    before = {name: sys.getrefcount(obj) for name, obj in SHARED.items()}
    for _ in range(CALLS):
        call()
    lost = {name: before[name] - sys.getrefcount(obj) for name, obj in SHARED.items()}
    for name, obj in SHARED.items():  # give them back, so the probe itself survives
        _give(obj, lost[name])
    return {name: count / CALLS for name, count in lost.items()}


def main() -> int:
    for obj in SHARED.values():  # room for one round of calls (True has about 600)
        _give(obj, 2 * CALLS)
    app = QApplication.instance() or QApplication([])
    label, source = QLabel(), _Source()
    source.changed.connect(lambda: None)
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    items = QStandardItemModel()
    items.appendRow(QStandardItem("row"))
    calls: dict[str, Callable[[], object]] = {
        "QLabel.setText (void)": lambda: label.setText("x"),
        "QWidget.update (void)": label.update,
        "QPainter.save + restore (void)": lambda: (painter.save(), painter.restore()),
        "QPainter.setPen (void)": lambda: painter.setPen(QColor("red")),
        "QPainter.drawText (void)": lambda: painter.drawText(QRect(0, 0, 30, 20), 0, "x"),
        "QWidget.repaint (void)": label.repaint,
        "QStandardItemModel.data (nothing)": lambda: items.data(items.index(0, 0), 1),
        "QWidget.isVisible (bool)": label.isVisible,
        "Signal.emit": source.changed.emit,
        "QApplication.processEvents (void)": app.processEvents,
    }
    leaking = False
    for name, call in calls.items():
        lost = {k: v for k, v in _lost(call).items() if v >= 0.5}
        leaking = leaking or bool(lost)
        shown = ", ".join(f"{k} {v:.2f}" for k, v in lost.items()) or "nothing"
        print(f"{name:38} loses {shown} per call")
    painter.end()
    verdict = "loses references" if leaking else "loses nothing"
    print(f"PySide6 {pyside_version} on Python {sys.version.split()[0]}: {verdict}")
    return 1 if leaking else 0


if __name__ == "__main__":
    sys.exit(main())
