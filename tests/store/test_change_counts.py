"""The status bar's counts (issue 15): changed records, each counted once, in the state
that matters most to the writer."""

from __future__ import annotations

from pathlib import Path

from desktop.store import outbox
from desktop.store.db import open_database
from desktop.store.outbox import State
from desktop.store.services import Store


def test_a_refused_template_holding_back_its_version_is_one_change_that_failed(
    tmp_path: Path,
) -> None:
    store = Store(open_database(tmp_path / "g.db"))
    refused = store.create_template("Press release", content="<p>Long</p>")
    store.create_template("Other", content="<p>Fine</p>")
    with store.database.write() as session:
        for entry in outbox.claim(session, 100):  # the templates; versions wait for them
            if entry.record_id == refused.templateId:
                outbox.fail(session, entry.id, "ValidationException", "Item size exceeded")
            else:
                outbox.complete(session, entry.id)
    counts = store.change_counts()
    assert counts[State.FAILED] == 1
    assert counts[State.PENDING] == 1, "only Other's version waits; Press release failed"
    assert counts[State.PENDING] + counts[State.IN_FLIGHT] + counts[State.FAILED] == 2
    store.database.close()
