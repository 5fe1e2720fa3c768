"""Killing the sync engine at random points while another process edits loses nothing
(invariants 2, 5, 7): remote equals local afterwards, no duplicates, no false conflicts."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.sync.config import make_client, save_settings
from desktop.sync.errors import Backoff
from desktop.sync.push import PushEngine
from tests.dynamodb_local import DynamoDBLocal
from tests.sync.conftest import USER, Server, settings_for

pytestmark = [pytest.mark.dynamodb, pytest.mark.slow]
KILLS = 25


def start(*args: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.crash_processes", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def test_sigkill_during_drains_with_concurrent_edits_loses_nothing(
    store: Store, db_path: Path, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    rng = random.Random(11)
    settings = settings_for(dynamodb_local.endpoint_url, prefix)
    save_settings(store, settings)
    store.version_window_s = 0
    for i in range(2_000):
        store.create_template(f"T{i}", content=f"<p>{i}</p>")
    queued = sum(store.queue_counts().values())
    assert queued >= 2_000

    editor = start("editor", str(db_path), "1")
    killed_mid_send = 0
    try:
        for _ in range(KILLS):
            engine = start("engine", str(db_path))
            time.sleep(rng.uniform(0.05, 1.2))
            engine.kill()
            engine.wait()
            killed_mid_send += store.queue_counts()[State.IN_FLIGHT] > 0
    finally:
        editor.kill()
        editor.wait()

    assert killed_mid_send >= 5, f"only {killed_mid_send} kills caught entries in flight"
    final = PushEngine(store, make_client(settings), settings, backoff=Backoff(0.001, 0.01))
    for _ in range(20):
        final.drain()
        if not sum(store.queue_counts().values()):
            break
    final.close()
    counts = store.queue_counts()
    assert counts[State.CONFLICT] == 0, "no false conflicts"
    assert counts[State.FAILED] == 0
    assert sum(counts.values()) == 0, counts

    remote = {i["templateId"]: i for i in server.scan("GravyTemplates")}
    local = {t.templateId: store.get_template(t.templateId) for t in store.list_templates()}
    assert set(remote) == set(local), "every record there, deleted ones gone"
    for template_id, template in local.items():
        item: dict[str, Any] = remote[template_id]
        assert (item["title"], item["content"], item["usageCount"]) == (
            template.title,
            template.content,
            template.usageCount,
        ), template_id
    with store.database.read() as session:
        from sqlalchemy import func, select

        from desktop.store.models import UsageEventRow

        uses = session.scalar(select(func.count()).select_from(UsageEventRow))
    assert len(server.scan("GravyAnalytics")) == uses, "each use recorded once"
    assert all(i["userId"] == USER for i in remote.values())
    print(
        f"\n{KILLS} kills ({killed_mid_send} with entries in flight), {len(local)} records, "
        f"{uses} uses: remote equals local"
    )
