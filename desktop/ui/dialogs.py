"""Dialogs: Populate (fill a template's variables, preview, copy), the snippet picker, and
a template's version history."""

from __future__ import annotations

import atexit
import html
import logging
from functools import cache

from PySide6.QtCore import QMimeData, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QTextDocument, QTextList, QTextListFormat
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
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import domain
from desktop.store import transfer
from desktop.store.db import StoreError
from desktop.store.services import Progress, Store
from desktop.ui import theme, words
from desktop.ui.faults import explain
from desktop.ui.richtext import word_diff
from desktop.ui.tasks import Tasks
from desktop.variables import extract_variables, html_to_text, populate

log = logging.getLogger(__name__)


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


_ORDERED_LISTS = {
    QTextListFormat.Style.ListDecimal,
    QTextListFormat.Style.ListLowerAlpha,
    QTextListFormat.Style.ListUpperAlpha,
    QTextListFormat.Style.ListLowerRoman,
    QTextListFormat.Style.ListUpperRoman,
}


def plain_text(content: str) -> str:
    """The plain text put on the clipboard beside the HTML, as it would be typed in a mail:
    paragraphs and headings separated by a blank line, list items on their own lines
    ("- " or their number), line breaks kept; empty paragraphs dropped."""
    document = QTextDocument()
    document.setHtml(content)
    lines: list[str] = []
    previous_list: QTextList | None = None
    block = document.begin()
    while block.isValid():
        text = block.text().replace("\u2028", "\n").rstrip()
        text_list = block.textList()
        if text:
            if text_list is not None:
                ordered = text_list.format().style() in _ORDERED_LISTS
                text = f"{text_list.itemText(block) if ordered else '-'} {text}"
            if lines and not (text_list is not None and text_list == previous_list):
                lines.append("")
            lines.append(text)
            previous_list = text_list
        block = block.next()
    return "\n".join(lines)


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
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        # Enter in a field copies (Close had become the default: Enter closed the dialog).
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        self.copy_button.setDefault(True)
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
        first = next(iter(self.inputs.values()), None)
        (first or self.copy_button).setFocus(Qt.FocusReason.OtherFocusReason)

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

    def copy(self) -> domain.UsageEvent | None:
        """Put the result on the clipboard (HTML and plain text) and count a use. With
        variables still unfilled, ask first: fill them in (the focus goes to the first
        one), or copy with the ``[[placeholders]]`` left in."""
        result = populate(self.template.content, self.values())
        if result.missing and not self._copy_anyway(result.missing):
            self.inputs[result.missing[0]].setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        copy_to_clipboard(result.html, plain_text(result.html))
        event = self.store.record_use(self.template.templateId)
        self.missing.setText("Copied (HTML and plain text).")
        return event

    def _copy_anyway(self, missing: list[str]) -> bool:
        names = ", ".join(f"[[{name}]]" for name in missing)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Variables not filled in",
            f"{len(missing)} not filled in: {names}.\n\nThe copy would still "
            "contain them as they are. Fill them in first?",
            parent=self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        fill = box.addButton("Fill them in", QMessageBox.ButtonRole.RejectRole)
        box.addButton("Copy anyway", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(fill)
        box.setEscapeButton(fill)
        box.exec()
        return box.clickedButton() is not fill


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
        theme.on_change(self.repaint_diff)
        if self.versions:
            self.list.setCurrentRow(0)
        else:
            self.restore_button.setEnabled(False)
            self.diff.setHtml("<i>No versions yet.</i>")

    def repaint_diff(self) -> None:
        """The diff is coloured when drawn: draw it again in the new appearance."""
        self._show(self.list.currentRow())

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


Imported = tuple[list[tuple[str, domain.Record]], list[tuple[str, domain.Record, str]]]


def import_and_index(
    store: Store, records: list[tuple[str, domain.Record]], progress: Progress
) -> Imported:
    """Import the records, then write the search entries of what came in, reporting one
    progress over both halves. Runs off the GUI thread: plain data in and out."""
    half = max(1, len(records))
    result = store.import_records(records, lambda done, _total: progress(done, 2 * half))
    try:
        store.catch_up_search_in_batches(
            lambda done, total: progress(half + done * half // max(1, total), 2 * half)
        )
    except StoreError as error:  # imported all the same: the idle catch-up tries again
        log.warning("search entries of the import left for later: %s", error)
    progress(2 * half, 2 * half)
    return result


class ImportDialog(QDialog):
    """What a file would import and what it rejects (and why), before anything is written;
    Import writes all of it in one transaction, off the GUI thread with a progress bar, and
    shows what happened. The dialog cannot be closed while the import runs."""

    def __init__(
        self,
        store: Store,
        plan: transfer.ImportPlan,
        parent: QWidget | None = None,
        tasks: Tasks | None = None,
    ):
        super().__init__(parent)
        self.store = store
        self.plan = plan
        self.tasks = tasks if tasks is not None else Tasks(self)
        self.importing = False
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
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Import progress")
        self.progress.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)
        self.import_button.clicked.connect(self.run_import)
        buttons.rejected.connect(self.reject)
        self.resize(640, 360)

    def reject(self) -> None:
        if not self.importing:  # Escape and Close wait for the import to finish
            super().reject()

    def run_import(self) -> None:
        self.importing = True
        self.import_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.summary.setText(f"Importing {self.plan.summary()}...")
        self.progress.setRange(0, 2 * max(1, len(self.plan.records)))
        self.progress.setValue(0)
        self.progress.show()
        store, records = self.store, self.plan.records
        self.tasks.run(
            lambda progress: import_and_index(store, records, progress),
            self._imported,
            self._failed,
            self._progress,
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _failed(self, error: BaseException) -> None:
        self.importing = False
        self.progress.hide()
        self.close_button.setEnabled(True)
        explained = explain(error)
        if explained is None:
            raise error  # a bug: the excepthook reports it (desktop/ui/faults.py)
        self.summary.setText(f"Nothing was imported. {html.escape(explained[1])}")

    def _imported(self, result: Imported) -> None:
        self.importing = False
        self.progress.hide()
        self.close_button.setEnabled(True)
        imported, skipped = result
        self.summary.setText(
            f"Imported {transfer.plural(len(imported), 'record')} from "
            f"{html.escape(self.plan.source)}."
            + (f" {len(skipped)} skipped (see below)." if skipped else "")
        )
        for entity, record, reason in skipped:
            name = getattr(record, "title", None) or getattr(record, "name", "?")
            self.details.addItem(f"Skipped: {entity} “{name}”: {reason}")
