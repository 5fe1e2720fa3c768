"""The search index catches up off the save path: a save marks its record in the same
transaction, the index is written when the database is idle and before any search, and
nothing marked is ever lost (a closed or killed app catches up on the next start)."""

from __future__ import annotations

import time
from pathlib import Path

from desktop.store import search
from desktop.store.db import open_database
from desktop.store.services import Store


def pending(store: Store) -> int:
    with store.database.read() as session:
        return int(
            session.connection().exec_driver_sql("SELECT count(*) FROM search_pending").scalar()
            or 0
        )


def indexed(store: Store, word: str) -> list[int]:
    with store.database.read() as session:
        return [
            row[0]
            for row in session.connection().exec_driver_sql(
                "SELECT rowid FROM templates_fts WHERE templates_fts MATCH ?", (word,)
            )
        ]


def test_a_search_right_after_a_save_sees_it(store: Store) -> None:
    template = store.create_template("Invoice", content="<p>payment overdue</p>")
    assert pending(store) == 1
    assert [t.templateId for t in store.search_templates("overdue")] == [template.templateId]
    assert pending(store) == 0
    store.update_template(template.templateId, content="<p>payment received</p>")
    assert store.search_templates("overdue") == []
    assert [t.templateId for t in store.search_templates("received")] == [template.templateId]
    store.delete_template(template.templateId)
    assert store.search_templates("received") == []


def test_the_index_catches_up_by_itself_when_the_database_is_idle(store: Store) -> None:
    for i in range(250):  # more than one background batch
        store.create_template(f"Letter {i}", content=f"<p>quince{i} harvest</p>")
    deadline = time.monotonic() + 20
    while pending(store) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pending(store) == 0
    assert len(indexed(store, "harvest")) == 250, "written without any search asking"


def test_marks_are_saved_with_the_record_and_caught_up_after_a_restart(db_path: Path) -> None:
    store = Store(open_database(db_path))
    template = store.create_template("Minutes", content="<p>agenda</p>")
    store.database.close()  # at once: no idle moment, no search
    store = Store(open_database(db_path))
    assert pending(store) == 1 and indexed(store, "agenda") == []
    assert [t.templateId for t in store.search_templates("agenda")] == [template.templateId]
    store.database.close()


def test_catching_up_follows_the_record_as_it_is_now(store: Store) -> None:
    kept = store.create_template("Kept", content="<p>alpha</p>")
    gone = store.create_template("Gone", content="<p>alpha</p>")
    store.update_template(kept.templateId, content="<p>beta</p>")
    store.delete_template(gone.templateId)
    snippet = store.create_snippet("Sign-off", content="<p>alpha regards</p>")
    with store.database.write() as session:
        assert search.catch_up(session, limit=2) == 2
    assert store.catch_up_search() == 1
    assert store.search_templates("alpha") == []
    assert [t.templateId for t in store.search_templates("beta")] == [kept.templateId]
    assert [s.snippetId for s in store.search_snippets("regards")] == [snippet.snippetId]
