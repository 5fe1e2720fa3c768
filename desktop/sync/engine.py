"""One sync cycle (pull, merge, push) and the loop that repeats it (``sync run --watch``,
the window's background worker). Only one process syncs a database at a time.

The engine's ``cancel`` event (set from any thread: the window closing) ends a cycle at the
next request boundary: pull and push check it before each request, so a cycle stops within
one request's time and leaves nothing half done (see pull.py and push.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop.domain import now_iso
from desktop.store import outbox, syncstate
from desktop.store.services import Store
from desktop.sync.account import identity_mismatch
from desktop.sync.config import SyncSettings
from desktop.sync.errors import Backoff
from desktop.sync.pull import Puller, PullReport
from desktop.sync.push import (
    BUSY_MESSAGE,
    CANCELLED_MESSAGE,
    DEFAULT_BACKOFF,
    EngineState,
    PushEngine,
    PushReport,
)
from desktop.sync.schedule import Schedule

log = logging.getLogger(__name__)

LAST_CYCLE = "sync.last_cycle"  # {"at", "state", "message"} of the latest cycle
LAST_SUCCESS = "sync.last_success"  # when a cycle last pulled and pushed everything it could


@dataclass
class CycleReport:
    pull: PullReport = field(default_factory=PullReport)
    push: PushReport = field(default_factory=PushReport)
    state: EngineState = EngineState.IDLE
    message: str = ""
    finished_at: str = ""

    @property
    def ok(self) -> bool:
        return self.state == EngineState.IDLE

    def summary(self) -> dict[str, Any]:
        return {
            "state": str(self.state),
            "message": self.message,
            "finished_at": self.finished_at,
            "pulled": {
                "received": self.pull.received,
                "applied": self.pull.applied,
                "merged": self.pull.merged,
                "conflicts": self.pull.conflicts,
                "skipped": self.pull.skipped,
                "full_tables": self.pull.full_tables,
                "missing_indexes": self.pull.missing_indexes,
                "requests": self.pull.requests,
            },
            "pushed": {
                "sent": self.push.sent,
                "merged": self.push.merged,
                "retrying": self.push.retried,
                "failed": self.push.failed,
                "conflicts": self.push.conflicts,
                "requests": self.push.requests,
            },
        }


class SyncEngine:
    def __init__(
        self,
        store: Store,
        client: Any,
        settings: SyncSettings,
        backoff: Backoff = DEFAULT_BACKOFF,
        clock: Callable[[], str] = now_iso,
        page_size: int | None = None,
        progress: Callable[[PushReport], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.cancel = cancel if cancel is not None else threading.Event()
        self.pusher = PushEngine(
            store, client, settings, backoff=backoff, progress=progress, cancel=self.cancel
        )
        self.puller = Puller(
            store,
            client,
            settings,
            clock=clock,
            page_size=page_size,
            backoff=backoff,
            cancel=self.cancel,
        )

    def close(self) -> None:
        self.pusher.close()

    def run_once(self, full: bool | None = None) -> CycleReport:
        """Pull (in full when asked or due), then push what is queued."""
        report = CycleReport()
        if not self.pusher.lock.acquire():
            report.state, report.message = EngineState.BUSY, BUSY_MESSAGE
            return report
        try:
            refusal = identity_mismatch(self.store, self.pusher.user_id)
            if refusal is not None:  # another account's records must not be pulled in here
                report.state, report.message = EngineState.CREDENTIALS, f"WrongAccount: {refusal}"
                report.finished_at = now_iso()
                return report
            with self.store.database.write() as session:
                outbox.recover_in_flight(session)  # a crash's leftovers: merged, then resent
            report.pull = self.puller.pull(full)
            # What the pull brought gets its search entries here, on the sync thread, in
            # short transactions, rather than in the window's next search.
            self.store.catch_up_search_in_batches(stop=self.cancel.is_set)
            stop = report.pull.stop
            if report.pull.cancelled:
                report.state, report.message = EngineState.CANCELLED, CANCELLED_MESSAGE
            elif stop is None:
                report.push = self.pusher.drain_locked()
                report.state, report.message = report.push.state, report.push.message
            else:
                report.state = EngineState.stopped_by(stop.kind)
                report.message = f"{stop.code}: {stop.message}"
        finally:
            self.pusher.lock.release()
        report.finished_at = now_iso()
        with self.store.operation() as op, op.write() as session:
            syncstate.put_setting(
                session,
                LAST_CYCLE,
                {"at": report.finished_at, "state": str(report.state), "message": report.message},
            )
            if report.ok:
                syncstate.put_setting(session, LAST_SUCCESS, report.finished_at)
            op.queue_changed()
        return report

    def watch(
        self,
        stop: threading.Event,
        interval_s: float | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:
        """Run cycles until ``stop`` is set, as :mod:`desktop.sync.schedule` says: every
        ``interval_s`` (the settings' interval by default), sooner after one that stopped
        offline."""
        interval = float(interval_s if interval_s is not None else self.settings.sync_interval_s)
        schedule = Schedule(interval)
        while not stop.is_set():
            report = self.run_once()
            if on_cycle is not None:
                on_cycle(report)
            stop.wait(schedule.after(report.state))


def last_cycle(store: Store) -> dict[str, Any] | None:
    with store.database.read() as session:
        value = syncstate.get_setting(session, LAST_CYCLE)
    return value if isinstance(value, dict) else None


def last_success(store: Store) -> str | None:
    with store.database.read() as session:
        value = syncstate.get_setting(session, LAST_SUCCESS)
    return str(value) if value else None
