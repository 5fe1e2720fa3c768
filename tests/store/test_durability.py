"""Sync invariant 2: a committed edit survives ``kill -9`` of the app at any instant."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from desktop.store.db import open_database
from desktop.store.entities import ENTITIES
from desktop.store.outbox import Op, State
from desktop.store.services import Store

RUNS = 25


def run_and_kill(db_path: Path, seed: int, rng: random.Random) -> list[dict[str, Any]]:
    """Start the editing child, SIGKILL it at a random moment, return what it printed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.durability_child", str(db_path), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    messages: list[dict[str, Any]] = []
    ready = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:  # the kill can cut the last line short
                break
            ready.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert ready.wait(30), "the child never started"
    time.sleep(rng.uniform(0.02, 0.8))
    child.kill()
    child.wait()
    reader.join()
    return messages


def check_queue_matches_records(store: Store) -> int:
    """Every record has exactly one (create) entry carrying its state, and vice versa."""
    entries = store.queue_entries()
    assert all(e.state == State.PENDING and e.op == Op.CREATE for e in entries)
    by_key = {}
    for entry in entries:
        assert entry.record_key not in by_key, f"two entries for {entry.record_key}"
        by_key[entry.record_key] = entry
    records = 0
    with store.database.read() as session:
        for entity, kind in ENTITIES.items():
            for row in session.query(kind.row):
                records += 1
                entry = by_key.pop(f"{entity}:{row.record_id}", None)
                assert entry is not None, f"{entity} {row.record_id} has no queue entry"
                assert entry.payload == row.to_domain().model_dump()
    assert by_key == {}, f"entries without a record: {sorted(by_key)[:5]}"
    return records


@pytest.mark.slow
def test_every_acknowledged_edit_survives_sigkill(db_path: Path) -> None:
    rng = random.Random(20261123)
    expected: dict[str, dict[str, Any] | None] = {}
    acknowledged = 0
    for run in range(RUNS):
        messages = run_and_kill(db_path, seed=run, rng=rng)
        in_progress: str | None = None
        for message in messages:
            if message["phase"] == "begin":
                in_progress = message.get("id", "new")
            elif message["phase"] == "ack":
                expected[message["id"]] = message["state"]
                acknowledged += 1
                in_progress = None

        with sqlite3.connect(db_path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        store = Store(open_database(db_path))
        try:
            present = {
                t.templateId: store.get_template(t.templateId) for t in store.list_templates()
            }
            if in_progress in expected:
                # Killed during this edit: it may or may not have committed; either is right,
                # and what is on disk now is what later runs must keep.
                kept = present.get(in_progress)
                expected[in_progress] = kept.model_dump() if kept else None
            for template_id, state in expected.items():
                if state is None:
                    assert template_id not in present, f"run {run}: deleted {template_id} is back"
                else:
                    assert template_id in present, f"run {run}: acknowledged {template_id} lost"
                    assert present[template_id].model_dump() == state, f"run {run}: edit lost"
            check_queue_matches_records(store)
        finally:
            store.database.close()
    assert acknowledged > RUNS * 20, f"only {acknowledged} edits were acknowledged"
    print(f"\n{RUNS} kills, {acknowledged} acknowledged edits, all present with their entries")
