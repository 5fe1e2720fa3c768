"""The descriptions of the kinds of record agree with the schema, and what used to be
kept in step by hand now follows from them."""

from __future__ import annotations

import pytest

from desktop.store import models, search, transfer
from desktop.store.entities import ENTITIES, PULLED, section_of
from desktop.sync import codec, merge


def test_every_table_of_records_has_one_description() -> None:
    rows = {row for row in vars(models).values() if isinstance(row, type)}
    record_rows = {
        row for row in rows if issubclass(row, models.RecordRow) and row is not models.RecordRow
    }
    assert {e.row for e in ENTITIES.values()} == record_rows
    for name, kind in ENTITIES.items():
        assert kind.name == name == kind.row.entity
        assert kind.model.model_fields[kind.id_field]
        if kind.parent is not None:
            assert kind.parent.entity in ENTITIES
            assert kind.parent.field in kind.model.model_fields
            assert list(ENTITIES).index(kind.parent.entity) < list(ENTITIES).index(name)


def test_the_old_tables_follow_from_the_descriptions() -> None:
    assert PULLED == ("template", "version", "share", "snippet", "preset", "page", "node")
    assert list(transfer.SECTIONS) == [
        "templates",
        "versions",
        "snippets",
        "presets",
        "pages",
        "nodes",
        "usageEvents",
    ]
    assert frozenset({"template", "snippet"}) == search.INDEXED
    assert merge.TEXT_FIELDS["node"] == {"description", "prompt"}
    assert [c.name for c in ENTITIES["page"].children] == ["node"]
    assert section_of("node") == "page" and section_of("usage_event") is None


def test_a_kind_of_record_without_a_codec_is_refused_at_import() -> None:
    """Adding an Entity without its codec fails at once, not at the first sync."""
    codecs = list(codec.CODECS.values())
    with pytest.raises(RuntimeError, match="usage_event"):
        codec._registry(*[c for c in codecs if c.entity != "usage_event"])
    assert codec._registry(*codecs) == codec.CODECS
