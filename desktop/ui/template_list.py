"""How the template list looks: each row paints its title, a line of preview, its category
and when it was edited, with a favourite star, from the model's roles (a delegate, so
10,000 rows stay one ``QListView`` with uniform row heights); and what an empty list says.

The preview is the start of the content as plain text. The store cuts the content in SQL
(``Store.template_previews``), one query per page of the list; tags are stripped here
with one regular expression, which keeps a page of 200 rows well under a millisecond each.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop import domain
from desktop.ui import words

ModelIndex = QModelIndex | QPersistentModelIndex

IdRole = Qt.ItemDataRole.UserRole + 1
BadgeRole = Qt.ItemDataRole.UserRole + 2
PreviewRole = Qt.ItemDataRole.UserRole + 3
CategoryRole = Qt.ItemDataRole.UserRole + 4
EditedRole = Qt.ItemDataRole.UserRole + 5
FavoriteRole = Qt.ItemDataRole.UserRole + 6
TitleRole = Qt.ItemDataRole.UserRole + 7

#: The list's orders, as the sort box names them (values: ``Store.TEMPLATE_ORDERS``).
ORDERS = (("Recently edited", "recent"), ("Title", "title"), ("Most used", "used"))
#: The list's views: every template, the favourites, the recently used.
VIEWS = (("All templates", "all"), ("Favourites", "favourites"), ("Recently used", "recent"))

_TAG = re.compile(r"<[^>]*>|<[^>]*$")
_SPACE = re.compile(r"\s+")
PREVIEW_CHARS = 160
STAR, NO_STAR = "\u2605", "\u2606"
#: Below this width (px) a row says "2 h ago" without "edited" (at 900x600 the titles
#: were cut to "Meeting ..." beside "edited just now").
NARROW_ROW = 300


def plain_preview(content: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of an HTML content as one line of plain text."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", content))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def role_data(template: domain.TemplateSummary, role: int, previews: dict[str, str]) -> Any:
    """The roles the delegate paints from (None for a role not listed here)."""
    if role == TitleRole:
        return template.title
    if role == PreviewRole:
        return previews.get(template.templateId, "")
    if role == CategoryRole:
        return template.category
    if role == EditedRole:
        return f"edited {words.ago(template.updatedAt)}" if template.updatedAt else ""
    if role == FavoriteRole:
        return template.isFavorite
    return None


def _data(index: ModelIndex, role: int) -> Any:
    """A role's value read in Python from the model. Not ``index.data(role)``: PySide6
    6.12 drops a reference to None each time that returns None from a Python model, and
    painting 10,000 rows crashes the interpreter ("deallocating None")."""
    model = index.model()
    return model.data(index, role) if model is not None else None


class TemplateDelegate(QStyledItemDelegate):
    """Two lines a row: star, title and "edited 2 h ago"; the preview, then the category.
    A click on the star toggles the favourite (``favourite_clicked`` with the id)."""

    favourite_clicked = Signal(str)
    PAD = 8

    def _metrics(self, option: QStyleOptionViewItem) -> tuple[int, int]:
        line = option.fontMetrics.height()
        return line, self.PAD

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        line, pad = self._metrics(option)
        # No width of its own: a row is as wide as the list (at 240 a 220 px list in a
        # 900 px window scrolled sideways and cut "edited 2 h ago" and the category off).
        return QSize(1, 2 * line + 2 * pad + 4)

    def _star_rect(self, option: QStyleOptionViewItem) -> QRect:
        line, pad = self._metrics(option)
        rect: QRect = option.rect
        return QRect(rect.left() + pad - 2, rect.top() + pad - 2, line + 4, line + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        text_role = QPalette.ColorRole.Text
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        option.text = ""
        if style is not None:  # the background, selection and focus as the style draws them
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        palette: QPalette = option.palette
        if selected:
            text_role = QPalette.ColorRole.HighlightedText
        ink = palette.color(text_role)
        muted = QColor(ink)
        muted.setAlphaF(0.62)
        line, pad = self._metrics(option)
        rect: QRect = option.rect.adjusted(pad, pad, -pad, -pad)
        painter.save()
        star = self._star_rect(option)
        favourite = bool(_data(index, FavoriteRole))
        painter.setPen(QColor("#e0a100") if favourite else muted)
        painter.drawText(star, Qt.AlignmentFlag.AlignCenter, STAR if favourite else NO_STAR)
        left = star.right() + 4
        edited = str(_data(index, EditedRole) or "")
        if rect.width() < NARROW_ROW:  # the title needs the room more than the word
            edited = edited.removeprefix("edited ")
        small: QFont = QFont(option.font)
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.88))
        painter.setFont(small)
        edited_width = painter.fontMetrics().horizontalAdvance(edited) + 2
        painter.setPen(muted)
        top = QRect(left, rect.top(), rect.right() - left, line)
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, edited)
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        badge = str(_data(index, Qt.ItemDataRole.DisplayRole) or "")
        title = str(_data(index, TitleRole) or "")
        # Only what needs the writer (failed, conflict): "waiting" is the status bar's count.
        loud = str(_data(index, BadgeRole) or "") in ("failed", "conflict")
        mark = badge[: badge.index(title)].strip() if loud and title in badge else ""
        foreground = _data(index, Qt.ItemDataRole.ForegroundRole)
        painter.setPen(foreground if isinstance(foreground, QColor) and not selected else ink)
        title_rect = QRect(left, rect.top(), top.width() - edited_width - 8, line)
        shown = f"{mark} {title}".strip() if mark else title
        painter.drawText(
            title_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(
                shown, Qt.TextElideMode.ElideRight, title_rect.width()
            ),
        )
        painter.setFont(small)
        category = str(_data(index, CategoryRole) or "")
        second = QRect(left, rect.top() + line + 4, rect.right() - left, line)
        category_width = 0
        if category:
            chip = painter.fontMetrics().elidedText(category, Qt.TextElideMode.ElideRight, 120)
            category_width = painter.fontMetrics().horizontalAdvance(chip) + 12
            chip_rect = QRect(second.right() - category_width, second.top(), category_width, line)
            fill = QColor(ink)
            fill.setAlphaF(0.09)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(chip_rect, 6, 6)
            painter.setPen(muted)
            painter.drawText(chip_rect, Qt.AlignmentFlag.AlignCenter, chip)
        preview = str(_data(index, PreviewRole) or "")
        preview_rect = QRect(left, second.top(), second.width() - category_width - 8, line)
        painter.setPen(muted)
        painter.drawText(
            preview_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(
                preview or "Empty", Qt.TextElideMode.ElideRight, preview_rect.width()
            ),
        )
        painter.restore()

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: ModelIndex,
    ) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and self._star_rect(option).contains(event.position().toPoint())
        ):
            self.favourite_clicked.emit(str(_data(index, IdRole)))
            return True
        return super().editorEvent(event, model, option, index)


class TemplateListView(QListView):
    """A list that says what to do when it is empty (``empty_text``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = ""
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.viewport().update()

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            color = QColor(self.palette().color(QPalette.ColorRole.Text))
            color.setAlphaF(0.7)
            painter.setPen(color)
            area = self.viewport().rect().adjusted(24, 40, -24, -24)
            painter.drawText(
                area,
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()


class ChoicesBar(QWidget):
    """The list's view, category and order boxes: on one row where the list is wide enough
    to show their words whole, else on two or three (at 900x600, three on one row read
    "All tem", "All cate", "Recent")."""

    def __init__(self, view: QComboBox, category: QComboBox, order: QComboBox) -> None:
        super().__init__()
        self.view, self.category, self.order = view, category, order
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self._rows = 0
        self._place(1)

    def _place(self, rows: int) -> None:
        if rows == self._rows:
            return
        self._rows = rows
        for box in (self.view, self.category, self.order):
            self.grid.removeWidget(box)
        if rows == 1:
            for column, box in enumerate((self.view, self.category, self.order)):
                self.grid.addWidget(box, 0, column)
        elif rows == 2:
            self.grid.addWidget(self.view, 0, 0)
            self.grid.addWidget(self.order, 0, 1)
            self.grid.addWidget(self.category, 1, 0, 1, 2)
        else:
            for row, box in enumerate((self.view, self.order, self.category)):
                self.grid.addWidget(box, row, 0, 1, 2)

    def resizeEvent(self, event: Any) -> None:
        width, gap = event.size().width(), self.grid.horizontalSpacing()
        view, category, order = (
            b.sizeHint().width() for b in (self.view, self.category, self.order)
        )
        if width >= view + category + order + 2 * gap:
            self._place(1)
        elif width >= view + order + gap:
            self._place(2)
        else:
            self._place(3)
        super().resizeEvent(event)
