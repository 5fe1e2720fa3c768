"""The Failed and Conflicts panels: what could not be synced, and why; what needs a
decision, with mine, theirs and base side by side."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QKeySequence,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import InvalidInput
from desktop.store.outbox import Entry, QueueError, State
from desktop.store.services import NotFound, Store
from desktop.sync.merge import TEXT_FIELDS
from desktop.sync.resolution import Conflict, Resolution, list_conflicts, resolve
from desktop.ui import icons, theme, words
from desktop.ui.richtext import document_html, word_diff
from desktop.ui.undo import Edits
from desktop.variables import html_to_text

ModelIndex = QModelIndex | QPersistentModelIndex


class EmptyState(QWidget):
    """What an empty panel says, in the middle of it: an icon, a heading, what happens
    here and what to do (three empty boxes under a line of text read as a broken window)."""

    def __init__(self, icon: str, heading: str, text: str) -> None:
        super().__init__()
        self._icon_name = icon
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = QLabel(heading)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setMaximumWidth(460)
        theme.style(self.text, "color: {hint};")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.icon)
        layout.addWidget(self.heading)
        # Centred by stretches, not by an alignment flag: an aligned label gets its size
        # hint's height and its second line was cut in half.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.text, 4)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self._paint_icon()
        theme.on_change(self._paint_icon)  # a pixmap keeps the colour it was drawn in

    def _paint_icon(self) -> None:
        self.icon.setPixmap(icons.icon(self._icon_name).pixmap(48, 48))


class FailedModel(QAbstractTableModel):
    HEADERS = ("Item", "Change", "Why, and what to do", "Attempts", "Since")

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.entries: list[Entry] = []
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
        self.table.setTabKeyNavigation(False)  # Tab goes on to Retry, not cell to cell
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.open_button = QPushButton("Open")
        self.retry_button = QPushButton("Retry")
        self.retry_all_button = QPushButton("Retry all")
        self.discard_button = QPushButton("Discard...")
        self.empty = EmptyState(
            "check-circle-outline",
            "Nothing failed",
            "Every change is synced or on its way. A change the server refuses waits "
            "here, with why and what to do.",
        )
        buttons = QHBoxLayout()
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
        self.title = title
        failed = QWidget()
        column = QVBoxLayout(failed)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(title)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(failed)
        layout.addWidget(self.pages, 1)
        self.open_button.clicked.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(self.retry_all)
        self.discard_button.clicked.connect(lambda: self.discard_selected())  # confirm=True
        self.reload()

    def reload(self) -> None:
        self.model.reload()
        has = bool(self.model.entries)
        self.pages.setCurrentIndex(1 if has else 0)
        for button in (
            self.open_button,
            self.retry_button,
            self.retry_all_button,
            self.discard_button,
        ):
            button.setEnabled(has)

    def _selected(self) -> Entry | None:
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


#: Bookkeeping a writer never edits: not shown when saying what a deleted record held.
_BOOKKEEPING = frozenset({"version", "latestVersion", "usageCount", "lastOpId", "ownerId"})


def _shown_fields(state: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """The fields of ``state`` a writer would recognise as changed since ``base`` (all of
    them when the base is unknown): what an edit that meets a deletion would lose."""
    fields = [
        name
        for name, value in state.items()
        if name not in _BOOKKEEPING
        and not name.endswith(("Id", "At"))
        and not name.startswith("usageOp_")
        and (not base or value != base.get(name))
        and value not in (None, "", [], {})
    ]
    title = "title" if "title" in state else "name"
    return fields if title in fields else [title, *fields]


def _is_rich(entity: str, field: str) -> bool:
    return field == "content" and entity in ("template", "snippet")


def _load(document: QTextDocument, text: str, rich: bool) -> None:
    if rich:
        document.setHtml(text)
    else:
        document.setPlainText(text)


def _blocks(document: QTextDocument) -> list[QTextBlock]:
    found, block = [], document.begin()
    while block.isValid():
        found.append(block)
        block = block.next()
    return found


def mark_changed(document: QTextDocument, base: QTextDocument) -> int:
    """Give each paragraph of ``document`` that ``base`` does not have the "added"
    background; the number marked."""
    before = {block.text().strip() for block in _blocks(base)}
    marked = 0
    for block in _blocks(document):
        if block.text().strip() and block.text().strip() not in before:
            cursor = QTextCursor(block)
            mark = QTextBlockFormat()
            mark.setBackground(QColor(theme.colors().added_bg))
            cursor.mergeBlockFormat(mark)
            marked += 1
    return marked


class MergeDialog(QDialog):
    """Mine and theirs side by side as a writer reads them (rendered, the paragraphs each
    changed since the base marked), and the result below, editable as rich text. It starts
    as mine, with nothing selected; "Take this paragraph" copies the paragraph under the
    cursor on either side into the result, after the paragraph where its cursor is."""

    def __init__(self, conflict: Conflict, field: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert conflict.mine is not None and conflict.theirs is not None
        self.field = field
        self.rich = _is_rich(conflict.entity, field)
        self.setWindowTitle(f"Merge by hand - {conflict.title}")
        self._base = QTextDocument(self)
        _load(self._base, str((conflict.base or {}).get(field) or ""), self.rich)
        self.sides: dict[str, QTextBrowser] = {}
        self.take: dict[str, QPushButton] = {}
        columns = QHBoxLayout()
        for name, caption in (("mine", "Mine (this computer)"), ("theirs", "Theirs (the server)")):
            view = QTextBrowser()
            view.setAccessibleName(f"{caption}: the {field}, changed paragraphs marked")
            view.setOpenLinks(False)
            view.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            self.sides[name] = view
            take = QPushButton("Take this paragraph")
            take.setToolTip(
                f"Copy the paragraph where you clicked in {name} into the result, after the "
                "paragraph where the result's cursor is"
            )
            take.setAccessibleName(f"Take this paragraph from {name}")
            take.clicked.connect(lambda _checked=False, n=name: self.take_paragraph(n))
            self.take[name] = take
            box = QVBoxLayout()
            box.addWidget(QLabel(f"<b>{caption}</b>"))
            box.addWidget(view, 1)
            box.addWidget(take, 0, Qt.AlignmentFlag.AlignLeft)
            columns.addLayout(box, 1)
        self._texts = {
            "mine": str(conflict.mine.get(field) or ""),
            "theirs": str(conflict.theirs.get(field) or ""),
        }
        self.editor = QTextEdit()
        self.editor.setAccessibleName(f"The merged {field}")
        self.editor.setAcceptRichText(self.rich)
        self.editor.setTabChangesFocus(True)
        _load(self.editor.document(), self._texts["mine"], self.rich)
        self.editor.moveCursor(QTextCursor.MoveOperation.Start)  # nothing selected
        self.toolbar = QToolBar("Format")
        if self.rich:
            for text, key, apply in (
                ("B", QKeySequence.StandardKey.Bold, self._bold),
                ("I", QKeySequence.StandardKey.Italic, self._italic),
                ("U", QKeySequence.StandardKey.Underline, self._underline),
            ):
                action = QAction(text, self)
                action.setShortcut(QKeySequence(key))
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                action.triggered.connect(apply)
                self.editor.addAction(action)
                self.toolbar.addAction(action)
        self.toolbar.setVisible(self.rich)
        legend = QLabel(
            "Marked: paragraphs changed since before both edits. Click a paragraph on either "
            "side, then Take this paragraph; edit the result freely."
        )
        legend.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.use_button = buttons.addButton(
            "Use the result", QDialogButtonBox.ButtonRole.AcceptRole
        )
        layout = QVBoxLayout(self)
        layout.addWidget(legend)
        layout.addLayout(columns, 3)
        layout.addWidget(QLabel(f"<b>Result</b> (the {field} as it will be saved)"))
        layout.addWidget(self.toolbar)
        layout.addWidget(self.editor, 2)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.resize(1000, 680)
        self.render_sides()
        theme.on_change(self.render_sides)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def render_sides(self) -> None:
        """Fill (or, after a change of appearance, repaint) both sides."""
        for name, view in self.sides.items():
            position = view.textCursor().position()
            _load(view.document(), self._texts[name], self.rich)
            mark_changed(view.document(), self._base)
            cursor = view.textCursor()
            cursor.setPosition(min(position, view.document().characterCount() - 1))
            view.setTextCursor(cursor)

    def take_paragraph(self, side: str) -> None:
        """Copy the paragraph under ``side``'s cursor into the result, after the result's
        current paragraph (or into it when the result is empty)."""
        source = self.sides[side].textCursor().block()
        copied = QTextCursor(source)
        copied.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        fragment = copied.selection()
        cursor = self.editor.textCursor()
        cursor.clearSelection()
        cursor.beginEditBlock()
        if not self.editor.document().isEmpty():
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
            plain = QTextBlockFormat()
            plain.setHeadingLevel(source.blockFormat().headingLevel())
            cursor.insertBlock(plain, QTextCharFormat())
        source_list = source.textList()
        here = cursor.block().textList()
        if source_list is not None and here is None:
            cursor.createList(source_list.format().style())
        elif source_list is None and here is not None:
            here.remove(cursor.block())
            unindented = cursor.blockFormat()
            unindented.setIndent(0)
            cursor.setBlockFormat(unindented)
        cursor.insertFragment(fragment)
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def merged_text(self) -> str:
        document = self.editor.document()
        return document_html(document) if self.rich else document.toPlainText()

    def _format(self, fmt: QTextCharFormat) -> None:
        cursor = self.editor.textCursor()
        cursor.mergeCharFormat(fmt)
        self.editor.mergeCurrentCharFormat(fmt)

    def _bold(self) -> None:
        fmt = QTextCharFormat()
        bold = self.editor.fontWeight() >= QFont.Weight.Bold.value
        fmt.setFontWeight(QFont.Weight.Normal if bold else QFont.Weight.Bold)
        self._format(fmt)

    def _italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(not self.editor.fontItalic())
        self._format(fmt)

    def _underline(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontUnderline(not self.editor.fontUnderline())
        self._format(fmt)


class ConflictsPanel(QWidget):
    """Mine, theirs and base side by side, differences marked; keep mine, keep theirs
    (asked first, and undoable, when theirs deletes the record), or merge by hand."""

    changed = Signal()

    def __init__(self, store: Store, edits: Edits | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.edits = edits
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
        heading = QLabel(
            "<h3>Conflicts</h3>Changed here and on another device (or the web "
            "app). Fields changed on one side only are merged already."
        )
        heading.setWordWrap(True)
        working = QWidget()
        column = QVBoxLayout(working)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(heading)
        column.addWidget(split, 1)
        self.empty = EmptyState(
            "check-circle-outline",
            "No conflicts",
            "When an item is changed both here and on another device (or in the web app), "
            "it waits here for you to choose which version to keep. Changes to different "
            "fields are merged by themselves.",
        )
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(working)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        self.list.currentRowChanged.connect(self._show)
        self.keep_mine.clicked.connect(lambda: self.resolve_current(Resolution.MINE))
        self.keep_theirs.clicked.connect(self.keep_theirs_current)
        self.merge_button.clicked.connect(self.merge_by_hand)
        theme.on_change(self.repaint_views)
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
        self.pages.setCurrentIndex(1 if self.conflicts else 0)
        if self.conflicts:
            self.list.setCurrentRow(max(0, min(current, len(self.conflicts) - 1)))
        else:
            self._show(-1)

    def repaint_views(self) -> None:
        """The diffs are coloured when drawn: draw them again in the new appearance."""
        self._show(self.list.currentRow())

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
        self.merge_button.setEnabled(self._merge_field(conflict) is not None)
        base = conflict.base or {}
        fields = conflict.fields
        if conflict.mine is None or conflict.theirs is None:  # what the deletion would lose
            fields = _shown_fields(conflict.mine or conflict.theirs or {}, base)
        for name, state in (("mine", conflict.mine), ("theirs", conflict.theirs), ("base", base)):
            if state is None:
                where = "on this computer" if name == "mine" else "on the server"
                self.views[name].setHtml(f"<p><i>Deleted {where}.</i></p>")
                continue
            parts = []
            for field in fields:
                text = _value_text(state.get(field))
                shown = (
                    html.escape(text).replace("\n", "<br>")
                    if name == "base"
                    else word_diff(_value_text(base.get(field)), text)
                )
                parts.append(f"<p><b>{html.escape(words.label(field))}</b><br>{shown}</p>")
            self.views[name].setHtml("".join(parts))

    @staticmethod
    def _merge_field(conflict: Conflict) -> str | None:
        """The text field to merge by hand (None: nothing to merge, e.g. a deletion)."""
        if conflict.mine is None or conflict.theirs is None:
            return None
        text_fields = TEXT_FIELDS.get(conflict.entity, frozenset())
        return next((f for f in conflict.fields if f in text_fields), None)

    def current(self) -> Conflict | None:
        row = self.list.currentRow()
        return self.conflicts[row] if 0 <= row < len(self.conflicts) else None

    def resolve_current(
        self, how: Resolution, merged_text: str | None = None, field: str | None = None
    ) -> bool:
        conflict = self.current()
        if conflict is None:
            return False
        try:
            resolve(self.store, conflict.entry_id, how, merged_text=merged_text, field=field)
        except (InvalidInput, NotFound) as error:
            problems = error.problems if isinstance(error, InvalidInput) else [str(error)]
            QMessageBox.warning(self, "Cannot resolve", "\n".join(problems))
            return False
        self.reload()
        self.changed.emit()
        return True

    def keep_theirs_current(self) -> None:
        """Keep theirs; when theirs is a deletion, ask first, and keep it undoable (Edit >
        Undo puts this computer's copy back and sends it again)."""
        conflict = self.current()
        if conflict is None:
            return
        if conflict.theirs is not None or conflict.mine is None:
            self.resolve_current(Resolution.THEIRS)
            return
        answer = QMessageBox.question(
            self,
            "Delete it here too?",
            f"\u201c{conflict.title}\u201d was deleted on the server (or another device). "
            "Keeping theirs deletes it on this computer too, with the changes shown under "
            "Mine.\n\nYou can undo this with Edit > Undo (Ctrl+Z).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        taken = self.store.with_children(conflict.entity, conflict.record_id)
        if self.resolve_current(Resolution.THEIRS) and self.edits is not None:
            self.edits.deleted(
                conflict.entity, taken, f"Keep theirs: delete \u201c{conflict.title}\u201d"
            )

    def merge_by_hand(self) -> None:
        conflict = self.current()
        field = self._merge_field(conflict) if conflict is not None else None
        if conflict is None or field is None:
            return
        dialog = MergeDialog(conflict, field, self)
        try:
            if dialog.exec():
                merged = dialog.merged_text()
                self.resolve_current(Resolution.MERGED, merged_text=merged, field=field)
        finally:
            dialog.deleteLater()
