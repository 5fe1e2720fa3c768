"""`sync status` and an empty `sync push` answer from a glance at the database (cli.quick):
without SQLAlchemy, Alembic or boto3, with the same output as the ordinary path, and the
ordinary path whenever there is work or doubt."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import cli
from desktop.store import db, outbox, peek, syncstate
from desktop.store.db import InstanceLock
from desktop.store.services import Store
from desktop.sync import engine
from desktop.sync.config import SyncSettings, load_settings, save_settings
from tests.test_cli import gravy

HEAVY = ("sqlalchemy", "alembic", "boto3", "desktop.store.services", "desktop.sync.push")

#: Runs the CLI's main and prints, last, which heavy modules the process loaded.
LOADED = f"""
import sys
from desktop.app import main
code = main(sys.argv[1:])
print(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {HEAVY!r}))
raise SystemExit(code)
"""


def loaded(*args: str, db_path: Path) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, "--db", str(db_path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    *output, modules = done.stdout.strip().splitlines()
    return done.returncode, json.loads(modules.replace("'", '"')), "\n".join(output)


def configured(store: Store, endpoint: str = "http://127.0.0.1:9") -> SyncSettings:
    settings = load_settings(store).model_copy(update={"user_id": "ann", "endpoint_url": endpoint})
    save_settings(store, settings)
    return settings


def test_status_and_an_empty_push_load_neither_the_store_nor_boto3(store: Store) -> None:
    configured(store)  # an endpoint nothing listens on: an empty push must not call it
    path = store.database.path
    store.database.close()
    code, modules, output = loaded("sync", "status", db_path=path)
    assert (code, modules) == (0, []), output
    assert output.startswith("sync target: http://127.0.0.1:9 as ann")
    code, modules, output = loaded("sync", "push", db_path=path)
    assert (code, modules) == (0, []), output
    assert output.startswith("sent 0, retrying 0, newly failed 0, new conflicts 0 (0 requests)")


def test_a_push_with_something_to_send_takes_the_ordinary_path(store: Store) -> None:
    configured(store)
    store.create_template("Waiting")
    path = store.database.path
    store.database.close()
    code, modules, output = loaded("sync", "push", db_path=path)
    assert code == 2 and "stopped: offline" in output  # it tried to send
    assert "boto3" in modules and "sqlalchemy" in modules


@pytest.mark.parametrize("action", ["status", "push"])
def test_the_quick_answer_is_the_ordinary_answer(
    store: Store, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    configured(store)
    store.create_template("Refused")
    with store.database.write() as session:
        entry = outbox.entries(session)[0]
        outbox.fail(session, entry.id, "ValidationException", "too big")
        syncstate.put_setting(
            session,
            engine.LAST_CYCLE,
            {"at": "2026-11-25T10:00:00Z", "state": "offline", "message": "no network"},
        )
        syncstate.put_setting(session, engine.LAST_SUCCESS, "2026-11-25T09:00:00Z")
    args = cli.parse(["--json", "sync", action])
    ordinary = cli.run(args, store)
    ordinary_output = capsys.readouterr().out
    quick = cli.quick(args, store.database.path)
    assert quick == ordinary == 1  # a failed entry: exit 1 either way
    assert json.loads(capsys.readouterr().out) == json.loads(ordinary_output)
    text = cli.parse(["sync", action])
    cli.run(text, store)
    ordinary_text = capsys.readouterr().out
    cli.quick(text, store.database.path)
    assert capsys.readouterr().out == ordinary_text


def test_quick_declines_what_needs_the_ordinary_path(tmp_path: Path, store: Store) -> None:
    push, status = cli.parse(["sync", "push"]), cli.parse(["sync", "status"])
    assert cli.quick(status, tmp_path / "none.db") is None  # to be created
    assert cli.quick(status, store.database.path) is None  # settings never saved (device id)
    settings = configured(store)
    assert cli.quick(push, store.database.path) == 0
    lock = InstanceLock(store.database.path, "sync")  # a sync under way elsewhere
    assert lock.acquire()
    try:
        assert cli.quick(push, store.database.path) is None
    finally:
        lock.release()
    with store.database.write() as session:
        syncstate.put_setting(session, "account.owner", {"sub": "bob"})
    assert cli.quick(push, store.database.path) is None  # the ordinary path refuses it
    assert cli.quick(status, store.database.path) == 0
    save_settings(store, settings.model_copy(update={"endpoint_url": None}))
    assert cli.quick(push, store.database.path) is None  # not configured: says so
    with store.database.write() as session:
        syncstate.put_setting(session, "account.owner", None)
    save_settings(store, settings)
    store.create_template("Waiting")
    assert cli.quick(push, store.database.path) is None  # something to send
    assert cli.quick(status, store.database.path) == 0
    with sqlite3.connect(store.database.path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0005'")
    assert cli.quick(status, store.database.path) is None  # to migrate


def test_the_glance_agrees_with_the_store_it_stands_in_for() -> None:
    assert peek.SCHEMA_HEAD == db.SCHEMA_HEAD
    assert tuple(outbox.State) == peek.STATES
    assert (cli.LAST_CYCLE, cli.LAST_SUCCESS) == (engine.LAST_CYCLE, engine.LAST_SUCCESS)


def test_status_still_works_on_a_new_database(db_path: Path) -> None:
    done = gravy("sync", "status", db=db_path)
    assert done.returncode == 0 and done.stdout.startswith("sync target: none configured")
    again = gravy("sync", "status", db=db_path)  # now answered by the glance
    assert again.stdout == done.stdout
