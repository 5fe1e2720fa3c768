"""Light and dark appearance, following the system unless the writer picks one (View >
Appearance, remembered).

Where the platform already paints dark when the system is dark (Windows 11, macOS, most
Linux desktops through their portal), the platform's palette is kept. Where the system
says dark but the palette is still light (Fusion on some Linux set-ups), or the writer
asks for dark, the app uses Fusion with its own dark palette. The few colours the app
paints itself (banners, problems, highlighted variables, diffs, sync badges) come from
:func:`colors`, chosen for a contrast of at least 4.5:1 on either background, and
widgets styled through :func:`style` are restyled when the appearance changes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QRectF, QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionComplex,
    QWidget,
)

APPEARANCES = ("system", "light", "dark")
SETTING = "view/appearance"


@dataclass(frozen=True)
class Colors:
    dark: bool
    warning_bg: str
    warning_fg: str
    error: str
    hint: str  # secondary text, such as "Saved"
    variable_bg: QColor
    variable_fg: QColor
    added_bg: str
    removed: str
    pending: QColor
    in_flight: QColor
    failed: QColor
    conflict: QColor


LIGHT = Colors(
    dark=False,
    warning_bg="#fff3cd",
    warning_fg="#664d03",
    error="#b02a37",
    hint="#5c636a",
    variable_bg=QColor(255, 214, 102, 110),
    variable_fg=QColor(138, 74, 0),
    added_bg="#d1f2d9",
    removed="#b02a37",
    pending=QColor(108, 117, 125),
    in_flight=QColor(13, 110, 253),
    failed=QColor(176, 42, 55),
    conflict=QColor(160, 82, 0),
)
DARK = Colors(
    dark=True,
    warning_bg="#4d3d0b",
    warning_fg="#ffe69c",
    error="#f1868f",
    hint="#adb5bd",
    variable_bg=QColor(255, 193, 7, 60),
    variable_fg=QColor(255, 208, 120),
    added_bg="#1d4d2e",
    removed="#f1868f",
    pending=QColor(173, 181, 189),
    in_flight=QColor(110, 168, 254),
    failed=QColor(241, 134, 143),
    conflict=QColor(255, 176, 90),
)


def _dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#202124"),
        (roles.WindowText, "#e8eaed"),
        (roles.Base, "#17181a"),
        (roles.AlternateBase, "#26282b"),
        (roles.ToolTipBase, "#2d2f33"),
        (roles.ToolTipText, "#e8eaed"),
        (roles.PlaceholderText, "#9aa0a6"),
        (roles.Text, "#e8eaed"),
        (roles.Button, "#2b2d31"),
        (roles.ButtonText, "#e8eaed"),
        (roles.BrightText, "#ffffff"),
        (roles.Light, "#3c3f44"),
        (roles.Midlight, "#33363a"),
        (roles.Mid, "#5f6368"),
        (roles.Dark, "#121314"),
        (roles.Shadow, "#000000"),
        (roles.Highlight, "#3d7bd9"),
        (roles.HighlightedText, "#ffffff"),
        (roles.Link, "#8ab4f8"),
        (roles.LinkVisited, "#c58af9"),
    ):
        palette.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c8086"))
    palette.setColor(QPalette.ColorGroup.Disabled, roles.Base, QColor("#1d1e20"))
    return palette


#: Field borders and check boxes in the dark palette: 4.9:1 on the field colour, 4.4:1 on
#: the window's (Fusion draws them a little darker than the window: 1.0:1, invisible).
DARK_OUTLINE = "#80868b"


class _OutlinedFusion(QProxyStyle):
    """Fusion, with the borders of fields and check boxes drawn in :data:`DARK_OUTLINE`
    (used with the app's own dark palette). A focused field keeps Fusion's highlight."""

    _OUTLINED = (
        QStyle.PrimitiveElement.PE_FrameLineEdit,
        QStyle.PrimitiveElement.PE_IndicatorCheckBox,
        QStyle.PrimitiveElement.PE_IndicatorRadioButton,
        QStyle.PrimitiveElement.PE_Frame,
    )

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        self._draw(element, option, painter, widget)

    def drawComplexControl(
        self,
        control: QStyle.ComplexControl,
        option: QStyleOptionComplex,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        """A spin box's frame is part of the control, not a primitive: outlined here (the
        settings' "Sync every" had no border in dark)."""
        super().drawComplexControl(control, option, painter, widget)
        if control == QStyle.ComplexControl.CC_SpinBox and not (
            option.state & QStyle.StateFlag.State_HasFocus
        ):
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QColor(DARK_OUTLINE))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
            painter.restore()

    def _draw(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in self._OUTLINED or option.state & QStyle.StateFlag.State_HasFocus:
            return
        if element == QStyle.PrimitiveElement.PE_Frame and not isinstance(
            widget, QAbstractScrollArea
        ):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QColor(DARK_OUTLINE))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.drawEllipse(QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5))
        else:
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
        painter.restore()


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


_current = LIGHT
_styled: weakref.WeakKeyDictionary[QWidget, str] = weakref.WeakKeyDictionary()
_listeners: list[weakref.WeakMethod[Callable[[], None]]] = []
_platform: tuple[str, QPalette] | None = None  # the style and palette the app started with


def colors() -> Colors:
    return _current


def style(widget: QWidget, sheet: str) -> None:
    """Give ``widget`` a style sheet written with :class:`Colors` fields (``{error}``), kept
    current when the appearance changes."""
    _styled[widget] = sheet
    widget.setStyleSheet(sheet.format(**_current.__dict__))


def on_change(method: Callable[[], None]) -> None:
    """Call a bound ``method`` after each change of appearance (while its object lives)."""
    _listeners.append(weakref.WeakMethod(method))


def chosen() -> str:
    value = QSettings().value(SETTING, "system")
    return value if value in APPEARANCES else "system"


def apply(appearance: str | None = None, system: Qt.ColorScheme | None = None) -> Colors:
    """Apply ``appearance`` ("system", "light" or "dark"; the remembered choice when None);
    ``system`` is the system's colour scheme when known (from its change signal)."""
    global _current, _platform
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if _platform is None:
        _platform = (app.style().name(), QPalette(app.palette()))
    appearance = appearance or chosen()
    if system is None:
        system = QGuiApplication.styleHints().colorScheme()
    style_name, platform_palette = _platform
    if appearance == "system":
        want_dark = (
            system == Qt.ColorScheme.Dark
            if system != Qt.ColorScheme.Unknown
            else _is_dark(platform_palette)
        )
    else:
        want_dark = appearance == "dark"
    if want_dark and not _is_dark(platform_palette):
        app.setStyle(_OutlinedFusion())
        app.setPalette(_dark_palette())
    elif not want_dark and _is_dark(platform_palette):
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(app.style().standardPalette())
    else:
        if app.style().name().lower() != style_name.lower() or isinstance(
            app.style(), _OutlinedFusion
        ):
            app.setStyle(QStyleFactory.create(style_name))
        app.setPalette(platform_palette)
    _current = DARK if _is_dark(app.palette()) else LIGHT
    # A Python wrapper can outlive its widget (Qt deleted it with its window): skip those.
    for widget, sheet in list(_styled.items()):
        if shiboken6.isValid(widget):
            widget.setStyleSheet(sheet.format(**_current.__dict__))
        else:
            del _styled[widget]
    for reference in list(_listeners):
        method = reference()
        if method is None or not shiboken6.isValid(method.__self__):  # type: ignore[attr-defined]
            _listeners.remove(reference)
        else:
            method()
    return _current


def choose(appearance: str) -> Colors:
    """The writer's choice from the View menu: applied and remembered."""
    QSettings().setValue(SETTING, appearance)
    return apply(appearance)


_following = False


def follow_system() -> None:
    """Re-apply when the system switches between light and dark (once per process)."""
    global _following
    if not _following:
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(lambda scheme: apply(None, scheme))
        _following = True


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours."""

    def luminance(color: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(color.redF())
            + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
