"""Scrolling the template list with previews: 10,000 templates, a window of 1440x900
offscreen, Page Down through the whole list (the list fetches 200 rows a page, with their
previews, as it reaches the end), each step painted at once. Reports the time per screenful
(median, 95th percentile, worst) and the rows reached.

Usage: python bench/list_scroll.py [--records N]
Bar: a screenful within 16 ms (one frame at 60 Hz) at the median. Last line: JSON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import report, seeded_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", "--templates", dest="templates", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CONFIG_HOME"] = folder
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from desktop.app import build_window
        from desktop.ui.application import make_application

        app = make_application()
        store = seeded_store(Path(folder) / "bench.db", args.templates)
        window = build_window(store, start_sync=False)
        window.resize(1440, 900)
        window.show()
        app.processEvents()
        view = window.list
        view.setFocus()
        steps: list[float] = []
        while True:
            before = view.currentIndex().row()
            started = time.perf_counter()
            QTest.keyClick(view, Qt.Key.Key_PageDown)
            view.viewport().repaint()
            steps.append(time.perf_counter() - started)
            if view.currentIndex().row() == before and not window.model.canFetchMore():
                break
        rows = window.model.rowCount()
        window.close()
        store.database.close()
    ms = sorted(step * 1000 for step in steps)
    report(
        {
            "benchmark": "list_scroll",
            "templates": args.templates,
            "rows_reached": rows,
            "screenfuls": len(ms),
            "screenful_ms_median": round(statistics.median(ms), 2),
            "screenful_ms_p95": round(ms[int(len(ms) * 0.95) - 1], 2),
            "screenful_ms_max": round(ms[-1], 2),
            "bar": {"screenful_ms_median": 16},
        }
    )


if __name__ == "__main__":
    main()
