"""The status bar's rendering: the sync line in the writer's words (with a link to the
settings where there is something to set), the Sync now / Resume sync button, and the note
that offers Undo for 10 s after a deletion. The window connects them; this draws them."""

from __future__ import annotations

import html

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSizePolicy, QStatusBar

from desktop.ui.sync import SyncStatus

UNDO_OFFERED_MS = 10_000


def settings_link(label: str) -> str:
    # Coloured here: a label's rich text keeps the link colour it was first drawn with.
    color = QApplication.palette().color(QPalette.ColorRole.Link).name()
    return f'<a href="settings" style="color: {color}">{label}</a>'


class StatusArea:
    def __init__(self, bar: QStatusBar, parent: QObject) -> None:
        self.bar = bar
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.button = QPushButton("Resume sync")  # the longer of its two names
        self.button.setMinimumWidth(self.button.sizeHint().width())
        self.button.setText("Sync now")
        # The status may be cut short (never the window's minimum width); the undo note
        # beside it is shown whole while it lasts.
        self.label.setMinimumWidth(1)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addPermanentWidget(self.label, 1)
        bar.addPermanentWidget(self.button)
        self.undo_note = QLabel()
        self.undo = QPushButton("Undo")
        self.undo_note.hide()
        self.undo.hide()
        self._undo_hider = QTimer(parent, singleShot=True, interval=UNDO_OFFERED_MS)
        self._undo_hider.timeout.connect(self.hide_undo)
        bar.addWidget(self.undo_note)
        bar.addWidget(self.undo)

    def show_status(self, status: SyncStatus) -> None:
        text = html.escape(status.text, quote=False)
        if status.mode == "not configured":
            text += f" · {settings_link('Set up sync...')}"
        if status.mode in ("signed out", "trouble"):
            text += f" · {settings_link('Sync settings...')}"
        if status.message and status.mode in ("offline", "paused", "signed out", "trouble"):
            self.label.setToolTip(status.message)
        else:
            self.label.setToolTip("")
        self.label.setText(text)
        self.button.setEnabled(status.mode not in ("not configured", "syncing"))
        paused = status.mode == "paused"
        self.button.setText("Resume sync" if paused else "Sync now")
        self.button.setToolTip(
            "Sync is paused (Sync > Pause sync): resume it and sync now" if paused else ""
        )

    def offer_undo(self, done: str) -> None:
        """Say what was just done (a deletion) and offer Undo for a while."""
        self.bar.clearMessage()  # a message would hide the note and the button
        self.undo_note.setText(f"{done} \u00b7 Ctrl+Z to undo")
        self.undo.setToolTip(f"Undo {done}")
        self.undo_note.show()
        self.undo.show()
        self._undo_hider.start()

    def hide_undo(self) -> None:
        self.undo.hide()
        self.undo_note.hide()
