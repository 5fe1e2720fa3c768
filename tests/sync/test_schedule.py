"""The sync scheduling policy (desktop/sync/schedule.py), which the window and
``sync run --watch`` both follow: the interval, sooner only after a cycle that ended offline,
and the pause after a local change."""

from __future__ import annotations

import pytest

from desktop.sync.push import EngineState
from desktop.sync.schedule import LOCAL_CHANGE_DELAY_S, OFFLINE_RETRY_S, Schedule


def test_offline_is_retried_after_15_s_or_the_interval_if_shorter() -> None:
    assert OFFLINE_RETRY_S == 15.0
    assert Schedule(60).after(EngineState.OFFLINE) == 15.0
    assert Schedule(10).after(EngineState.OFFLINE) == 10.0


@pytest.mark.parametrize("state", [s for s in EngineState if s != EngineState.OFFLINE])
def test_every_other_end_waits_the_interval(state: EngineState) -> None:
    """Refused credentials, missing tables, a busy database or a bug give the same answer
    15 s later: the old watch loop retried them every 15 s, the window at the interval."""
    assert Schedule(60).after(state) == 60


def test_a_local_change_is_sent_two_seconds_after_the_last_one() -> None:
    assert Schedule(60).local_change_delay_s == LOCAL_CHANGE_DELAY_S == 2.0
