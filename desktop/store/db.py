"""Opening the local SQLite database: the one place that sets its pragmas and migrates it.

Every writer starts its transaction with ``BEGIN IMMEDIATE`` so that a read-modify-write
(outbox coalescing, claiming entries for a drain) can never interleave with another
process's writer: SQLite serialises them and the busy timeout makes the second one wait.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
# Durability: WAL with synchronous=NORMAL. A commit is in the WAL file (in the operating
# system) when it returns, so it survives the app being killed at any instant; the WAL is
# fsynced by each checkpoint, which a background thread runs every second, so a power cut
# can lose at most the last second of edits and never corrupts the file. FULL (an fsync
# per commit) put this VM's fsync stalls of 10-30 ms into the save p99 (bench/local_save.py).
# Checkpoints copy the WAL back into the database file: several milliseconds, which saves
# never pay; SQLite's own automatic checkpoint stays only as a distant safety net.
CHECKPOINT_INTERVAL_S = 1.0
#: Background work (catching the search index up) waits for this long without writes.
IDLE_AFTER_S = 0.5
BACKGROUND_TICK_S = 0.1
AUTOCHECKPOINT_PAGES = 20_000


class StoreError(Exception):
    """A fault of the environment (not a bug): its message is meant for the user."""


class DatabaseCorrupt(StoreError):
    pass


class DatabaseTooNew(StoreError):
    pass


class NotAGravyDatabase(StoreError):
    pass


class DatabaseBusy(StoreError):
    pass


class DatabaseReadOnly(StoreError):
    pass


class DiskFull(StoreError):
    pass


class AlreadyRunning(StoreError):
    pass


def classify_sqlite_error(error: BaseException, path: Path) -> StoreError | None:
    """Map a sqlite3 / SQLAlchemy error to the environment fault it reports, if it is one.
    Keyed on SQLite's primary result code (``sqlite_errorcode & 0xFF``), never on the
    message: "no such table: corrupt_notes" is a bug, not a damaged file."""
    original = error.orig if isinstance(error, DBAPIError) else error
    if not isinstance(original, sqlite3.Error):
        return None
    code = getattr(original, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return DatabaseCorrupt(
            f"The database {path} is damaged and cannot be opened ({original}). It has been "
            "left untouched: restore it from a backup or move it aside to start afresh."
        )
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseBusy(f"The database {path} is busy in another program; try again.")
    if primary == sqlite3.SQLITE_READONLY:
        return DatabaseReadOnly(f"The database {path} is read-only; check its permissions.")
    if primary == sqlite3.SQLITE_FULL:
        return DiskFull(f"The disk holding {path} is full; free some space and try again.")
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR):
        return StoreError(f"The database {path} cannot be read or written ({original}).")
    return None


@dataclass
class Database:
    """An open database file: its engine and the sessions that read and write it."""

    path: Path
    engine: Engine

    def __post_init__(self) -> None:
        self._writer = self.engine.execution_options(gravy_begin="IMMEDIATE")
        self._reader = self.engine.execution_options(gravy_begin="DEFERRED")
        self._stop = threading.Event()
        self._idle_tasks: list[Callable[[], bool]] = []
        self._last_write = time.monotonic()
        self._background = threading.Thread(
            target=self._background_loop, name="sqlite-background", daemon=True
        )
        self._background.start()

    def on_idle(self, task: Callable[[], bool]) -> None:
        """Run ``task`` on the background thread once nobody has written for a moment, again
        and again while it returns True (it has more to do) and the database stays idle."""
        self._idle_tasks.append(task)

    def _idle(self) -> bool:
        return time.monotonic() - self._last_write >= IDLE_AFTER_S and not self._stop.is_set()

    def _background_loop(self) -> None:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        next_checkpoint = time.monotonic() + CHECKPOINT_INTERVAL_S
        resume_tasks_at = 0.0
        try:
            while not self._stop.wait(BACKGROUND_TICK_S):
                if time.monotonic() >= next_checkpoint:
                    next_checkpoint = time.monotonic() + CHECKPOINT_INTERVAL_S
                    try:
                        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    except sqlite3.Error as error:  # busy or gone: the next round tries again
                        log.debug("checkpoint skipped: %s", error)
                if time.monotonic() < resume_tasks_at:
                    continue
                for task in list(self._idle_tasks):
                    try:
                        while self._idle() and task():
                            pass
                    except Exception:  # a full disk, say: checkpoints go on, tasks rest
                        log.warning("background task failed; again in a minute", exc_info=True)
                        resume_tasks_at = time.monotonic() + 60
        finally:
            connection.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction holds SQLite's write lock from its first statement."""
        if threading.current_thread() is not self._background:
            self._last_write = time.monotonic()  # someone is working: idle tasks wait
        with self._session(immediate=True) as session:
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._session(immediate=False) as session:
            yield session

    @contextlib.contextmanager
    def _session(self, immediate: bool) -> Iterator[Session]:
        # No autoflush: a write flushes once, at commit, after its ORM changes are complete.
        session = Session(
            bind=self._writer if immediate else self._reader,
            expire_on_commit=False,
            autoflush=False,
        )
        try:
            with session.begin():
                yield session
        except (DBAPIError, sqlite3.Error) as error:  # the ORM's, or rows.py's raw cursor's
            fault = classify_sqlite_error(error, self.path)
            if fault is not None:
                raise fault from error
            raise
        finally:
            session.close()

    def close(self) -> None:
        self._stop.set()
        self._background.join()
        self.engine.dispose()


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("gravy_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _check_readable(path: Path) -> None:
    """Fail with a clear error on a file that is not a healthy SQLite database."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.Error as error:
        fault = classify_sqlite_error(error, path)
        raise fault if fault is not None else DatabaseCorrupt(str(error)) from error
    if names and "alembic_version" not in names:
        raise NotAGravyDatabase(
            f"{path} is an SQLite database of another program; Gravy Desktop will not touch it."
        )


#: The newest schema revision (tests check it against the migration scripts). A database
#: already at it opens without loading Alembic at all, which keeps the window's start fast.
SCHEMA_HEAD = "0006"


def alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        try:
            row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # no such table: an empty (new) database
            return None
        return None if row is None else str(row[0])


def migrate(database: Database) -> None:
    """Bring the schema to the newest revision, backing the file up before an upgrade."""
    if current_revision(database.engine) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(database.engine)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    current = current_revision(database.engine)
    if current == head:
        return
    known = {revision.revision for revision in script.walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseTooNew(
            f"{database.path} was written by a newer version of Gravy Desktop (schema "
            f"{current}). Install that version again; this one left the file untouched."
        )
    if current is not None:
        backup = database.path.with_name(f"{database.path.name}.before-{head}.bak")
        _backup(database.path, backup)
        log.info(
            "backed up %s to %s before migrating %s -> %s", database.path, backup, current, head
        )
    command.upgrade(config, "head")


def _backup(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def open_database(path: Path | str) -> Database:
    """Open (creating if needed) and migrate the database at ``path``.

    Raises a :class:`StoreError` subclass, leaving the file untouched, when it is corrupt,
    from a newer app version, another program's database, or unreadable.
    """
    path = Path(path).expanduser().resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"Cannot create the folder for {path}: {error.strerror}") from error
    _check_readable(path)
    engine = _make_engine(path)
    try:
        with engine.connect():  # create the file (and its WAL) before anything else opens it
            pass
        database = Database(path=path, engine=engine)
    except DBAPIError as error:
        engine.dispose()
        fault = classify_sqlite_error(error, path)
        raise (fault or StoreError(str(error))) from error
    try:
        migrate(database)
    except DBAPIError as error:
        database.close()
        fault = classify_sqlite_error(error, path)
        raise (fault or StoreError(str(error))) from error
    except StoreError:
        database.close()
        raise
    return database


class InstanceLock:
    """An advisory lock on ``<database>.<name>.lock``, held until released or the process dies.

    The operating system drops the lock when the process ends, even on ``kill -9``,
    so a crash never leaves a stale lock behind.
    """

    def __init__(self, database_path: Path, name: str) -> None:
        self.path = database_path.with_name(f"{database_path.name}.{name}.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            _lock_file(handle)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                _unlock_file(self._file)
            self._file.close()
            self._file = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _lock_file(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
