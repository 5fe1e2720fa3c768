"""The template editor: rich text with a formatting toolbar and standard shortcuts,
highlighted ``[[variables]]``, the template's fields, and continuous autosave.

Autosave: every change restarts a short timer; when it fires (or when the writer switches
template, or the window closes) the fields that differ from their base (the stored value
the writer started from) are saved through the store, which records the version and
queues the sync in one transaction. A field the store refuses stays on screen, explained,
and never holds back the others; leaving it asks first (:mod:`desktop.ui.unsaved`).
The editor's own saves carry it as their initiator and are never reloaded (a reload would
clear the undo history and move the page). A change from elsewhere (a sync) merges field
by field against the base: see :meth:`TemplateEditor.external_change`.
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
    QMessageBox,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop import domain
from desktop.store.services import Changes, NotFound, Store
from desktop.sync.merge import merge_record
from desktop.ui import theme
from desktop.ui.richtext import VariableHighlighter, document_html, normalized_html
from desktop.ui.unsaved import (
    FIELD_WORDS,
    Choice,
    ask_before_leaving,
    copy_unsaved,
    describe,
    save_fields,
)

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
    quick_fill_requested = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.template_id: str | None = None
        # Per field, the stored value the writer's edit started from (as shown here):
        # what a save compares with, and the base of a merge with a remote change.
        self._base: dict[str, Any] = {}
        self._why: list[str] = []  # why the last save left something unsaved
        self._gone = False  # the template was deleted under the editor
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
        self.problem.setWordWrap(True)
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
        quick_fill = self._action("quickfill", "Quick Fill", self._quick_fill)
        quick_fill.setToolTip("Quick Fill: find a template, fill it in, copy the result")
        self.body.currentCharFormatChanged.connect(self._show_format)

    def _quick_fill(self) -> None:
        self.save()  # the palette fills what is stored
        self.quick_fill_requested.emit()

    def _emit_for(self, signal: Any) -> None:
        self.save()
        if self.template_id:
            signal.emit(self.template_id)

    def _merge_format(self, fmt: QTextCharFormat) -> None:
        # Once: on the selection (one undo step) or, without one, on what is typed next.
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

    @staticmethod
    def _rendered(template: domain.Template) -> dict[str, Any]:
        """``template``'s fields as :meth:`current_fields` would read them once shown."""
        return {
            "title": template.title.strip(),
            "category": template.category.strip(),
            "tags": _tags(", ".join(template.tags)),
            "description": template.description,
            "isShared": template.isShared,
            "content": normalized_html(template.content),
        }

    def load(self, template_id: str | None) -> bool:
        """Show a template, saving the one being edited first. False (and nothing changes)
        when something could not be saved and the writer chose to keep editing it."""
        if not self.leave():
            return False
        self.template_id = template_id
        self.banner.hide()
        self.problem.hide()
        if template_id is None:
            self._fill(None)
            self.setEnabled(False)
            return True
        try:
            template = self.store.get_template(template_id)
        except NotFound:
            return self.load(None)
        self.setEnabled(True)
        self._fill(template)
        return True

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
            self._base = self.current_fields() if template else {}
            self._why = []
            self._gone = False
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

    def unsaved(self) -> dict[str, Any]:
        """The fields the writer changed and the store does not hold yet: each compared
        with its own base, the stored value the writer started from."""
        if self.template_id is None:
            return {}
        return {
            name: value
            for name, value in self.current_fields().items()
            if value != self._base.get(name)
        }

    @property
    def dirty(self) -> bool:
        return bool(self.unsaved())

    def save(self) -> bool:
        """Save the fields the writer changed; True if anything was saved. A field the
        store refuses (an empty title, a text too large to sync) stays on screen, unsaved
        and explained, and never holds back the others."""
        self._timer.stop()
        template_id = self.template_id
        edits = self.unsaved()
        if template_id is None or not edits:
            if template_id is not None and not self._gone:
                self._why = []
                self.problem.hide()
                self.state.setText("Saved")
            return False

        def write(changes: dict[str, Any]) -> None:
            self.store.update_template(template_id, **changes)

        saved = save_fields(self.store, self, write, edits)  # as its own: it is not reloaded
        if saved.gone:
            self._gone = True
            self._complain("This template was deleted (on another device?).")
            return False
        if saved.fault is not None:  # disk full, database locked or damaged: say so, keep it
            self._complain(f"Not saved yet: {saved.fault} Your text stays here; keep the app open.")
            self._timer.start(5_000)  # and try again
            return False
        written = saved.written
        self._base.update(written)
        if "content" in written:
            # The document's saved point; Qt also starts a new undo step at it, so Ctrl+Z
            # goes back one autosave at a time.
            self.body.document().setModified(False)
        if saved.refused:
            self._why = saved.refused
            rest = " Everything else is saved." if written else ""
            self._complain(f"Not saved: {'; '.join(self._why)}.{rest}")
        else:
            self._why = []
            self.problem.hide()
            self.state.setText("Saved")
        if written:
            self.saved.emit(template_id)
        return bool(written)

    def _complain(self, text: str) -> None:
        self._why = self._why or [text]
        self.problem.setText(text)
        self.problem.show()
        self.state.setText("Not saved")

    def leave(self) -> bool:
        """Save before showing something else or closing. True when nothing the writer
        typed is left unsaved, or they chose to let it go (copied or discarded); False when
        they keep editing it."""
        if self.template_id is None:
            return True
        self.save()
        unsaved = self.unsaved()
        if not unsaved or self._gone:
            return True
        choice = ask_before_leaving(self, describe(list(unsaved)), self._why)
        if choice is Choice.KEEP_EDITING:
            self._field_widgets()[next(iter(unsaved))].setFocus()
            return False
        if choice is Choice.COPY:
            texts = [
                self.body.toPlainText()
                if name == "content"
                else ", ".join(value)
                if isinstance(value, list)
                else str(value)
                for name, value in unsaved.items()
            ]
            rich = document_html(self.body.document()) if list(unsaved) == ["content"] else None
            copy_unsaved("\n\n".join(texts), rich)
        return True

    def _field_widgets(self) -> dict[str, QWidget]:
        return {
            "title": self.title,
            "category": self.category,
            "tags": self.tags,
            "description": self.description,
            "isShared": self.shared,
            "content": self.body,
        }

    def _show_fields(self, values: dict[str, Any]) -> None:
        """Put ``values`` in their fields, leaving the others (their text, cursor and undo
        history) alone; the body keeps its cursor and scroll position."""
        self._loading = True
        try:
            for name, value in values.items():
                if name == "content":
                    at = self.body.textCursor().position()
                    scroll = self.body.verticalScrollBar().value()
                    self.body.setHtml(value)
                    cursor = self.body.textCursor()
                    cursor.setPosition(min(at, self.body.document().characterCount() - 1))
                    self.body.setTextCursor(cursor)
                    self.body.verticalScrollBar().setValue(scroll)
                elif name == "tags":
                    self.tags.setText(", ".join(value))
                elif name == "isShared":
                    self.shared.setChecked(bool(value))
                else:
                    line = self._field_widgets()[name]
                    assert isinstance(line, QLineEdit)
                    line.setText(value)
        finally:
            self._loading = False

    def store_changed(self, changes: Changes) -> None:
        """Show what someone else (a sync, a resolution, History) changed in the template
        being edited; never this editor's own save, which is on screen already."""
        if (
            self.template_id is not None
            and changes.initiator is not self
            and changes.touches("template", self.template_id)
        ):
            self.external_change()

    def external_change(self) -> None:
        """The store changed this template outside the editor. Each field is merged three
        ways against the base the writer started from: a field the writer did not touch
        takes the new value, one only the writer changed keeps theirs; where both changed,
        text merges by paragraphs when the edits do not overlap, tags as sets, and
        otherwise the writer's value is kept and the banner says so."""
        if self.template_id is None:
            return
        try:
            stored = self.store.get_template(self.template_id)
        except NotFound:
            kept = self.current_fields() if self.unsaved() else None
            self.template_id = None
            self._fill(None)
            self.setEnabled(False)
            if kept is not None and self._keep_deleted(kept):
                return
            self.banner.setText("This template was deleted on another device.")
            self.banner.show()
            return
        theirs = self._rendered(stored)
        mine = self.current_fields()
        result = merge_record("template", self._base, mine, theirs)
        self._show_fields(
            {name: value for name, value in result.merged.items() if value != mine.get(name)}
        )
        self._base = theirs
        if result.conflicts:
            self._banner_for(result.conflicts, theirs)
        if self.unsaved():
            self._changed()
        else:
            self.state.setText("Saved")

    def _keep_deleted(self, kept: dict[str, Any]) -> bool:
        """A sync deleted the template while the writer had unsaved text in it: the text is
        never dropped without asking. Keep it (as a new template, opened here) or discard
        it; True if kept."""
        title = str(kept.get("title") or "Untitled")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Template deleted elsewhere",
            f"\u201c{title}\u201d was deleted on another device while you were editing it.",
            parent=self,
        )
        box.setInformativeText("Your unsaved changes are still here.")
        keep = box.addButton("Keep my text as a template", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard it", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)
        box.exec()
        if box.clickedButton() is not keep:
            return False
        fields = {name: value for name, value in kept.items() if name != "title"}
        with self.store.initiator(self):
            template = self.store.create_template(title, **fields)
        self.load(template.templateId)
        self.banner.setText(
            "The template was deleted on another device; your text is kept in this new copy."
        )
        self.banner.show()
        return True

    def _banner_for(self, conflicts: list[str], theirs: dict[str, Any]) -> None:
        text = (
            f"{describe(conflicts)} also changed on another device while you were editing; "
            "yours is kept and saved."
        )
        there = [
            f"{FIELD_WORDS[name]} \u201c{theirs[name]}\u201d"
            for name in conflicts
            if name in ("title", "category")
        ]
        if there:
            text += f" There: {', '.join(there)}."
        if {"content", "description"} & set(conflicts):
            text += " The other version is in History."
        self.banner.setText(text)
        self.banner.show()
