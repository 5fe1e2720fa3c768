"""Light and dark appearance (following the system or chosen in View > Appearance), the
app's own colours readable on both, and the window at a device pixel ratio of 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui import theme
from desktop.ui.main import MainWindow
from desktop.ui.richtext import VariableHighlighter
from tests.ui.helpers import SCREENSHOTS, open_template, shoot


@pytest.fixture(autouse=True)
def _platform_appearance_afterwards() -> Iterator[None]:
    yield
    theme.apply("system", Qt.ColorScheme.Unknown)


def mean_lightness(image: QImage) -> float:
    step = 7
    values = [
        image.pixelColor(x, y).lightnessF()
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    ]
    return sum(values) / len(values)


def window_color() -> QColor:
    return QApplication.palette().color(QPalette.ColorRole.Window)


@pytest.mark.parametrize("colors", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_the_apps_own_colours_are_readable(colors: theme.Colors) -> None:
    backgrounds = (
        [QColor("#ffffff"), QColor("#efefef")]
        if not colors.dark
        else [QColor("#17181a"), QColor("#202124")]
    )
    for background in backgrounds:
        for name in ("error", "hint", "removed"):
            ratio = theme.contrast(QColor(getattr(colors, name)), background)
            assert ratio >= 4.5, (name, background.name(), ratio)
        for name in ("pending", "in_flight", "failed", "conflict"):
            assert theme.contrast(getattr(colors, name), background) >= 3.0, name
    warning = theme.contrast(QColor(colors.warning_fg), QColor(colors.warning_bg))
    assert warning >= 4.5
    text = QColor("#000000") if not colors.dark else QColor("#e8eaed")
    assert theme.contrast(text, QColor(colors.added_bg)) >= 4.5
    # A highlighted variable, its translucent background laid over the page.
    page = backgrounds[0]
    alpha = colors.variable_bg.alphaF()
    laid = QColor.fromRgbF(
        *(
            getattr(colors.variable_bg, c)() * alpha + getattr(page, c)() * (1 - alpha)
            for c in ("redF", "greenF", "blueF")
        )
    )
    assert theme.contrast(colors.variable_fg, laid) >= 4.5


def test_choosing_dark_repaints_the_window_and_is_remembered(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Welcome", content="<p>Dear [[name]], thanks for [[order]].</p>")
    window.model.reload()
    open_template(window, "Welcome")
    light = mean_lightness(window.grab().toImage())
    window.appearance_actions["dark"].trigger()
    assert window_color().lightness() < 60
    qtbot.waitUntil(lambda: window.list.palette().base().color() == QColor("#17181a"))
    assert QSettings().value(theme.SETTING) == "dark"
    assert theme.colors() is theme.DARK
    assert window.editor.problem.styleSheet() == f"color: {theme.DARK.error};"
    assert window.editor.highlighter.style.foreground().color() == theme.DARK.variable_fg
    dark = mean_lightness(QImage(str(shoot(window, "main_window_dark"))))
    assert dark < 0.3 < 0.7 < light, (dark, light)
    assert window.editor.state.text() == "Saved", "repainting is not an edit"
    assert 'style="color: #8ab4f8"' in window.sync_status.text(), "a link readable on dark"
    window.appearance_actions["light"].trigger()
    assert window_color().lightness() > 200
    assert window.editor.problem.styleSheet() == f"color: {theme.LIGHT.error};"


def test_following_the_system_switches_with_it(window: MainWindow) -> None:
    assert theme.chosen() == "system"
    hints = QGuiApplication.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window_color().lightness() < 60 and theme.colors().dark
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert window_color().lightness() > 200 and not theme.colors().dark
    # A choice of the writer's wins over the system's.
    theme.choose("dark")
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert theme.colors().dark


HIGH_DPI = """
import json, sys, tempfile
from pathlib import Path
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.app import build_window
from desktop.ui.application import make_application
app = make_application()
with tempfile.TemporaryDirectory() as folder:
    store = Store(open_database(Path(folder) / "gravy.db"))
    store.create_template("Welcome", content="<p>Dear [[name]],</p><ul><li>one</li></ul>")
    window = build_window(store, start_sync=False)
    window.resize(1000, 640)
    window.show()
    app.processEvents()
    shot = window.grab()
    shot.save(sys.argv[1])
    print(json.dumps({
        "ratio": shot.devicePixelRatio(),
        "logical": [window.width(), window.height()],
        "pixels": [shot.width(), shot.height()],
        "title_height": window.editor.title.height(),
        "title_hint": window.editor.title.sizeHint().height(),
        "font_px": window.editor.title.fontMetrics().height(),
    }))
    window.close()
    store.database.close()
"""


def test_the_window_at_twice_the_pixel_density(tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    results = {}
    for scale in ("1", "2"):
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
        env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        shot = SCREENSHOTS / f"main_window_scale_{scale}.png"
        done = subprocess.run(
            [sys.executable, "-c", HIGH_DPI, str(shot)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parents[2],
        )
        assert done.returncode == 0, done.stderr
        results[scale] = json.loads(done.stdout.strip().splitlines()[-1])
    normal, double = results["1"], results["2"]
    assert double["ratio"] == 2.0
    assert double["logical"] == normal["logical"] == [1000, 640]
    assert double["pixels"] == [2000, 1280], "painted at full resolution, not upscaled"
    # The same layout in logical pixels: nothing clipped or squeezed at 2x.
    assert double["title_height"] == normal["title_height"] >= normal["title_hint"]
    assert double["font_px"] == normal["font_px"]


def test_widgets_deleted_before_the_appearance_changes_are_skipped(qtbot: QtBot) -> None:

    gone = QLabel("gone")
    theme.style(gone, "color: {error};")
    kept = QLabel("kept")
    qtbot.addWidget(kept)
    theme.style(kept, "color: {error};")

    document = QTextDocument()
    highlighter = VariableHighlighter(document)
    shiboken6.delete(gone)  # as Qt does with a closed window's children
    shiboken6.delete(highlighter)
    theme.apply("dark")
    assert kept.styleSheet() == f"color: {theme.DARK.error};"
