"""The Failed and Conflicts panels: what could not be synced, and why; what needs a
decision, with mine, theirs and base side by side."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import InvalidInput
from desktop.store.models import OutboxEntry
from desktop.store.outbox import QueueError, State
from desktop.store.services import NotFound, Store
from desktop.sync.conflicts import Conflict, Resolution, list_conflicts, resolve
from desktop.ui import words
from desktop.ui.richtext import word_diff
from desktop.variables import html_to_text

ModelIndex = QModelIndex | QPersistentModelIndex


class FailedModel(QAbstractTableModel):
    HEADERS = ("Item", "Change", "Why, and what to do", "Attempts", "Since")

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.entries: list[OutboxEntry] = []
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self.entries = list(self.store.queue_entries(State.FAILED))
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.last_error_code}: {entry.last_error_message}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        payload = entry.payload or {}
        name = payload.get("title") or payload.get("name") or entry.record_id
        return (  # the writer's words (issue 15); the code and message are in the tooltip
            f"{words.label(entry.entity)} \u201c{name}\u201d",
            "Deleted" if entry.op == "delete" else "Changed",
            words.failure_reason(entry.entity, entry.last_error_code, entry.last_error_message),
            entry.attempts,
            words.ago(entry.last_error_at),
        )[index.column()]


class FailedPanel(QWidget):
    """Each failed change with its reason and time: Open, Retry, Retry all, Discard."""

    changed = Signal()
    open_requested = Signal(str, str)  # entity, record id: the item to show (issue 15)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.model = FailedModel(store)
        self.table = QTableView()
        self.table.setAccessibleName("Changes that failed to sync")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.open_button = QPushButton("Open")
        self.retry_button = QPushButton("Retry")
        self.retry_all_button = QPushButton("Retry all")
        self.discard_button = QPushButton("Discard...")
        self.empty = QLabel("Nothing failed. Every change is synced or on its way.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty)
        buttons.addStretch(1)
        for button in (
            self.open_button,
            self.retry_button,
            self.retry_all_button,
            self.discard_button,
        ):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        title = QLabel(
            "<h3>Failed changes</h3>These were refused by the server. Fix the "
            "cause and retry, or discard the change (it stays on this computer)."
        )
        title.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.open_button.clicked.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all)
        self.discard_button.clicked.connect(self.discard_selected)
        self.reload()

    def reload(self) -> None:
        self.model.reload()
        has = bool(self.model.entries)
        self.empty.setVisible(not has)
        for button in (
            self.open_button,
            self.retry_button,
            self.retry_all_button,
            self.discard_button,
        ):
            button.setEnabled(has)

    def _selected(self) -> OutboxEntry | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else (0 if self.model.entries else -1)
        return self.model.entries[row] if row >= 0 else None

    def open_selected(self) -> None:
        """Show the item whose change failed (a version's template, a node's page)."""
        entry = self._selected()
        if entry is None:
            return
        payload = entry.payload or {}
        if entry.entity == "version" and payload.get("templateId"):
            self.open_requested.emit("template", str(payload["templateId"]))
        elif entry.entity == "node" and payload.get("pageId"):
            self.open_requested.emit("page", str(payload["pageId"]))
        else:
            self.open_requested.emit(entry.entity, entry.record_id)

    def retry_selected(self) -> None:
        entry = self._selected()
        if entry is not None:
            self.store.retry_entry(entry.id)
            self.reload()
            self.changed.emit()

    def retry_all(self) -> None:
        self.store.retry_all_failed()
        self.reload()
        self.changed.emit()

    def discard_selected(self, confirm: bool = True) -> None:
        entry = self._selected()
        if entry is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self,
                "Discard this change?",
                "The change will not be sent to the server. Your local copy stays as it is, "
                "so this computer and the server may differ for this item.",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        try:
            self.store.discard_entry(entry.id)
        except QueueError as error:
            QMessageBox.information(self, "Not now", str(error))
        self.reload()
        self.changed.emit()


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return html_to_text(value) if "<" in value else value
    return json.dumps(value, ensure_ascii=False)


class ConflictsPanel(QWidget):
    """Mine, theirs and base side by side, differences marked; keep mine, keep theirs, or
    merge by hand."""

    changed = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.conflicts: list[Conflict] = []
        self.list = QListWidget()
        self.list.setAccessibleName("Conflicts")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.views = {name: QTextBrowser() for name in ("mine", "theirs", "base")}
        for name, view in self.views.items():
            view.setAccessibleName(f"{name.capitalize()} (the {name} copy)")
        columns = QSplitter()
        for name, caption in (
            ("mine", "Mine (this computer)"),
            ("theirs", "Theirs (the server)"),
            ("base", "Base (before both)"),
        ):
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.addWidget(QLabel(f"<b>{caption}</b>"))
            inner.addWidget(self.views[name])
            columns.addWidget(box)
        self.keep_mine = QPushButton("Keep mine")
        self.keep_theirs = QPushButton("Keep theirs")
        self.merge_button = QPushButton("Merge by hand...")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.keep_mine, self.keep_theirs, self.merge_button):
            buttons.addWidget(button)
        detail = QWidget()
        right = QVBoxLayout(detail)
        right.addWidget(self.message)
        right.addWidget(columns, 1)
        right.addLayout(buttons)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(detail)
        split.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        heading = QLabel(
            "<h3>Conflicts</h3>Changed here and on another device (or the web "
            "app). Fields changed on one side only are merged already."
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(split, 1)
        self.list.currentRowChanged.connect(self._show)
        self.keep_mine.clicked.connect(lambda: self.resolve_current(Resolution.MINE))
        self.keep_theirs.clicked.connect(lambda: self.resolve_current(Resolution.THEIRS))
        self.merge_button.clicked.connect(self.merge_by_hand)
        self.reload()

    def reload(self) -> None:
        current = self.list.currentRow()
        self.conflicts = list_conflicts(self.store)
        self.list.clear()
        for conflict in self.conflicts:
            item = QListWidgetItem(
                f"{conflict.title}\n{words.label(conflict.entity)} · "
                + ", ".join(words.label(field) for field in conflict.fields)
            )
            self.list.addItem(item)
        if self.conflicts:
            self.list.setCurrentRow(max(0, min(current, len(self.conflicts) - 1)))
        else:
            self._show(-1)

    def _show(self, row: int) -> None:
        enabled = 0 <= row < len(self.conflicts)
        for button in (self.keep_mine, self.keep_theirs, self.merge_button):
            button.setEnabled(enabled)
        if not enabled:
            self.message.setText(
                "No conflicts. When an item is changed both here and on another device, "
                "it waits here for you to choose which version to keep."
            )
            for view in self.views.values():
                view.clear()
            return
        conflict = self.conflicts[row]
        message = conflict.message[:1].upper() + conflict.message[1:]
        self.message.setText(f"{message} (since {conflict.since[:19].replace('T', ' ')})")
        self.merge_button.setEnabled(
            conflict.mine is not None
            and conflict.theirs is not None
            and any(f in ("content", "description", "prompt") for f in conflict.fields)
        )
        base = conflict.base or {}
        for name, state in (("mine", conflict.mine), ("theirs", conflict.theirs), ("base", base)):
            if state is None:
                self.views[name].setHtml("<i>Deleted</i>")
                continue
            parts = []
            for field in conflict.fields if conflict.fields != ["(deleted)"] else ["title"]:
                text = _value_text(state.get(field))
                shown = (
                    html.escape(text).replace("\n", "<br>")
                    if name == "base"
                    else word_diff(_value_text(base.get(field)), text)
                )
                parts.append(f"<p><b>{html.escape(words.label(field))}</b><br>{shown}</p>")
            self.views[name].setHtml("".join(parts))

    def current(self) -> Conflict | None:
        row = self.list.currentRow()
        return self.conflicts[row] if 0 <= row < len(self.conflicts) else None

    def resolve_current(
        self, how: Resolution, merged_text: str | None = None, field: str | None = None
    ) -> None:
        conflict = self.current()
        if conflict is None:
            return
        try:
            resolve(self.store, conflict.entry_id, how, merged_text=merged_text, field=field)
        except (InvalidInput, NotFound) as error:
            problems = error.problems if isinstance(error, InvalidInput) else [str(error)]
            QMessageBox.warning(self, "Cannot resolve", "\n".join(problems))
            return
        self.reload()
        self.changed.emit()

    def merge_by_hand(self) -> None:
        conflict = self.current()
        if conflict is None or conflict.mine is None or conflict.theirs is None:
            return
        field = next(f for f in conflict.fields if f in ("content", "description", "prompt"))
        start = f"{conflict.mine.get(field, '')}\n\n{conflict.theirs.get(field, '')}"
        text, ok = QInputDialog.getMultiLineText(
            self,
            "Merge by hand",
            f"The {words.label(field).lower()} as it should be (both versions below):",
            start,
        )
        if ok:
            self.resolve_current(Resolution.MERGED, merged_text=text, field=field)
