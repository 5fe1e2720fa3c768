"""Offline work joins an account (desktop/store/adoption.py): every record moves once, with
its id, queued as one create; a SIGKILL between the copy and the emptying loses nothing and,
re-run, doubles nothing; a move begun for one account is never offered to another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop.store import adoption
from desktop.store.db import open_database
from desktop.store.outbox import Op
from desktop.store.services import Store

ROOT = Path(__file__).resolve().parents[2]


def open_store(path: Path) -> Store:
    return Store(open_database(path))


def write_offline(store: Store) -> dict[str, str]:
    """A writer's offline afternoon: edits, a deletion, a page with nodes, a use."""
    letter = store.create_template("Letter", content="<p>Dear [[name]]</p>")
    store.update_template(letter.templateId, content="<p>Dear [[name]], thanks</p>")
    store.update_template(letter.templateId, title="Thank-you letter")
    gone = store.create_template("Scrapped")
    store.delete_template(gone.templateId)
    snippet = store.create_snippet("Sign-off", content="Best, Ann")
    preset = store.create_preset("Ann", values={"name": "Ann"})
    page = store.create_page("Ideas")
    store.add_node(page.id, "First")
    store.add_node(page.id, "Second")
    store.record_use(letter.templateId)
    return {"letter": letter.templateId, "snippet": snippet.snippetId, "preset": preset.presetId}


def queued_creates(store: Store) -> dict[str, int]:
    """Queue entries per record, all of them creates."""
    per_record: dict[str, int] = {}
    for entry in store.queue_entries():
        assert entry.op == Op.CREATE, (entry.record_key, entry.op)
        per_record[entry.record_key] = per_record.get(entry.record_key, 0) + 1
    return per_record


def test_the_offline_records_move_with_their_ids_each_queued_once(tmp_path: Path) -> None:
    offline, target = open_store(tmp_path / "gravy.db"), open_store(tmp_path / "account.db")
    ids = write_offline(offline)
    before = offline.export_sections()
    waiting = adoption.waiting(offline)
    assert waiting.describe() == (
        "1 template, 1 template version, 1 snippet, 1 variable preset, 1 page, 2 page items, 1 use"
    )
    assert waiting.offered_to("sub-ann") and waiting.changes == waiting.total == 8

    moved = adoption.adopt(offline, target, "sub-ann", "ann@example.com")

    assert moved.describe() == waiting.describe() and moved.already == 0
    assert target.export_sections() == before, "every record, with its id and content"
    assert target.get_template(ids["letter"]).title == "Thank-you letter"
    assert set(queued_creates(target).values()) == {1}, "one create per record"
    assert len(queued_creates(target)) == waiting.total
    assert [t.title for t in target.search_templates("thanks")] == ["Thank-you letter"]
    emptied = adoption.waiting(offline)
    assert (emptied.total, emptied.changes, emptied.claimed_by) == (0, 0, None)
    assert not emptied.offered_to("sub-bob"), "another account is offered nothing"
    assert offline.list_templates() == [] and offline.search_templates("thanks") == []


def test_a_kill_between_the_copy_and_the_emptying_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    offline_path, account_path = tmp_path / "gravy.db", tmp_path / "account.db"
    offline = open_store(offline_path)
    write_offline(offline)
    before = offline.export_sections()
    total = adoption.waiting(offline).total
    offline.database.close()
    open_store(account_path).database.close()  # created (migrated) before the child runs

    child = subprocess.run(
        [sys.executable, "-m", "tests.store.adoption_child", str(offline_path),
         str(account_path), "sub-ann", "ann@example.com"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == -9 and child.stdout.strip() == "copied", child

    offline, target = open_store(offline_path), open_store(account_path)
    assert target.export_sections() == before, "the copy committed"
    interrupted = adoption.waiting(offline)
    assert interrupted.total == total, "and the offline records are still there"
    assert interrupted.claimed_by == {"sub": "sub-ann", "email": "ann@example.com"}
    assert not interrupted.offered_to("sub-bob"), "claimed: never offered to another account"
    with pytest.raises(adoption.AdoptionRefused, match=r"ann@example\.com"):
        adoption.adopt(offline, open_store(tmp_path / "bob.db"), "sub-bob", "bob@example.com")

    again = adoption.adopt(offline, target, "sub-ann", "ann@example.com")

    assert (again.moved, again.already) == ({}, total)
    assert target.export_sections() == before, "no record doubled"
    assert set(queued_creates(target).values()) == {1} and len(queued_creates(target)) == total
    assert adoption.waiting(offline).total == 0


def test_a_database_that_syncs_with_its_own_settings_is_never_offered(tmp_path: Path) -> None:
    from desktop.store import syncstate
    from desktop.store.outbox import record_key

    offline = open_store(tmp_path / "gravy.db")
    synced = offline.create_template("Synced with AWS keys as user ann-dev")
    offline.create_template("Not synced yet")
    with offline.database.write() as session:  # what a push under the Advanced keys leaves
        syncstate.record_remote(
            session, record_key("template", synced.templateId), 1, synced.updatedAt, None
        )
    waiting = adoption.waiting(offline)
    assert waiting.synced == 1 and not waiting.offered_to("sub-ann")
    target = open_store(tmp_path / "account.db")
    with pytest.raises(adoption.AdoptionRefused, match="its own settings"):
        adoption.adopt(offline, target, "sub-ann", "ann@example.com")
    assert target.list_templates() == [] and len(offline.list_templates()) == 2
