"""One icon set on the sidebar, toolbar and buttons, following light and dark (issue 15)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QToolButton

from desktop.ui import theme
from desktop.ui.main import MainWindow
from tests.ui.helpers import shoot


def _ink(window: MainWindow) -> QColor:
    """The darkest (light theme) or lightest (dark theme) pixel of the Templates icon."""
    image = window.sidebar.item(0).icon().pixmap(QSize(32, 32)).toImage()
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    opaque = [
        image.pixelColor(x, y)
        for x in range(32)
        for y in range(32)
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert opaque, "the icon paints something"
    return opaque[0]


def test_sidebar_toolbar_and_buttons_have_icons_that_follow_the_theme(
    window: MainWindow,
) -> None:
    for row in range(window.sidebar.count()):
        assert not window.sidebar.item(row).icon().isNull()
    editor = window.editor
    for name in ("bold", "h1", "link", "populate", "history"):
        assert not editor.actions_by_name[name].icon().isNull()
    bold = editor.toolbar.widgetForAction(editor.actions_by_name["bold"])
    populate = editor.toolbar.widgetForAction(editor.actions_by_name["populate"])
    assert isinstance(bold, QToolButton) and isinstance(populate, QToolButton)
    assert bold.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    assert populate.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    assert populate.font().bold(), "Populate stands out"
    assert not window.new_button.icon().isNull() and not window.sync_button.icon().isNull()

    theme.choose("light")
    light = _ink(window)
    theme.choose("dark")
    dark = _ink(window)
    shoot(window, "icons_dark")
    theme.choose("light")
    assert light.lightness() < 110 < dark.lightness(), (light.name(), dark.name())


def test_painting_icons_keeps_none_alive(window: MainWindow) -> None:
    """Icons are painted on every repaint of the toolbar and sidebar: the references to
    None that PySide6 6.12 drops on CPython 3.11 leave it far from zero (desktop/ui/immortal.py;
    else a long session aborts)."""
    import sys

    before = sys.getrefcount(None)
    for _ in range(30):
        window.editor.toolbar.repaint()
        window.sidebar.viewport().repaint()
        window.sidebar.item(0).icon().pixmap(QSize(24, 24))
    assert sys.getrefcount(None) > 2**31, (before, sys.getrefcount(None))
