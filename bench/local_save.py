"""A local save (record + version + queue entry + search mark, one transaction) with 10,000
templates stored; then the cost of writing those saves' search entries (done when idle).

Usage: python bench/local_save.py [--records N] [--saves N]
Bar (DESIGN.md): p99 <= 5 ms. The last line printed is a JSON object.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from common import paragraph, percentile, report, seeded_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", "--templates", dest="templates", type=int, default=10_000)
    parser.add_argument("--saves", type=int, default=2_000)
    parser.add_argument(
        "--pace-ms",
        type=float,
        default=0,
        help="pause between saves (600 = the editor's autosave: the search index then "
        "catches up between saves, in the background)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = seeded_store(Path(folder) / "bench.db", args.templates)
        seed_s = time.perf_counter() - started
        ids = [t.templateId for t in store.list_templates()]
        rng = random.Random(11)
        samples = []
        for i in range(args.saves):
            target = rng.choice(ids)
            content = f"<p>edit {i}</p><p>{paragraph(rng, 1900)}</p>"
            begin = time.perf_counter()
            store.update_template(target, content=content)
            samples.append((time.perf_counter() - begin) * 1000)
            if args.pace_ms:
                time.sleep(args.pace_ms / 1000)
        queued = sum(store.queue_counts().values())
        # The search entries of those saves, written afterwards (as when the app is idle).
        begin = time.perf_counter()
        indexed = store.catch_up_search()
        catch_up_ms = (time.perf_counter() - begin) * 1000
        store.database.close()
    report(
        {
            "benchmark": "local_save",
            "templates": args.templates,
            "saves": args.saves,
            "pace_ms": args.pace_ms,
            "p50_ms": round(percentile(samples, 0.50), 3),
            "p99_ms": round(percentile(samples, 0.99), 3),
            "max_ms": round(max(samples), 3),
            "bar_p99_ms": 5.0,
            "meets_bar": percentile(samples, 0.99) <= 5.0,
            "queued_entries": queued,
            "search_entries_caught_up": indexed,
            "catch_up_ms_per_entry": round(catch_up_ms / max(1, indexed), 3),
            "seed_s": round(seed_s, 1),
        }
    )


if __name__ == "__main__":
    main()
