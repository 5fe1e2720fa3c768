"""Icons from one maintained set: Material Design Icons 6 (the font ``qtawesome`` ships),
drawn in the palette's text colour when painted, so they follow light and dark.

Only the font file and its name map are read, not the ``qtawesome`` package: importing it
pulls ``qtpy``, which imports QtOpenGL and more (about 450 ms measured here), where adding
the one font and reading its map takes about 15 ms, once, at the window's start.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QAbstractButton, QApplication, QToolBar, QToolButton

FONT = "materialdesignicons6-webfont-6.9.96.ttf"
CHARMAP = "materialdesignicons6-webfont-charmap-6.9.96.json"

#: Star colour for favourites, readable on light and dark.
FAVOURITE = QColor("#e0a100")


def _fonts_folder() -> Path | None:
    spec = importlib.util.find_spec("qtawesome")  # finds it without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "fonts"


@cache
def _font() -> tuple[str, dict[str, str]] | None:
    """The font's family and its name -> character map (None if the font is missing: the
    window then shows its text labels alone)."""
    folder = _fonts_folder()
    if folder is None or not (folder / FONT).is_file():
        return None
    font_id = QFontDatabase.addApplicationFont(str(folder / FONT))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    codes = json.loads((folder / CHARMAP).read_text(encoding="utf-8"))
    return families[0], {name: chr(int(code, 16)) for name, code in codes.items()}


class _GlyphEngine(QIconEngine):
    """One glyph, painted in the current palette's colour (or a fixed one)."""

    def __init__(self, family: str, char: str, color: QColor | None) -> None:
        super().__init__()
        self.family, self.char, self.color = family, char, color

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: Any) -> None:
        self._paint(painter, rect, mode)

    def _paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode) -> None:
        palette = QApplication.palette()
        if self.color is not None and mode != QIcon.Mode.Disabled:
            color = self.color
        else:
            group = (
                QPalette.ColorGroup.Disabled
                if mode == QIcon.Mode.Disabled
                else QPalette.ColorGroup.Active
            )
            role = (
                QPalette.ColorRole.HighlightedText
                if mode == QIcon.Mode.Selected
                else QPalette.ColorRole.ButtonText
            )
            color = palette.color(group, role)
        font = QFont(self.family)
        font.setPixelSize(max(8, round(rect.height() * 0.95)))
        painter.save()
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: Any) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self._paint(painter, QRect(QPoint(0, 0), size), mode)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return _GlyphEngine(self.family, self.char, self.color)


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The Material Design icon ``name`` (``"star-outline"``), or an empty icon."""
    font = _font()
    if font is None or name not in font[1]:
        return QIcon()
    return QIcon(_GlyphEngine(font[0], font[1][name], color))


#: The sidebar's sections, in order.
SECTIONS = (
    "file-document-outline",
    "text-box-multiple-outline",
    "form-textbox",
    "file-tree-outline",
    "source-branch",
    "alert-circle-outline",
)
#: The editor's toolbar: actions (icon and word), then formatting (icons only).
FORMATTING = {
    "bold": "format-bold",
    "italic": "format-italic",
    "underline": "format-underline",
    "h1": "format-header-1",
    "h2": "format-header-2",
    "paragraph": "format-paragraph",
    "bullets": "format-list-bulleted",
    "numbers": "format-list-numbered",
    "link": "link-variant",
}
#: Tooltips of the formatting buttons (they show no words).
FORMATTING_NAMES = {
    "h1": "Heading 1",
    "h2": "Heading 2",
    "paragraph": "Plain paragraph",
    "bullets": "Bulleted list",
    "numbers": "Numbered list",
}
ACTIONS = {
    "variable": "code-brackets",
    "snippet": "text-box-plus-outline",
    "populate": "auto-fix",
    "history": "history",
    "quickfill": "lightning-bolt-outline",
}
PROMINENT = ("populate", "quickfill", "history")


def decorate(window: Any) -> None:
    """Give the window's sidebar, editor toolbar and buttons their icons: Populate, Quick
    Fill and History first, with their words in bold (the writer's main actions), Variable and
    Snippet with their words, then formatting as icons alone (the words in tooltips)."""
    if _font() is None:
        return
    for row, name in enumerate(SECTIONS):
        item = window.sidebar.item(row)
        if item is not None:
            item.setIcon(icon(name))
    editor = window.editor
    toolbar: QToolBar = editor.toolbar
    toolbar.setIconSize(QSize(18, 18))
    # The writer's actions first, so a narrow window keeps them in view (formatting, not
    # they, goes into the toolbar's overflow menu).
    first = toolbar.actions()[0] if toolbar.actions() else None
    for key in ("populate", "quickfill", "history", "variable", "snippet"):
        moved = editor.actions_by_name.get(key)
        if moved is not None and first is not None:
            toolbar.insertAction(first, moved)
    if first is not None:
        toolbar.insertSeparator(first)
    if toolbar.actions() and toolbar.actions()[-1].isSeparator():
        toolbar.removeAction(toolbar.actions()[-1])
    # The overflow button of a narrow window: Qt's own arrow is dark grey on dark.
    overflow = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    if overflow is not None:
        overflow.setIcon(icon("chevron-double-right"))
        overflow.setToolTip("More formatting")
    for key, name in {**FORMATTING, **ACTIONS}.items():
        action = editor.actions_by_name.get(key)
        if action is None:
            continue
        action.setIcon(icon(name))
        if key == "variable":
            action.setText("Variable")  # the icon shows the brackets
        shortcut = action.shortcut().toString()
        label = action.text() if key in ACTIONS else FORMATTING_NAMES.get(key, key.capitalize())
        if key != "quickfill":  # its tooltip says what it does
            action.setToolTip(f"{label} ({shortcut})" if shortcut else label)
        button = toolbar.widgetForAction(action)
        if isinstance(button, QToolButton):
            button.setToolButtonStyle(
                Qt.ToolButtonStyle.ToolButtonTextBesideIcon
                if key in ACTIONS
                else Qt.ToolButtonStyle.ToolButtonIconOnly
            )
            if key in PROMINENT:
                bold = button.font()
                bold.setBold(True)
                button.setFont(bold)
    buttons: dict[str, QAbstractButton] = {
        "plus": window.new_button,
        "sync": window.sync_button,
        "undo": window._undo_button,
        "star-shooting-outline": window.samples_button,
        "open-in-new": window.failed.open_button,
        "replay": window.failed.retry_button,
        "autorenew": window.failed.retry_all_button,
        "delete-outline": window.failed.discard_button,
    }
    for name, button in buttons.items():
        button.setIcon(icon(name))
    window.search.addAction(icon("magnify"), window.search.ActionPosition.LeadingPosition)
