"""A full disk, for real: SQLite's page limit at the pages in use, so writes fail with
SQLITE_FULL ("database or disk is full") exactly as on a disk with no space left."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from desktop.store.services import Store


class Disk:
    """Makes the database's disk "full" for real: SQLite's page limit set to the pages in
    use on every connection, so the next write that needs a page fails with SQLITE_FULL."""

    def __init__(self, store: Store) -> None:
        self.engine = store.database.engine
        self.full = False

    @staticmethod
    def _cap(connection: sqlite3.Connection, _record: Any) -> None:
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
        connection.execute(f"PRAGMA max_page_count = {pages}")

    def fill(self) -> None:
        event.listen(self.engine, "connect", self._cap)
        self.engine.dispose()
        self.full = True

    def free(self) -> None:
        if self.full:
            event.remove(self.engine, "connect", self._cap)
            self.engine.dispose()
            self.full = False


@pytest.fixture
def disk(store: Store) -> Iterator[Disk]:
    """The store's disk, to fill (and free again: freed after the test in any case)."""
    disk = Disk(store)
    yield disk
    disk.free()
