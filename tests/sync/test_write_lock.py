"""The sync thread holds SQLite's write lock for short transactions only, so a save in the
window never waits for long (README "How sync behaves"; figures measured there)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from desktop.store.services import Store
from desktop.sync.codec import CODECS
from desktop.sync.pull import APPLY_BATCH, PULLED
from tests.remote_data import put_all, template_items
from tests.sync.conftest import USER, DeviceFactory

pytestmark = pytest.mark.dynamodb


def templates_after_each_write(store: Store) -> list[int]:
    """The number of templates stored after each write transaction commits, from now on."""
    counts: list[int] = []
    write = store.database.write

    @contextlib.contextmanager
    def counted() -> Iterator[Session]:
        with write() as session:
            yield session
        counts.append(store.count_templates())

    store.database.write = counted  # type: ignore[method-assign]
    return counts


def test_a_pulled_page_is_applied_in_transactions_of_at_most_100_records(
    device_for: DeviceFactory, dynamodb: Any, prefix: str
) -> None:
    items = template_items(USER, 250, "2026-11-01T00:00:00.000Z", "<p>A short letter.</p>")
    put_all(dynamodb, prefix + "GravyTemplates", items)  # one page of a Query (under 1 MB)
    bob = device_for("bob")
    counts = templates_after_each_write(bob.store)

    report = bob.sync(full=True)

    tables = {CODECS[entity].table.name for entity in PULLED}
    assert report.pull.requests == len(tables), "one page per table: the 250 came in one"
    assert bob.store.count_templates() == 250
    grown = [after - before for before, after in zip([0, *counts], counts, strict=False)]
    assert max(grown) <= APPLY_BATCH == 100, grown
    assert [g for g in grown if g] == [100, 100, 50]
