"""The tray icon (where the desktop has a tray): Quick Fill, recent templates, the sync
status, show the window, Quit. With "Keep running in the tray" on, closing the window
hides it and Quick Fill stays available; Quit from the tray ends the app."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QStyle, QSystemTrayIcon, QWidget

from desktop.store import quickfill as data
from desktop.ui.quickfill import QuickFill, keep_in_tray_setting, shortcut_setting


class Tray(QObject):
    def __init__(self, window: QWidget, quick_fill: QuickFill) -> None:
        super().__init__(window)
        self.window = window
        self.quick_fill = quick_fill
        self.quitting = False
        icon = window.windowIcon()
        if icon.isNull():
            icon = window.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Gravy Desktop")
        self.menu = QMenu()
        self.fill_action = self.menu.addAction("Quick Fill")
        self.fill_action.triggered.connect(lambda: quick_fill.show_palette())
        self.recent = self.menu.addMenu("Recent templates")
        self.recent.aboutToShow.connect(self._list_recent)
        self.status = self.menu.addAction("Sync: starting")
        self.status.setEnabled(False)
        self.menu.addSeparator()
        self.menu.addAction("Show Gravy Desktop").triggered.connect(lambda: self.show_window())
        self.menu.addAction("Quit").triggered.connect(lambda: self.quit())
        self.menu.aboutToShow.connect(self._label_shortcut)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        sync = getattr(window, "sync", None)
        if sync is not None:
            sync.status_changed.connect(self.show_status)
        window.installEventFilter(self)
        self.icon.show()

    @classmethod
    def install(cls, window: QWidget, quick_fill: QuickFill) -> Tray | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        return cls(window, quick_fill)

    def _label_shortcut(self) -> None:
        self.fill_action.setText(f"Quick Fill ({shortcut_setting()})")

    def _list_recent(self) -> None:
        self.recent.clear()
        store = self.quick_fill.store
        for template_id in data.recent_template_ids(store):
            title = store.get_template(template_id).title
            action = QAction(title, self.recent)
            action.triggered.connect(lambda _=False, t=template_id: self._fill(t))
            self.recent.addAction(action)
        if self.recent.isEmpty():
            self.recent.addAction("None yet").setEnabled(False)

    def _fill(self, template_id: str) -> None:
        self.quick_fill.show_palette(template_id)

    def show_status(self, status: Any) -> None:
        self.status.setText(f"Sync: {status.text}")

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_window()

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def quit(self) -> None:
        self.quitting = True
        self.quick_fill.palette.hide()
        self.window.close()
        QApplication.quit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.window
            and event.type() == QEvent.Type.Close
            and event.spontaneous()  # the window's close button, not File > Quit
            and not self.quitting
            and keep_in_tray_setting()
            and self.icon.isVisible()
        ):
            event.ignore()
            self.window.hide()
            return True
        return False
