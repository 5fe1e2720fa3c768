"""The main window: a sidebar (Templates, Snippets, Conflicts, Failed), a list backed by a
Qt model with instant search and a category filter, the editor, and sync always in view
(status, counts, last sync, progress, Sync now) at the bottom."""

from __future__ import annotations

import html
import logging
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__, domain
from desktop.store import quickfill, transfer
from desktop.store.db import AlreadyRunning, InstanceLock, StoreError, open_database
from desktop.store.outbox import State, record_key
from desktop.store.services import SEARCH_BATCH, Changes, NotFound, Store
from desktop.ui import icons, signin, theme
from desktop.ui.dialogs import ImportDialog, PopulateDialog, SnippetPicker, VersionsDialog
from desktop.ui.editor import TemplateEditor
from desktop.ui.faults import FaultDialogs, explain, log_to_file
from desktop.ui.keys import ENTER, LEAVE_SEARCH, KeyMap, focus_next, name_controls
from desktop.ui.panels import ConflictsPanel, FailedPanel
from desktop.ui.quickfill import install as install_quick_fill
from desktop.ui.records import (
    BADGES,
    RecordSection,
    badge_color,
    page_section,
    preset_section,
    snippet_section,
)
from desktop.ui.samples import add_samples
from desktop.ui.settings import SettingsDialog
from desktop.ui.sync import SyncController, SyncStatus
from desktop.ui.tasks import Tasks
from desktop.ui.template_list import (
    ORDERS,
    VIEWS,
    TemplateDelegate,
    TemplateListView,
    plain_preview,
    role_data,
)
from desktop.ui.undo import Edits

PAGE_SIZE = 200
ModelIndex = QModelIndex | QPersistentModelIndex
ALL_CATEGORIES = "All categories"
APP_NAME = "Gravy Desktop"


class StoreSignals(QObject):
    """Qt face of the store's change notifications (queued onto the GUI thread, whichever
    thread the change was committed on)."""

    changed = Signal(object)  # Changes

    def __init__(self, store: Store) -> None:
        super().__init__()
        store.subscribe(self.changed.emit)


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


def _text_history(widget: QWidget | None, redo: bool) -> bool:
    """Whether ``widget`` is a text field with an edit of its own to undo (or redo)."""
    if isinstance(widget, QLineEdit):
        return widget.isRedoAvailable() if redo else widget.isUndoAvailable()
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        document = widget.document()
        return document.isRedoAvailable() if redo else document.isUndoAvailable()
    return False


#: The smallest window the layout is made for, and the size of a first start (logical px).
MIN_SIZE = QSize(900, 600)
DEFAULT_SIZE = QSize(1200, 760)


def _usable(size: QSize, room: QSize) -> bool:
    """Whether a remembered window size is worth restoring on a screen with ``room``."""
    fits = size.width() <= room.width() and size.height() <= room.height()
    return fits and size.width() >= MIN_SIZE.width() and size.height() >= MIN_SIZE.height()


class MainWindow(QMainWindow):
    SECTIONS = ("Templates", "Snippets", "Variable presets", "Pages", "Conflicts", "Failed")
    CONFLICTS, FAILED = 4, 5

    def __init__(self, store: Store, start_sync: bool = True) -> None:
        super().__init__()
        self.store = store
        self.setWindowTitle(APP_NAME)  # then the open template's name first (issue 15)
        self.signals = StoreSignals(store)
        self.tasks = Tasks(self)
        self.sync = SyncController(store, self.tasks, parent=self)
        self.edits = Edits(store, self)
        theme.follow_system()
        theme.on_change(self.refresh_status)

        # Sidebar and sections.
        self.sidebar = QListWidget()
        self.sidebar.setAccessibleName("Sections")
        self.sidebar.setMaximumWidth(220)
        self.sidebar.setSpacing(3)
        for name in self.SECTIONS:
            self.sidebar.addItem(QListWidgetItem(name))
        self.stack = QStackedWidget()

        # Templates: search, category filter, list, editor.
        self.search = QLineEdit(placeholderText="Search templates (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.category = QComboBox()
        self.category.setAccessibleName("Category filter")
        self.category.addItem(ALL_CATEGORIES, None)
        self.model = TemplateListModel(store)
        self.list = TemplateListView()
        self.list.setAccessibleName("Templates")
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        # Issue 15: rows painted from the model's roles; a view and an order; samples.
        self.delegate = TemplateDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.view_box, self.order_box = QComboBox(), QComboBox()
        self.view_box.setAccessibleName("Show")
        self.order_box.setAccessibleName("Sort by")
        for box, options in ((self.view_box, VIEWS), (self.order_box, ORDERS)):
            for label, key in options:
                box.addItem(label, key)
        self.samples_button = QPushButton("Add sample templates")
        self.new_button = QPushButton("New template")
        self.editor = TemplateEditor(store)
        column = QWidget()
        left = QVBoxLayout(column)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.search)
        choices = QHBoxLayout()
        for box in (self.view_box, self.category, self.order_box):
            choices.addWidget(box, 1)
        left.addLayout(choices)
        left.addWidget(self.list, 1)
        left.addWidget(self.samples_button)
        left.addWidget(self.new_button)
        self.splitter = QSplitter()
        self.splitter.addWidget(column)
        self.splitter.addWidget(self.editor)
        # Narrowing the window takes from the list as much as from the editor (the list
        # had stretch 0 and kept its width while the editor was crushed).
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        column.setMinimumWidth(180)
        self.stack.addWidget(self.splitter)
        # Snippets, presets and pages are built when first shown (a faster start).
        self._sections: dict[int, RecordSection] = {}
        self._section_factories = {1: snippet_section, 2: preset_section, 3: page_section}
        for _ in self._section_factories:
            self.stack.addWidget(QWidget())
        self.conflicts = ConflictsPanel(store, self.edits)
        self.failed = FailedPanel(store)
        self.stack.addWidget(self.conflicts)
        self.stack.addWidget(self.failed)

        body = QSplitter()
        body.addWidget(self.sidebar)
        body.addWidget(self.stack)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        self.body = body
        self.setCentralWidget(body)

        # Sync, always in view.
        self.sync_status = QLabel()
        self.sync_status.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.sync_status.linkActivated.connect(lambda _link: self.open_settings())
        self.sync_button = QPushButton("Resume sync")  # the longer of its two names
        self.sync_button.setMinimumWidth(self.sync_button.sizeHint().width())
        self.sync_button.setText("Sync now")
        # The status may be cut short (never the window's minimum width); the undo note
        # beside it is shown whole while it lasts.
        self.sync_status.setMinimumWidth(1)
        self.sync_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addPermanentWidget(self.sync_status, 1)
        self.statusBar().addPermanentWidget(self.sync_button)
        self._undo_note = QLabel()
        self._undo_button = QPushButton("Undo")
        self._undo_note.hide()
        self._undo_button.hide()
        self._undo_hider = QTimer(self, singleShot=True, interval=10_000)
        self._undo_hider.timeout.connect(self._undo_button.hide)
        self._undo_hider.timeout.connect(self._undo_note.hide)
        self.statusBar().addWidget(self._undo_note)
        self.statusBar().addWidget(self._undo_button)
        self._undo_index = 0

        self._build_menus()
        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(lambda: self.model.set_query(self.search.text()))
        self.search.textChanged.connect(self._search_timer.start)
        self.category.currentIndexChanged.connect(
            lambda _i: self.model.set_category(self.category.currentData())
        )
        self.list.selectionModel().currentChanged.connect(self._show_current)
        self.view_box.currentIndexChanged.connect(
            lambda _i: self.model.set_view(self.view_box.currentData())
        )
        self.order_box.currentIndexChanged.connect(
            lambda _i: self.model.set_order(self.order_box.currentData())
        )
        self.delegate.favourite_clicked.connect(self.toggle_favourite)
        self.samples_button.clicked.connect(lambda: add_samples(self.store))
        self.model.modelReset.connect(self._say_when_empty)
        self.model.modelReset.connect(self._keep_selection)
        self.model.index_behind.connect(self._catch_up_search)
        self._indexing = False
        self.sidebar.currentRowChanged.connect(self._show_section)
        self.new_button.clicked.connect(self.new_template)
        self.sync_button.clicked.connect(lambda: self.sync_now())
        self.signals.changed.connect(self._on_store_changed)
        self.sync.status_changed.connect(self._show_sync_status)
        self.editor.saved.connect(lambda _id: self.sync.local_change())
        self.editor.populate_requested.connect(self.populate)
        self.editor.snippet_requested.connect(self.insert_snippet)
        self.editor.history_requested.connect(self.history)
        self.editor.title.textChanged.connect(self._retitle)
        self.conflicts.changed.connect(self._after_queue_change)
        self.failed.changed.connect(self._after_queue_change)
        self.failed.open_requested.connect(self._reveal)
        self._undo_button.clicked.connect(self.edits.stack.undo)
        self.edits.stack.indexChanged.connect(self._offer_undo)
        self.edits.on_reveal(self._reveal)
        self.edits.on_failure(lambda what, why: QMessageBox.warning(self, f"{what}: not done", why))
        self.sidebar.setCurrentRow(0)
        if self.model.rowCount():  # open on the most recent template, ready to type
            self.list.setCurrentIndex(self.model.index(0))
        self._reload_categories()
        self._say_when_empty()
        icons.decorate(self)  # issue 15: one icon set, following light and dark
        self._restore_geometry()
        self._bind_keys()
        name_controls(self)
        self._show_sync_status(self.sync.status)  # counted once, as the controller started
        if start_sync:
            self.sync.start()

    # -- menus ----------------------------------------------------------------------------

    def _action(self, menu: Any, text: str, handler: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        # Never the slot itself: triggered(bool) would pass False into its first optional
        # parameter (Import's path, a section's title...).
        action.triggered.connect(lambda: handler())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&New template", self.new_template, QKeySequence.StandardKey.New)
        # Both act on the section shown (Duplicate only on templates; see _show_section).
        self.duplicate_action = self._action(
            file_menu, "&Duplicate", self.duplicate_current, "Ctrl+D"
        )
        self.delete_action = self._action(file_menu, "De&lete", self._delete_shown, "Ctrl+Delete")
        star = lambda: self.toggle_favourite(self.current_id())  # noqa: E731
        self._action(file_menu, "Fa&vourite", star, "Ctrl+Shift+D")
        file_menu.addSeparator()
        self._action(file_menu, "&Import...", lambda: self.import_file(), "Ctrl+Shift+I")
        self._action(file_menu, "&Export backup...", lambda: self.export_backup(), "Ctrl+Shift+E")
        file_menu.addSeparator()
        settings = self._action(file_menu, "Sync &settings...", self.open_settings)
        # The platform's Preferences key is empty on most Linux desktops: Ctrl+, always.
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        comma = QKeySequence("Ctrl+,")
        settings.setShortcuts([k for k in keys if not k.isEmpty() and k != comma] + [comma])
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = self.menuBar().addMenu("&Edit")
        self._action(edit, "&Find", self._focus_search, QKeySequence.StandardKey.Find)
        self._action(edit, "&Undo", self.undo, QKeySequence.StandardKey.Undo)
        self._action(edit, "&Redo", self.redo, QKeySequence.StandardKey.Redo)
        sync_menu = self.menuBar().addMenu("&Sync")
        self._action(sync_menu, "Sync &now", lambda: self.sync_now(), "F5")
        self._action(sync_menu, "&Full sync", lambda: self.sync_now(full=True), "Shift+F5")
        self.pause_action = self._action(sync_menu, "&Pause sync", lambda: None)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.sync.set_paused)
        template_menu = self.menuBar().addMenu("&Template")
        # Ctrl+P is the editor's own key; this one answers it in the list and the search
        # box (and in the list's context menu), where the editor's does not reach.
        self.populate_action = self._action(template_menu, "&Populate...", self.populate_found)
        self.populate_action.setShortcut(QKeySequence("Ctrl+P"))
        self.populate_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        for widget in (self.list, self.search):
            widget.addAction(self.populate_action)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view = self.menuBar().addMenu("&View")
        for row, name in enumerate(self.SECTIONS):
            self._action(view, name, lambda _=False, r=row: self.show_section(r), f"Alt+{row + 1}")
        view.addSeparator()
        self._action(view, "Next &pane", lambda: self.next_pane(1), "F6")
        self._action(view, "Previous pane", lambda: self.next_pane(-1), "Shift+F6")
        view.addSeparator()
        appearance = view.addMenu("&Appearance")
        group = QActionGroup(self)
        self.appearance_actions: dict[str, QAction] = {}
        for name, label in (
            ("system", "Follow the &system"),
            ("light", "&Light"),
            ("dark", "&Dark"),
        ):
            action = self._action(appearance, label, lambda _=False, n=name: theme.choose(n))
            action.setCheckable(True)
            action.setChecked(theme.chosen() == name)
            group.addAction(action)
            self.appearance_actions[name] = action

    def _bind_keys(self) -> None:
        """Keyboard navigation beyond Tab (README "Keyboard"): Escape, Down or Enter from
        the search to the list, Enter from the list into the editor, Delete in the list,
        Enter or Right from the sidebar into its section, F6 / Shift+F6 from pane to pane,
        Ctrl+Tab and Escape out of the editor's text (where Tab is a tab)."""
        keys = self.keys = KeyMap(self)
        for key in LEAVE_SEARCH:
            keys.bind(self.search, key, self._focus_list)
        for key in (*ENTER, Qt.Key.Key_Down):
            keys.bind(self.search, key, self._open_found)
        for key in ENTER:
            keys.bind(self.list, key, self._focus_body)
            keys.bind(self.sidebar, key, self._enter_section)
        keys.bind(self.sidebar, Qt.Key.Key_Right, self._enter_section)
        keys.bind(self.list, Qt.Key.Key_Delete, self.delete_current)
        body = self.editor.body
        ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
        keys.bind(body, Qt.Key.Key_Tab, focus_next(body), ctrl)
        keys.bind(body, Qt.Key.Key_Backtab, focus_next(body, forward=False), ctrl | shift)
        keys.bind(body, Qt.Key.Key_Escape, self._focus_list)

    def show_section(self, row: int) -> None:
        self.sidebar.setCurrentRow(row)
        self._enter_section()

    def _enter_section(self) -> None:
        """Focus the first field of the section shown (its search box, or its first button)."""
        current = self.stack.currentWidget()
        if current is self.splitter:
            self.search.setFocus(Qt.FocusReason.TabFocusReason)
        elif isinstance(current, RecordSection):
            current.search.setFocus(Qt.FocusReason.TabFocusReason)
        elif current is not None:
            focus_next(current)()

    def _focus_list(self) -> None:
        if self.model.rowCount() and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.model.index(0))
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _open_found(self) -> None:
        """Enter (or Down) in the search: the best match of what is typed (searched now if
        the search is still waiting for the typing to pause) opens, and the list has the
        focus."""
        if self._search_timer.isActive():
            self._search_timer.stop()
            self.model.set_query(self.search.text())
        if self.search.text().strip() and self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0))
        self._focus_list()

    def populate_found(self) -> None:
        """Template > Populate (Ctrl+P in the list or the search box): the template chosen
        in the list, or the best match of the search."""
        if self.search.hasFocus():
            self._open_found()
            if not self.model.rowCount():
                self.statusBar().showMessage("No template matches the search", 5_000)
                return
        self.sidebar.setCurrentRow(0)
        if self.editor.template_id is None and self.model.rowCount():
            current = self.list.currentIndex()
            self.list.setCurrentIndex(current if current.isValid() else self.model.index(0))
        if self.editor.template_id is None:
            QMessageBox.information(
                self,
                "Nothing to populate yet",
                "There is no template to fill in yet: press Ctrl+N to write one.",
            )
            return
        self.editor.actions_by_name["populate"].trigger()  # saves first, then asks for it

    def _focus_body(self) -> None:
        if self.editor.isEnabled():
            self.editor.body.setFocus(Qt.FocusReason.OtherFocusReason)

    def _panes(self) -> list[QWidget]:
        current = self.stack.currentWidget()
        panes: list[QWidget] = [self.sidebar]
        if current is self.splitter:
            panes += [self.search, self.list, self.editor]
        elif isinstance(current, RecordSection):
            panes += [current.search, current.list, current.form]
        elif current is not None:
            panes.append(current)
        panes.append(self.sync_button)
        return [pane for pane in panes if pane.isVisible() and pane.isEnabled()]

    def next_pane(self, step: int = 1) -> None:
        """F6: the focus to the next pane (sidebar, search, list, editor, Sync now)."""
        panes = self._panes()
        focused = QApplication.focusWidget()
        at = next(
            (
                i
                for i, pane in enumerate(panes)
                if focused is not None and (focused is pane or pane.isAncestorOf(focused))
            ),
            -1,
        )
        target = panes[(at + step) % len(panes)]
        if target is self.editor:
            self.editor.body.setFocus(Qt.FocusReason.TabFocusReason)
        elif target.focusPolicy() & Qt.FocusPolicy.TabFocus:
            target.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            focus_next(target)()  # a form: its first field

    def _section(self, row: int) -> RecordSection:
        if row not in self._sections:
            section = self._section_factories[row](self.store, self.edits)
            section.changed.connect(self.sync.local_change)
            placeholder = self.stack.widget(row)
            self.stack.insertWidget(row, section)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
            self._sections[row] = section
            name_controls(section)
        return self._sections[row]

    def _show_section(self, row: int) -> None:
        if row in self._section_factories:
            self._section(row)
        self.stack.setCurrentIndex(row)
        self.duplicate_action.setEnabled(row == 0)
        self.delete_action.setEnabled(row == 0 or row in self._section_factories)

    @property
    def snippets(self) -> RecordSection:
        return self._section(1)

    @property
    def presets(self) -> RecordSection:
        return self._section(2)

    @property
    def pages(self) -> RecordSection:
        return self._section(3)

    def _focus_search(self) -> None:
        self.sidebar.setCurrentRow(0)
        self.search.setFocus()
        self.search.selectAll()

    # -- templates ------------------------------------------------------------------------

    def current_id(self) -> str | None:
        return self.editor.template_id

    def _show_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.editor.load(None)
            return
        template_id = self.model.template_at(current.row()).templateId
        if template_id != self.editor.template_id and not self.editor.load(template_id):
            # The writer kept editing what could not be saved: select it again (once the
            # click that chose the other one is over).
            QTimer.singleShot(0, lambda: self.select(self.editor.template_id or ""))

    def _keep_selection(self) -> None:
        """After the list reloads, select the template being edited again (if listed)."""
        current = self.editor.template_id
        row = self.model.row_of(current) if current else -1
        if row >= 0:
            self.list.selectionModel().blockSignals(True)
            self.list.setCurrentIndex(self.model.index(row))
            self.list.selectionModel().blockSignals(False)
        elif current is not None and not self.search.text():
            self.editor.load(None)  # it is gone (deleted here or by a sync)

    def select(self, template_id: str) -> None:
        row = self.model.row_of(template_id)
        if row < 0:
            self.search.clear()
            self.model.set_query("")
            row = self.model.row_of(template_id)
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))

    def new_template(self) -> None:
        title, ok = QInputDialog.getText(self, "New template", "Title:")
        if not ok:
            return
        try:
            template = self.store.create_template(title)
        except domain.InvalidInput as error:
            QMessageBox.warning(self, "Cannot create the template", "\n".join(error.problems))
            return
        self.sidebar.setCurrentRow(0)
        self.select(template.templateId)
        self.editor.body.setFocus()

    def toggle_favourite(self, template_id: str | None) -> None:
        """Star the template (listed first in Quick Fill and in the Favourites view), or
        no longer (issue 15)."""
        if not template_id:
            return
        if template_id == self.editor.template_id:
            self.editor.save()
        favourite = self.store.get_template(template_id).isFavorite
        quickfill.set_favourite(self.store, template_id, not favourite)

    def _say_when_empty(self) -> None:
        """What an empty list says to do (and, with no template at all, the samples)."""
        query, view = self.search.text().strip(), self.view_box.currentData()
        none_at_all = not query and view == "all" and self.store.count_templates() == 0
        self.samples_button.setVisible(none_at_all)
        if query:
            text = f"No template matches \u201c{query}\u201d.\nTry other words, or clear the search"
        elif none_at_all:
            text = "No templates yet.\nPress Ctrl+N for a new one, or add a few samples below."
        elif view == "favourites":
            text = "No favourites yet.\nClick the star by a template (or Ctrl+Shift+D) to add it."
        elif view == "recent":
            text = "Nothing used yet.\nTemplates you Populate or Quick Fill appear here."
        else:
            text = "No template in this category."
        self.list.set_empty_text(text)

    def _retitle(self) -> None:
        """The window's title: the open template's name, then the app's (issue 15)."""
        name = self.editor.title.text().strip() if self.editor.template_id else ""
        self.setWindowTitle(f"{name} - {APP_NAME}" if name else APP_NAME)

    def duplicate_current(self) -> None:
        if self.current_id() is None:
            return
        self.editor.save()
        copy = self.store.duplicate_template(self.current_id() or "")
        self.select(copy.templateId)

    def _delete_shown(self) -> None:
        """File > Delete: the record open in the section shown (undoable)."""
        shown = self.stack.currentWidget()
        if shown is self.splitter:
            self.delete_current()
        elif isinstance(shown, RecordSection):
            shown.delete_current()

    def delete_current(self) -> None:
        template_id = self.current_id()
        if template_id is None:
            return
        self.editor.save()
        if self.edits.delete("template", template_id):
            self.editor.load(None)

    # -- undo -----------------------------------------------------------------------------

    def undo(self) -> None:
        """Edit > Undo: the focused text field's own undo while it has one, else the last
        record-level action (a deletion, a node move)."""
        widget = QApplication.focusWidget()
        if _text_history(widget, redo=False):
            widget.undo()  # type: ignore[union-attr]
        else:
            self.edits.stack.undo()

    def redo(self) -> None:
        widget = QApplication.focusWidget()
        if _text_history(widget, redo=True):
            widget.redo()  # type: ignore[union-attr]
        else:
            self.edits.stack.redo()

    def _offer_undo(self, index: int) -> None:
        """After a deletion (or its redo), say what happened and offer Undo for a while."""
        if index > self._undo_index and self.edits.stack.canUndo():
            done = self.edits.stack.undoText()
            self.statusBar().clearMessage()  # a message would hide the note and the button
            self._undo_note.setText(f"{done} \u00b7 Ctrl+Z to undo")
            self._undo_button.setToolTip(f"Undo {done}")
            self._undo_note.show()
            self._undo_button.show()
            self._undo_hider.start()
        else:
            self._undo_button.hide()
            self._undo_note.hide()
        self._undo_index = index

    def _reveal(self, entity: str, record_id: str) -> None:
        """Show a record that an undo brought back."""
        rows = {"template": 0, "snippet": 1, "preset": 2, "page": 3, "node": 3}
        self.sidebar.setCurrentRow(rows[entity])
        if entity == "template":
            self.select(record_id)

    def populate(self, template_id: str) -> None:
        PopulateDialog(self.store, template_id, self).exec()

    def import_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import", "", "JSON exports and backups (*.json);;All files (*)"
            )
        if not path:
            return
        source = Path(path)
        self.statusBar().showMessage(f"Reading {source.name}...")
        self.tasks.run(
            lambda: transfer.read_import(source.read_text(encoding="utf-8")),
            self._show_import,
            self._unreadable_import,
        )

    def _show_import(self, plan: transfer.ImportPlan) -> None:
        self.statusBar().clearMessage()
        ImportDialog(self.store, plan, self, self.tasks).exec()

    def _unreadable_import(self, error: BaseException) -> None:
        self.statusBar().clearMessage()
        if isinstance(error, OSError | UnicodeDecodeError):
            QMessageBox.warning(self, "Cannot read the file", str(error))
        elif isinstance(error, domain.InvalidInput):
            QMessageBox.warning(self, "Cannot import this file", "\n".join(error.problems))
        else:
            raise error  # a bug: the excepthook reports it

    def export_backup(self, path: str | None = None) -> Path | None:
        """Write a backup off the GUI thread; the status bar says when it is written.
        Returns the file it goes to (None: cancelled)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export backup", "gravy-backup.json", "JSON (*.json)"
            )
        if not path:
            return None
        target = Path(path)
        store = self.store
        self.statusBar().showMessage(f"Writing the backup to {target}...")
        self.tasks.run(
            lambda: transfer.write_backup(target, store.export_sections()),
            lambda _counts: self.statusBar().showMessage(f"Backup written to {target}", 8_000),
            lambda error: self._backup_failed(target, error),
        )
        return target

    def _backup_failed(self, target: Path, error: BaseException) -> None:
        self.statusBar().clearMessage()
        explained = explain(error)
        if explained is None:
            raise error  # a bug: the excepthook reports it
        QMessageBox.warning(self, "Cannot write the backup", f"{target}: {explained[1]}")

    def _catch_up_search(self) -> None:
        """Thousands of records wait for their search entries (after an import or a pull):
        write them off the GUI thread with progress in the status bar, then search again."""
        if self._indexing:
            return
        self._indexing = True
        store = self.store
        self.tasks.run(
            lambda progress: store.catch_up_search_in_batches(progress),
            self._search_caught_up,
            self._search_index_failed,
            lambda done, total: self.statusBar().showMessage(
                f"Indexing for search: {done:,} of {total:,} records"
            ),
        )

    def _search_caught_up(self, _written: int) -> None:
        self._indexing = False
        self.statusBar().clearMessage()
        if self.search.text().strip():
            self.model.set_query(self.search.text())

    def _search_index_failed(self, error: BaseException) -> None:
        self._indexing = False  # the database's idle catch-up tries again by itself
        explained = explain(error)
        if explained is None:
            raise error  # a bug: the excepthook reports it
        self.statusBar().showMessage(f"Search may miss some records: {explained[0]}", 8_000)

    def open_settings(self) -> None:
        if SettingsDialog(self.store, self.tasks, self).exec():
            self.sync.start()  # the new target and interval, and a sync now

    def history(self, template_id: str) -> None:
        if VersionsDialog(self.store, template_id, self).exec():
            self.editor.external_change()

    def insert_snippet(self) -> None:
        picker = SnippetPicker(self.store, self)
        if picker.exec() and picker.chosen_html():
            self.editor.insert_html(picker.chosen_html() or "")
        picker.deleteLater()

    # -- changes and sync -----------------------------------------------------------------

    def _on_store_changed(self, changes: Changes) -> None:
        kinds = changes.kinds
        for row, entities in ((1, {"snippet"}), (2, {"preset"}), (3, {"page", "node"})):
            section = self._sections.get(row)
            # Not built yet: it reads everything when first shown. A reload keeps the
            # record being edited in its form (and its unsaved text); it refreshes the
            # list and its sync badges, which a queue change alone (no kinds) also moves.
            if section is not None and (not kinds or kinds & entities):
                section.reload()
        if "template" in kinds:
            self.editor.store_changed(changes)
            self.model.set_query(self.search.text())
            self._reload_categories()
        else:
            self.model.refresh_badges()
        self.sync.refresh()
        self._refresh_panels()

    def _after_queue_change(self) -> None:
        self.sync.refresh()
        self.model.refresh_badges()
        self._refresh_panels()
        self.sync.local_change()

    def _refresh_panels(self) -> None:
        if self.stack.currentWidget() is not self.conflicts:
            self.conflicts.reload()
        if self.stack.currentWidget() is not self.failed:
            self.failed.reload()

    def _reload_categories(self) -> None:
        current = self.category.currentData()
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem(ALL_CATEGORIES, None)
        for name in self.store.categories():
            self.category.addItem(name, name)
        index = self.category.findData(current)
        self.category.setCurrentIndex(max(0, index))
        self.category.blockSignals(False)

    def _show_sync_status(self, status: SyncStatus) -> None:
        text = html.escape(status.text, quote=False)
        if status.mode == "not configured":
            text += f" · {self._settings_link('Set up sync...')}"
        if status.mode in ("signed out", "trouble"):
            text += f" · {self._settings_link('Sync settings...')}"
        if status.message and status.mode in ("offline", "paused", "signed out", "trouble"):
            self.sync_status.setToolTip(status.message)
        else:
            self.sync_status.setToolTip("")
        self.sync_status.setText(text)
        self.sync_button.setEnabled(status.mode not in ("not configured", "syncing"))
        paused = status.mode == "paused"
        self.sync_button.setText("Resume sync" if paused else "Sync now")
        self.sync_button.setToolTip(
            "Sync is paused (Sync > Pause sync): resume it and sync now" if paused else ""
        )
        for row, name, count in (
            (self.CONFLICTS, "Conflicts", status.conflicts),
            (self.FAILED, "Failed", status.failed),
        ):
            item = self.sidebar.item(row)
            item.setText(f"{name} ({count})" if count else name)
        # A sync cycle records conflicts and failures without a store change: a panel
        # whose list no longer matches its count reloads (shown or not).
        if status.conflicts != len(self.conflicts.conflicts):
            self.conflicts.reload()
        if status.failed != len(self.failed.model.entries):
            self.failed.reload()

    def _settings_link(self, label: str) -> str:
        # Coloured here: a label's rich text keeps the link colour it was first drawn with.
        color = QApplication.palette().color(QPalette.ColorRole.Link).name()
        return f'<a href="settings" style="color: {color}">{label}</a>'

    def refresh_status(self) -> None:
        self.sync.refresh()

    def sync_now(self, full: bool = False) -> None:
        """Sync now (F5, the status bar's button); while paused, resume first: a writer
        asking for a sync means it."""
        if self.pause_action.isChecked():
            self.pause_action.setChecked(False)  # resumes, and syncs
            if not full:
                return
        self.sync.sync_now(full=True if full else None)

    # -- window state ---------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        """The window as it was left, if that fits the screen now and is no smaller than
        :data:`MIN_SIZE` (a run at another scale factor had left 960x400); else the default
        size, within the screen."""
        settings = QSettings()
        geometry = settings.value("main/geometry")
        restored = isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        if not restored or not _usable(self.size(), room.size()):
            width = max(min(DEFAULT_SIZE.width(), room.width()), MIN_SIZE.width())
            height = max(min(DEFAULT_SIZE.height(), room.height()), MIN_SIZE.height())
            self.setGeometry(
                QStyle.alignedRect(
                    Qt.LayoutDirection.LeftToRight,
                    Qt.AlignmentFlag.AlignCenter,
                    QSize(width, height),
                    room,
                )
            )
        if not restored:
            rest = self.width() - 160
            self.body.setSizes([160, rest])
            self.splitter.setSizes([rest * 3 // 10, rest - rest * 3 // 10])
        for name, splitter in (("splitter", self.splitter), ("body", self.body)):
            state = settings.value(f"main/{name}")
            if isinstance(state, QByteArray):
                splitter.restoreState(state)

    def closeEvent(self, event: Any) -> None:
        forms = [section.form for section in self._sections.values()]
        if not (self.editor.leave() and all(form.leave() for form in forms)):
            event.ignore()  # the writer kept editing what could not be saved
            return
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/splitter", self.splitter.saveState())
        settings.setValue("main/body", self.body.saveState())
        self.sync.shutdown()
        super().closeEvent(event)


def make_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("Gravy")
    app.setApplicationName("Gravy Desktop")
    app.setApplicationVersion(__version__)
    theme.apply()
    return app


def open_for_window(path: Path) -> tuple[Store, InstanceLock]:
    """Take the single-instance lock for ``path`` and open its store."""
    lock = InstanceLock(path.expanduser().resolve(), "app")
    if not lock.acquire():
        raise AlreadyRunning(
            f"Gravy Desktop is already running with {path}. Switch to that window, or close "
            "it first."
        )
    try:
        return Store(open_database(path)), lock
    except Exception:
        lock.release()
        raise


def run_gui(path: Path, follow_account: bool = False) -> int:
    """The window on ``path``; ``follow_account``: on the signed-in account's database,
    asking at first run, and reopening on another database after a sign-in or sign-out."""
    app = make_application()
    try:
        log_path: Path | None = log_to_file()
    except OSError:
        log_path = None
    faults = FaultDialogs(QApplication.activeWindow, log_path)
    if follow_account:
        path = signin.first_run(path)
    try:
        store, lock = open_for_window(path)
    except StoreError as error:
        print(f"gravy-desktop: {error}", file=sys.stderr, flush=True)
        title, text = explain(error, at_start=True) or ("Gravy Desktop cannot start", str(error))
        QMessageBox.critical(None, title, text)
        return 2
    faults.install()
    with lock:
        window = MainWindow(store)
        quick_fill = install_quick_fill(window, store, path)
        accounts = signin.AccountMenu(window, store, window.tasks, window.sync)
        window.show()
        code = app.exec()
        quick_fill.close()
        if not window.tasks.wait(0):
            # Closing waited its 3 s and a request is still unanswered: end now rather than
            # wait for it (Qt's and Python's thread pools would). As safe as a kill: every
            # commit is durable, and entries left in flight are resent at the next start.
            logging.getLogger(__name__).info("quitting with a sync request unanswered")
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        store.database.close()
    if accounts.switch_to is not None:  # signed in or out: that account's records, or none
        return run_gui(accounts.switch_to)
    return code


__all__ = ["PAGE_SIZE", "MainWindow", "NotFound", "TemplateListModel", "open_for_window"]
