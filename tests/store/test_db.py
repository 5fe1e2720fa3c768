from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from desktop.store.db import (
    DatabaseCorrupt,
    DatabaseTooNew,
    DiskFull,
    InstanceLock,
    NotAGravyDatabase,
    open_database,
)
from desktop.store.services import Store
from tests.full_disk import Disk


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_connections_use_wal_foreign_keys_and_a_busy_timeout(db_path: Path) -> None:
    database = open_database(db_path)
    with database.read() as session:
        pragma = lambda name: session.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 1  # NORMAL: durable across crashes in WAL mode
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10_000
    database.close()


def test_a_corrupt_file_is_explained_and_left_untouched(db_path: Path) -> None:
    db_path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    before = digest(db_path)
    with pytest.raises(DatabaseCorrupt, match=r"damaged.*left untouched"):
        open_database(db_path)
    assert digest(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_a_database_damaged_inside_is_refused(db_path: Path) -> None:
    open_database(db_path).close()
    data = bytearray(db_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page after the header
    db_path.write_bytes(bytes(data))
    before = digest(db_path)
    with pytest.raises(DatabaseCorrupt):
        open_database(db_path)
    assert digest(db_path) == before


def test_a_bug_whose_message_names_a_fault_is_not_taken_for_one(db_path: Path) -> None:
    """Faults are told by SQLite's result code: a missing table called ``corrupt_notes``
    or ``locked_items`` is a bug to report, not a damaged or busy database."""
    database = open_database(db_path)
    for table in ("corrupt_notes", "locked_items", "readonly_drafts", "disk_is_full"):
        with (
            pytest.raises(OperationalError, match=f"no such table: {table}"),
            database.read() as session,
        ):
            session.connection().exec_driver_sql(f"SELECT * FROM {table}")
    database.close()


def test_a_database_from_a_newer_app_version_is_refused_untouched(db_path: Path) -> None:
    open_database(db_path).close()
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = digest(db_path)
    with pytest.raises(DatabaseTooNew, match="newer version of Gravy Desktop"):
        open_database(db_path)
    assert digest(db_path) == before


def test_another_programs_database_is_not_touched(db_path: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    before = digest(db_path)
    with pytest.raises(NotAGravyDatabase):
        open_database(db_path)
    assert digest(db_path) == before


def test_instance_lock_refuses_a_second_holder_and_is_freed_by_kill_9(db_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from desktop.store.db import InstanceLock;"
            "lock = InstanceLock(Path(sys.argv[1]), 'app'); assert lock.acquire();"
            "print('held', flush=True); time.sleep(60)",
            str(db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not InstanceLock(db_path, "app").acquire()
        assert InstanceLock(db_path, "sync").acquire(), "locks with other names are independent"
    finally:
        holder.kill()
        holder.wait()
    lock = InstanceLock(db_path, "app")
    assert lock.acquire(), "the operating system released the dead process's lock"
    lock.release()


def test_a_full_disk_is_reported_as_such_and_the_store_works_again_with_room(
    store: Store, disk: Disk
) -> None:
    template = store.create_template("Notes", content="<p>short</p>")
    disk.fill()
    long = "<p>" + " ".join(f"word{i}" for i in range(8_000)) + "</p>"
    with pytest.raises(DiskFull, match="is full; free some space"):
        store.update_template(template.templateId, content=long)  # written by rows.py's cursor
    with pytest.raises(DiskFull):
        store.create_template("More", content=long)  # and through the ORM
    assert store.get_template(template.templateId).content == "<p>short</p>"
    assert [e.record_key for e in store.queue_entries()] == [
        f"template:{template.templateId}",
        f"version:{template.latestVersion}",
    ]
    disk.free()
    store.update_template(template.templateId, content=long)
    assert store.get_template(template.templateId).content == long
