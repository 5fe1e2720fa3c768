"""The main window (a first, plain version: template list, search, preview, queue status)."""

from __future__ import annotations

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
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__, domain
from desktop.store.db import AlreadyRunning, InstanceLock, StoreError, open_database
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.sync.config import load_settings

PAGE_SIZE = 200
ModelIndex = QModelIndex | QPersistentModelIndex


class StoreSignals(QObject):
    """Qt face of the store's change notifications (delivered on the GUI thread)."""

    changed = Signal(list)

    def __init__(self, store: Store) -> None:
        super().__init__()
        store.subscribe(self.changed.emit)


class TemplateListModel(QAbstractListModel):
    """Templates, newest first, fetched a page at a time; or the results of a search."""

    IdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self._query = ""
        self._items: list[domain.TemplateSummary] = []
        self._exhausted = False
        self.reload()

    def set_query(self, query: str) -> None:
        self._query = query.strip()
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        if self._query:
            self._items = self._store.search_templates(self._query)
            self._exhausted = True
        else:
            self._items = self._store.list_templates(limit=PAGE_SIZE)
            self._exhausted = len(self._items) < PAGE_SIZE
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        more = self._store.list_templates(limit=PAGE_SIZE, offset=len(self._items))
        self._exhausted = len(more) < PAGE_SIZE
        if more:
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
            self._items.extend(more)
            self.endInsertRows()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        template = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return template.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return template.description or template.category or None
        if role == self.IdRole:
            return template.templateId
        return None

    def template_at(self, row: int) -> domain.TemplateSummary:
        return self._items[row]


class MainWindow(QMainWindow):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.setWindowTitle(f"Gravy Desktop {__version__} - {store.database.path.name}")
        self.signals = StoreSignals(store)

        self.search = QLineEdit(placeholderText="Search templates (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.model = TemplateListModel(store)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.preview = QTextBrowser()
        self.preview.setOpenExternalLinks(False)

        left = QWidget()
        layout = QVBoxLayout(left)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(1, 3)
        self.setCentralWidget(self.splitter)

        self.sync_status = QLabel()
        self.statusBar().addPermanentWidget(self.sync_status)

        new_action = QAction(
            "&New template", self, shortcut=QKeySequence(QKeySequence.StandardKey.New)
        )
        new_action.triggered.connect(self.new_template)
        find_action = QAction("&Find", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find_action.triggered.connect(self.search.setFocus)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(new_action)
        file_menu.addAction(find_action)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        # Search as the user types, without running a query per keystroke.
        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(lambda: self.model.set_query(self.search.text()))
        self.search.textChanged.connect(self._search_timer.start)
        self.list.selectionModel().currentChanged.connect(self._show_current)
        self.model.modelReset.connect(self.preview.clear)
        self.signals.changed.connect(self._on_store_changed)
        self.refresh_status()
        self._restore_geometry()

    def _show_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.preview.clear()
            return
        summary = self.model.template_at(current.row())
        self.preview.setHtml(self.store.get_template(summary.templateId).content)

    def _on_store_changed(self, _changed: list[tuple[str, str]]) -> None:
        self.model.set_query(self.search.text())
        self.refresh_status()

    def refresh_status(self) -> None:
        counts = self.store.queue_counts()
        waiting = sum(counts.values())
        settings = load_settings(self.store)
        if settings.configured:
            target = settings.endpoint_url or settings.region
            text = f"Sync target {target} as {settings.user_id}"
        else:
            text = "No sync target configured"
        if waiting:
            text += f": {waiting} change{'s' if waiting != 1 else ''} waiting to sync"
        if counts[State.FAILED]:
            text += f", {counts[State.FAILED]} failed"
        if counts[State.CONFLICT]:
            text += f", {counts[State.CONFLICT]} in conflict"
        self.sync_status.setText(text)

    def new_template(self) -> None:
        title, ok = QInputDialog.getText(self, "New template", "Title:")
        if not ok:
            return
        try:
            self.store.create_template(title)
        except domain.InvalidInput as error:
            QMessageBox.warning(self, "Cannot create the template", "\n".join(error.problems))

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 700)
        splitter = settings.value("main/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: Any) -> None:
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/splitter", self.splitter.saveState())
        super().closeEvent(event)


def make_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("Gravy")
    app.setApplicationName("Gravy Desktop")
    app.setApplicationVersion(__version__)
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


def run_gui(path: Path) -> int:
    app = make_application()
    try:
        store, lock = open_for_window(path)
    except StoreError as error:
        print(f"gravy-desktop: {error}", file=sys.stderr, flush=True)
        QMessageBox.critical(None, "Gravy Desktop cannot start", str(error))
        return 2
    with lock:
        window = MainWindow(store)
        window.show()
        code = app.exec()
        store.database.close()
    return code
