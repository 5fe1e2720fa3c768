"""Every user action on the local store, each one a single SQLite transaction that writes
the record, its search entry and its queue entry together (sync invariant 1).

Input is validated (pydantic) before anything is written; an invalid change raises
:class:`desktop.domain.InvalidInput` and leaves the database as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import domain
from desktop.domain import InvalidInput, now_iso, validated
from desktop.store import outbox, search
from desktop.store.db import Database
from desktop.store.models import (
    NodeRow,
    PageRow,
    PresetRow,
    RecordRow,
    SnippetRow,
    TemplateRow,
    UsageEventRow,
    VersionRow,
    snake,
)
from desktop.store.outbox import Change, Op, State, record_key

log = logging.getLogger(__name__)

R = TypeVar("R", bound=domain.Record)
Row = TypeVar("Row", bound=RecordRow)
ChangeListener = Callable[[list[tuple[str, str]]], None]

#: Content saves closer together than this fold into the newest version while that version
#: has not left the device yet, so a burst of autosaves is one entry in the history.
DEFAULT_VERSION_WINDOW_S = 120.0


class NotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


def _id_column(row_type: type[RecordRow]) -> Any:
    return getattr(row_type, snake(row_type.id_field))


def _seconds_between(earlier: str, later: str) -> float:
    start = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    end = datetime.fromisoformat(later.replace("Z", "+00:00"))
    return (end - start).total_seconds()


class Store:
    """The local store's public face: used by the UI, the CLI and the sync engine."""

    def __init__(self, database: Database, version_window_s: float = DEFAULT_VERSION_WINDOW_S):
        self.database = database
        self.version_window_s = version_window_s
        self._listeners: list[ChangeListener] = []

    # -- change notification -------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener`` with the (entity, id) pairs of each committed change."""
        self._listeners.append(listener)

    def _notify(self, changed: list[tuple[str, str]]) -> None:
        for listener in list(self._listeners):
            try:
                listener(changed)
            except Exception:  # a broken listener must not undo a committed change
                log.exception("change listener failed")

    # -- generic record plumbing ---------------------------------------------------------

    def _row(self, session: Session, row_type: type[Row], record_id: str) -> Row:
        row = session.scalar(select(row_type).where(_id_column(row_type) == record_id))
        if row is None:
            raise NotFound(f"no {row_type.entity} {record_id!r}")
        return row

    def _put(
        self,
        session: Session,
        row: RecordRow,
        record: domain.Record,
        op: Op,
        parent_key: str | None = None,
    ) -> None:
        record.check_item_size()
        row.apply(record)
        session.add(row)
        if isinstance(row, TemplateRow | SnippetRow):
            search.index(session, row)
        state = record.model_dump()
        outbox.enqueue(
            session, Change(row.entity, row.record_id, op, state, parent_key=parent_key)
        )

    def _remove(self, session: Session, row: RecordRow, parent_key: str | None = None) -> None:
        if isinstance(row, TemplateRow | SnippetRow):
            search.unindex(session, row)
        state = row.to_domain().model_dump()
        session.delete(row)
        session.flush()
        outbox.enqueue(
            session, Change(row.entity, row.record_id, Op.DELETE, state, parent_key=parent_key)
        )

    @staticmethod
    def _changed(current: R, model: type[R], what: str, changes: dict[str, Any]) -> R | None:
        """The record with ``changes`` applied and validated, or None if nothing changes."""
        if all(getattr(current, name) == value for name, value in changes.items()):
            return None
        fields = current.model_dump() | changes | {"updatedAt": now_iso()}
        return validated(model, what, **fields)

    def _get(self, row_type: type[RecordRow], record_id: str) -> Any:
        with self.database.read() as session:
            return self._row(session, row_type, record_id).to_domain()

    def _list(self, row_type: type[RecordRow], order: Any, **where: Any) -> list[Any]:
        with self.database.read() as session:
            query = select(row_type).filter_by(**where).order_by(order)
            return [row.to_domain() for row in session.scalars(query)]

    # -- templates -----------------------------------------------------------------------

    def create_template(self, title: str, **fields: Any) -> domain.Template:
        template = validated(domain.Template, "template", title=title, **fields)
        with self.database.write() as session:
            template = self._save_template(session, TemplateRow(), template, Op.CREATE, "Created")
        self._notify([("template", template.templateId)])
        return template

    def get_template(self, template_id: str) -> domain.Template:
        return self._get(TemplateRow, template_id)  # type: ignore[no-any-return]

    def update_template(self, template_id: str, **changes: Any) -> domain.Template:
        """Edit, rename, categorise, tag or share a template (any of its own fields)."""
        note = str(changes.pop("changes", ""))
        for frozen in ("templateId", "usageCount", "createdAt", "latestVersion"):
            if frozen in changes:
                raise InvalidInput([f"template {frozen} cannot be edited"])
        with self.database.write() as session:
            row = self._row(session, TemplateRow, template_id)
            current: domain.Template = row.to_domain()
            updated = self._changed(current, domain.Template, "template", changes)
            if updated is None:
                return current
            updated = self._save_template(session, row, updated, Op.UPDATE, note)
        self._notify([("template", template_id)])
        return updated

    def set_shared(self, template_id: str, shared: bool) -> domain.Template:
        return self.update_template(template_id, isShared=shared)

    def duplicate_template(self, template_id: str, title: str | None = None) -> domain.Template:
        original = self.get_template(template_id)
        return self.create_template(
            title or f"Copy of {original.title}"[: domain.MAX_TITLE],
            description=original.description,
            content=original.content,
            category=original.category,
            tags=list(original.tags),
        )

    def delete_template(self, template_id: str) -> domain.Template:
        """Delete a template and its version history; returns what was deleted."""
        with self.database.write() as session:
            row = self._row(session, TemplateRow, template_id)
            deleted: domain.Template = row.to_domain()
            parent = record_key("template", template_id)
            for version in session.scalars(
                select(VersionRow).where(VersionRow.template_id == template_id)
            ):
                self._remove(session, version, parent_key=parent)
            self._remove(session, row)
        self._notify([("template", template_id)])
        return deleted

    def list_templates(
        self, category: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[domain.Template]:
        with self.database.read() as session:
            query = select(TemplateRow).order_by(TemplateRow.updated_at.desc())
            if category is not None:
                query = query.where(TemplateRow.category == category)
            query = query.offset(offset).limit(limit)
            return [row.to_domain() for row in session.scalars(query)]

    def count_templates(self) -> int:
        with self.database.read() as session:
            return int(session.scalar(select(func.count()).select_from(TemplateRow)) or 0)

    def categories(self) -> list[str]:
        with self.database.read() as session:
            rows = session.scalars(
                select(TemplateRow.category).where(TemplateRow.category != "").distinct()
            )
            return sorted(rows)

    def search_templates(
        self, query: str, category: str | None = None, limit: int = 200
    ) -> list[domain.Template]:
        return self._search(TemplateRow, query, category, limit)

    def _search(
        self, row_type: type[TemplateRow] | type[SnippetRow], query: str,
        category: str | None, limit: int,
    ) -> list[Any]:
        with self.database.read() as session:
            ids = search.search_ids(session, row_type, query, category, limit)
            if not ids:
                return []
            column = _id_column(row_type)
            rows = {row.record_id: row for row in session.scalars(
                select(row_type).where(column.in_(ids))
            )}
            return [rows[i].to_domain() for i in ids if i in rows]

    # -- versions ------------------------------------------------------------------------

    def _save_template(
        self, session: Session, row: TemplateRow, template: domain.Template, op: Op, note: str
    ) -> domain.Template:
        """Write a template and, if its content changed, its version snapshot (after it)."""
        previous = None if op == Op.CREATE else row.content
        snapshot: tuple[VersionRow, domain.TemplateVersion, Op] | None = None
        if template.content != (previous if previous is not None else ""):
            snapshot = self._snapshot(session, template, note)
            template = template.model_copy(update={"latestVersion": snapshot[1].versionId})
        self._put(session, row, template, op)
        if snapshot is not None:
            version_row, version, version_op = snapshot
            parent = record_key("template", template.templateId)
            self._put(session, version_row, version, version_op, parent_key=parent)
        return template

    def _snapshot(
        self, session: Session, template: domain.Template, note: str
    ) -> tuple[VersionRow, domain.TemplateVersion, Op]:
        """The version to record: a new one, or the newest one when it is recent and unsent."""
        latest = session.scalar(
            select(VersionRow)
            .where(VersionRow.template_id == template.templateId)
            .order_by(VersionRow.created_at.desc(), VersionRow.version_id.desc())
            .limit(1)
        )
        if (
            latest is not None
            and self.version_window_s > 0
            and _seconds_between(latest.created_at, template.updatedAt) < self.version_window_s
            and outbox.has_unsent_create(session, record_key("version", latest.version_id))
        ):
            update = {"title": template.title, "content": template.content,
                      "updatedAt": template.updatedAt}
            return latest, latest.to_domain().model_copy(update=update), Op.UPDATE
        version = domain.TemplateVersion(
            templateId=template.templateId,
            title=template.title,
            content=template.content,
            changes=note,
            createdAt=template.updatedAt,
            updatedAt=template.updatedAt,
        )
        return VersionRow(), version, Op.CREATE

    def versions(self, template_id: str) -> list[domain.TemplateVersion]:
        """The template's history, newest first."""
        with self.database.read() as session:
            rows = session.scalars(
                select(VersionRow)
                .where(VersionRow.template_id == template_id)
                .order_by(VersionRow.created_at.desc(), VersionRow.version_id.desc())
            )
            return [row.to_domain() for row in rows]

    def restore_version(self, template_id: str, version_id: str) -> domain.Template:
        version: domain.TemplateVersion = self._get(VersionRow, version_id)
        if version.templateId != template_id:
            raise NotFound(f"version {version_id!r} is not a version of {template_id!r}")
        return self.update_template(
            template_id, content=version.content, changes=f"Restored {version_id}"
        )

    # -- usage ---------------------------------------------------------------------------

    def record_use(self, template_id: str, action: str = "populate") -> domain.UsageEvent:
        """Count a use: a usage event plus ``usageCount + 1`` (sent as ``ADD``)."""
        event = validated(domain.UsageEvent, "usage event", templateId=template_id, action=action)
        with self.database.write() as session:
            row = self._row(session, TemplateRow, template_id)
            row.usage_count += 1
            state = row.to_domain().model_dump()
            outbox.enqueue(
                session, Change("template", template_id, Op.INCREMENT, state, amount=1)
            )
            self._put(session, UsageEventRow(), event, Op.CREATE)
        self._notify([("template", template_id)])
        return event

    # -- snippets and presets ------------------------------------------------------------

    def create_snippet(self, title: str, **fields: Any) -> domain.Snippet:
        return self._create(SnippetRow(), domain.Snippet, "snippet", title=title, **fields)

    def update_snippet(self, snippet_id: str, **changes: Any) -> domain.Snippet:
        return self._update(SnippetRow, domain.Snippet, "snippet", snippet_id, changes)

    def delete_snippet(self, snippet_id: str) -> domain.Snippet:
        return self._delete(SnippetRow, snippet_id)  # type: ignore[return-value]

    def get_snippet(self, snippet_id: str) -> domain.Snippet:
        return self._get(SnippetRow, snippet_id)  # type: ignore[no-any-return]

    def list_snippets(self) -> list[domain.Snippet]:
        return self._list(SnippetRow, SnippetRow.title)

    def search_snippets(self, query: str, limit: int = 200) -> list[domain.Snippet]:
        return self._search(SnippetRow, query, None, limit)

    def create_preset(self, name: str, **fields: Any) -> domain.VariablePreset:
        return self._create(PresetRow(), domain.VariablePreset, "preset", name=name, **fields)

    def update_preset(self, preset_id: str, **changes: Any) -> domain.VariablePreset:
        return self._update(PresetRow, domain.VariablePreset, "preset", preset_id, changes)

    def delete_preset(self, preset_id: str) -> domain.VariablePreset:
        return self._delete(PresetRow, preset_id)  # type: ignore[return-value]

    def get_preset(self, preset_id: str) -> domain.VariablePreset:
        return self._get(PresetRow, preset_id)  # type: ignore[no-any-return]

    def list_presets(self) -> list[domain.VariablePreset]:
        return self._list(PresetRow, PresetRow.name)

    def _create(
        self, row: RecordRow, model: type[R], what: str, parent_key: str | None = None,
        **fields: Any,
    ) -> R:
        record = validated(model, what, **fields)
        with self.database.write() as session:
            self._put(session, row, record, Op.CREATE, parent_key)
        self._notify([(row.entity, row.record_id)])
        return record

    def _update(
        self, row_type: type[RecordRow], model: type[R], what: str, record_id: str,
        changes: dict[str, Any], parent_key: str | None = None,
    ) -> R:
        with self.database.write() as session:
            row = self._row(session, row_type, record_id)
            current: R = row.to_domain()
            updated = self._changed(current, model, what, changes)
            if updated is None:
                return current
            self._put(session, row, updated, Op.UPDATE, parent_key)
        self._notify([(row_type.entity, record_id)])
        return updated

    def _delete(self, row_type: type[RecordRow], record_id: str) -> domain.Record:
        with self.database.write() as session:
            row = self._row(session, row_type, record_id)
            deleted: domain.Record = row.to_domain()
            self._remove(session, row)
        self._notify([(row_type.entity, record_id)])
        return deleted

    # -- pages and their ordered nodes ---------------------------------------------------

    def create_page(self, title: str, **fields: Any) -> domain.Page:
        return self._create(PageRow(), domain.Page, "page", title=title, **fields)

    def update_page(self, page_id: str, **changes: Any) -> domain.Page:
        return self._update(PageRow, domain.Page, "page", page_id, changes)

    def get_page(self, page_id: str) -> domain.Page:
        return self._get(PageRow, page_id)  # type: ignore[no-any-return]

    def list_pages(self) -> list[domain.Page]:
        return self._list(PageRow, PageRow.created_at)

    def delete_page(self, page_id: str) -> domain.Page:
        """Delete a page and its nodes (the nodes' deletes are sent first)."""
        with self.database.write() as session:
            row = self._row(session, PageRow, page_id)
            deleted: domain.Page = row.to_domain()
            parent = record_key("page", page_id)
            for node in session.scalars(select(NodeRow).where(NodeRow.page_id == page_id)):
                self._remove(session, node, parent_key=parent)
            self._remove(session, row)
        self._notify([("page", page_id)])
        return deleted

    def nodes(self, page_id: str) -> list[domain.Node]:
        return self._list(NodeRow, NodeRow.position, page_id=page_id)

    def add_node(self, page_id: str, title: str, **fields: Any) -> domain.Node:
        """Append a node to a page (or insert it at ``position``)."""
        with self.database.write() as session:
            self._row(session, PageRow, page_id)
            siblings = self._siblings(session, page_id)
            position = min(int(fields.pop("position", len(siblings))), len(siblings))
            node = validated(
                domain.Node, "node", pageId=page_id, title=title, position=position, **fields
            )
            siblings.insert(position, NodeRow())
            self._renumber(session, siblings, skip=position)
            self._put(session, siblings[position], node, Op.CREATE, record_key("page", page_id))
        self._notify([("page", page_id), ("node", node.id)])
        return node

    def update_node(self, node_id: str, **changes: Any) -> domain.Node:
        for frozen in ("pageId", "position", "id"):
            if frozen in changes:
                raise InvalidInput([f"node {frozen} cannot be edited here; use move_node"])
        node = self._get(NodeRow, node_id)
        return self._update(
            NodeRow, domain.Node, "node", node_id, changes, record_key("page", node.pageId)
        )

    def move_node(self, node_id: str, new_position: int) -> list[domain.Node]:
        """Move a node within its page; returns the page's nodes in their new order."""
        with self.database.write() as session:
            row = self._row(session, NodeRow, node_id)
            page_id = row.page_id
            siblings = self._siblings(session, page_id)
            siblings.remove(row)
            siblings.insert(max(0, min(new_position, len(siblings))), row)
            self._renumber(session, siblings)
            result = [sibling.to_domain() for sibling in siblings]
        self._notify([("page", page_id)])
        return result

    def delete_node(self, node_id: str) -> domain.Node:
        with self.database.write() as session:
            row = self._row(session, NodeRow, node_id)
            deleted: domain.Node = row.to_domain()
            siblings = [s for s in self._siblings(session, row.page_id) if s is not row]
            self._remove(session, row, parent_key=record_key("page", row.page_id))
            self._renumber(session, siblings)
        self._notify([("page", deleted.pageId), ("node", node_id)])
        return deleted

    @staticmethod
    def _siblings(session: Session, page_id: str) -> list[NodeRow]:
        return list(
            session.scalars(
                select(NodeRow).where(NodeRow.page_id == page_id).order_by(NodeRow.position)
            )
        )

    def _renumber(self, session: Session, rows: Iterable[NodeRow], skip: int = -1) -> None:
        """Give ``rows`` positions 0..n-1, queueing an update for each node that moved."""
        for position, row in enumerate(rows):
            if position == skip or row.position == position:
                continue
            moved = row.to_domain().model_copy(
                update={"position": position, "updatedAt": now_iso()}
            )
            self._put(session, row, moved, Op.UPDATE, record_key("page", row.page_id))

    # -- the queue, as the UI and CLI see it ---------------------------------------------

    def queue_counts(self) -> dict[State, int]:
        with self.database.read() as session:
            return outbox.counts(session)

    def queue_entries(self, state: State | None = None) -> Sequence[Any]:
        with self.database.read() as session:
            return outbox.entries(session, state)

    def retry_entry(self, entry_id: int) -> None:
        with self.database.write() as session:
            outbox.retry(session, entry_id)
        self._notify([])

    def retry_all_failed(self) -> int:
        with self.database.write() as session:
            count = outbox.retry_all_failed(session)
        self._notify([])
        return count

    def discard_entry(self, entry_id: int) -> None:
        with self.database.write() as session:
            entry = outbox.discard(session, entry_id)
            log.info("discarded queue entry %s (%s %s)", entry_id, entry.op, entry.record_key)
        self._notify([])
