"""Quick Fill: a small always-on-top palette, opened from any application, that finds a
template, fills its variables and pastes the result back where the writer was typing.

Search page: type to search (favourites and recently used first), Up/Down, Enter. Form
page: one field per variable (presets with Alt+P, values remembered from last time,
date/time/clipboard built-ins, choice lists), Enter pastes. Escape at any point hides the
palette and changes nothing: not the clipboard, not the store.

Pasting (:class:`QuickFill`): the previous clipboard is copied, the result is put on it
(HTML and plain text), the palette hides, the focus goes back to the window that had it,
the paste keys are sent, a use is counted, the typed values are remembered, and the
previous clipboard is put back :data:`RESTORE_DELAY_MS` later (the target reads the
clipboard asynchronously on X11, so it must still be ours for a moment).
"""

from __future__ import annotations

import shlex
import shutil
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import domain
from desktop.fill import Field, fields, initial_values, preset_values, to_remember
from desktop.store import quickfill as data
from desktop.store.services import Store
from desktop.ui import theme
from desktop.ui.hotkey import DEFAULT_SHORTCUT, GlobalShortcut
from desktop.ui.paste import (
    Focus,
    NoFocus,
    clipboard_snapshot,
    platform_focus,
    put_on_clipboard,
    rich_text,
    send_paste,
)
from desktop.variables import populate

SHORTCUT_SETTING = "quickfill/shortcut"
TRAY_SETTING = "quickfill/keep_in_tray"
#: After the focus goes back, before the paste keys: the target's window must be focused.
KEY_DELAY_MS = 30
#: After the paste keys, before the previous clipboard comes back.
RESTORE_DELAY_MS = 700
TITLE = "Gravy Quick Fill"


def shortcut_setting() -> str:
    value = QSettings().value(SHORTCUT_SETTING, DEFAULT_SHORTCUT)
    return str(value) if value else DEFAULT_SHORTCUT


def keep_in_tray_setting() -> bool:
    return str(QSettings().value(TRAY_SETTING, "false")).lower() == "true"


def fill_command(database_path: Path | None) -> str:
    """The command a writer binds to a key where the desktop owns global shortcuts."""
    program = shutil.which("gravy-desktop")
    parts = [program] if program else [sys.executable, "-m", "desktop"]
    if database_path is not None:
        parts += ["--db", str(database_path)]
    return shlex.join([*parts, "fill"])


@dataclass(frozen=True)
class Filled:
    template_id: str
    html: str
    text: str
    remember: dict[str, str]


class QuickFillPalette(QWidget):
    """The palette: search page, then the form of the chosen template."""

    filled = Signal(object)  # Filled
    cancelled = Signal()

    def __init__(self, store: Store) -> None:
        super().__init__(
            None,
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.FramelessWindowHint,
        )
        self.store = store
        self.setWindowTitle(TITLE)
        self.setAccessibleName("Quick Fill")
        self.template: domain.Template | None = None
        self.form: list[Field] = []
        self.inputs: dict[str, QLineEdit | QComboBox] = {}
        self.presets: list[domain.VariablePreset] = []
        self._was_active = False  # hidden on deactivation only after it was active
        self.finish_word = "paste"  # what Enter does on the form: "copy" from the window

        # The frame's colours come from the palette (no style sheet), so they follow the
        # light and dark appearances live.
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setAutoFillBackground(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        self.pages = QStackedWidget()
        layout = QVBoxLayout(frame)
        layout.addWidget(self.pages)
        self.hint = QLabel()
        theme.style(self.hint, "color: {hint};")  # secondary text, readable in either appearance
        layout.addWidget(self.hint)

        search_page = QWidget()
        column = QVBoxLayout(search_page)
        column.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(placeholderText="Find a template")
        self.search.setAccessibleName("Quick Fill search")
        self.results = QListWidget()
        self.results.setAccessibleName("Templates found")
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay in the search box
        column.addWidget(self.search)
        column.addWidget(self.results)
        self.pages.addWidget(search_page)

        form_page = QWidget()
        self.form_layout = QVBoxLayout(form_page)
        self.form_layout.setContentsMargins(0, 0, 0, 0)
        self.form_title = QLabel()
        font = self.form_title.font()
        font.setBold(True)
        self.form_title.setFont(font)
        self.form_layout.addWidget(self.form_title)
        self.fields_box = QWidget()
        self.form_layout.addWidget(self.fields_box)
        self.form_layout.addStretch(1)
        self.pages.addWidget(form_page)

        self.search.textChanged.connect(self.refresh)
        self.search.installEventFilter(self)
        self.results.itemActivated.connect(lambda _item: self.pick())
        self.resize(560, 360)

    # -- search page ---------------------------------------------------------------------

    def open(self) -> None:
        """Show the search page, empty, over the screen the pointer is on."""
        self._was_active = self.isActiveWindow()
        self.pages.setCurrentIndex(0)
        self.setWindowTitle(TITLE)
        self.template = None
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.refresh()
        self.hint.setText("Enter: fill   ·   Ctrl+D: favourite   ·   Esc: close")
        screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.move(area.x() + (area.width() - self.width()) // 2, area.y() + area.height() // 5)
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus()

    def refresh(self) -> None:
        self.results.clear()
        for summary in data.palette_templates(self.store, self.search.text()):
            mark = "★ " if summary.isFavorite else ""
            detail = f"   ({summary.category})" if summary.category else ""
            item = QListWidgetItem(f"{mark}{summary.title}{detail}")
            item.setData(Qt.ItemDataRole.UserRole, summary.templateId)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _move(self, step: int) -> None:
        if self.results.count():
            row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
            self.results.setCurrentRow(row)

    def pick(self) -> None:
        """Open the chosen template's form (or paste it at once if it has no variables)."""
        item = self.results.currentItem()
        if item is None:
            return
        self.open_template(str(item.data(Qt.ItemDataRole.UserRole)))

    # -- form page -----------------------------------------------------------------------

    def open_template(self, template_id: str) -> None:
        self.template = self.store.get_template(template_id)
        self.form = fields(self.template.content)
        if not self.form:
            self.finish()
            return
        self._build_form()
        if not self.isVisible():
            self.show()
            self.activateWindow()
        self.pages.setCurrentIndex(1)
        self.setWindowTitle(f"{TITLE}: {self.template.title}")
        self.fields_box.show()  # a child added to a shown widget shows only later otherwise
        preset = "   ·   Alt+P: preset" if self.presets else ""
        self.hint.setText(
            f"Enter: {self.finish_word}   ·   Tab: next field{preset}   ·   Esc: close"
        )
        empty = [key for key, widget in self.inputs.items() if not _text(widget)]
        self.inputs[empty[0] if empty else self.form[0].key].setFocus()

    def _build_form(self) -> None:
        assert self.template is not None
        self.form_title.setText(self.template.title)
        old = self.fields_box
        self.fields_box = QWidget()
        self.form_layout.replaceWidget(old, self.fields_box)
        old.deleteLater()
        grid = QFormLayout(self.fields_box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.presets = self.store.list_presets()
        self.preset = QComboBox()
        self.preset.setAccessibleName("Preset")
        self.preset.addItem("No preset", None)
        for preset in self.presets:
            self.preset.addItem(preset.name, preset.presetId)
        self.preset.currentIndexChanged.connect(self._apply_preset)
        label = QLabel("&Preset")
        label.setBuddy(self.preset)
        grid.addRow(label, self.preset)
        if not self.presets:
            label.hide()
            self.preset.hide()
        # Reading another app's clipboard is a round trip to it: only when a field needs it.
        wanted = any(field.kind == "clipboard" for field in self.form)
        clipboard = QGuiApplication.clipboard().text() if wanted else ""
        values = initial_values(self.form, data.last_values(self.store), clipboard)
        self.inputs = {}
        for field in self.form:
            widget: QLineEdit | QComboBox
            if field.kind == "choice":
                widget = QComboBox()
                widget.setEditable(True)
                widget.addItems(list(field.choices))
                widget.setCurrentText(values[field.key])
            else:
                widget = QLineEdit(values[field.key])
            widget.setAccessibleName(field.name)
            widget.installEventFilter(self)
            self.inputs[field.key] = widget
            grid.addRow(_label(field), widget)
        self.preset.installEventFilter(self)

    def _apply_preset(self) -> None:
        preset_id = self.preset.currentData()
        preset = next((p for p in self.presets if p.presetId == preset_id), None)
        if preset is None:
            return
        for key, value in preset_values(self.form, preset.values).items():
            widget = self.inputs[key]
            if isinstance(widget, QComboBox):
                widget.setCurrentText(value)
            else:
                widget.setText(value)

    def values(self) -> dict[str, str]:
        return {key: _text(widget) for key, widget in self.inputs.items()}

    def finish(self) -> None:
        """Populate the template with the form's values and hand the result on."""
        assert self.template is not None
        values = self.values() if self.form else {}
        result = populate(self.template.content, values)
        filled = Filled(
            self.template.templateId, result.html, result.text, to_remember(self.form, values)
        )
        self.hide()
        self.filled.emit(filled)

    def cancel(self) -> None:
        self.hide()
        self.cancelled.emit()

    # -- keys ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()  # type: ignore[attr-defined]
        if key == Qt.Key.Key_Escape:
            self.cancel()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.pages.currentIndex() == 0:
                self.pick()
            else:
                self.finish()
            return True
        if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self._move(1 if key == Qt.Key.Key_Down else -1)
            return True
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier  # type: ignore[attr-defined]
        if watched is self.search and key == Qt.Key.Key_D and control:
            self.toggle_favourite()
            return True
        return False

    def toggle_favourite(self) -> None:
        """Ctrl+D on a search result: make it a favourite (listed first), or no longer."""
        item = self.results.currentItem()
        if item is None:
            return
        template_id = str(item.data(Qt.ItemDataRole.UserRole))
        favourite = not self.store.get_template(template_id).isFavorite
        data.set_favourite(self.store, template_id, favourite)
        self.refresh()
        for row in range(self.results.count()):
            if self.results.item(row).data(Qt.ItemDataRole.UserRole) == template_id:
                self.results.setCurrentRow(row)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
        else:
            super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        """A click in another window closes the palette (nothing pasted, focus left there)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isVisible():
            if self.isActiveWindow():
                self._was_active = True
            elif self._was_active:
                self.hide()
                self._was_active = False


def _text(widget: QLineEdit | QComboBox) -> str:
    return widget.currentText() if isinstance(widget, QComboBox) else widget.text()


def _label(field: Field) -> str:
    if field.kind in ("date", "time"):
        return f"{field.name} ({field.format})"
    return field.name


class QuickFill(QObject):
    """Opens the palette and pastes what it fills into the window that had the focus."""

    pasted = Signal(str)  # template id
    copied = Signal(str)  # template id: filled from the window's button, put on the clipboard
    _instances: weakref.WeakSet[QuickFill] = weakref.WeakSet()

    def __init__(
        self,
        store: Store,
        focus: Focus | None = None,
        paste_keys: Callable[[], bool] = send_paste,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.focus = focus or NoFocus()
        self.paste_keys = paste_keys
        self.palette = QuickFillPalette(store)
        self.palette.filled.connect(self._paste)
        self.palette.cancelled.connect(self._cancelled)
        self._copy_only = False
        self.shortcut = GlobalShortcut(self)
        self.shortcut.activated.connect(self.show_palette)
        self.database_path: Path | None = None
        QuickFill._instances.add(self)

    def show_palette(self, template_id: str | None = None, copy_only: bool = False) -> None:
        """Open the palette (on a template's form if given); the shortcut pressed again
        while it is open closes it, as Escape does. ``copy_only`` (the window's own Quick
        Fill button): the result goes on the clipboard and is not pasted, as the paste keys
        would type it into this app's window, where the writer clicked."""
        if self.palette.isVisible():
            if not template_id:
                self.palette.cancel()
                return
        else:
            self._copy_only = copy_only
            self.palette.finish_word = "copy" if copy_only else "paste"
            if not copy_only:
                self.focus.remember()
        if template_id:
            self.palette.open()
            self.palette.open_template(template_id)
        else:
            self.palette.open()

    def apply_settings(self) -> bool:
        """(Re)bind the global shortcut from the settings; False if it cannot be had."""
        return self.shortcut.start(shortcut_setting())

    def _cancelled(self) -> None:
        if not self._copy_only:
            self.focus.restore()

    def _paste(self, filled: Filled) -> None:
        if self._copy_only:
            put_on_clipboard(rich_text(filled.html, filled.text))
            self._used(filled)
            self.copied.emit(filled.template_id)
            return
        previous = clipboard_snapshot()
        put_on_clipboard(rich_text(filled.html, filled.text))
        self.focus.restore()
        QTimer.singleShot(KEY_DELAY_MS, lambda: self._send_keys(filled, previous))

    def _send_keys(self, filled: Filled, previous: Any) -> None:
        if self.paste_keys():
            QTimer.singleShot(RESTORE_DELAY_MS, lambda: put_on_clipboard(previous))
        # else the writer pastes by hand: the result stays on the clipboard
        self._used(filled)
        self.pasted.emit(filled.template_id)

    def _used(self, filled: Filled) -> None:
        self.store.record_use(filled.template_id, action="quickfill")
        data.remember_values(self.store, filled.remember)

    def close(self) -> None:
        self.shortcut.stop()
        self.palette.close()

    @classmethod
    def running(cls) -> list[QuickFill]:
        return list(cls._instances)


class QuickFillSettings(QGroupBox):
    """The Quick Fill part of the settings: the shortcut, the tray, and what to bind on
    desktops that keep global shortcuts to themselves."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Quick Fill", parent)
        self.shortcut = QKeySequenceEdit(QKeySequence(shortcut_setting()))
        self.shortcut.setAccessibleName("Quick Fill shortcut")
        self.keep_in_tray = QCheckBox("Keep running in the tray when the window is closed")
        self.keep_in_tray.setChecked(keep_in_tray_setting())
        running = QuickFill.running()
        path = running[0].database_path if running else None
        problem = running[0].shortcut.problem if running else ""
        status = f"The shortcut is not available here ({problem}). " if problem else ""
        self.help = QLabel(
            f"{status}Where the desktop keeps global shortcuts to itself (Wayland), bind a key "
            "to this command in its keyboard settings (GNOME: Settings > Keyboard > Custom "
            "Shortcuts; KDE: System Settings > Shortcuts > Custom Shortcuts):"
        )
        self.help.setWordWrap(True)
        self.command = QLineEdit(fill_command(path))
        self.command.setReadOnly(True)
        self.command.setAccessibleName("Quick Fill command")
        form = QFormLayout(self)
        form.addRow("Shortcut", self.shortcut)
        form.addRow(self.keep_in_tray)
        form.addRow(self.help)
        form.addRow(self.command)

    def save(self) -> None:
        sequence = self.shortcut.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        settings = QSettings()
        settings.setValue(SHORTCUT_SETTING, sequence.split(",")[0].strip() or DEFAULT_SHORTCUT)
        settings.setValue(TRAY_SETTING, "true" if self.keep_in_tray.isChecked() else "false")
        for quick_fill in QuickFill.running():
            quick_fill.apply_settings()


def install(window: Any, store: Store, database_path: Path) -> QuickFill:
    """Quick Fill for the main window: the global shortcut, ``gravy-desktop fill`` messages
    and the tray icon (where the desktop has a tray)."""
    from desktop.ui.single_instance import MessageServer
    from desktop.ui.tray import Tray

    quick_fill = QuickFill(store, platform_focus(), parent=window)
    quick_fill.database_path = database_path
    quick_fill.apply_settings()
    server = MessageServer(database_path, quick_fill)
    server.fill_requested.connect(lambda: quick_fill.show_palette())
    server.listen()
    Tray.install(window, quick_fill)
    _attach(window, quick_fill)
    return quick_fill


def _attach(window: Any, quick_fill: QuickFill) -> None:
    """The window's Quick Fill (its button uses it) says in the status bar what it copied."""
    window.quick_fill = quick_fill

    def say(template_id: str) -> None:
        title = window.store.get_template(template_id).title
        window.statusBar().showMessage(
            f"\u201c{title}\u201d is filled in and copied: paste it where you need it", 10_000
        )

    quick_fill.copied.connect(say)


def open_from_window(window: Any) -> None:
    """The window's Quick Fill button: the palette, whose result is copied (not pasted).
    A window without the app's Quick Fill (no global shortcut: a test's, the benchmark's)
    gets one of its own on the first click."""
    quick_fill: QuickFill | None = getattr(window, "quick_fill", None)
    if quick_fill is None:
        quick_fill = QuickFill(window.store, parent=window)
        window.destroyed.connect(quick_fill.palette.deleteLater)
        _attach(window, quick_fill)
    quick_fill.show_palette(copy_only=True)
