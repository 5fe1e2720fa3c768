"""One description per kind of record: everything the store, the sync engine and the window
need to know about a kind, in one place, read by all of them.

Adding a kind of record takes its domain type (:mod:`desktop.domain`), its row class
(:mod:`desktop.store.models`) and Alembic migration, one :class:`Entity` in
:data:`ENTITIES` below, its DynamoDB codec (:mod:`desktop.sync.codec`, keyed by the
entity's name and checked against :data:`ENTITIES` at import), and its widgets. Everything
else reads this table: the row type and id of a name, parents and children, the fields
merged as text, the search index, the pull order, the backup section, the window's section,
and which kinds a writer deletes (undoably).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from desktop import domain
from desktop.store import order
from desktop.store.models import (
    NodeRow,
    PageRow,
    PresetRow,
    RecordRow,
    ShareRow,
    SnippetRow,
    TemplateRow,
    UsageEventRow,
    VersionRow,
    snake,
)


@dataclass(frozen=True)
class Parent:
    """A child's parent: its kind, and the child's field holding the parent's id."""

    entity: str
    field: str

    @property
    def column(self) -> str:
        return snake(self.field)


@dataclass(frozen=True)
class Entity:
    name: str  # the queue's, the record keys' and the codec's name for the kind
    row: type[RecordRow]  # its table
    label: str  # a writer's word for one of them
    plural: str  # ... and for several
    parent: Parent | None = None  # deleted with its parent; sent after it
    text_fields: frozenset[str] = frozenset()  # merged three ways line by line (sync/merge)
    html_content: bool = False  # its ``content`` is HTML, sanitized when written here
    search_index: str | None = None  # its FTS5 table (title, description, body, tags)
    pulled: bool = True  # read by the pull, in the order of ENTITIES (parents first)
    written_here: bool = True  # made on this device and queued (False: only ever pulled)
    backup: str | None = None  # its list in a backup file (imported in ENTITIES' order)
    section: str | None = None  # its section in the window's sidebar (in ENTITIES' order)
    deletable: bool = False  # a writer deletes it (undoably), its children with it
    order: str | None = None  # the SQL order of a parent's children of this kind

    @property
    def model(self) -> type[domain.Record]:
        return self.row.model

    @property
    def id_field(self) -> str:
        return self.row.id_field

    @property
    def id_column(self) -> str:
        return snake(self.row.id_field)

    @property
    def table(self) -> str:
        return str(self.row.__tablename__)

    @cached_property
    def children(self) -> tuple[Entity, ...]:
        """The kinds whose parent this is."""
        return tuple(
            e for e in ENTITIES.values() if e.parent is not None and e.parent.entity == self.name
        )


_DOCUMENT_TEXT = frozenset({"content", "description"})

#: Every kind of record, parents before their children: the pull reads them in this order,
#: a backup lists them in it and the window's sidebar shows their sections in it.
ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "template",
            TemplateRow,
            "template",
            "templates",
            text_fields=_DOCUMENT_TEXT,
            html_content=True,
            search_index="templates_fts",
            backup="templates",
            section="Templates",
            deletable=True,
        ),
        Entity(
            "version",
            VersionRow,
            "template version",
            "template versions",
            parent=Parent("template", "templateId"),
            html_content=True,
            backup="versions",
        ),
        Entity("share", ShareRow, "share", "shares", written_here=False),
        Entity(
            "snippet",
            SnippetRow,
            "snippet",
            "snippets",
            text_fields=_DOCUMENT_TEXT,
            html_content=True,
            search_index="snippets_fts",
            backup="snippets",
            section="Snippets",
            deletable=True,
        ),
        Entity(
            "preset",
            PresetRow,
            "variable preset",
            "variable presets",
            text_fields=frozenset({"description"}),
            backup="presets",
            section="Variable presets",
            deletable=True,
        ),
        Entity("page", PageRow, "page", "pages", backup="pages", section="Pages", deletable=True),
        Entity(
            "node",
            NodeRow,
            "page item",
            "page items",
            parent=Parent("page", "pageId"),
            text_fields=frozenset({"description", "prompt"}),
            backup="nodes",
            deletable=True,
            order=order.ORDER_SQL,
        ),
        # Written by this device (a template's use), never read back: not pulled.
        Entity("usage_event", UsageEventRow, "use", "uses", pulled=False, backup="usageEvents"),
    )
}

#: The kinds the pull reads, in the order it reads them.
PULLED = tuple(e.name for e in ENTITIES.values() if e.pulled)
#: The kinds with a full-text index.
SEARCHED = {e.name: e.search_index for e in ENTITIES.values() if e.search_index is not None}
#: The window's record sections (kind, heading), in the sidebar's order.
SECTIONS = tuple((e.name, e.section) for e in ENTITIES.values() if e.section is not None)
#: The kinds this device writes (and queues), parents first.
WRITTEN_HERE = tuple(e.name for e in ENTITIES.values() if e.written_here)


def section_of(entity: str) -> str | None:
    """The kind whose section in the window shows this kind (its own, or its parent's)."""
    kind = ENTITIES[entity]
    if kind.section is not None:
        return kind.name
    return None if kind.parent is None else section_of(kind.parent.entity)


def row_type(entity: str) -> type[RecordRow]:
    return ENTITIES[entity].row
