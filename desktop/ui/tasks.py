"""Background work for the window: a plain function runs off the GUI thread, and its result
or error comes back on the GUI thread (STYLE.md "Background work"), and so does its
progress, for long work. Background functions take and return plain data and never touch
widgets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


#: What a long background function is given to report its progress: (done, total).
Progress = Callable[[int, int], None]


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work = work
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as error:  # delivered to the caller's on_error on the GUI thread
            log.debug("background task failed", exc_info=True)
            self.relay.failed.emit(error)
        else:
            self.relay.done.emit(result)


class Tasks(QObject):
    """Runs functions on a small thread pool of its own and reports back on the GUI thread."""

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relays: set[_Relay] = set()

    def run(
        self,
        work: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Run ``work()`` on the pool; ``on_done(result)`` or ``on_error(error)`` follow on
        the GUI thread. With ``on_progress``, ``work`` is called with one argument, a
        :data:`Progress` function to call from its thread (say every hundred records); each
        call reaches ``on_progress(done, total)`` on the GUI thread."""
        relay = _Relay()  # lives on the GUI thread: its signals are delivered there
        self._relays.add(relay)

        def finish(result: Any) -> None:
            self._relays.discard(relay)
            if on_done is not None:
                on_done(result)

        def fail(error: BaseException) -> None:
            self._relays.discard(relay)
            if on_error is not None:
                on_error(error)
            else:
                log.error("background task failed: %s", error)

        relay.done.connect(finish)
        relay.failed.connect(fail)
        job: Callable[[], Any] = work
        if on_progress is not None:
            relay.progress.connect(on_progress)
            job = partial(work, relay.progress.emit)
        self.pool.start(_Task(job, relay))

    def wait(self, milliseconds: int) -> bool:
        """Wait up to ``milliseconds`` for running tasks; True if they all finished."""
        return bool(self.pool.waitForDone(milliseconds))
