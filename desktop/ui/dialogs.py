"""Dialogs: Populate (fill a template's variables, preview, copy), the snippet picker, and
a template's version history."""

from __future__ import annotations

import atexit
import html
from functools import cache

from PySide6.QtCore import QMimeData, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import domain
from desktop.store import transfer
from desktop.store.services import Store
from desktop.ui import theme, words
from desktop.ui.richtext import word_diff
from desktop.variables import extract_variables, html_to_text, populate


def _release_offscreen_clipboard() -> None:
    """Qt's offscreen platform (tests, --self-test, headless runs) crashes at exit while its
    clipboard holds data set from Python. It has no real clipboard to keep, so let go."""
    if QGuiApplication.instance() is not None and QGuiApplication.platformName() == "offscreen":
        QGuiApplication.clipboard().clear()


def copy_to_clipboard(html_text: str, plain_text: str) -> None:
    """Put both forms on the clipboard: rich editors paste the HTML, others the text."""
    mime = QMimeData()
    mime.setHtml(html_text)
    mime.setText(plain_text)
    QGuiApplication.clipboard().setMimeData(mime)
    _release_at_exit()


@cache
def _release_at_exit() -> None:
    atexit.register(_release_offscreen_clipboard)


class PopulateDialog(QDialog):
    """Every variable of the template, filled by hand or from a preset, with a live
    preview; Copy puts HTML and plain text on the clipboard and counts a use."""

    def __init__(self, store: Store, template_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.template = store.get_template(template_id)
        self.setWindowTitle(f"Populate - {self.template.title}")
        self.variables = extract_variables(self.template.content)
        self.presets = store.list_presets()
        self.preset = QComboBox()
        self.preset.addItem("(no preset)", None)
        for preset in self.presets:
            self.preset.addItem(preset.name, preset.presetId)
        self.inputs: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.addRow("Preset", self.preset)
        for name in self.variables:
            line = QLineEdit(placeholderText=f"[[{name}]]")
            self.inputs[name] = line
            form.addRow(words.label(name), line)  # "Job title" for [[job_title]] (issue 15)
            line.textChanged.connect(self._schedule)
        if not self.variables:
            form.addRow(QLabel("This template has no variables."))
        self.preview = QTextBrowser()
        self.missing = QLabel()
        theme.style(self.missing, "color: {warning_fg};")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setDefault(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        row = QHBoxLayout()
        left = QWidget()
        left.setLayout(form)
        row.addWidget(left, 1)
        row.addWidget(self.preview, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.missing)
        layout.addWidget(buttons)
        self._timer = QTimer(self, singleShot=True, interval=80)
        self._timer.timeout.connect(self.refresh_preview)
        self.preset.currentIndexChanged.connect(self._apply_preset)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        self.resize(900, 520)
        self.refresh_preview()

    def values(self) -> dict[str, str]:
        return {name: line.text() for name, line in self.inputs.items() if line.text()}

    def _schedule(self) -> None:
        self._timer.start()

    def _apply_preset(self) -> None:
        preset_id = self.preset.currentData()
        if preset_id is None:
            return
        preset = next(p for p in self.presets if p.presetId == preset_id)
        for name, line in self.inputs.items():
            if name in preset.values:
                line.setText(preset.values[name])
        self.refresh_preview()

    def refresh_preview(self) -> None:
        result = populate(self.template.content, self.values())
        self.preview.setHtml(result.html)
        self.missing.setText(
            f"Not filled yet: {', '.join(result.missing)}" if result.missing else ""
        )

    def copy(self) -> domain.UsageEvent:
        """Put the result on the clipboard (HTML and plain text) and count a use."""
        result = populate(self.template.content, self.values())
        copy_to_clipboard(result.html, result.text)
        event = self.store.record_use(self.template.templateId)
        self.missing.setText("Copied (HTML and plain text).")
        return event


class SnippetPicker(QDialog):
    """A searchable list of snippets; the chosen one is inserted at the cursor."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Insert snippet")
        self.search = QLineEdit(placeholderText="Search snippets")
        self.list = QListWidget()
        self.preview = QTextBrowser()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addWidget(self.preview, 2)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.search.textChanged.connect(self.refresh)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.resize(700, 420)
        self.refresh()

    def refresh(self) -> None:
        query = self.search.text().strip()
        snippets = self.store.search_snippets(query) if query else self.store.list_snippets()
        self.list.clear()
        for snippet in snippets:
            item = QListWidgetItem(snippet.title)
            item.setData(Qt.ItemDataRole.UserRole, snippet.content)
            self.list.addItem(item)
        if snippets:
            self.list.setCurrentRow(0)

    def _show(self, item: QListWidgetItem | None) -> None:
        self.preview.setHtml(item.data(Qt.ItemDataRole.UserRole) if item else "")

    def chosen_html(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None


class VersionsDialog(QDialog):
    """A template's history, newest first: each version's text compared with the current
    one (removed words struck through, added words marked), and Restore."""

    def __init__(self, store: Store, template_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.template_id = template_id
        self.current = store.get_template(template_id)
        self.versions = store.versions(template_id)
        self.setWindowTitle(f"History - {self.current.title}")
        self.list = QListWidget()
        for version in self.versions:
            stamp = version.createdAt.replace("T", " ")[:16]
            self.list.addItem(f"{stamp}  {version.changes or version.title}")
        self.diff = QTextBrowser()
        self.restore_button = QPushButton("Restore this version")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addWidget(self.diff, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Compared with the current text:"))
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._show)
        self.restore_button.clicked.connect(self.restore)
        buttons.rejected.connect(self.reject)
        self.resize(860, 500)
        if self.versions:
            self.list.setCurrentRow(0)
        else:
            self.restore_button.setEnabled(False)
            self.diff.setHtml("<i>No versions yet.</i>")

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.versions):
            self.diff.setHtml(
                word_diff(
                    html_to_text(self.current.content), html_to_text(self.versions[row].content)
                )
            )

    def restore(self) -> domain.Template | None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.versions):
            return None
        restored = self.store.restore_version(self.template_id, self.versions[row].versionId)
        self.accept()
        return restored


class ImportDialog(QDialog):
    """What a file would import and what it rejects (and why), before anything is written;
    Import writes all of it in one transaction and shows what happened."""

    def __init__(self, store: Store, plan: transfer.ImportPlan, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.plan = plan
        self.setWindowTitle("Import")
        self.summary = QLabel(f"<b>{html.escape(plan.source)}</b>: {plan.summary()} to import.")
        self.summary.setWordWrap(True)
        self.details = QListWidget()
        for rejected in plan.rejected:
            self.details.addItem(
                f"Not imported: {rejected.kind} “{rejected.name}”: {rejected.reason}"
            )
        self.import_button = QPushButton("Import")
        self.import_button.setEnabled(bool(plan.records))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.import_button.clicked.connect(self.run_import)
        buttons.rejected.connect(self.reject)
        self.resize(640, 360)

    def run_import(self) -> None:
        imported, skipped = self.store.import_records(self.plan.records)
        self.summary.setText(
            f"Imported {transfer.plural(len(imported), 'record')} from "
            f"{html.escape(self.plan.source)}."
            + (f" {len(skipped)} skipped (see below)." if skipped else "")
        )
        for entity, record, reason in skipped:
            name = getattr(record, "title", None) or getattr(record, "name", "?")
            self.details.addItem(f"Skipped: {entity} “{name}”: {reason}")
        self.import_button.setEnabled(False)
