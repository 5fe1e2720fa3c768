"""When the next sync cycle runs: the one policy the window's background sync
(``desktop/ui/sync.py``) and the headless loop (``sync run --watch``, :meth:`SyncEngine.watch`)
both follow.

- A cycle runs on the settings' interval (60 s by default), counted from the end of the
  last one.
- A cycle that ended offline is retried after at most :data:`OFFLINE_RETRY_S` (15 s), so a
  network coming back is noticed within seconds. Other stops (credentials refused, tables
  missing, another process syncing, a bug) wait the interval: retrying those sooner only
  repeats the same answer.
- A local change is sent :data:`LOCAL_CHANGE_DELAY_S` (2 s) after the writer's last one, so
  a burst of autosaves is one cycle (the window only: the CLI has no editing to wait for).
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.sync.push import EngineState

OFFLINE_RETRY_S = 15.0
LOCAL_CHANGE_DELAY_S = 2.0


@dataclass(frozen=True)
class Schedule:
    interval_s: float
    offline_retry_s: float = OFFLINE_RETRY_S
    local_change_delay_s: float = LOCAL_CHANGE_DELAY_S

    def after(self, state: EngineState) -> float:
        """Seconds from the end of a cycle that ended in ``state`` to the next one."""
        if state == EngineState.OFFLINE:
            return min(self.interval_s, self.offline_retry_s)
        return self.interval_s
