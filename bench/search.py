"""Full-text search over 10,000 templates of about 2 KB (FTS5, results loaded as records).

Usage: python bench/search.py [--records N] [--queries N]
Bar (DESIGN.md): p95 <= 20 ms. The last line printed is a JSON object.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from common import WORDS, percentile, report, seeded_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", "--templates", dest="templates", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(5)
    # What people type: whole words, prefixes while typing, two-word queries, category filters.
    queries: list[tuple[str, str | None]] = []
    for _ in range(args.queries):
        word = rng.choice(WORDS[:400]) if rng.random() < 0.7 else rng.choice(WORDS)
        kind = rng.random()
        if kind < 0.3:
            queries.append((word[: max(2, len(word) // 2)], None))
        elif kind < 0.6:
            queries.append((f"{word} {rng.choice(WORDS)}", None))
        elif kind < 0.8:
            queries.append((word, f"category-{rng.randrange(12)}"))
        else:
            queries.append((word, None))
    with tempfile.TemporaryDirectory() as folder:
        store = seeded_store(Path(folder) / "bench.db", args.templates)
        samples = []
        hits = []
        for text, category in queries:
            begin = time.perf_counter()
            found = store.search_templates(text, category=category, limit=200)
            samples.append((time.perf_counter() - begin) * 1000)
            hits.append(len(found))
        # A search just after a save: it first writes that save's search entry.
        ids = [t.templateId for t in store.list_templates(limit=2_000)]
        after_save = []
        for i, (text, category) in enumerate(queries[:300]):
            store.update_template(rng.choice(ids), description=f"{text} edit {i}")
            begin = time.perf_counter()
            store.search_templates(text, category=category, limit=200)
            after_save.append((time.perf_counter() - begin) * 1000)
        store.database.close()
    report(
        {
            "benchmark": "search",
            "templates": args.templates,
            "queries": args.queries,
            "p50_ms": round(percentile(samples, 0.50), 3),
            "p95_ms": round(percentile(samples, 0.95), 3),
            "max_ms": round(max(samples), 3),
            "bar_p95_ms": 20.0,
            "meets_bar": percentile(samples, 0.95) <= 20.0,
            "p95_after_save_ms": round(percentile(after_save, 0.95), 3),
            "median_hits": sorted(hits)[len(hits) // 2],
            "result_limit": 200,
        }
    )


if __name__ == "__main__":
    main()
