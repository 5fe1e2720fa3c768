"""Snippets, variable presets and pages (with their ordered nodes): a list and an editor for
each, saved continuously like templates (a short pause after the last change)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import domain
from desktop.domain import InvalidInput
from desktop.store.outbox import State, record_key
from desktop.store.services import Store
from desktop.ui import theme
from desktop.ui.badges import BADGES, badge_color
from desktop.ui.keys import ENTER, LEAVE_SEARCH, KeyMap, focus_next
from desktop.ui.richtext import VariableHighlighter, document_html
from desktop.ui.undo import Edits
from desktop.ui.unsaved import (
    Choice,
    ask_before_leaving,
    copy_unsaved,
    describe,
    save_fields,
)

AUTOSAVE_MS = 600
ModelIndex = QModelIndex | QPersistentModelIndex
PREDICTION_STATUSES = ["", "starting", "processing", "succeeded", "failed", "canceled"]


class Form(QWidget):
    """Fields of one record, saved (only what changed) a moment after the last edit. A
    field the store refuses stays on screen, explained, and never holds back the others;
    showing another record or closing asks before letting it go (:meth:`leave`)."""

    saved = Signal()
    store: Store

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record_id: str | None = None
        self._loaded: dict[str, Any] = {}  # per field, the stored value edits started from
        self._loading = False
        self._why: list[str] = []  # why the last save left something unsaved
        self._gone = False
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        theme.style(self.problem, "color: {error};")
        self.problem.hide()
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save)

    def watch(self, *widgets: QWidget) -> None:
        for widget in widgets:
            for name in ("textEdited", "textChanged", "toggled", "currentIndexChanged"):
                signal = getattr(widget, name, None)
                if signal is not None and not (
                    name == "textChanged" and isinstance(widget, QLineEdit)
                ):
                    signal.connect(self._changed)
                    break

    def _changed(self, *_: Any) -> None:
        if not self._loading and self.record_id is not None:
            self._timer.start()

    # For subclasses.
    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def show_record(self, record: Any) -> None:
        raise NotImplementedError

    def write(self, record_id: str, changes: dict[str, Any]) -> None:
        raise NotImplementedError

    def field_widget(self, name: str) -> QWidget | None:
        """The widget showing field ``name`` (where Keep editing puts the focus)."""
        widget = getattr(self, name, None)
        return widget if isinstance(widget, QWidget) else None

    def load(self, record: Any | None, record_id: str | None) -> bool:
        """Show ``record``, saving the one being edited first; False (and nothing changes)
        when something could not be saved and the writer chose to keep editing it."""
        if not self.leave():
            return False
        self.record_id = record_id if record is not None else None
        self.problem.hide()
        self._why, self._gone = [], False
        self._loading = True
        try:
            self.show_record(record)
            self._loaded = self.values() if record is not None else {}
        finally:
            self._loading = False
        self.setEnabled(record is not None)
        return True

    def unsaved(self) -> dict[str, Any]:
        if self.record_id is None:
            return {}
        return {k: v for k, v in self.values().items() if v != self._loaded.get(k)}

    def save(self) -> bool:
        self._timer.stop()
        record_id = self.record_id
        changes = self.unsaved()
        if record_id is None or not changes:
            if not self._gone:
                self._why = []
                self.problem.hide()
            return False
        saved = save_fields(self.store, self, lambda c: self.write(record_id, c), changes)
        if saved.gone:
            self._gone = True
            self._complain("This was deleted (on another device?).")
            return False
        if saved.fault is not None:
            self._complain(f"Not saved yet: {saved.fault}")
            self._timer.start(5_000)
            return False
        self._loaded.update(saved.written)
        if saved.refused:
            self._why = saved.refused
            rest = " Everything else is saved." if saved.written else ""
            self._complain(f"Not saved: {'; '.join(self._why)}.{rest}")
        else:
            self._why = []
            self.problem.hide()
        if saved.written:
            self.saved.emit()
        return bool(saved.written)

    def _complain(self, text: str) -> None:
        self._why = self._why or [text]
        self.problem.setText(text)
        self.problem.show()

    def leave(self) -> bool:
        """Save before showing another record or closing. True when nothing typed is left
        unsaved, or the writer chose to let it go; False when they keep editing."""
        if self.record_id is None:
            return True
        self.save()
        unsaved = self.unsaved()
        if not unsaved or self._gone:
            return True
        choice = ask_before_leaving(self, describe(list(unsaved)), self._why)
        if choice is Choice.KEEP_EDITING:
            widget = self.field_widget(next(iter(unsaved)))
            if widget is not None:
                widget.setFocus()
            return False
        if choice is Choice.COPY:
            texts = [
                "\n".join(map(str, value)) if isinstance(value, list) else str(value)
                for value in unsaved.values()
            ]
            copy_unsaved("\n\n".join(texts))
        return True


class SnippetForm(Form):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.title = QLineEdit(placeholderText="Title")
        self.category = QLineEdit(placeholderText="Category")
        self.description = QLineEdit(placeholderText="Description")
        self.body = QTextEdit()
        self.body.setAccessibleName("Snippet text")
        self.highlighter = VariableHighlighter(self.body.document())
        layout = QFormLayout(self)
        layout.addRow("Title", self.title)
        layout.addRow("Category", self.category)
        layout.addRow("Description", self.description)
        layout.addRow(self.body)
        layout.addRow(self.problem)
        self.watch(self.title, self.category, self.description, self.body)

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.text().strip(),
            "category": self.category.text().strip(),
            "description": self.description.text(),
            "content": document_html(self.body.document()),
        }

    def show_record(self, record: domain.Snippet | None) -> None:
        self.title.setText(record.title if record else "")
        self.category.setText(record.category if record else "")
        self.description.setText(record.description if record else "")
        self.body.setHtml(record.content if record else "")

    def write(self, record_id: str, changes: dict[str, Any]) -> None:
        self.store.update_snippet(record_id, **changes)


class VariableTable(QTableWidget):
    """A preset's variables and values. Tab walks name, value, next row's name; from the
    last value (or, with Shift, the first name) it leaves the table instead of wrapping
    round to the first row, where the next keystroke would overwrite another value."""

    def _at_edge(self, forward: bool) -> bool:
        row, column = self.currentRow(), self.currentColumn()
        if forward:
            return row >= self.rowCount() - 1 and column >= self.columnCount() - 1
        return row <= 0 and column <= 0

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        Hint = QAbstractItemDelegate.EndEditHint
        if hint in (Hint.EditNextItem, Hint.EditPreviousItem):
            forward = hint == Hint.EditNextItem
            if self._at_edge(forward):
                super().closeEditor(editor, Hint.NoHint)
                focus_next(self, forward)()
                return
        super().closeEditor(editor, hint)

    def focusNextPrevChild(self, next: bool) -> bool:
        if self.hasFocus() and self._at_edge(next):
            return super(QTableWidget, self).focusNextPrevChild(next)
        return super().focusNextPrevChild(next)


class PresetForm(Form):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.name = QLineEdit(placeholderText="Name")
        self.description = QLineEdit(placeholderText="Description")
        self.table = VariableTable(0, 2)
        self.table.setHorizontalHeaderLabels(["Variable", "Value"])
        self.table.setAccessibleName("Variables and their values")
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self._shown: str | None = None  # the preset whose rows the table holds
        self.add_row = QPushButton("Add variable")
        self.remove_row = QPushButton("Remove")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_row)
        buttons.addWidget(self.remove_row)
        buttons.addStretch(1)
        layout = QFormLayout(self)
        layout.addRow("Name", self.name)
        layout.addRow("Description", self.description)
        layout.addRow(self.table)
        layout.addRow(buttons)
        layout.addRow(self.problem)
        self.watch(self.name, self.description)
        self.table.itemChanged.connect(self._changed)
        self.add_row.clicked.connect(self._add_row)
        self.remove_row.clicked.connect(self._remove_row)

    def _add_row(self) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        name = QTableWidgetItem("")
        self.table.setItem(row, 0, name)
        self.table.setItem(row, 1, QTableWidgetItem(""))
        # The new row becomes the current cell, so Tab goes on from it (not from row 0).
        self.table.setCurrentCell(row, 0)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.table.editItem(name)

    def _remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._changed()

    def values(self) -> dict[str, Any]:
        found: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            name, value = self.table.item(row, 0), self.table.item(row, 1)
            if name is not None and name.text().strip():
                found[name.text().strip()] = value.text() if value is not None else ""
        return {
            "name": self.name.text().strip(),
            "description": self.description.text(),
            "values": found,
        }

    def show_record(self, record: domain.VariablePreset | None) -> None:
        shown, self._shown = self._shown, record.presetId if record else None
        for line, text in (
            (self.name, record.name if record else ""),
            (self.description, record.description if record else ""),
        ):
            if line.text() != text:
                line.setText(text)
        values = record.values if record else {}
        if record is not None and shown == record.presetId and self.values()["values"] == values:
            return  # this form's own save coming back: keep the rows, the cell and its editor
        self.table.setRowCount(0)
        for name, value in values.items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(value))

    def write(self, record_id: str, changes: dict[str, Any]) -> None:
        self.store.update_preset(record_id, **changes)


class NodeForm(Form):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.title = QLineEdit(placeholderText="Node title")
        self.description = QLineEdit(placeholderText="Description")
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Image generation prompt")
        self.images = QPlainTextEdit()
        self.images.setPlaceholderText("Generated image URLs, one per line")
        self.prediction_id = QLineEdit(placeholderText="Prediction id")
        self.status = QComboBox()
        self.status.addItems(PREDICTION_STATUSES)
        layout = QFormLayout(self)
        layout.addRow("Title", self.title)
        layout.addRow("Description", self.description)
        layout.addRow("Prompt", self.prompt)
        layout.addRow("Images", self.images)
        layout.addRow("Prediction", self.prediction_id)
        layout.addRow("Status", self.status)
        layout.addRow(self.problem)
        self.watch(self.title, self.description, self.prompt, self.images, self.prediction_id)
        self.status.currentIndexChanged.connect(self._changed)

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.text().strip(),
            "description": self.description.text(),
            "prompt": self.prompt.toPlainText(),
            "generatedImages": [
                line.strip() for line in self.images.toPlainText().splitlines() if line.strip()
            ],
            "predictionId": self.prediction_id.text().strip(),
            "predictionStatus": self.status.currentText(),
        }

    def show_record(self, record: domain.Node | None) -> None:
        self.title.setText(record.title if record else "")
        self.description.setText(record.description if record else "")
        self.prompt.setPlainText(record.prompt if record else "")
        self.images.setPlainText("\n".join(record.generatedImages) if record else "")
        self.prediction_id.setText(record.predictionId if record else "")
        self.status.setCurrentText(record.predictionStatus if record else "")

    def write(self, record_id: str, changes: dict[str, Any]) -> None:
        self.store.update_node(record_id, **changes)


class PageForm(Form):
    """A page's title and published flag, and its nodes in order (add, edit, move, delete)."""

    def __init__(self, store: Store, edits: Edits, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.edits = edits
        self.title = QLineEdit(placeholderText="Page title")
        self.published = QCheckBox("Published")
        self.nodes = QListWidget()
        self.nodes.setAccessibleName("Nodes, in order")
        self.nodes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.node_form = NodeForm(store)
        self.add_node = QPushButton("Add node")
        self.up = QPushButton("Move up")
        self.down = QPushButton("Move down")
        self.delete_node = QPushButton("Delete node")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.published)
        buttons = QHBoxLayout()
        for button in (self.add_node, self.up, self.down, self.delete_node):
            buttons.addWidget(button)
        buttons.addStretch(1)
        split = QSplitter()
        split.addWidget(self.nodes)
        split.addWidget(self.node_form)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.problem)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.watch(self.title, self.published)
        self.nodes.currentRowChanged.connect(self._show_node)
        self.add_node.clicked.connect(self._add_node)
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        self.delete_node.clicked.connect(self._delete_node)
        self.node_form.saved.connect(self.show_nodes)
        self._node_ids: list[str] = []

    def values(self) -> dict[str, Any]:
        return {"title": self.title.text().strip(), "isPublished": self.published.isChecked()}

    def show_record(self, record: domain.Page | None) -> None:
        self.title.setText(record.title if record else "")
        self.published.setChecked(bool(record and record.isPublished))
        self.show_nodes()

    def write(self, record_id: str, changes: dict[str, Any]) -> None:
        self.store.update_page(record_id, **changes)

    def leave(self) -> bool:
        return self.node_form.leave() and super().leave()

    def show_nodes(self, select: str | None = None) -> None:
        current = select or (
            self._node_ids[self.nodes.currentRow()]
            if 0 <= self.nodes.currentRow() < len(self._node_ids)
            else None
        )
        nodes = self.store.nodes(self.record_id) if self.record_id else []
        self._node_ids = [n.id for n in nodes]
        self.nodes.blockSignals(True)
        self.nodes.clear()
        for node in nodes:
            self.nodes.addItem(QListWidgetItem(f"{node.position + 1}. {node.title}"))
        self.nodes.blockSignals(False)
        row = self._node_ids.index(current) if current in self._node_ids else (0 if nodes else -1)
        self.nodes.setCurrentRow(row)
        self._show_node(row)

    def _show_node(self, row: int) -> None:
        if 0 <= row < len(self._node_ids):
            node = self.store.get_node(self._node_ids[row])
            shown = self.node_form.load(node, node.id)
        else:
            shown = self.node_form.load(None, None)
        if not shown and self.node_form.record_id in self._node_ids:  # kept editing
            self.nodes.blockSignals(True)
            self.nodes.setCurrentRow(self._node_ids.index(self.node_form.record_id))
            self.nodes.blockSignals(False)

    def _add_node(self) -> None:
        if self.record_id is None:
            return
        title, ok = QInputDialog.getText(self, "Add node", "Node title:")
        if ok and title.strip():
            try:
                node = self.store.add_node(self.record_id, title.strip())
            except InvalidInput as error:
                QMessageBox.warning(self, "Cannot add the node", "\n".join(error.problems))
                return
            self.show_nodes(select=node.id)

    def _move(self, step: int) -> None:
        row = self.nodes.currentRow()
        if 0 <= row < len(self._node_ids) and 0 <= row + step < len(self._node_ids):
            node_id = self._node_ids[row]
            self.node_form.save()
            self.edits.move_node(node_id, row + step)
            self.show_nodes(select=node_id)

    def _delete_node(self) -> None:
        row = self.nodes.currentRow()
        if 0 <= row < len(self._node_ids) and self.node_form.load(None, None):
            self.edits.delete("node", self._node_ids[row])
            self.show_nodes()


class RecordListModel(QAbstractListModel):
    """One kind of record, a row each: its label with its sync badge (as the template
    list's). A reload that finds the same records in the same order (after a save, a sync,
    a badge change) updates the rows in place, keeping the selection; only another list (a
    search, a record added or deleted) resets the model."""

    IdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, noun: str, label: Callable[[Any], str], record_id: Callable[[Any], str]):
        super().__init__()
        self.noun, self.label, self.record_id = noun, label, record_id
        self.records: list[Any] = []
        self.ids: list[str] = []
        self._badges: dict[str, State] = {}

    def set_records(self, records: list[Any], badges: dict[str, State]) -> bool:
        """Show ``records``; True when the list was reset (other records or order)."""
        ids = [self.record_id(record) for record in records]
        self._badges = badges
        if ids == self.ids:
            self.records = records
            if records:
                self.dataChanged.emit(self.index(0), self.index(len(records) - 1))
            return False
        self.beginResetModel()
        self.records, self.ids = records, ids
        self.endResetModel()
        return True

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.records):
            return None
        record = self.records[index.row()]
        badge = self._badges.get(record_key(self.noun, self.ids[index.row()]))
        if role == Qt.ItemDataRole.DisplayRole:
            mark = BADGES[badge][0] if badge else ""
            return f"{mark} {self.label(record)}".strip()
        if role == Qt.ItemDataRole.ToolTipRole:
            return BADGES[badge][2] if badge else "synced"
        if role == Qt.ItemDataRole.ForegroundRole and badge in (State.FAILED, State.CONFLICT):
            return badge_color(badge)
        if role == self.IdRole:
            return self.ids[index.row()]
        return None


class RecordSection(QWidget):
    """A searchable list of one kind of record beside its form, with New and Delete."""

    changed = Signal()

    def __init__(
        self,
        noun: str,
        list_records: Callable[[str], list[Any]],
        label: Callable[[Any], str],
        record_id: Callable[[Any], str],
        create: Callable[[str], Any],
        edits: Edits,
        form: Form,
        badges: Callable[[], dict[str, State]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        self.list_records = list_records
        self.label = label
        self.record_id = record_id
        self.make = create
        self.edits = edits
        self.form = form
        self.badges = badges
        self.model = RecordListModel(noun, label, record_id)
        self.search = QLineEdit(placeholderText=f"Search {noun}s")
        self.search.setClearButtonEnabled(True)
        self.list = QListView()
        self.list.setAccessibleName(f"{noun.capitalize()}s")
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.new_button = QPushButton(f"New {noun}")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        column = QWidget()
        left = QVBoxLayout(column)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.search)
        left.addWidget(self.list, 1)
        left.addLayout(buttons)
        self.splitter = QSplitter()
        self.splitter.addWidget(column)
        self.splitter.addWidget(form)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([330, 710])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.search.textChanged.connect(lambda _t: self.reload())
        self.list.selectionModel().currentChanged.connect(lambda now, _was: self._show(now.row()))
        self.new_button.clicked.connect(lambda: self.new_record())  # not clicked(bool)
        self.delete_button.clicked.connect(self.delete_current)
        form.saved.connect(self._after_save)
        edits.on_reveal(self._revealed)
        theme.on_change(self.reload)
        keys = self.keys = KeyMap(self)
        for key in LEAVE_SEARCH:
            keys.bind(self.search, key, self._focus_list)
        for key in ENTER:
            keys.bind(self.list, key, focus_next(form))
        keys.bind(self.list, Qt.Key.Key_Delete, self.delete_current)
        self.reload()

    @property
    def records(self) -> list[Any]:
        return self.model.records

    def _focus_list(self) -> None:
        if self.model.rowCount() and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.model.index(0))
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _revealed(self, entity: str, record_id: str) -> None:
        """A record came back (an undo): list it and show it."""
        if entity == self.noun:
            self.search.clear()
            self.reload(select=record_id)
        elif entity == "node" and isinstance(self.form, PageForm):
            node = self.form.store.get_node(record_id)
            self.search.clear()
            self.reload(select=node.pageId)
            self.form.show_nodes(select=record_id)

    def reload(self, select: str | None = None) -> None:
        keep = select or self.form.record_id
        self.model.set_records(self.list_records(self.search.text().strip()), self.badges())
        row = self.model.ids.index(keep) if keep in self.model.ids else -1
        self.list.setCurrentIndex(self.model.index(row))  # invalid for -1: nothing shown
        if row < 0:
            self.form.load(None, None)
        elif self.form.record_id != keep:
            self._show(row)

    def _show(self, row: int) -> None:
        record = self.records[row] if 0 <= row < len(self.records) else None
        if record is not None and self.record_id(record) == self.form.record_id:
            return  # shown already (a reload after a save): keep its unsaved fields
        if not self.form.load(record, self.record_id(record) if record is not None else None):
            QTimer.singleShot(0, self._select_shown)  # kept editing: select it again

    def _select_shown(self) -> None:
        if self.form.record_id in self.model.ids:
            self.list.selectionModel().setCurrentIndex(
                self.model.index(self.model.ids.index(self.form.record_id)),
                QItemSelectionModel.SelectionFlag.ClearAndSelect,
            )

    def _after_save(self) -> None:
        self.reload()
        self.changed.emit()

    def new_record(self, title: str | None = None) -> Any:
        if title is None:
            title, ok = QInputDialog.getText(self, f"New {self.noun}", "Name:")
            if not ok:
                return None
        try:
            record = self.make(title)
        except InvalidInput as error:
            QMessageBox.warning(self, f"Cannot create the {self.noun}", "\n".join(error.problems))
            return None
        self.search.clear()
        self.reload(select=self.record_id(record))
        self.changed.emit()
        return record

    def delete_current(self) -> None:
        if self.form.record_id is None:
            return
        record_id = self.form.record_id
        if not self.form.load(None, None):
            return
        self.edits.delete(self.noun, record_id)
        self.reload()
        self.changed.emit()


def snippet_section(store: Store, edits: Edits) -> RecordSection:
    return RecordSection(
        "snippet",
        lambda query: store.search_snippets(query) if query else store.list_snippets(),
        lambda s: s.title,
        lambda s: s.snippetId,
        lambda title: store.create_snippet(title),
        edits,
        SnippetForm(store),
        store.queue_states,
    )


def preset_section(store: Store, edits: Edits) -> RecordSection:
    return RecordSection(
        "preset",
        lambda query: [p for p in store.list_presets() if query.lower() in p.name.lower()],
        lambda p: p.name,
        lambda p: p.presetId,
        lambda name: store.create_preset(name),
        edits,
        PresetForm(store),
        store.queue_states,
    )


def page_section(store: Store, edits: Edits) -> RecordSection:
    return RecordSection(
        "page",
        lambda query: [p for p in store.list_pages() if query.lower() in p.title.lower()],
        lambda p: f"{p.title}{'  (published)' if p.isPublished else ''}",
        lambda p: p.id,
        lambda title: store.create_page(title),
        edits,
        PageForm(store, edits),
        store.queue_states,
    )
