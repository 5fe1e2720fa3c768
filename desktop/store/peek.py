"""A glance at a database with the standard library's ``sqlite3`` alone (no SQLAlchemy, no
Alembic): the queue's counts and a few settings, which is all ``sync status`` and a
``sync push`` with nothing to send need. Importing the store costs about 0.35 s of CPU;
this costs a few milliseconds (README, "Benchmarks").

It only reads, and only a database already at the current schema: anything else (no file
yet, an older or newer schema, a damaged or locked file) answers None and the caller opens
the database the ordinary way, which migrates, creates or explains.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: :data:`desktop.store.db.SCHEMA_HEAD` (a test keeps them equal; importing db would load
#: SQLAlchemy).
SCHEMA_HEAD = "0006"
#: The queue's states in :class:`desktop.store.outbox.State`'s order (a test checks it).
STATES = ("pending", "in_flight", "failed", "conflict")


@dataclass(frozen=True)
class Glance:
    counts: dict[str, int]  # queue entries per state, every state present
    settings: dict[str, Any]  # the asked settings that are stored, decoded


def glance(path: Path, keys: tuple[str, ...]) -> Glance | None:
    """The queue counts and the settings ``keys`` of the database at ``path``, or None
    when it must be opened the ordinary way."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        with contextlib.closing(connection):
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            if row is None or row[0] != SCHEMA_HEAD:
                return None
            found = dict(
                connection.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
            )
            marks = ",".join("?" * len(keys))
            stored = connection.execute(
                f"SELECT key, value FROM settings WHERE key IN ({marks})", keys
            ).fetchall()
    except sqlite3.Error:
        return None
    counts = {state: int(found.get(state, 0)) for state in STATES}
    try:
        settings = {key: json.loads(value) for key, value in stored if value is not None}
    except ValueError:
        return None
    return Glance(counts=counts, settings=settings)


def lock_is_free(database: Path, name: str) -> bool:
    """Whether :class:`desktop.store.db.InstanceLock` ``name`` of ``database`` is free now
    (it is taken and given back at once). False where it cannot tell (Windows)."""
    if sys.platform == "win32":  # pragma: no cover - the ordinary path decides there
        return False
    import fcntl

    path = database.with_name(f"{database.name}.{name}.lock")
    try:
        with open(path, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return True
