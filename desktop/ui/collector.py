"""Python's cyclic garbage is collected on the GUI thread only.

CPython runs a collection in whichever thread happens to allocate when a generation's
count passes its threshold: with the sync engine, the search catch-up and the import
working on their own threads, that is often one of them. A cycle that holds a Qt object
(a closed dialog and its slots, a window's lambdas) is then destroyed there, and Qt
objects must be destroyed on their own thread: the process crashed with a segmentation
fault, at random, after a few hundred windows (the test suite at 85-90 %, three times in
one day). So automatic collection is switched off, and a timer on the GUI thread runs the
same generational collections by the same thresholds (the pattern pyqtgraph's
``GarbageCollector`` made known). Reference counting, which frees almost everything,
is untouched; only cycles wait, for at most one tick.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

TICK_MS = 500


class GuiThreadCollector(QObject):
    """Collects cycles on the thread it lives on (the GUI thread) every ``TICK_MS``."""

    def __init__(self, parent: QObject | None = None, tick_ms: int = TICK_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self, interval=tick_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        self.destroyed.connect(gc.enable)

    def collect(self) -> int:
        """The collections automatic GC would have run by now; how many objects it freed."""
        first, second, third = gc.get_count()
        found = 0
        if first > self.thresholds[0]:
            found += gc.collect(0)
            if second > self.thresholds[1]:
                found += gc.collect(1)
                if third > self.thresholds[2]:
                    found += gc.collect(2)
        return found


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector for ``app`` (once; it lives as long as the application)."""
    found = app.findChild(GuiThreadCollector)
    return found if found is not None else GuiThreadCollector(app)
