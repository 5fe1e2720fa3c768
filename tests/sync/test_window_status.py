"""The status bar's sentences (issue 15) as the window shows them while it syncs against
DynamoDB Local: changes waiting, synced "2 min ago" (and still true minutes later),
progress counted in changed records (a template and its version are one change)."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, tzinfo

import pytest
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.sync.config import save_settings
from desktop.sync.schedule import Schedule
from desktop.ui import sync as ui_sync
from desktop.ui import words
from desktop.ui.sync import SyncStatus
from tests.dynamodb_local import DynamoDBLocal, free_port
from tests.sync.conftest import settings_for
from tests.ui.helpers import shown_window

pytestmark = [pytest.mark.dynamodb, pytest.mark.usefixtures("isolated_qsettings")]


def test_changes_waiting_then_synced_and_the_time_since_stays_true(
    qtbot: QtBot,
    store: Store,
    dynamodb_local: DynamoDBLocal,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ui_sync, "RETELL_MS", 50)
    save_settings(store, settings_for(dynamodb_local.endpoint_url, prefix))
    window = shown_window(qtbot, store)
    for title in ("One", "Two", "Three"):
        store.create_template(title, content=f"<p>{title}</p>")
    assert window.sync_status.text() == "3 changes waiting to sync"
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000):
        window.sync_button.click()
    assert window.sync_status.text() == "All changes saved and synced - just now"
    # Two minutes later, with no sync since: the line says so without a sync or a click.

    class TwoMinutesLater(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return datetime.now(tz) + timedelta(minutes=2, seconds=5)

    monkeypatch.setattr(words, "datetime", TwoMinutesLater)
    qtbot.waitUntil(
        lambda: window.sync_status.text() == "All changes saved and synced - 2 min ago",
        timeout=3_000,
    )


def test_progress_counts_changed_records_not_queue_entries(
    qtbot: QtBot, store: Store, dynamodb_local: DynamoDBLocal, prefix: str
) -> None:
    save_settings(store, settings_for(dynamodb_local.endpoint_url, prefix))
    window = shown_window(qtbot, store)
    for number in range(120):  # each: the template and its first version, two entries
        store.create_template(f"Letter {number}", content=f"<p>Text {number}</p>")
    assert window.sync_status.text() == "120 changes waiting to sync"
    seen: list[str] = []
    window.sync.status_changed.connect(lambda status: seen.append(status.text))
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=60_000):
        window.sync_button.click()
    assert seen[0] == "Syncing - 120 changes to send"
    progress = [re.fullmatch(r"Syncing - (\d+) of (\d+) changes sent", text) for text in seen]
    counted = [(int(m[1]), int(m[2])) for m in progress if m]
    # How many progress lines show depends on the machine's speed (they are counted at
    # most every 0.25 s); each one counts records: 120, never the 240 queue entries.
    assert all(total == 120 and 0 < sent <= 120 for sent, total in counted), counted
    assert not [text for text in seen if "240" in text], seen
    assert window.sync_status.text() == "All changes saved and synced - just now"


def test_syncing_lines() -> None:
    assert SyncStatus("syncing").text == "Syncing..."
    assert SyncStatus("syncing", queued=40, to_send=40).text == "Syncing - 40 changes to send"
    assert (
        SyncStatus("syncing", queued=28, to_send=40, sent_this_cycle=12).text
        == "Syncing - 12 of 40 changes sent"
    )
    assert (
        SyncStatus("syncing", queued=1, to_send=1, failed=1).text
        == "Syncing - 1 change to send \u00b7 1 change could not be synced - see Failed"
    )


def test_a_sync_after_going_offline_is_not_followed_by_the_offline_retry(
    qtbot: QtBot,
    store: Store,
    dynamodb_local: DynamoDBLocal,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An offline cycle is retried after 0.3 s here instead of 15 s (desktop/sync/schedule.py).
    monkeypatch.setattr(ui_sync, "Schedule", functools.partial(Schedule, offline_retry_s=0.3))
    save_settings(store, settings_for(f"http://127.0.0.1:{free_port()}", prefix))
    window = shown_window(qtbot, store)
    store.create_template("Written on a train")
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000):
        window.sync_button.click()
    assert window.sync_status.text().startswith("Offline - ")
    save_settings(store, settings_for(dynamodb_local.endpoint_url, prefix))
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000):
        window.sync_button.click()  # the network is back: synced now, no retry needed
    cycles: list[object] = []
    window.sync.cycle_finished.connect(cycles.append)
    qtbot.wait(900)
    assert cycles == [], "the offline retry ran one more cycle"
    assert window.sync_status.text() == "All changes saved and synced - just now"
