"""The template editor: rich text with a formatting toolbar and standard shortcuts,
highlighted ``[[variables]]``, the template's fields, and continuous autosave.

Autosave: every change restarts a short timer; when it fires (or when the writer switches
template, or the window closes) the fields that differ from what was loaded are saved
through the store, which records the version and queues the sync in one transaction.
Only changed fields are written, so an edit here never undoes a field that a sync changed
meanwhile. If a sync changes the template being edited, the editor reloads it, merging
unsaved text with the incoming text when the edits do not overlap; when they do, the
writer's text is kept and a banner says the other version is in the history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence, QTextCharFormat, QTextListFormat
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop import domain
from desktop.domain import InvalidInput
from desktop.store.db import StoreError
from desktop.store.services import NotFound, Store
from desktop.sync.merge import merge_text
from desktop.ui import theme
from desktop.ui.richtext import VariableHighlighter, document_html, normalized_html

AUTOSAVE_MS = 600
NO_TEMPLATE = "No template open: choose one on the left, or press Ctrl+N for a new one."
EMPTY_TEXT = "Write here. Type [[name]] (or Ctrl+Shift+V) for a variable that Populate fills in."


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class TemplateEditor(QWidget):
    saved = Signal(str)  # template id
    populate_requested = Signal(str)
    snippet_requested = Signal()
    history_requested = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.template_id: str | None = None
        self._loaded: dict[str, Any] = {}  # the fields as last loaded or saved
        self._loading = False

        self.title = QLineEdit(placeholderText="Title")
        title_font = self.title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.35)
        self.title.setFont(title_font)
        self.category = QLineEdit(placeholderText="Category")
        self.tags = QLineEdit(placeholderText="tags, separated by commas")
        self.description = QLineEdit(placeholderText="Description")
        self.shared = QCheckBox("Shared")
        self.body = QTextEdit()
        self.body.setAccessibleName("Template text")
        self.body.setAcceptRichText(True)
        self.body.setTabChangesFocus(False)
        self.body.setPlaceholderText(NO_TEMPLATE)
        self.highlighter = VariableHighlighter(self.body.document())
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        theme.style(
            self.banner,
            "background: {warning_bg}; color: {warning_fg}; padding: 6px; border-radius: 4px;",
        )
        self.banner.hide()
        self.problem = QLabel()
        theme.style(self.problem, "color: {error};")
        self.problem.hide()
        self.state = QLabel()
        theme.style(self.state, "color: {hint};")
        self.server_note = QLabel()  # what the web app set here, read-only (issue 11)
        self.server_note.setWordWrap(True)
        theme.style(self.server_note, "color: {hint};")

        self.toolbar = QToolBar("Format")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_toolbar()

        fields = QFormLayout()
        fields.addRow(self.title)
        row = QHBoxLayout()
        row.addWidget(self.category, 1)
        row.addWidget(self.tags, 2)
        row.addWidget(self.shared)
        fields.addRow(row)
        fields.addRow(self.description)
        fields.addRow(self.server_note)
        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addWidget(self.banner)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.body, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.problem, 1)
        footer.addWidget(self.state)
        layout.addLayout(footer)

        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save)
        for line in (self.title, self.category, self.tags, self.description):
            line.textEdited.connect(self._changed)
        self.shared.toggled.connect(self._changed)
        self.body.textChanged.connect(self._body_changed)
        self.setEnabled(False)

    # -- toolbar --------------------------------------------------------------------------

    def _action(
        self,
        name: str,
        text: str,
        handler: Callable[[], None],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(lambda: handler())  # not triggered(bool) into handler's args
        self.actions_by_name[name] = action
        self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def _build_toolbar(self) -> None:
        bold = self._action("bold", "B", self._bold, QKeySequence.StandardKey.Bold, True)
        bold.setFont(QFont(bold.font().family(), -1, QFont.Weight.Bold))
        self._action("italic", "I", self._italic, QKeySequence.StandardKey.Italic, True)
        self._action("underline", "U", self._underline, QKeySequence.StandardKey.Underline, True)
        self.toolbar.addSeparator()
        self._action("h1", "H1", lambda: self._heading(1), "Ctrl+1")
        self._action("h2", "H2", lambda: self._heading(2), "Ctrl+2")
        self._action("paragraph", "¶", lambda: self._heading(0), "Ctrl+0")
        self._action(
            "bullets", "• List", lambda: self._list(QTextListFormat.Style.ListDisc), "Ctrl+Shift+8"
        )
        self._action(
            "numbers",
            "1. List",
            lambda: self._list(QTextListFormat.Style.ListDecimal),
            "Ctrl+Shift+7",
        )
        self._action("link", "Link", self._link, "Ctrl+K")
        self.toolbar.addSeparator()
        self._action("variable", "[[ ]] Variable", self.insert_variable, "Ctrl+Shift+V")
        self._action("snippet", "Snippet", self.snippet_requested.emit, "Ctrl+Shift+S")
        self._action(
            "populate", "Populate", lambda: self._emit_for(self.populate_requested), "Ctrl+P"
        )
        self._action("history", "History", lambda: self._emit_for(self.history_requested), "Ctrl+H")
        self.body.currentCharFormatChanged.connect(self._show_format)

    def _emit_for(self, signal: Any) -> None:
        self.save()
        if self.template_id:
            signal.emit(self.template_id)

    def _merge_format(self, fmt: QTextCharFormat) -> None:
        cursor = self.body.textCursor()
        cursor.mergeCharFormat(fmt)
        self.body.mergeCurrentCharFormat(fmt)

    def _bold(self) -> None:
        fmt = QTextCharFormat()
        bold = self.actions_by_name["bold"].isChecked()
        fmt.setFontWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        self._merge_format(fmt)

    def _italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(self.actions_by_name["italic"].isChecked())
        self._merge_format(fmt)

    def _underline(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontUnderline(self.actions_by_name["underline"].isChecked())
        self._merge_format(fmt)

    def _heading(self, level: int) -> None:
        cursor = self.body.textCursor()
        cursor.beginEditBlock()
        block = cursor.blockFormat()
        block.setHeadingLevel(level)
        cursor.setBlockFormat(block)
        size = QTextCharFormat()
        size.setProperty(QTextCharFormat.Property.FontSizeAdjustment, {1: 3, 2: 2}.get(level, 0))
        size.setFontWeight(QFont.Weight.Bold if level else QFont.Weight.Normal)
        cursor.select(cursor.SelectionType.BlockUnderCursor)
        cursor.mergeCharFormat(size)
        cursor.endEditBlock()

    def _list(self, style: QTextListFormat.Style) -> None:
        cursor = self.body.textCursor()
        if cursor.currentList() is not None:
            current = cursor.currentList()
            assert current is not None
            block = cursor.block()
            current.remove(block)
            plain = cursor.blockFormat()
            plain.setIndent(0)
            cursor.setBlockFormat(plain)
            return
        list_format = QTextListFormat()
        list_format.setStyle(style)
        cursor.createList(list_format)

    def _link(self) -> None:
        cursor = self.body.textCursor()
        url, ok = QInputDialog.getText(self, "Link", "Address (https://...):")
        if not ok or not url.strip():
            return
        fmt = QTextCharFormat()
        fmt.setAnchor(True)
        fmt.setAnchorHref(url.strip())
        fmt.setFontUnderline(True)
        if not cursor.hasSelection():
            cursor.insertText(url.strip(), fmt)
        else:
            cursor.mergeCharFormat(fmt)

    def _show_format(self, fmt: QTextCharFormat) -> None:
        self.actions_by_name["bold"].setChecked(fmt.fontWeight() >= QFont.Weight.Bold.value)
        self.actions_by_name["italic"].setChecked(fmt.fontItalic())
        self.actions_by_name["underline"].setChecked(fmt.fontUnderline())

    def insert_variable(self, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, "Insert variable", "Variable name:")
            if not ok:
                return
        name = name.strip()
        if name:
            self.body.textCursor().insertText(f"[[{name}]]")
            self.body.setFocus()

    def insert_html(self, fragment: str) -> None:
        self.body.textCursor().insertHtml(fragment)
        self.body.setFocus()

    # -- loading and saving ---------------------------------------------------------------

    def current_fields(self) -> dict[str, Any]:
        return {
            "title": self.title.text().strip(),
            "category": self.category.text().strip(),
            "tags": _tags(self.tags.text()),
            "description": self.description.text(),
            "isShared": self.shared.isChecked(),
            "content": document_html(self.body.document()),
        }

    def load(self, template_id: str | None) -> None:
        """Show a template (saving the one being edited first)."""
        self.save()
        self.template_id = template_id
        self.banner.hide()
        self.problem.hide()
        if template_id is None:
            self._fill(None)
            self.setEnabled(False)
            return
        try:
            template = self.store.get_template(template_id)
        except NotFound:
            self.load(None)
            return
        self.setEnabled(True)
        self._fill(template)

    def _fill(self, template: domain.Template | None) -> None:
        self._loading = True
        try:
            self.title.setText(template.title if template else "")
            self.category.setText(template.category if template else "")
            self.tags.setText(", ".join(template.tags) if template else "")
            self.description.setText(template.description if template else "")
            self.shared.setChecked(bool(template and template.isShared))
            self.body.setHtml(template.content if template else "")
            self.body.setPlaceholderText(EMPTY_TEXT if template else NO_TEMPLATE)
            self.body.document().setModified(False)
            # Changes are measured against this rendering, so a body the writer did not
            # touch is never rewritten just because Qt spells its HTML differently.
            self._loaded = self.current_fields() if template else {}
            self.state.setText("Saved" if template else "")
            self.server_note.setText(self.store.server_note(template) if template else "")
            self.server_note.setVisible(bool(self.server_note.text()))
        finally:
            self._loading = False

    def _changed(self, *_: Any) -> None:
        if self._loading or self.template_id is None:
            return
        self.state.setText("Editing...")
        self._timer.start()

    def _body_changed(self) -> None:
        # Only the writer's edits: repainting the highlights changes no text.
        if self.body.document().isModified():
            self._changed()

    @property
    def dirty(self) -> bool:
        return bool(self.template_id) and self.current_fields() != self._loaded

    def save(self) -> bool:
        """Save the fields that changed since the template was loaded; True if saved."""
        self._timer.stop()
        if self.template_id is None or not self.dirty:
            return False
        now = self.current_fields()
        changes = {name: value for name, value in now.items() if value != self._loaded.get(name)}
        try:
            self.store.update_template(self.template_id, **changes)
        except InvalidInput as error:
            self.problem.setText("Not saved: " + "; ".join(error.problems))
            self.problem.show()
            self.state.setText("Not saved")
            return False
        except NotFound:
            self.problem.setText("This template was deleted (on another device?).")
            self.problem.show()
            return False
        except StoreError as error:  # disk full, database locked or damaged: say so, keep it
            self.problem.setText(f"Not saved yet: {error} Your text stays here; keep the app open.")
            self.problem.show()
            self.state.setText("Not saved")
            self._timer.start(5_000)  # and try again
            return False
        self.problem.hide()
        self._loaded = now
        self.body.document().setModified(False)
        self.state.setText("Saved")
        self.saved.emit(self.template_id)
        return True

    def external_change(self) -> None:
        """The store changed this template outside the editor (a sync, a resolution)."""
        if self.template_id is None:
            return
        try:
            stored = self.store.get_template(self.template_id)
        except NotFound:
            self.template_id = None
            self._fill(None)
            self.setEnabled(False)
            self.banner.setText("This template was deleted on another device.")
            self.banner.show()
            return
        if not self.dirty:
            at = self.body.textCursor().position()
            self._fill(stored)
            moved = self.body.textCursor()
            moved.setPosition(min(at, len(self.body.toPlainText())))
            self.body.setTextCursor(moved)
            return
        mine = self.current_fields()
        base_content = self._loaded.get("content", "")
        merged = merge_text(base_content, mine["content"], normalized_html(stored.content))
        position = self.body.textCursor().position()
        self._fill(stored)
        for name in ("title", "category", "description"):
            if mine[name] != self._loaded.get(name):
                getattr(self, name).setText(mine[name])
        if merged.text is not None:
            self._loading = True
            self.body.setHtml(merged.text)
            self._loading = False
        else:
            self._loading = True
            self.body.setHtml(mine["content"])
            self._loading = False
            self.banner.setText(
                "This template changed on another device while you were editing the same "
                "passage. Your text is kept; the other version is in History."
            )
            self.banner.show()
        restored = self.body.textCursor()
        restored.setPosition(min(position, len(self.body.toPlainText())))
        self.body.setTextCursor(restored)
        self._changed()
