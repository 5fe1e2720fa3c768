"""A first sync killed halfway resumes where it stopped (issue 17 goal 3), and tells the
window how far it got ("Downloading 3,400 of 10,000")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.domain import now_iso
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync.config import make_client, save_settings
from desktop.sync.pull import Puller
from tests.dynamodb_local import DynamoDBLocal
from tests.remote_data import put_all, template_items
from tests.sync.conftest import USER, settings_for

pytestmark = pytest.mark.dynamodb

RECORDS = 600
PAGE = 40  # 15 pages of templates


class Sent:
    """Counts the HTTP requests a client sends."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        client.meta.events.register("before-send.dynamodb", self._seen)

    def _seen(self, **_: Any) -> None:
        self.count += 1


def test_a_first_sync_killed_halfway_resumes_where_it_stopped(
    tmp_path: Path, dynamodb: Any, dynamodb_local: DynamoDBLocal, prefix: str
) -> None:
    put_all(
        dynamodb,
        prefix + "GravyTemplates",
        template_items(USER, RECORDS, now_iso(), "<p>Dear [[name]]</p>"),
    )
    path = tmp_path / "gravy.db"
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.sync.pull_child", str(path)),
            *(dynamodb_local.endpoint_url, prefix, USER, str(PAGE)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            assert line.startswith("read "), line
            if int(line.split()[1]) >= RECORDS // 2:
                os.kill(child.pid, signal.SIGKILL)
                break
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    store = Store(open_database(path))
    try:
        before = store.count_templates()
        assert RECORDS // 2 <= before < RECORDS, "killed halfway"
        settings = settings_for(dynamodb_local.endpoint_url, prefix)
        client = make_client(settings)
        sent = Sent(client)
        report = Puller(store, client, settings, page_size=PAGE).pull()
        assert report.stop is None and not report.cancelled
        assert store.count_templates() == RECORDS
        # Only what the killed run had not applied was read again (at most the page it
        # was applying when killed), not the whole table; the other tables: one each.
        assert report.received <= RECORDS - before + PAGE
        template_pages = -(-(RECORDS - before) // PAGE)
        assert sent.count <= template_pages + 1 + 6
        # A resumed read infers no deletions: the first half is still here, and a
        # later full read finds nothing missing.
        again = Puller(store, client, settings, page_size=PAGE).pull(full=True)
        assert (again.applied, store.count_templates()) == (0, RECORDS)
    finally:
        store.database.close()


def test_a_first_sync_reports_how_many_it_read_of_how_many(
    store: Store, dynamodb: Any, dynamodb_local: DynamoDBLocal, prefix: str
) -> None:
    put_all(dynamodb, prefix + "GravyTemplates", template_items(USER, 250, now_iso(), "<p>Hi</p>"))
    settings = settings_for(dynamodb_local.endpoint_url, prefix)
    puller = Puller(store, make_client(settings), settings, page_size=100)
    seen: list[tuple[int, int | None]] = []
    puller.progress = lambda read, total: seen.append((read, total))
    report = puller.pull()
    assert report.stop is None
    assert [read for read, _ in seen][:3] == [100, 200, 250]
    assert seen[-1] == (250, 250), "counted by the end"
    seen.clear()
    puller.pull()  # not a first sync any more: no progress to show
    assert seen == []


@pytest.mark.usefixtures("isolated_qsettings")
def test_the_window_shows_how_far_a_first_sync_has_downloaded(
    qtbot: QtBot, store: Store, dynamodb: Any, dynamodb_local: DynamoDBLocal, prefix: str
) -> None:
    put_all(dynamodb, prefix + "GravyTemplates", template_items(USER, 1200, now_iso(), "<p>Hi</p>"))
    save_settings(store, settings_for(dynamodb_local.endpoint_url, prefix))
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    shown: list[str] = []
    window.sync.status_changed.connect(lambda _: shown.append(window.sync_status.text()))
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=60_000) as finished:
        qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)  # Sync now
    assert finished.args[0].ok
    assert "Downloading 1,200 of 1,200" in shown
    assert all(text.startswith("Downloading") for text in shown if "Downloading" in text)
    assert window.sync_status.text().startswith("All changes saved and synced")
