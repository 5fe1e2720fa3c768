"""Painting in the dark appearance keeps None alive: its style's Python override of
``drawPrimitive`` runs for every frame and check box painted, and PySide6 6.12 on CPython
3.11 drops a reference to None on each void call it makes (the interpreter aborts with
"deallocating None" once they are used up: minutes of use in dark)."""

from __future__ import annotations

import sys

from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui import theme
from desktop.ui.main import MainWindow


def test_repainting_the_window_in_dark_keeps_none_alive(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    for number in range(30):
        store.create_template(f"Row {number}", content="<p>text</p>", category="c")
    theme.apply("dark")
    try:
        window.resize(900, 900)
        window.repaint()
        before = sys.getrefcount(None)
        for _ in range(20):
            window.repaint()
        assert sys.getrefcount(None) >= before - 20, (before, sys.getrefcount(None))
    finally:
        theme.apply("light")


def test_a_spin_box_has_a_border_in_dark(qtbot: QtBot) -> None:
    """The settings' "Sync every" is a spin box: its frame is drawn with the control, not
    as the primitive the dark style outlines, and was invisible (1.0:1)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QSpinBox, QVBoxLayout, QWidget

    from tests.ui.test_layout import border_contrast

    theme.apply("dark")
    try:
        host = QWidget()
        qtbot.addWidget(host)
        spin = QSpinBox()
        QVBoxLayout(host).addWidget(spin)
        host.resize(300, 60)
        host.show()
        qtbot.waitExposed(host)
        window = host.palette().color(QPalette.ColorRole.Window)
        image = spin.grab().toImage()
        middle = spin.height() // 2
        edge = [QPoint(x, middle) for x in range(3)]
        assert border_contrast(image, edge, window) >= 3.0
    finally:
        theme.apply("light")


def test_a_radio_button_can_be_seen_in_dark(qtbot: QtBot) -> None:
    """The settings' credential choices are radio buttons: unchecked, their circle was
    barely drawn in dark."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import (
        QRadioButton,
        QStyle,
        QStyleOptionButton,
        QVBoxLayout,
        QWidget,
    )

    from tests.ui.test_layout import border_contrast

    theme.apply("dark")
    try:
        host = QWidget()
        qtbot.addWidget(host)
        radio = QRadioButton("AWS profile")
        QVBoxLayout(host).addWidget(radio)
        host.show()
        qtbot.waitExposed(host)
        window = host.palette().color(QPalette.ColorRole.Window)
        option = QStyleOptionButton()
        option.initFrom(radio)
        circle = radio.style().subElementRect(
            QStyle.SubElement.SE_RadioButtonIndicator, option, radio
        )
        image = radio.grab().toImage()
        y = circle.center().y()
        edge = [QPoint(circle.left() + dx, y) for dx in range(4)]
        assert border_contrast(image, edge, window) >= 3.0
    finally:
        theme.apply("light")


def test_the_toolbar_overflow_button_can_be_seen_in_dark(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    """At 900x600 formatting goes into the toolbar's overflow menu, whose button Qt drew
    dark grey on dark."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QToolButton

    from tests.ui.helpers import open_template

    store.create_template("Letter", content="<p>Hi</p>")
    window.model.reload()
    open_template(window, "Letter")
    theme.apply("dark")
    try:
        window.resize(900, 600)
        qtbot.waitUntil(lambda: window.width() == 900)
        toolbar = window.editor.toolbar
        qtbot.waitUntil(
            lambda: toolbar.palette().color(QPalette.ColorRole.Window).lightness() < 128
        )
        overflow = window.editor.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        assert overflow is not None
        qtbot.waitUntil(overflow.isVisible)
        image = overflow.grab().toImage()
        background = image.pixelColor(0, 0)  # the toolbar behind the glyph
        best = max(
            theme.contrast(image.pixelColor(x, y), background)
            for x in range(image.width())
            for y in range(image.height())
        )
        assert best >= 4.5, best
    finally:
        theme.apply("light")
