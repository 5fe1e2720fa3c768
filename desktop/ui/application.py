"""The Qt application object: made once per process, named for QSettings, themed."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from desktop import __version__
from desktop.ui import theme
from desktop.ui.collector import collect_on_gui_thread


def make_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("Gravy")
    app.setApplicationName("Gravy Desktop")
    app.setApplicationVersion(__version__)
    theme.apply()
    collect_on_gui_thread(app)  # Qt objects in cycles die on the GUI thread, never elsewhere
    return app
