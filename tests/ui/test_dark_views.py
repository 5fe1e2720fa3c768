"""The views changed for issue 12 (Populate, the preset editor, the status bar while
paused and after a deletion) drawn in the dark appearance: dark throughout, screenshots
kept to look at beside the light ones the other tests save."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.sync.config import SyncSettings, save_settings
from desktop.ui import theme
from desktop.ui.dialogs import PopulateDialog
from desktop.ui.main import MainWindow
from tests.ui.helpers import open_template, shoot

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _platform_appearance_afterwards() -> Iterator[None]:
    yield
    theme.apply("system", Qt.ColorScheme.Unknown)


def mean_lightness(image: QImage) -> float:
    values = [
        image.pixelColor(x, y).lightnessF()
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 7)
    ]
    return sum(values) / len(values)


def dark_shot(qtbot: QtBot, widget: QWidget, name: str) -> float:
    qtbot.waitUntil(lambda: widget.palette().color(QPalette.ColorRole.Window).lightness() < 128)
    return mean_lightness(QImage(str(shoot(widget, name))))


def test_the_changed_views_in_dark(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    store.create_template("Offer letter", content="<p>Dear [[name]],</p><p>In [[country]].</p>")
    store.create_preset("Acme", values={"company": "Acme Ltd"})
    save_settings(store, SyncSettings(user_id="me", endpoint_url="http://127.0.0.1:9"))
    window.model.reload()
    open_template(window, "Offer letter")
    window.appearance_actions["dark"].trigger()
    lightness: dict[str, float] = {}

    def shoot_populate() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PopulateDialog) or not dialog.isActiveWindow():
            QTimer.singleShot(20, shoot_populate)
            return
        try:
            qtbot.keyClicks(dialog.inputs["name"], "Ann")
            qtbot.waitUntil(lambda: "Ann" in dialog.preview.toPlainText())
            lightness["populate"] = dark_shot(qtbot, dialog, "populate_dark")
        finally:
            dialog.close()

    QTimer.singleShot(0, shoot_populate)
    window.editor.actions_by_name["populate"].trigger()

    window.activateWindow()  # as the window manager does when the dialog closes
    qtbot.waitUntil(window.isActiveWindow)
    window.show_section(2)
    qtbot.keyClick(window.presets.search, Qt.Key.Key_Down)
    qtbot.mouseClick(window.presets.form.add_row, LEFT)
    editing = QApplication.focusWidget()
    assert editing is not None
    qtbot.keyClicks(editing, "country")
    lightness["presets"] = dark_shot(qtbot, window, "preset_new_variable_dark")

    window.pause_action.trigger()
    lightness["paused"] = dark_shot(qtbot, window.statusBar(), "status_bar_paused_dark")
    window.show_section(0)
    window.list.setFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_Delete)
    assert window._undo_note.isVisible()
    lightness["undo note"] = dark_shot(qtbot, window.statusBar(), "status_bar_undo_note_dark")
    assert set(lightness) == {"populate", "presets", "paused", "undo note"}
    assert all(value < 0.35 for value in lightness.values()), lightness
