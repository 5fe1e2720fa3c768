"""The template list's model: templates in the chosen view and order, fetched a page at a
time (``fetchMore``), or the results of a search, each with its sync badge."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop import domain
from desktop.store import quickfill
from desktop.store.outbox import State, record_key
from desktop.store.services import SEARCH_BATCH, Store
from desktop.ui.badges import BADGES, badge_color
from desktop.ui.template_list import plain_preview, role_data

PAGE_SIZE = 200
ModelIndex = QModelIndex | QPersistentModelIndex


class TemplateListModel(QAbstractListModel):
    """Templates, newest first, fetched a page at a time; or the results of a search.
    Each row carries its sync badge (waiting, failed, conflict; nothing when synced)."""

    IdRole = Qt.ItemDataRole.UserRole + 1
    BadgeRole = Qt.ItemDataRole.UserRole + 2
    #: A search found the index behind by more than it catches up on the GUI thread.
    index_behind = Signal()

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self._query = ""
        self._category: str | None = None
        self._order, self._view = "recent", "all"  # issue 15: sort box and view box
        self._previews: dict[str, str] = {}
        self._items: list[domain.TemplateSummary] = []
        self._badges: dict[str, State] = {}
        self._exhausted = False
        self.reload()

    def set_query(self, query: str) -> None:
        self._query = query.strip()
        self.reload()

    def set_category(self, category: str | None) -> None:
        self._category = category
        self.reload()

    def set_order(self, order: str) -> None:
        self._order = order
        self.reload()

    def set_view(self, view: str) -> None:
        self._view = view
        self.reload()

    def _page(self, offset: int) -> list[domain.TemplateSummary]:
        """A page of the list in the chosen view and order, with its previews read."""
        if self._view == "recent":  # recently used: Populate and Quick Fill, newest first
            found = [] if offset else quickfill.recent_summaries(self._store, PAGE_SIZE)
        else:
            found = self._store.list_templates(
                category=self._category,
                limit=PAGE_SIZE,
                offset=offset,
                order=self._order,
                favourites=self._view == "favourites",
            )
        self._read_previews(found)
        return found

    def _read_previews(self, found: list[domain.TemplateSummary]) -> None:
        heads = self._store.template_previews([t.templateId for t in found])
        self._previews.update({key: plain_preview(head) for key, head in heads.items()})

    def reload(self) -> None:
        self.beginResetModel()
        behind = False
        self._previews = {}
        if self._query:
            # A save's entry or a few: written here. Thousands (an import, a pull): by the
            # window, off the GUI thread, which then searches again (index_behind).
            self._items = self._store.search_templates(
                self._query, category=self._category, catch_up=SEARCH_BATCH
            )
            self._read_previews(self._items)
            self._exhausted = True
            behind = self._store.search_pending() > 0
        else:
            self._items = self._page(0)
            self._exhausted = len(self._items) < PAGE_SIZE
        self._badges = self._queue_states(self._items)
        self.endResetModel()
        if behind:
            self.index_behind.emit()

    def _queue_states(self, items: list[domain.TemplateSummary]) -> dict[str, State]:
        """The badges of these rows only (the queue may hold 100,000 entries)."""
        return self._store.queue_states([record_key("template", t.templateId) for t in items])

    def refresh_badges(self) -> None:
        self._badges = self._queue_states(self._items)
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1))

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        more = self._page(len(self._items))
        self._exhausted = len(more) < PAGE_SIZE
        if more:
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
            self._items.extend(more)
            self._badges.update(self._queue_states(more))
            self.endInsertRows()

    def badge(self, row: int) -> State | None:
        return self._badges.get(record_key("template", self._items[row].templateId))

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        template = self._items[index.row()]
        badge = self.badge(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            mark = f"{BADGES[badge][0]} " if badge else ""
            return f"{mark}{template.title}"
        if role == Qt.ItemDataRole.ForegroundRole and badge in (State.FAILED, State.CONFLICT):
            return badge_color(badge)
        if role == Qt.ItemDataRole.ToolTipRole:
            status = BADGES[badge][2] if badge else "synced (or never synced: no target)"
            return f"{template.description or template.category or template.title}\n{status}"
        if role == self.IdRole:
            return template.templateId
        if role == self.BadgeRole:
            return badge
        return role_data(template, role, self._previews)  # what the delegate paints

    def template_at(self, row: int) -> domain.TemplateSummary:
        return self._items[row]

    def row_of(self, template_id: str) -> int:
        return next((i for i, t in enumerate(self._items) if t.templateId == template_id), -1)
