"""Sync for the window: cycles run off the GUI thread, when :mod:`desktop.sync.schedule`
says (after local changes, once the writer pauses; on the settings' interval; sooner while
offline, so the window notices connectivity coming back within seconds), and on demand.
The window only ever sees plain status data."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.sync.config import SyncSettings, load_settings, make_client
from desktop.sync.engine import CycleReport, SyncEngine, last_success
from desktop.sync.errors import classify
from desktop.sync.push import EngineState
from desktop.sync.schedule import LOCAL_CHANGE_DELAY_S, Schedule
from desktop.ui import words
from desktop.ui.tasks import Tasks

log = logging.getLogger(__name__)

#: The status line is written again this often, so "2 min ago" stays true between syncs
#: (from the status held: no query on the GUI thread; a cycle's end reads the new time).
RETELL_MS = 30_000
#: The records still waiting are counted at most this often during a push (seconds).
PROGRESS_EVERY_S = 0.25


@dataclass(frozen=True)
class SyncStatus:
    """What the status area shows."""

    #: "not configured", "online", "offline", "paused" (by the writer), "signed out" (the
    #: credentials are missing or refused), "syncing", "trouble" (see ``message``)
    mode: str
    queued: int = 0
    failed: int = 0
    conflicts: int = 0
    last_success: str | None = None
    target: str = ""  # "<endpoint or region> as <user id>", when configured
    message: str = ""
    #: While syncing: the changed records waiting when the cycle began, and how many of
    #: them have left the queue since (records, like ``queued``: not queue entries).
    to_send: int = 0
    sent_this_cycle: int = 0
    downloaded: int = 0  # records read so far by a first sync
    download_total: int | None = None  # how many it reads in all, once counted

    @property
    def text(self) -> str:
        return words.status_line(self)  # the writer's words: desktop/ui/words.py


_MODES = {
    EngineState.IDLE: "online",
    EngineState.OFFLINE: "offline",
    EngineState.CREDENTIALS: "signed out",
    EngineState.SETUP: "trouble",
    EngineState.BUSY: "online",
    EngineState.CANCELLED: "online",
    EngineState.TRANSIENT: "trouble",
    EngineState.PERMANENT: "trouble",
}


class SyncController(QObject):
    status_changed = Signal(object)  # SyncStatus
    cycle_finished = Signal(object)  # CycleReport
    _progress = Signal(int)  # changed records still waiting, from the sync thread
    _downloading = Signal(int, object)  # a first sync's records read, of (None: uncounted)

    def __init__(
        self,
        store: Store,
        tasks: Tasks,
        debounce_ms: int = int(LOCAL_CHANGE_DELAY_S * 1000),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.tasks = tasks
        self._engine: SyncEngine | None = None
        self._engine_settings: SyncSettings | None = None
        self._running = False
        self._again = False
        self._closing = False
        self._paused = False
        self._started = False  # start(): cycles on the schedule, not only on demand
        self._lock = threading.Lock()
        self._cancel = threading.Event()  # set once, when the window closes
        self.status = SyncStatus("not configured")

        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self.sync_now)
        self._schedule = Schedule(load_settings(store).sync_interval_s)
        self._interval = QTimer(self, singleShot=True)  # the next scheduled cycle
        self._interval.timeout.connect(self.sync_now)
        self._progress.connect(self._on_progress)
        self._counted_at = 0.0
        self._retell = QTimer(self, interval=RETELL_MS)
        self._retell.timeout.connect(lambda: self.status_changed.emit(self.status))
        self._retell.start()
        self._downloading.connect(self._on_download)
        self.refresh()

    # -- triggers -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin syncing on the settings' interval (and once now)."""
        self._schedule = Schedule(load_settings(self.store).sync_interval_s)
        self._started = True
        self.sync_now()

    def local_change(self) -> None:
        """A local edit was saved: sync soon, once the writer pauses."""
        if not self._closing:
            self._debounce.start()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if not paused:
            self.sync_now()
        self.refresh()

    def sync_now(self, full: bool | None = None) -> None:
        if self._closing or self._paused:
            return
        if self._running:
            self._again = True
            return
        settings = load_settings(self.store)
        # The counts are current (every store change refreshes them); counting again
        # costs a second with 100,000 queued entries, at every start (bench/startup.py).
        if not settings.configured:
            self._emit(replace(self.status, mode="not configured", target=""))
            self._next_cycle(EngineState.SETUP)  # look again then (the CLI may set it up)
            return
        self._running = True
        # The next scheduled cycle is counted from this one's end: one left pending (an
        # offline retry) would fire during it and run one more cycle after it.
        self._interval.stop()
        self._counted_at = 0.0
        status = self.status
        self._emit(
            replace(
                status,
                mode="syncing",
                to_send=status.queued,
                sent_this_cycle=0,
                downloaded=0,
                download_total=None,
            )
        )
        self.tasks.run(lambda: self._cycle(settings, full), self._finished, self._crashed)

    # -- the cycle, on a worker thread ----------------------------------------------------

    def _cycle(self, settings: SyncSettings, full: bool | None) -> CycleReport:
        with self._lock:
            if self._engine is None or self._engine_settings != settings:
                if self._engine is not None:
                    self._engine.close()
                self._engine = SyncEngine(
                    self.store,
                    make_client(settings),
                    settings,
                    progress=lambda _report: self._count_progress(),
                    cancel=self._cancel,
                )
                self._engine.puller.progress = self._downloading.emit
                self._engine_settings = settings
            return self._engine.run_once(full)

    def _count_progress(self) -> None:
        """After a settled request (on the sync thread): the changed records still waiting,
        at most every :data:`PROGRESS_EVERY_S` (a push's report counts queue entries, and a
        template with its version is one change to a writer)."""
        now = time.monotonic()
        if now - self._counted_at < PROGRESS_EVERY_S:
            return
        self._counted_at = now
        counts = self.store.change_counts()
        self._progress.emit(counts[State.PENDING] + counts[State.IN_FLIGHT])

    def _on_progress(self, waiting: int) -> None:
        if self._running:
            status = self.status
            sent = max(0, min(status.to_send, status.to_send - waiting))
            self._emit(replace(status, mode="syncing", queued=waiting, sent_this_cycle=sent))

    def _on_download(self, read: int, total: int | None) -> None:
        if self._running:
            self._emit(replace(self.status, mode="syncing", downloaded=read, download_total=total))

    def _finished(self, report: CycleReport) -> None:
        self._running = False
        mode = _MODES.get(report.state, "trouble")
        self._emit(replace(self._counts(), mode=mode, message=report.message))
        self.cycle_finished.emit(report)
        self._next_cycle(report.state)
        if self._again:
            self._again = False
            self.sync_now()

    def _next_cycle(self, state: EngineState) -> None:
        """After an attempt that ended in ``state``: the next one, as the schedule says."""
        if self._started and not self._closing:
            self._interval.start(round(self._schedule.after(state) * 1000))

    def _crashed(self, error: BaseException) -> None:
        self._running = False
        self._next_cycle(EngineState.PERMANENT)
        problem = classify(error)
        if problem is None:  # a bug, not an environment fault: say so plainly
            log.exception("sync failed", exc_info=error)
            mode, message = "trouble", f"sync failed: {error}"
        else:
            mode = "signed out" if problem.kind == "credentials" else "trouble"
            message = f"{problem.code}: {problem.message}"
        self._emit(replace(self._counts(), mode=mode, message=message))

    # -- status ---------------------------------------------------------------------------

    def _counts(self) -> SyncStatus:
        counts = self.store.change_counts()  # changed records, not queue entries
        settings = load_settings(self.store)
        mode = self.status.mode if settings.configured else "not configured"
        if settings.configured and mode == "not configured":
            mode = "online"
        if self._paused:
            mode = "paused"
        return replace(
            self.status,
            mode=mode,
            queued=counts[State.PENDING] + counts[State.IN_FLIGHT],
            failed=counts[State.FAILED],
            conflicts=counts[State.CONFLICT],
            last_success=last_success(self.store),
            target=(
                f"{settings.endpoint_url or settings.region} as "
                f"{settings.account.email if settings.account else settings.user_id}"
                if settings.configured
                else ""
            ),
        )

    def refresh(self) -> None:
        """Re-read the queue counts (after a local change, a retry or a discard)."""
        if self._running:
            self._emit(replace(self._counts(), mode="syncing", to_send=self.status.to_send))
        else:
            self._emit(self._counts())

    def _emit(self, status: SyncStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    def shutdown(self, wait_ms: int = 2_500) -> bool:
        """Stop the timers, cancel a cycle in flight and wait for it at most ``wait_ms``.
        Cancelled, a cycle ends at its next request (pull.py, push.py), usually well within
        that; one still waiting for an answer then is left to the process's end, which is
        safe: its entries stay in flight and are resent at the next start (push.py).
        2.5 s leaves the rest of the README's 3 s for saving and ending the process.
        True if no background work is left."""
        self._closing = True
        self._debounce.stop()
        self._interval.stop()
        self._retell.stop()
        # The next scheduled cycle is counted from this one's end: one left pending (an
        # offline retry) would fire during it and run one more cycle after it.
        self._interval.stop()
        self._cancel.set()
        finished = self.tasks.wait(wait_ms)
        # Never wait on the lock: a cycle that did not finish in time holds it.
        if finished and self._engine is not None:
            self._engine.close()
        return finished
