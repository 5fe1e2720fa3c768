"""Start to a usable main window with 10,000 templates stored, offscreen, and the resident
memory then.

Each run spawns a fresh Python process that does what ``gravy-desktop`` does with no
arguments (create the application, take the database's lock, open and migrate it, build
the window, show it) and reports when the window has been shown and painted, its list
filled and the editor ready. Time is wall-clock from just before the spawn, so it
includes interpreter start and imports. The median of the runs is reported.

Usage: python bench/startup.py [--records N] [--runs N]
Bar (DESIGN.md): startup_s <= 1.5. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import report, seeded_store

CHILD = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from desktop.app import build_window, open_for_window
from desktop.ui.application import make_application

app = make_application()
store, lock = open_for_window(Path(sys.argv[1]))
window = build_window(store)
window.show()

def ready():
    app.processEvents()
    rss_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
                  if line.startswith("VmRSS:"))
    print(json.dumps({"ready_at": time.time(), "rows": window.model.rowCount(),
                      "rss_mb": rss_kb / 1024}), flush=True)
    window.close()
    app.quit()

QTimer.singleShot(0, ready)  # runs once the event loop has shown and painted the window
app.exec()
store.database.close()
lock.release()
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", "--templates", dest="templates", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = os.environ | {"QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        store = seeded_store(path, args.templates)
        store.database.close()
        env["XDG_CONFIG_HOME"] = folder  # window settings of its own, not the user's
        times, rss, rows = [], [], 0
        for _ in range(args.runs):
            started = time.time()
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            times.append(result["ready_at"] - started)
            rss.append(result["rss_mb"])
            rows = result["rows"]
    report(
        {
            "benchmark": "startup",
            "templates": args.templates,
            "startup_s": round(statistics.median(times), 3),
            "startup_runs_s": [round(t, 3) for t in times],
            "rss_mb": round(statistics.median(rss), 1),
            "rows_loaded": rows,
            "bar": {"startup_s": 1.5},
        }
    )


if __name__ == "__main__":
    main()
