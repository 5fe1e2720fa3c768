"""Helpers shared by the benchmarks: a store seeded with realistic templates, percentiles."""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.store.db import open_database  # noqa: E402
from desktop.store.services import Store  # noqa: E402


def _vocabulary(size: int = 2_000, seed: int = 3) -> list[str]:
    """Business words, then pseudo-words of 2-4 syllables: prefixes spread as in a language
    (a list of word1..word1800 would share one prefix among 90% of the vocabulary)."""
    rng = random.Random(seed)
    stems = (
        "invoice",
        "welcome",
        "meeting",
        "project",
        "offer",
        "contract",
        "reminder",
        "schedule",
        "report",
        "update",
        "launch",
        "review",
        "support",
        "order",
        "payment",
        "delivery",
        "feedback",
        "account",
        "renewal",
        "proposal",
    )
    suffixes = ("", "s", "ing", "ed", "al", "er", "ion", "ly", "ness", "ment")
    words = list(dict.fromkeys(stem + suffix for stem in stems for suffix in suffixes))
    onsets = (
        "b",
        "c",
        "d",
        "f",
        "g",
        "h",
        "k",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "t",
        "v",
        "w",
        "br",
        "cl",
        "dr",
        "gr",
        "pl",
        "st",
        "tr",
        "sh",
        "ch",
        "th",
    )
    while len(words) < size:
        word = "".join(
            rng.choice(onsets) + rng.choice("aeiou") + rng.choice(("", "n", "r", "s"))
            for _ in range(rng.randint(2, 4))
        )
        if word not in words:
            words.append(word)
    return words


WORDS = _vocabulary()


def paragraph(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        word = (
            WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1)]
            if rng.random() < 0.6
            else rng.choice(WORDS)
        )
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def template_fields(rng: random.Random, i: int, size: int = 2000) -> dict[str, Any]:
    return {
        "title": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}",
        "description": paragraph(rng, 80),
        "content": "<p>Dear [[name]],</p><p>" + paragraph(rng, size - 60) + "</p>",
        "category": f"category-{i % 12}",
        "tags": [rng.choice(WORDS) for _ in range(3)],
    }


#: Seeded databases kept between runs: seeding 100,000 templates one save at a time takes
#: minutes, and every benchmark starts from the same data ($GRAVY_BENCH_CACHE overrides it).
SEED_CACHE = Path(
    os.environ.get("GRAVY_BENCH_CACHE", Path.home() / ".cache" / "gravy-desktop" / "bench")
)


def seeded_store(path: Path, count: int, seed: int = 7) -> Store:
    """A store at ``path`` holding ``count`` templates of about 2 KB each (a copy of the
    cached seed for ``count`` and ``seed`` when there is one, and it is at the current
    schema)."""
    from desktop.store.db import SCHEMA_HEAD

    cached = SEED_CACHE / f"templates-{count}-seed{seed}-schema{SCHEMA_HEAD}.db"
    if not cached.exists():
        SEED_CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=SEED_CACHE) as folder:
            building = Path(folder) / cached.name
            store = _seed(building, count, seed)
            store.database.close()
            with sqlite3.connect(building) as connection:  # one file: no WAL beside it
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.move(building, cached)
    shutil.copyfile(cached, path)
    return Store(open_database(path))


def _seed(path: Path, count: int, seed: int) -> Store:
    store = Store(open_database(path))
    rng = random.Random(seed)
    for i in range(store.count_templates(), count):
        store.create_template(**template_fields(rng, i))
    store.catch_up_search()  # an existing database: its search index is current
    return store


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(result: dict[str, Any]) -> None:
    result["machine"] = (
        f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}"
    )
    print(json.dumps(result))
