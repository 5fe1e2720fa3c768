"""Every user action on the local store, each one a single SQLite transaction that writes
the record, its search entry and its queue entry together (sync invariant 1).

Input is validated (pydantic) before anything is written; an invalid change raises
:class:`desktop.domain.InvalidInput` and leaves the database as it was.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from desktop import domain
from desktop.domain import InvalidInput, now_iso, validated, validated_in
from desktop.html import sanitize
from desktop.store import order, outbox, rows, search
from desktop.store.db import Database
from desktop.store.entities import ENTITIES
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
)
from desktop.store.outbox import Change, Op, State, record_key

log = logging.getLogger(__name__)

R = TypeVar("R", bound=domain.Record)
#: Reports the progress of long work: (done, total).
Progress = Callable[[int, int], None]

#: Content saves closer together than this fold into the newest version while that version
#: has not left the device yet, so a burst of autosaves is one entry in the history.
DEFAULT_VERSION_WINDOW_S = 120.0
#: Search entries written per background transaction (a few hundred milliseconds at most,
#: so an edit arriving meanwhile waits little).
SEARCH_BATCH = 100


@dataclass(frozen=True)
class Changes:
    """What one committed store operation changed, and who asked for it (Anki's
    ``OpChanges``). Delivered to every subscriber after the commit, on the committing
    thread. A view that made the change (the ``initiator``) already shows it and must not
    reload it: reloading a text field from its own save clears its undo history and moves
    the page. Changes made by the sync engine, the CLI or a dialog carry no initiator."""

    records: tuple[tuple[str, str], ...] = ()  # (entity, id) of each record changed
    queue: bool = True  # the queue changed (every local write queues; sync results)
    initiator: object | None = None

    @property
    def kinds(self) -> set[str]:
        return {entity for entity, _ in self.records}

    def touches(self, entity: str, record_id: str) -> bool:
        return (entity, record_id) in self.records


ChangeListener = Callable[[Changes], None]


class Operation:
    """What one store operation changed, collected as it writes (see
    :meth:`Store.operation`)."""

    def __init__(self, database: Database, initiator: object | None) -> None:
        self.database = database
        self.initiator = initiator
        self._records: dict[tuple[str, str], None] = {}  # in order, each once
        self.queue = False

    @property
    def records(self) -> list[tuple[str, str]]:
        return list(self._records)

    def write(self) -> AbstractContextManager[Session]:
        """A write transaction of this operation (``Database.write``)."""
        return self.database.write()

    def changed(self, *records: tuple[str, str]) -> None:
        """Records (entity, id) this operation changed (their queue entries with them)."""
        self._records.update(dict.fromkeys(records))

    def queue_changed(self) -> None:
        """The queue changed without a record changing (sync results, retries)."""
        self.queue = True


class NotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


def _clean(entity: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` written here, with HTML content reduced to the subset (:mod:`desktop.html`)."""
    if ENTITIES[entity].html_content and isinstance(fields.get("content"), str):
        return fields | {"content": sanitize(fields["content"])}
    return fields


def _clean_record(entity: str, record: R) -> R:
    """A whole record written here (imported, restored), its HTML content reduced."""
    content = getattr(record, "content", None)
    if not ENTITIES[entity].html_content or not isinstance(content, str):
        return record
    cleaned = sanitize(content)
    return record if cleaned == content else record.model_copy(update={"content": cleaned})


def _field_words(name: str) -> str:
    """``latestVersion`` -> ``latest version``: a field as the editor names it."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


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
        self._acting = threading.local()  # each thread's current initiator
        database.on_idle(lambda: self.catch_up_search(SEARCH_BATCH) == SEARCH_BATCH)

    # -- the search index ------------------------------------------------------------------

    def catch_up_search(self, limit: int | None = None) -> int:
        """Write pending search entries (all, or up to ``limit``); how many were written.
        Runs by itself when the database is idle, and before each search."""
        with self.database.read() as session:
            if not search.behind(session):
                return 0
        with self.database.write() as session:
            return search.catch_up(session, limit)

    def search_pending(self) -> int:
        """How many records wait for their search entry."""
        with self.database.read() as session:
            return search.pending(session)

    def catch_up_search_in_batches(
        self, progress: Progress | None = None, stop: Callable[[], bool] | None = None
    ) -> int:
        """Write every pending search entry, :data:`SEARCH_BATCH` per transaction (so a
        save meanwhile waits for one short batch, never for the whole catch-up), reporting
        ``progress(done, total)`` after each, until done or ``stop()``; how many written."""
        total = self.search_pending()
        done = 0
        while not (stop is not None and stop()):
            written = self.catch_up_search(SEARCH_BATCH)
            done += written
            if progress is not None:
                progress(min(done, total), max(total, done))
            if written < SEARCH_BATCH:
                break
        return done

    # -- change notification -------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener`` with the :class:`Changes` of each committed operation."""
        self._listeners.append(listener)

    @contextmanager
    def initiator(self, who: object) -> Iterator[None]:
        """Attribute what this thread commits inside the block to ``who`` (a view), so that
        view can tell its own writes from everyone else's. Per thread: the sync engine
        committing on its own thread meanwhile is not attributed to ``who``."""
        previous = getattr(self._acting, "who", None)
        self._acting.who = who
        try:
            yield
        finally:
            self._acting.who = previous

    @contextmanager
    def operation(self, initiator: object | None = None) -> Iterator[Operation]:
        """A store operation (Anki's ``CollectionOp``): the block writes (``op.write()``,
        one or more transactions) and notes what it changed (``op.changed``,
        ``op.queue_changed``); when the block completes, after its commits, every
        subscriber hears one :class:`Changes` with who asked: ``initiator``, else this
        thread's :meth:`initiator`. A block that raises announces nothing (what it
        committed before the error is announced by the next operation's reload). The only
        place changes are announced."""
        who = initiator if initiator is not None else getattr(self._acting, "who", None)
        op = Operation(self.database, who)
        yield op
        records = op.records
        if records or op.queue:
            self._announce(Changes(tuple(records), True, who))

    def _announce(self, changes: Changes) -> None:
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:  # a broken listener must not undo a committed change
                log.exception("change listener failed")

    # -- generic record plumbing ---------------------------------------------------------

    @staticmethod
    def _load(session: Session, entity: str, record_id: str) -> rows.Loaded:
        loaded = rows.load(session, entity, record_id)
        if loaded is None:
            raise NotFound(f"no {entity} {record_id!r}")
        return loaded

    @staticmethod
    def _put(
        session: Session,
        entity: str,
        record: Any,
        op: Op,
        parent_key: str | None = None,
        seq: int | None = None,
    ) -> None:
        """Write ``record`` (insert for a create, else update), its search entry, its entry."""
        record.check_item_size()
        if op == Op.CREATE:
            seq = rows.insert(session, entity, record)
        else:
            rows.update(session, entity, record)
        if entity in search.INDEXED:
            assert seq is not None
            search.mark(session, entity, seq)
        outbox.enqueue(
            session, Change(entity, record.id, op, record.model_dump(), parent_key=parent_key)
        )

    @staticmethod
    def _remove(
        session: Session, entity: str, loaded: rows.Loaded, parent_key: str | None = None
    ) -> None:
        record = loaded.record
        if entity in search.INDEXED:
            assert loaded.seq is not None
            search.mark(session, entity, loaded.seq)
        rows.delete(session, entity, record.id)
        outbox.enqueue(
            session,
            Change(entity, record.id, Op.DELETE, record.model_dump(), parent_key=parent_key),
        )

    @staticmethod
    def _changed(current: R, model: type[R], what: str, changes: dict[str, Any]) -> R | None:
        """The record with ``changes`` applied and validated, or None if nothing changes.
        The input limits apply to what changes: a field left as it was (e.g. a 300-character
        title the web app wrote) does not stop an edit of another one."""
        if all(getattr(current, name) == value for name, value in changes.items()):
            return None
        previous = current.model_dump()
        fields = previous | changes | {"updatedAt": now_iso()}
        return validated_in({"kept": previous}, model, what, fields)

    def _get(self, entity: str, record_id: str) -> Any:
        with self.database.read() as session:
            return self._load(session, entity, record_id).record

    def _list(self, row_type: type[RecordRow], order: Any, **where: Any) -> list[Any]:
        with self.database.read() as session:
            query = select(row_type).filter_by(**where).order_by(order)
            return [row.to_domain() for row in session.scalars(query)]

    # -- templates -----------------------------------------------------------------------

    def create_template(self, title: str, **fields: Any) -> domain.Template:
        fields = _clean("template", fields)
        template = validated(domain.Template, "template", title=title, **fields)
        with self.operation() as op, op.write() as session:
            template = self._save_template(session, None, template, "Created")
            op.changed(("template", template.templateId))
        return template

    def get_template(self, template_id: str) -> domain.Template:
        return self._get("template", template_id)  # type: ignore[no-any-return]

    def update_template(self, template_id: str, **changes: Any) -> domain.Template:
        """Edit, rename, categorise, tag or share a template (any of its own fields)."""
        note = str(changes.pop("changes", ""))
        changes = _clean("template", changes)
        for frozen in ("templateId", "usageCount", "createdAt", "latestVersion"):
            if frozen in changes:
                raise InvalidInput([f"template {frozen} cannot be edited"])
        with self.operation() as op, op.write() as session:
            loaded = self._load(session, "template", template_id)
            current: domain.Template = loaded.record
            updated = self._changed(current, domain.Template, "template", changes)
            if updated is None:
                return current
            updated = self._save_template(session, loaded, updated, note)
            op.changed(("template", template_id))
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
        return self.delete("template", template_id)  # type: ignore[return-value]

    def delete(self, entity: str, record_id: str) -> domain.Record:
        """Delete a record a writer deletes, its children first (a template's versions, a
        page's nodes: their deletes are sent before it); returns what was deleted."""
        kind = ENTITIES[entity]
        if not kind.deletable:
            raise ValueError(f"a {kind.label} is not deleted on its own")
        changed = [(entity, record_id)]
        with self.operation() as op, op.write() as session:
            loaded = self._load(session, entity, record_id)
            key = record_key(entity, record_id)
            for child in kind.children:
                assert child.parent is not None
                where = f"{child.parent.column} = ?"
                for row in rows.load_where(
                    session, child.name, where, (record_id,), child.order or ""
                ):
                    self._remove(session, child.name, row, parent_key=key)
            parent_key = None
            if kind.parent is not None:
                parent_id = str(getattr(loaded.record, kind.parent.field))
                parent_key = record_key(kind.parent.entity, parent_id)
                changed.insert(0, (kind.parent.entity, parent_id))
            self._remove(session, entity, loaded, parent_key=parent_key)
            op.changed(*changed)
        return loaded.record  # type: ignore[no-any-return]

    #: The list's orders (issue 15): recently edited, by title, most used.
    TEMPLATE_ORDERS = {
        "recent": "updated_at DESC",
        "title": "title COLLATE NOCASE, updated_at DESC",
        "used": "usage_count DESC, updated_at DESC",
    }

    def list_templates(
        self,
        category: str | None = None,
        limit: int = -1,
        offset: int = 0,
        order: str = "recent",
        favourites: bool = False,
    ) -> list[domain.TemplateSummary]:
        """Templates without their content, most recently edited first (or ``order``)."""
        where, params = ("category = ?", (category,)) if category is not None else ("1", ())
        if favourites:
            where += " AND is_favorite = 1"
        sql_order = self.TEMPLATE_ORDERS[order] + " LIMIT ? OFFSET ?"
        with self.database.read() as session:
            found = rows.template_summaries(session, where, (*params, limit, offset), sql_order)
        return [summary for _, summary in found]

    def template_previews(self, template_ids: Sequence[str], chars: int = 600) -> dict[str, str]:
        """The start of each template's content (HTML, cut at ``chars``): what the list
        shows under a title. One query per page of the list; cutting in SQL keeps it
        cheap however long the templates are."""
        if not template_ids:
            return {}
        marks = ",".join("?" * len(template_ids))
        with self.database.read() as session:
            found = rows.raw(session).execute(
                f"SELECT template_id, substr(content, 1, ?) FROM templates"
                f" WHERE template_id IN ({marks})",
                (chars, *template_ids),
            )
            return {template_id: head or "" for template_id, head in found}

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
        self,
        query: str,
        category: str | None = None,
        limit: int = 200,
        catch_up: int | None = None,
    ) -> list[domain.TemplateSummary]:
        """Matching templates (without content): title matches first, then newest first.
        The search index catches up first: entirely, or at most ``catch_up`` entries (the
        window's bound: more is left to :meth:`catch_up_search_in_batches` off its thread,
        and the results miss the records still waiting until then)."""
        self.catch_up_search(catch_up)
        with self.database.read() as session:
            seqs = search.search_seqs(session, "template", query, category, limit)
            if not seqs:
                return []
            marks = ",".join("?" * len(seqs))
            found = dict(rows.template_summaries(session, f"seq IN ({marks})", tuple(seqs)))
        return [found[seq] for seq in seqs if seq in found]

    # -- versions ------------------------------------------------------------------------

    def _save_template(
        self, session: Session, loaded: rows.Loaded | None, template: domain.Template, note: str
    ) -> domain.Template:
        """Write a template (``loaded`` is its stored state, None for a new one) and, if its
        content changed, its version snapshot (after it: the version refers to it)."""
        previous = loaded.record.content if loaded is not None else ""
        snapshot = None
        if template.content != previous:
            snapshot = self._snapshot(session, template, note)
            template = template.model_copy(update={"latestVersion": snapshot[0].versionId})
        if loaded is None:
            self._put(session, "template", template, Op.CREATE)
        else:
            self._put(session, "template", template, Op.UPDATE, seq=loaded.seq)
        if snapshot is not None:
            version, op = snapshot
            parent = record_key("template", template.templateId)
            self._put(session, "version", version, op, parent_key=parent)
        return template

    def _snapshot(
        self, session: Session, template: domain.Template, note: str
    ) -> tuple[domain.TemplateVersion, Op]:
        """The version to record: a new one, or the newest one when it is recent and unsent."""
        latest = rows.load_where(
            session,
            "version",
            "template_id = ?",
            (template.templateId,),
            order="created_at DESC, rowid DESC LIMIT 1",
        )
        if latest and self.version_window_s > 0:
            newest: domain.TemplateVersion = latest[0].record
            recent = _seconds_between(newest.createdAt, template.updatedAt) < self.version_window_s
            if recent and outbox.has_unsent_create(
                session, record_key("version", newest.versionId)
            ):
                update = {
                    "title": template.title,
                    "content": template.content,
                    "updatedAt": template.updatedAt,
                }
                return newest.model_copy(update=update), Op.UPDATE
        version = domain.TemplateVersion(
            templateId=template.templateId,
            title=template.title,
            content=template.content,
            changes=note,
            createdAt=template.updatedAt,
            updatedAt=template.updatedAt,
        )
        return version, Op.CREATE

    def versions(self, template_id: str) -> list[domain.TemplateVersion]:
        """The template's history, newest first."""
        with self.database.read() as session:
            rows = session.scalars(
                select(VersionRow)
                .where(VersionRow.template_id == template_id)
                .order_by(VersionRow.created_at.desc(), literal_column("rowid").desc())
            )
            return [row.to_domain() for row in rows]

    def shares(self, template_id: str) -> list[domain.TemplateShare]:
        """Who the template is shared with (written by the web app; read-only here)."""
        with self.database.read() as session:
            rows = session.scalars(
                select(ShareRow)
                .where(ShareRow.template_id == template_id)
                .order_by(ShareRow.shared_with_user_id)
            )
            return [row.to_domain() for row in rows]

    def server_note(self, template: domain.Template) -> str:
        """What the editor says of what the web app set on a template and this device
        keeps as it is: fields beyond this client's input limits, and who it is shared with."""
        lines = []
        beyond = domain.beyond_limits(template)
        if beyond:
            names = ", ".join(_field_words(name) for name in beyond).capitalize()
            it = "it" if len(beyond) == 1 else "them"
            lines.append(f"{names} kept as the server has {it}; shorten {it} to change {it}.")
        by_permission: dict[str, list[str]] = {}
        for share in self.shares(template.templateId):
            by_permission.setdefault(share.permissions, []).append(share.sharedWithUserId)
        if by_permission:
            groups = [f"{', '.join(users)} ({how})" for how, users in by_permission.items()]
            lines.append("Shared with " + "; ".join(groups))
        return "\n".join(lines)

    def restore_version(self, template_id: str, version_id: str) -> domain.Template:
        version: domain.TemplateVersion = self._get("version", version_id)
        if version.templateId != template_id:
            raise NotFound(f"version {version_id!r} is not a version of {template_id!r}")
        return self.update_template(
            template_id, content=version.content, changes=f"Restored {version_id}"
        )

    # -- usage ---------------------------------------------------------------------------

    def record_use(self, template_id: str, action: str = "populate") -> domain.UsageEvent:
        """Count a use: a usage event plus ``usageCount + 1`` (sent as ``ADD``)."""
        event = validated(domain.UsageEvent, "usage event", templateId=template_id, action=action)
        with self.operation() as op, op.write() as session:
            template: domain.Template = self._load(session, "template", template_id).record
            counted = template.model_copy(update={"usageCount": template.usageCount + 1})
            rows.update(session, "template", counted)
            outbox.enqueue(
                session,
                Change("template", template_id, Op.INCREMENT, counted.model_dump(), amount=1),
            )
            self._put(session, "usage_event", event, Op.CREATE)
            op.changed(("template", template_id))
        return event

    # -- snippets and presets ------------------------------------------------------------

    def create_snippet(self, title: str, **fields: Any) -> domain.Snippet:
        return self._create("snippet", domain.Snippet, title=title, **fields)

    def update_snippet(self, snippet_id: str, **changes: Any) -> domain.Snippet:
        return self._update("snippet", domain.Snippet, snippet_id, changes)

    def delete_snippet(self, snippet_id: str) -> domain.Snippet:
        return self.delete("snippet", snippet_id)  # type: ignore[return-value]

    def get_snippet(self, snippet_id: str) -> domain.Snippet:
        return self._get("snippet", snippet_id)  # type: ignore[no-any-return]

    def list_snippets(self) -> list[domain.Snippet]:
        return self._list(SnippetRow, SnippetRow.title)

    def search_snippets(self, query: str, limit: int = 200) -> list[domain.Snippet]:
        self.catch_up_search()
        with self.database.read() as session:
            seqs = search.search_seqs(session, "snippet", query, None, limit)
            if not seqs:
                return []
            by_seq = {
                row.seq: row
                for row in session.scalars(select(SnippetRow).where(SnippetRow.seq.in_(seqs)))
            }
        return [by_seq[seq].to_domain() for seq in seqs if seq in by_seq]

    def create_preset(self, name: str, **fields: Any) -> domain.VariablePreset:
        return self._create("preset", domain.VariablePreset, name=name, **fields)

    def update_preset(self, preset_id: str, **changes: Any) -> domain.VariablePreset:
        return self._update("preset", domain.VariablePreset, preset_id, changes)

    def delete_preset(self, preset_id: str) -> domain.VariablePreset:
        return self.delete("preset", preset_id)  # type: ignore[return-value]

    def get_preset(self, preset_id: str) -> domain.VariablePreset:
        return self._get("preset", preset_id)  # type: ignore[no-any-return]

    def list_presets(self) -> list[domain.VariablePreset]:
        return self._list(PresetRow, PresetRow.name)

    def _create(
        self, entity: str, model: type[R], parent_key: str | None = None, **fields: Any
    ) -> R:
        record = validated(model, entity, **_clean(entity, fields))
        with self.operation() as op, op.write() as session:
            self._put(session, entity, record, Op.CREATE, parent_key)
            op.changed((entity, record.id))  # type: ignore[attr-defined]
        return record

    def _update(
        self,
        entity: str,
        model: type[R],
        record_id: str,
        changes: dict[str, Any],
        parent_key: str | None = None,
    ) -> R:
        with self.operation() as op, op.write() as session:
            loaded = self._load(session, entity, record_id)
            current: R = loaded.record
            updated = self._changed(current, model, entity, _clean(entity, changes))
            if updated is None:
                return current
            self._put(session, entity, updated, Op.UPDATE, parent_key, seq=loaded.seq)
            op.changed((entity, record_id))
        return updated

    # -- pages and their ordered nodes ---------------------------------------------------

    def create_page(self, title: str, **fields: Any) -> domain.Page:
        return self._create("page", domain.Page, title=title, **fields)

    def update_page(self, page_id: str, **changes: Any) -> domain.Page:
        return self._update("page", domain.Page, page_id, changes)

    def get_page(self, page_id: str) -> domain.Page:
        return self._get("page", page_id)  # type: ignore[no-any-return]

    def list_pages(self) -> list[domain.Page]:
        return self._list(PageRow, PageRow.created_at)

    def delete_page(self, page_id: str) -> domain.Page:
        """Delete a page and its nodes (the nodes' deletes are sent first)."""
        return self.delete("page", page_id)  # type: ignore[return-value]

    def get_node(self, node_id: str) -> domain.Node:
        """A node, with ``position`` its place among its page's nodes."""
        with self.database.read() as session:
            node: domain.Node = self._load(session, "node", node_id).record
            return next(n for n in self._ordered(session, node.pageId) if n.id == node_id)

    def nodes(self, page_id: str) -> list[domain.Node]:
        """A page's nodes in their order (see :mod:`desktop.store.order`)."""
        with self.database.read() as session:
            return self._ordered(session, page_id)

    def add_node(self, page_id: str, title: str, **fields: Any) -> domain.Node:
        """Append a node to a page (or insert it at ``position``)."""
        with self.operation() as op, op.write() as session:
            self._load(session, "page", page_id)
            siblings = self._ordered(session, page_id)
            at = max(0, min(int(fields.pop("position", len(siblings))), len(siblings)))
            now = now_iso()
            created, shifted = order.place(siblings, at, now)
            node = validated(
                domain.Node,
                "node",
                pageId=page_id,
                title=title,
                position=at,
                **(fields | {"createdAt": created, "updatedAt": now}),
            )
            self._put(session, "node", node, Op.CREATE, record_key("page", page_id))
            self._put_nodes(session, shifted)
            op.changed(("page", page_id), ("node", node.id))
        return node

    def update_node(self, node_id: str, **changes: Any) -> domain.Node:
        for frozen in ("pageId", "position", "id", "createdAt"):
            if frozen in changes:
                raise InvalidInput([f"node {frozen} cannot be edited here; use move_node"])
        node: domain.Node = self._get("node", node_id)
        return self._update("node", domain.Node, node_id, changes, record_key("page", node.pageId))

    def move_node(self, node_id: str, new_position: int) -> list[domain.Node]:
        """Move a node within its page; returns the page's nodes in their new order. The
        move is a new ``createdAt`` for the node (and, only where two neighbours are a
        millisecond apart, for the nodes after it), which is what the web app orders by."""
        with self.operation() as op, op.write() as session:
            node: domain.Node = self._load(session, "node", node_id).record
            siblings = self._ordered(session, node.pageId)
            others = [n for n in siblings if n.id != node_id]
            at = max(0, min(new_position, len(others)))
            if [n.id for n in siblings] != [n.id for n in [*others[:at], node, *others[at:]]]:
                now = now_iso()
                created, shifted = order.place(others, at, now)
                moved = node.model_copy(
                    update={"createdAt": created, "updatedAt": now, "position": at}
                )
                self._put_nodes(session, [moved, *shifted])
            result = self._ordered(session, node.pageId)
            op.changed(("page", node.pageId))
        return result

    def delete_node(self, node_id: str) -> domain.Node:
        return self.delete("node", node_id)  # type: ignore[return-value]

    @staticmethod
    def _siblings(session: Session, page_id: str) -> list[rows.Loaded]:
        return rows.load_where(session, "node", "page_id = ?", (page_id,), order=order.ORDER_SQL)

    def _ordered(self, session: Session, page_id: str) -> list[domain.Node]:
        """A page's nodes in their order, each with ``position`` its place."""
        return order.ranked([loaded.record for loaded in self._siblings(session, page_id)])

    def _put_nodes(self, session: Session, nodes: list[domain.Node]) -> None:
        """Queue an update for each node whose place changed (a move, a shift)."""
        for node in nodes:
            self._put(session, "node", node, Op.UPDATE, record_key("page", node.pageId))

    # -- undoing a deletion ---------------------------------------------------------------

    def with_children(self, entity: str, record_id: str) -> list[tuple[str, domain.Record]]:
        """A record and what its deletion takes with it (a template's versions, a page's
        nodes), parent first: what :meth:`restore` needs to undo the deletion."""
        with self.database.read() as session:
            found: list[tuple[str, domain.Record]] = [
                (entity, self._load(session, entity, record_id).record)
            ]
            for child in ENTITIES[entity].children:
                assert child.parent is not None
                for loaded in rows.load_where(
                    session,
                    child.name,
                    f"{child.parent.column} = ?",
                    (record_id,),
                    order=child.order or "created_at",
                ):
                    found.append((child.name, loaded.record))
        return found

    def restore(self, records: list[tuple[str, domain.Record]]) -> None:
        """Put deleted records back with their ids, in one transaction (the undo of a
        deletion; a deletion not yet sent coalesces with it into an update). The records
        count as edited now, so the restored copy wins over the deletion everywhere; a node
        keeps its ``createdAt``, so it goes back between the nodes it was between (should
        one of them hold the same millisecond now, the nodes after it shift by one). A
        record that exists again already is left as it is."""
        stamp = now_iso()
        changed: list[tuple[str, str]] = []
        with self.operation() as op, op.write() as session:
            for entity, record in records:
                if rows.load(session, entity, record.id) is not None:  # type: ignore[attr-defined]
                    continue
                record = _clean_record(entity, record)
                if "updatedAt" in type(record).model_fields:
                    record = record.model_copy(update={"updatedAt": stamp})
                parent_key = None
                parent = ENTITIES[entity].parent
                if parent is not None:
                    parent_entity, parent_id = parent.entity, str(getattr(record, parent.field))
                    self._load(session, parent_entity, parent_id)  # NotFound if it is gone
                    parent_key = record_key(parent_entity, parent_id)
                self._put(session, entity, record, Op.CREATE, parent_key)
                if isinstance(record, domain.Node):
                    self._untie(session, record, stamp)
                changed.append((entity, record.id))  # type: ignore[attr-defined]
                if isinstance(record, domain.Node):
                    changed.append(("page", record.pageId))
            op.changed(*changed)

    def _untie(self, session: Session, node: domain.Node, now: str) -> None:
        """After ``node`` came back: if it shares a millisecond with a neighbour, shift it
        and the nodes after it so that every node of the page has its own."""
        siblings = self._ordered(session, node.pageId)
        at = next(i for i, n in enumerate(siblings) if n.id == node.id)
        start = at if at > 0 and siblings[at - 1].createdAt >= node.createdAt else at + 1
        if start > 0:
            previous = siblings[start - 1].createdAt
            self._put_nodes(session, order.shift(siblings[start:], previous, now))

    # -- import and export ---------------------------------------------------------------

    def export_sections(self) -> dict[str, list[domain.Record]]:
        """Every record, by backup section (see :mod:`desktop.store.transfer`)."""
        with self.database.read() as session:
            sections: dict[str, list[domain.Record]] = {}
            for section, row_type in (
                ("templates", TemplateRow),
                ("versions", VersionRow),
                ("snippets", SnippetRow),
                ("presets", PresetRow),
                ("pages", PageRow),
                ("nodes", NodeRow),
                ("usageEvents", UsageEventRow),
            ):
                rows_found = session.scalars(select(row_type).order_by(row_type.created_at))
                sections[section] = [row.to_domain() for row in rows_found]
        return sections

    def import_records(
        self, records: list[tuple[str, domain.Record]], progress: Progress | None = None
    ) -> tuple[list[tuple[str, domain.Record]], list[tuple[str, domain.Record, str]]]:
        """Add new records (each queued for sync) in one transaction; a record whose id is
        here already, or whose parent is neither here nor imported, is skipped with the
        reason. Reports ``progress(done, len(records))`` every hundred records. Returns
        (imported, skipped)."""
        imported: list[tuple[str, domain.Record]] = []
        skipped: list[tuple[str, domain.Record, str]] = []
        with self.operation() as op, op.write() as session:
            for done, (entity, original) in enumerate(records):
                if progress is not None and done % 100 == 0:
                    progress(done, len(records))
                record = _clean_record(entity, original)
                record_id = str(getattr(record, ENTITIES[entity].id_field))
                if rows.load(session, entity, record_id) is not None:
                    skipped.append((entity, record, "already here (the local copy is kept)"))
                    continue
                parent_key = None
                parent = ENTITIES[entity].parent
                if parent is not None:
                    parent_entity, parent_id = parent.entity, str(getattr(record, parent.field))
                    if rows.load(session, parent_entity, parent_id) is None:
                        skipped.append((entity, record, f"its {parent_entity} is missing"))
                        continue
                    parent_key = record_key(parent_entity, parent_id)
                self._put(session, entity, record, Op.CREATE, parent_key)
                imported.append((entity, record))
            op.changed(
                *[(entity, str(getattr(r, ENTITIES[entity].id_field))) for entity, r in imported]
            )
        return imported, skipped

    # -- the queue, as the UI and CLI see it ---------------------------------------------

    def queue_counts(self) -> dict[State, int]:
        with self.database.read() as session:
            return outbox.counts(session)

    def queue_backoff(self) -> tuple[int, float | None]:
        """How many pending entries wait in backoff, and when the first is due (epoch s)."""
        with self.database.read() as session:
            return outbox.in_backoff(session)

    def change_counts(self) -> dict[State, int]:
        """Changed records per queue state (a parent absorbs its children's entries)."""
        with self.database.read() as session:
            return outbox.change_counts(session)

    def queue_states(self, keys: Sequence[str] | None = None) -> dict[str, State]:
        """Each record with something queued (of ``keys`` only, when given: a list shows
        a page of records, and the whole queue can hold 100,000 entries), and the state
        that matters most to show (conflict, then failed, then waiting)."""
        # Ranked in SQL, one row per record: reading every entry and converting each state
        # in Python took 0.26 s of the window's start with 10,000 unsynced templates.
        order = (State.CONFLICT, State.FAILED, State.IN_FLIGHT, State.PENDING)
        ranks = " ".join(f"WHEN '{state}' THEN {number}" for number, state in enumerate(order))
        sql = f"SELECT record_key, MIN(CASE state {ranks} ELSE 3 END) FROM outbox"
        queries: list[tuple[str, Sequence[str]]] = [(f"{sql} GROUP BY record_key", ())]
        if keys is not None:
            chunks = [keys[start : start + 500] for start in range(0, len(keys), 500)]
            queries = [
                (f"{sql} WHERE record_key IN ({','.join('?' * len(c))}) GROUP BY record_key", c)
                for c in chunks
            ]
        found: dict[str, State] = {}
        with self.database.read() as session:
            for query, values in queries:
                for key, rank in rows.raw(session).execute(query, tuple(values)):
                    found[key] = order[rank]
        return found

    def queue_entries(self, state: State | None = None) -> list[outbox.Entry]:
        with self.database.read() as session:
            return outbox.entries(session, state)

    def retry_entry(self, entry_id: int) -> None:
        with self.operation() as op, op.write() as session:
            outbox.retry(session, entry_id)
            op.queue_changed()

    def retry_all_failed(self) -> int:
        with self.operation() as op, op.write() as session:
            count = outbox.retry_all_failed(session)
            op.queue_changed()
        return count

    def discard_entry(self, entry_id: int) -> None:
        with self.operation() as op, op.write() as session:
            entry = outbox.discard(session, entry_id)
            log.info("discarded queue entry %s (%s %s)", entry_id, entry.op, entry.record_key)
            op.queue_changed()
