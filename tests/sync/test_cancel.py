"""Cancelling a sync cycle (the window closing): pull and push stop at the next request,
nothing is lost or sent twice, and closing the window or quitting the app never waits more
than the README's 3 s, against DynamoDB Local behind a proxy that makes every request slow."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store.db import open_database
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.store.syncstate import get_setting
from desktop.sync.config import SyncSettings, load_settings, make_client, save_settings
from desktop.sync.engine import SyncEngine
from desktop.sync.errors import Backoff
from desktop.sync.pull import FULL_AT
from desktop.sync.push import EngineState, PushReport
from desktop.ui.main import MainWindow
from tests.dynamodb_local import DynamoDBLocal
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import DeviceFactory, Server, settings_for

pytestmark = pytest.mark.dynamodb

#: What closing may take, with every request held 1.5 s by the proxy (a cycle of 10 s+).
CLOSE_BOUND_S = 3.5
SLOW_S = 1.5


def _queue_is_empty(store: Store) -> bool:
    return all(count == 0 for count in store.queue_counts().values())


def _next_cycle_sends_the_rest(store: Store, dynamodb_local: DynamoDBLocal, server: Server) -> None:
    """A later cycle, straight to DynamoDB Local: every queued edit arrives, once, with no
    conflict and nothing failed."""
    settings = load_settings(store).model_copy(update={"endpoint_url": dynamodb_local.endpoint_url})
    engine = SyncEngine(store, make_client(settings), settings, backoff=Backoff(0.001, 0.01))
    try:
        report = engine.run_once()
    finally:
        engine.close()
    assert report.ok, report.message
    assert (report.push.conflicts, report.push.failed, report.pull.conflicts) == (0, 0, 0)
    assert _queue_is_empty(store)
    local = {t.templateId: t.title for t in store.list_templates(limit=100_000)}
    remote = server.scan("GravyTemplates")
    assert len(remote) == len(local), "no duplicate, nothing missing"
    assert {item["templateId"]: item["title"] for item in remote} == local


def _templates(store: Store, count: int) -> None:
    for i in range(count):
        store.create_template(f"Letter {i}", content=f"<p>Dear reader number {i}</p>")


# -- the engine ---------------------------------------------------------------------------


def test_a_cancelled_drain_claims_nothing_more_and_leaves_nothing_in_flight(
    store: Store, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    for i in range(1_000):
        store.create_template(f"Note {i}")  # no content: one entry each
    settings = settings_for(dynamodb_local.endpoint_url, prefix)
    save_settings(store, settings)
    cancel = threading.Event()

    def cancel_after_the_first_answer(_report: PushReport) -> None:
        cancel.set()

    engine = SyncEngine(
        store,
        make_client(settings),
        settings,
        backoff=Backoff(0.001, 0.01),
        progress=cancel_after_the_first_answer,
        cancel=cancel,
    )
    try:
        report = engine.run_once()
    finally:
        engine.close()

    assert report.state == EngineState.CANCELLED
    sent = report.push.sent
    # The requests already on their way (up to 4 of 100) are settled from their answers;
    # nothing more is claimed.
    assert 100 <= sent <= 400
    counts = store.queue_counts()
    assert counts[State.IN_FLIGHT] == 0
    assert counts[State.PENDING] == 1_000 - sent
    assert len(server.scan("GravyTemplates")) == sent, "only what was settled went out"
    _next_cycle_sends_the_rest(store, dynamodb_local, server)


def test_a_full_pull_cut_short_infers_no_deletions_and_keeps_its_checkpoint(
    device_for: DeviceFactory, dynamodb_local: DynamoDBLocal, prefix: str
) -> None:
    ann = device_for("ann")
    _templates(ann.store, 30)
    ann.sync()
    bob = device_for("bob").store
    with FaultProxy(dynamodb_local.port, modes=("delay",), delay_s=1.0) as proxy:
        settings = settings_for(proxy.endpoint_url, prefix, device_id="device-bob")
        engine = SyncEngine(bob, make_client(settings), settings, page_size=10)
        try:
            assert engine.run_once(full=True).ok
            assert bob.count_templates() == 30
            proxy.rate = 1.0  # from now on, every request is held 1 s
            with bob.database.read() as session:
                full_at = get_setting(session, FULL_AT + prefix + "GravyTemplates")
            asked = proxy.requests["Query"]

            def cancel_once_a_read_is_on_its_way() -> None:
                while proxy.requests["Query"] == asked:
                    time.sleep(0.005)
                engine.cancel.set()  # the first page (10 of 30) is in the proxy for 1 s

            watcher = threading.Thread(target=cancel_once_a_read_is_on_its_way)
            watcher.start()
            report = engine.run_once(full=True)
            watcher.join()
        finally:
            engine.close()

    assert report.state == EngineState.CANCELLED and report.pull.cancelled
    assert proxy.requests["Query"] == asked + 1, "no request after the cancel"
    assert report.pull.received == 10
    # The 20 records the cut-short read did not reach are not taken for deleted.
    assert bob.count_templates() == 30
    assert _queue_is_empty(bob)
    with bob.database.read() as session:
        assert get_setting(session, FULL_AT + prefix + "GravyTemplates") == full_at


# -- the window ---------------------------------------------------------------------------


def _slow_window(
    qtbot: QtBot, store: Store, proxy: FaultProxy, prefix: str
) -> tuple[MainWindow, SyncSettings]:
    settings = settings_for(proxy.endpoint_url, prefix)
    save_settings(store, settings)
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)
    return window, settings


def _quit_action(window: MainWindow) -> QAction:
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text().replace("&", "") == "Quit")


def _closing_time(close: Any) -> float:
    started = time.monotonic()
    close()
    took = time.monotonic() - started
    print(f"closing took {took:.2f} s")  # the figure for the README (pytest -s)
    return took


@pytest.mark.usefixtures("isolated_qsettings")
def test_closing_the_window_during_a_slow_pull_takes_under_3_s_and_loses_nothing(
    qtbot: QtBot, store: Store, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    _templates(store, 1_500)  # a cycle here: 5 reads, then 3,000 entries to send
    with FaultProxy(dynamodb_local.port, rate=1.0, modes=("delay",), delay_s=SLOW_S) as proxy:
        window, _ = _slow_window(qtbot, store, proxy, prefix)
        qtbot.waitUntil(lambda: proxy.requests["Query"] >= 1, timeout=10_000)

        took = _closing_time(window.close)
        assert took < CLOSE_BOUND_S
        assert not window.isVisible()
        requests = sum(proxy.requests.values())
        assert "BatchExecuteStatement" not in proxy.requests, "the cycle stopped in its pull"
    assert requests <= 2, "no read after the close"
    assert store.queue_counts()[State.IN_FLIGHT] == 0
    _next_cycle_sends_the_rest(store, dynamodb_local, server)


@pytest.mark.usefixtures("isolated_qsettings")
def test_quitting_during_a_slow_drain_takes_under_3_s_and_the_next_cycle_sends_the_rest(
    qtbot: QtBot, store: Store, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    _templates(store, 1_500)  # 3,000 entries (templates, then their versions)
    with FaultProxy(
        dynamodb_local.port,
        rate=1.0,
        modes=("delay",),
        delay_s=SLOW_S,
        operations={"BatchExecuteStatement"},
    ) as proxy:
        window, _ = _slow_window(qtbot, store, proxy, prefix)
        qtbot.waitUntil(lambda: "changes sent" in window.sync_status.text(), timeout=20_000)

        took = _closing_time(_quit_action(window).trigger)
        assert took < CLOSE_BOUND_S
        assert not window.isVisible()
        written = proxy.requests["BatchExecuteStatement"]
    assert written < 3_000 / 25, "the drain stopped early"
    assert store.queue_counts()[State.IN_FLIGHT] == 0, "each request sent was settled"
    _next_cycle_sends_the_rest(store, dynamodb_local, server)


def test_quitting_the_app_ends_the_process_within_3_s_with_a_request_unanswered(
    tmp_path: Path, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    """A request the server holds for 20 s: the app does not wait for its answer."""
    db = tmp_path / "gravy.db"
    store = Store(open_database(db))
    _templates(store, 300)
    try:
        with FaultProxy(
            dynamodb_local.port,
            rate=1.0,
            modes=("delay",),
            delay_s=20.0,
            operations={"BatchExecuteStatement"},
        ) as proxy:
            save_settings(store, settings_for(proxy.endpoint_url, prefix))
            home = {name: str(tmp_path) for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")}
            told = tmp_path / "quit-now"
            child = subprocess.Popen(
                [sys.executable, "-m", "tests.sync.quit_child", str(db), str(told)],
                stdout=subprocess.PIPE,
                text=True,
                env=os.environ | home | {"QT_QPA_PLATFORM": "offscreen"},
                cwd=Path(__file__).parents[2],
            )
            assert child.stdout is not None
            try:
                deadline = time.monotonic() + 60
                while not proxy.requests["BatchExecuteStatement"] and time.monotonic() < deadline:
                    time.sleep(0.02)
                told.touch()  # a write is held by the proxy: quit now
                line = child.stdout.readline()
                assert line.strip() == "quitting", line
                started = time.monotonic()
                code = child.wait(timeout=30)
                took = time.monotonic() - started
            finally:
                child.kill()
            print(f"the process ended {took:.2f} s after Quit")
            assert code == 0
            assert took < CLOSE_BOUND_S
        _next_cycle_sends_the_rest(store, dynamodb_local, server)
    finally:
        store.database.close()
