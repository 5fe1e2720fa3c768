"""The window's frame as a writer meets it: the size it reopens at, room for the editor at
900x600, the undo note shown whole, Ctrl+, for the settings, Sync now while paused, and
(in dark) field borders and check boxes that can be seen and diffs repainted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync.config import SyncSettings, save_settings
from desktop.ui import theme
from desktop.ui.dialogs import VersionsDialog
from desktop.ui.main import MIN_SIZE, MainWindow
from desktop.ui.settings import SettingsDialog
from tests.ui.helpers import SCREENSHOTS, open_template, shoot
from tests.ui.modal import when_modal

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _platform_appearance_afterwards() -> Iterator[None]:
    yield
    theme.apply("system", Qt.ColorScheme.Unknown)


def activate(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


RUN = """
import json, sys
from pathlib import Path
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.app import build_window
from desktop.ui.application import make_application
app = make_application()
store = Store(open_database(Path(sys.argv[1])))
window = build_window(store, start_sync=False)
window.show()
app.processEvents()
size = [window.width(), window.height()]
if len(sys.argv) > 2:  # what a window manager did at another scale: a small window
    window.resize(int(sys.argv[2]), int(sys.argv[3]))
    app.processEvents()
room = window.screen().availableGeometry()
window.close()
store.database.close()
print(json.dumps({"size": size, "room": [room.width(), room.height()]}))
"""


def start(
    tmp_path: Path, screen: tuple[int, int], scale: str, *resize: int
) -> dict[str, list[int]]:
    """Start the app in a process of its own on an offscreen screen of ``screen`` pixels."""
    config = tmp_path / f"screen-{screen[0]}x{screen[1]}.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "s",
                        "x": 0,
                        "y": 0,
                        "width": screen[0],
                        "height": screen[1],
                        "logicalDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    env |= {"QT_SCALE_FACTOR": scale, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp_path / "gravy.db"), *map(str, resize)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_window_left_small_at_another_scale_reopens_usable(tmp_path: Path) -> None:
    # At a scale factor of 2 a 1920x1080 screen is 960x540: the window manager made the
    # window 960x400, and that was remembered.
    start(tmp_path, (1920, 1080), "2", 960, 400)
    again = start(tmp_path, (1920, 1080), "1")
    width, height = again["size"]
    assert width >= MIN_SIZE.width() and height >= MIN_SIZE.height(), again
    assert width <= again["room"][0] and height <= again["room"][1]


def test_a_window_larger_than_this_screen_reopens_within_it(tmp_path: Path) -> None:
    start(tmp_path, (2560, 1440), "1", 2400, 1350)
    assert start(tmp_path, (2560, 1440), "1")["size"] == [2400, 1350], "restored as it was"
    smaller = start(tmp_path, (1366, 768), "1")
    assert smaller["size"][0] <= 1366 and smaller["size"][1] <= 768, smaller
    assert smaller["size"][0] >= MIN_SIZE.width() and smaller["size"][1] >= MIN_SIZE.height()


def test_at_900_by_600_the_editor_keeps_the_room(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Welcome", content="<p>Dear [[name]],</p>")
    window.model.reload()
    open_template(window, "Welcome")
    window.resize(1200, 760)
    qtbot.waitUntil(lambda: window.width() == 1200)
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.width() == 900)
    column, editor = window.splitter.sizes()
    assert editor >= 2 * column, (column, editor)
    assert editor >= 480 and column >= 180, (column, editor)
    shoot(window, "window_900x600")


def test_the_undo_note_is_shown_whole(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    store.create_template("Offer letter for the new head of research", content="<p>x</p>")
    window.model.reload()
    window.resize(900, 600)
    activate(qtbot, window)
    open_template(window, "Offer letter for the new head of research")
    window.list.setFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_Delete)
    bar = window.statusBar()
    notes = [
        label
        for label in bar.findChildren(QLabel)
        if "Ctrl+Z to undo" in label.text() and label.isVisible()
    ]
    if notes:
        text, room = notes[0].text(), notes[0].width()
    else:  # a temporary message, drawn left of the permanent widgets
        text = bar.currentMessage()
        room = min(w.x() for w in (window.sync_status, window.sync_button)) - 8
    assert "Ctrl+Z to undo" in text
    assert room >= bar.fontMetrics().horizontalAdvance(text), (room, text)
    shoot(bar, "status_bar_undo_note")


def test_ctrl_comma_opens_the_sync_settings(qtbot: QtBot, window: MainWindow) -> None:
    activate(qtbot, window)
    opened: list[QWidget] = []
    when_modal(opened.append)
    qtbot.keyClick(window.list, Qt.Key.Key_Comma, CTRL)
    assert opened and isinstance(opened[0], SettingsDialog)


def test_sync_now_while_paused_resumes(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    save_settings(store, SyncSettings(user_id="me", endpoint_url="http://127.0.0.1:9"))
    window.sync.refresh()
    window.pause_action.trigger()
    assert window.sync.status.mode == "paused"
    assert window.sync_button.isEnabled() and window.sync_button.text() == "Resume sync"
    assert "Pause sync" in window.sync_button.toolTip()
    shoot(window.statusBar(), "status_bar_paused")
    qtbot.mouseClick(window.sync_button, LEFT)
    assert not window.pause_action.isChecked()
    assert window.sync.status.mode != "paused" and window.sync_button.text() == "Sync now"
    qtbot.waitUntil(lambda: window.sync.status.mode != "syncing", timeout=20_000)


def border_contrast(image: QImage, points: list[QPoint], against: QColor) -> float:
    return max(theme.contrast(image.pixelColor(p), against) for p in points)


def test_dark_field_borders_and_check_boxes_can_be_seen(qtbot: QtBot) -> None:
    theme.apply("dark")
    host = QWidget()
    qtbot.addWidget(host)
    field, box = QLineEdit("text"), QCheckBox("Shared")
    layout = QVBoxLayout(host)
    layout.addWidget(field)
    layout.addWidget(box)
    host.resize(300, 100)
    host.show()
    qtbot.waitUntil(lambda: host.palette().color(QPalette.ColorRole.Window).lightness() < 128)
    palette = host.palette()
    base, window = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Window)
    image = field.grab().toImage()
    middle = field.height() // 2
    edge = [QPoint(x, middle) for x in range(3)] + [QPoint(field.width() // 2, y) for y in range(3)]
    assert border_contrast(image, edge, base) >= 3.0
    assert border_contrast(image, edge, window) >= 3.0
    option = QStyleOptionButton()
    option.initFrom(box)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    y = indicator.center().y()
    edge = [QPoint(indicator.left() + dx, y) for dx in range(3)]
    assert border_contrast(image, edge, window) >= 3.0
    SCREENSHOTS.mkdir(exist_ok=True)
    host.grab().save(str(SCREENSHOTS / "dark_fields.png"))


def test_an_open_history_diff_is_repainted_in_the_new_appearance(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = Store(open_database(tmp_path / "history.db"), version_window_s=0)
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    template = store.create_template("Offer", content="<p>Dear Ann</p>")
    store.update_template(template.templateId, content="<p>Dear Bob</p>", changes="bob")
    window.model.reload()
    open_template(window, "Offer")
    colours: list[str] = []

    def switch(dialog: QWidget) -> None:
        assert isinstance(dialog, VersionsDialog)
        dialog.list.setCurrentRow(dialog.list.count() - 1)  # the first version: "Ann"
        colours.append(dialog.diff.toHtml())
        window.appearance_actions["dark"].trigger()
        colours.append(dialog.diff.toHtml())
        qtbot.waitUntil(lambda: dialog.palette().color(QPalette.ColorRole.Base).lightness() < 128)
        shoot(dialog, "history_dark")

    when_modal(switch)
    window.editor.actions_by_name["history"].trigger()
    light, dark = colours
    assert QColor(theme.LIGHT.removed).name() in light
    assert QColor(theme.DARK.removed).name() in dark, "the diff drawn in dark colours"
    window.close()
    store.database.close()
