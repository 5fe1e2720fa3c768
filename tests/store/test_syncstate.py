from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.store import outbox, syncstate
from desktop.store.db import open_database
from desktop.store.outbox import Change, Op
from desktop.store.rows import raw

#: SQLite's compiled-in default (3.32+); some builds (Debian's) allow more, so the test
#: lowers the limit to what Windows' and macOS' Pythons ship with.
SQLITE_DEFAULT_VARIABLES = 32_766


def test_the_remote_states_of_40000_queued_records_are_read(db_path: Path) -> None:
    database = open_database(db_path)
    with database.write() as session:
        for n in range(40_000):
            outbox.enqueue(session, Change("template", f"t{n}", Op.CREATE, {"n": n}))
        syncstate.record_remote_many(
            session, [(f"template:t{n}", 1, "2026-01-01", None) for n in range(0, 40_000, 2)]
        )
    with database.read() as session:
        raw(session).setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_DEFAULT_VARIABLES)
        keys = [entry.record_key for entry in outbox.entries(session)]
        states = syncstate.remote_states(session, keys)
    assert len(keys) == len(states) == 40_000
    assert sum(state.known for state in states.values()) == 20_000
    assert states["template:t2"].version == 1 and not states["template:t3"].known
    database.close()
