"""Quick Fill's palette through its keys: search, Enter, fill, Enter pastes; Escape leaves
everything as it was. The paste keys are recorded here (the X journey test sends real ones:
tests/journeys/test_quick_fill.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.store import quickfill as data
from desktop.store.services import Store
from desktop.ui import theme
from desktop.ui.hotkey import pynput_hotkey
from desktop.ui.main import MainWindow
from desktop.ui.quickfill import (
    RESTORE_DELAY_MS,
    TRAY_SETTING,
    QuickFill,
    QuickFillSettings,
    shortcut_setting,
)
from desktop.ui.single_instance import MessageServer
from desktop.ui.tray import Tray
from tests.ui.helpers import shoot

LETTER = (
    "<p>Dear [[client]], your order of [[date]] ships [[speed|today|tomorrow]].</p><p>[[sign]]</p>"
)


class Recorder:
    """Stands for the paste keystroke: notes what the clipboard held when it was sent."""

    def __init__(self) -> None:
        self.pasted: list[tuple[str, str]] = []

    def __call__(self) -> bool:
        mime = QGuiApplication.clipboard().mimeData()
        self.pasted.append((mime.text(), mime.html()))
        return True


@pytest.fixture
def keys() -> Recorder:
    return Recorder()


@pytest.fixture
def quick_fill(qtbot: QtBot, store: Store, keys: Recorder) -> QuickFill:
    quick_fill = QuickFill(store, paste_keys=keys)
    qtbot.addWidget(quick_fill.palette)
    return quick_fill


def set_clipboard(text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)


def test_find_fill_with_a_preset_and_typing_then_enter_pastes_and_restores_the_clipboard(
    qtbot: QtBot, store: Store, quick_fill: QuickFill, keys: Recorder
) -> None:
    letter = store.create_template("Order shipped", content=LETTER)
    store.create_template("Invoice", content="<p>Pay [[amount]]</p>")
    store.create_preset("Ann", values={"sign": "Ann, Gravy Ltd"})
    set_clipboard("what the writer had copied")
    quick_fill.show_palette()
    palette = quick_fill.palette
    qtbot.waitUntil(lambda: QApplication.focusWidget() is palette.search)
    qtbot.keyClicks(palette.search, "ship")
    assert palette.results.item(0).text() == "Order shipped"
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert palette.pages.currentIndex() == 1
    client = palette.inputs["client"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is client)  # the first empty field
    qtbot.keyClick(palette.preset, Qt.Key.Key_Down)  # the preset fills the signature
    assert palette.values()["sign"] == "Ann, Gravy Ltd"
    qtbot.keyClicks(palette.inputs["client"], "Mr Smith")
    with qtbot.waitSignal(quick_fill.pasted, timeout=3000):
        qtbot.keyClick(palette.inputs["client"], Qt.Key.Key_Return)
    today = date.today().isoformat()
    (text, html) = keys.pasted[0]
    assert text == f"Dear Mr Smith, your order of {today} ships today.\nAnn, Gravy Ltd"
    assert "<p>Dear Mr Smith, your order of" in html
    assert not palette.isVisible()
    qtbot.waitUntil(
        lambda: QGuiApplication.clipboard().text() == "what the writer had copied", timeout=3000
    )
    assert store.get_template(letter.templateId).usageCount == 1
    assert data.last_values(store)["client"] == "Mr Smith"
    assert data.recent_template_ids(store) == [letter.templateId]


def test_the_next_fill_offers_the_values_used_last_time(
    qtbot: QtBot, store: Store, quick_fill: QuickFill
) -> None:
    store.create_template("Order shipped", content=LETTER)
    data.remember_values(store, {"client": "ACME", "speed": "tomorrow", "sign": "Bo"})
    quick_fill.show_palette()
    qtbot.keyClick(quick_fill.palette.search, Qt.Key.Key_Return)
    values = quick_fill.palette.values()
    assert (values["client"], values["speed|today|tomorrow"], values["sign"]) == (
        "ACME",
        "tomorrow",
        "Bo",
    )
    assert values["date"] == date.today().isoformat()


@pytest.mark.parametrize("where", ["search", "form"])
def test_escape_leaves_everything_as_it_was(
    qtbot: QtBot, store: Store, quick_fill: QuickFill, keys: Recorder, where: str
) -> None:
    letter = store.create_template("Order shipped", content=LETTER)
    set_clipboard("kept")
    quick_fill.show_palette()
    palette = quick_fill.palette
    focused = palette.search
    if where == "form":
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
        focused = palette.inputs["client"]  # type: ignore[assignment]
        qtbot.keyClicks(focused, "typed")
    qtbot.keyClick(focused, Qt.Key.Key_Escape)
    assert not palette.isVisible()
    qtbot.wait(50)
    assert keys.pasted == []
    assert QGuiApplication.clipboard().text() == "kept"
    assert store.get_template(letter.templateId).usageCount == 0
    assert data.last_values(store) == {}


def test_favourites_come_first_and_arrows_choose_a_template_without_variables(
    qtbot: QtBot, store: Store, quick_fill: QuickFill, keys: Recorder
) -> None:
    store.create_template("Thanks", content="<p>Thank you!</p>")
    store.create_template("Apology", content="<p>Sorry!</p>")
    favourite = store.create_template("Welcome", content="<p>Welcome aboard</p>")
    data.set_favourite(store, favourite.templateId, True)
    quick_fill.show_palette()
    palette = quick_fill.palette
    shown = [palette.results.item(row).text() for row in range(palette.results.count())]
    assert shown[0] == "★ Welcome" and sorted(shown[1:]) == ["Apology", "Thanks"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    chosen = palette.results.currentItem().text()
    with qtbot.waitSignal(quick_fill.pasted, timeout=3000):
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)  # no variables: pasted at once
    assert keys.pasted[0][0] == {"Apology": "Sorry!", "Thanks": "Thank you!"}[chosen]


def test_the_shortcut_setting_is_typed_as_keys_and_rebinds(
    qtbot: QtBot, quick_fill: QuickFill
) -> None:
    box = QuickFillSettings()
    qtbot.addWidget(box)
    assert box.shortcut.keySequence().toString() == "Ctrl+Alt+Space"
    box.shortcut.clear()
    qtbot.keyClick(box.shortcut, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(box.shortcut, Qt.Key.Key_Return)  # ends the recording
    box.save()
    assert shortcut_setting() == "Ctrl+K"
    assert quick_fill.shortcut.sequence == "Ctrl+K"
    assert "fill" in box.command.text()


def test_shortcuts_in_pynputs_words() -> None:
    assert pynput_hotkey("Ctrl+Alt+Space") == "<ctrl>+<alt>+<space>"
    assert pynput_hotkey("Meta+Shift+K") == "<cmd>+<shift>+k"
    assert pynput_hotkey("Ctrl+F12") == "<ctrl>+<f12>"


def test_gravy_desktop_fill_shows_the_palette_of_the_running_window(
    qtbot: QtBot, store: Store, quick_fill: QuickFill, tmp_path: Path
) -> None:
    path = store.database.path
    server = MessageServer(path)
    server.fill_requested.connect(lambda: quick_fill.show_palette())
    assert server.listen()
    command = [sys.executable, "-m", "desktop", "--db", str(path), "fill"]
    with qtbot.waitSignal(server.fill_requested, timeout=10_000):
        process = subprocess.Popen(command)
        qtbot.waitUntil(lambda: process.poll() is not None, timeout=10_000)
    assert process.returncode == 0
    assert quick_fill.palette.isVisible()
    server.close()
    other = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(tmp_path / "none.db"), "fill"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert other.returncode == 1 and "not running" in other.stdout


def test_the_tray_offers_quick_fill_recent_templates_the_sync_status_and_quit(
    qtbot: QtBot, store: Store, window: MainWindow, quick_fill: QuickFill
) -> None:
    used = store.create_template("Used one", content="<p>Hi [[who]]</p>")
    store.record_use(used.templateId)
    QSettings().setValue(TRAY_SETTING, "true")
    tray = Tray(window, quick_fill)
    tray.fill_action.trigger()
    assert quick_fill.palette.isVisible() and quick_fill.palette.pages.currentIndex() == 0
    quick_fill.palette.hide()
    tray.recent.aboutToShow.emit()
    (recent,) = tray.recent.actions()
    assert recent.text() == "Used one"
    recent.trigger()
    assert quick_fill.palette.pages.currentIndex() == 1
    assert list(quick_fill.palette.inputs) == ["who"]
    window.sync.refresh()
    assert tray.status.text().startswith("Sync: ")
    quit_action = next(a for a in tray.menu.actions() if a.text() == "Quit")
    quit_action.trigger()  # File > Quit and the tray's Quit end the app, tray or not
    assert not window.isVisible() and not quick_fill.palette.isVisible()


@pytest.mark.parametrize("appearance", ["light", "dark"])
def test_the_palette_reads_in_light_and_dark(
    qtbot: QtBot, store: Store, quick_fill: QuickFill, appearance: str
) -> None:
    """Saves screenshots/quick_fill_{search,form}_{light,dark}.png (the README's pictures)."""
    favourite = store.create_template("Order shipped", content=LETTER, category="mail")
    data.set_favourite(store, favourite.templateId, True)
    store.create_template("Invoice overdue", content="<p>Please pay [[amount|100 EUR]]</p>")
    store.create_preset("Ann at Gravy", values={"sign": "Ann, Gravy Ltd"})
    theme.choose(appearance)
    quick_fill.show_palette()
    palette = quick_fill.palette

    def window_colour() -> QColor:
        return palette.palette().color(QPalette.ColorRole.Window)

    # A hidden widget takes the new palette when it is next shown, from the event queue.
    qtbot.waitUntil(lambda: (window_colour().lightness() < 80) == (appearance == "dark"))
    qtbot.keyClicks(palette.search, "o")
    shoot(palette, f"quick_fill_search_{appearance}")
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    qtbot.keyClicks(palette.inputs["client"], "Mr Smith")
    shot = shoot(palette, f"quick_fill_form_{appearance}")
    text = palette.palette().color(QPalette.ColorRole.WindowText)
    assert theme.contrast(text, window_colour()) >= 4.5
    image = QImage(str(shot))
    inside = image.pixelColor(image.width() // 2, image.height() - 4)  # the frame's fill
    assert (inside.lightness() < 80) == (appearance == "dark")


@pytest.fixture(autouse=True)
def _platform_appearance_afterwards() -> Iterator[None]:
    yield
    theme.apply("system", Qt.ColorScheme.Unknown)


def test_ctrl_d_makes_the_chosen_result_a_favourite_listed_first(
    qtbot: QtBot, store: Store, quick_fill: QuickFill
) -> None:
    store.create_template("Apology", content="<p>Sorry</p>")
    thanks = store.create_template("Thanks", content="<p>Thank you</p>")
    quick_fill.show_palette()
    palette = quick_fill.palette
    qtbot.keyClicks(palette.search, "thanks")
    qtbot.keyClick(palette.search, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert store.get_template(thanks.templateId).isFavorite
    assert palette.search.text() == "thanks"  # the key was not typed
    palette.search.clear()
    assert palette.results.item(0).text() == "★ Thanks"
    qtbot.keyClick(palette.search, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert not store.get_template(thanks.templateId).isFavorite


def test_where_no_paste_keys_can_be_sent_the_result_stays_on_the_clipboard(
    qtbot: QtBot, store: Store
) -> None:
    """Wayland: the writer presses Ctrl+V, so the previous clipboard must not come back."""
    store.create_template("Thanks", content="<p>Thank you, [[name]]</p>")
    quick_fill = QuickFill(store, paste_keys=lambda: False)
    qtbot.addWidget(quick_fill.palette)
    set_clipboard("before")
    quick_fill.show_palette()
    qtbot.keyClick(quick_fill.palette.search, Qt.Key.Key_Return)
    qtbot.keyClicks(quick_fill.palette.inputs["name"], "Ann")
    with qtbot.waitSignal(quick_fill.pasted, timeout=3000):
        qtbot.keyClick(quick_fill.palette.inputs["name"], Qt.Key.Key_Return)
    qtbot.wait(RESTORE_DELAY_MS + 300)
    assert QGuiApplication.clipboard().text() == "Thank you, Ann"


def test_a_click_in_another_window_closes_the_palette(
    qtbot: QtBot, store: Store, window: MainWindow, quick_fill: QuickFill, keys: Recorder
) -> None:
    store.create_template("Thanks", content="<p>Thank you</p>")
    quick_fill.show_palette()
    palette = quick_fill.palette
    qtbot.waitUntil(palette.isActiveWindow)
    qtbot.mouseClick(window.search, Qt.MouseButton.LeftButton)
    window.activateWindow()  # offscreen, a click does not activate a window by itself
    qtbot.waitUntil(lambda: not palette.isVisible())
    assert keys.pasted == []


def test_the_clipboard_field_starts_with_what_was_copied_and_choices_can_be_changed(
    qtbot: QtBot, store: Store, quick_fill: QuickFill, keys: Recorder
) -> None:
    store.create_template("Quote", content="<p>[[clipboard]] ([[tone|formal|friendly]])</p>")
    set_clipboard("a copied line")
    quick_fill.show_palette()
    palette = quick_fill.palette
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    clipboard = palette.inputs["clipboard"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is clipboard)
    qtbot.keyClick(clipboard, Qt.Key.Key_Tab)
    tone = QApplication.focusWidget()
    assert tone is palette.inputs["tone|formal|friendly"]
    qtbot.keyClick(tone, Qt.Key.Key_Down)  # the next choice
    with qtbot.waitSignal(quick_fill.pasted, timeout=3000):
        qtbot.keyClick(tone, Qt.Key.Key_Return)
    assert keys.pasted[0][0] == "a copied line (friendly)"
    assert data.last_values(store) == {"tone": "friendly"}  # built-ins are not remembered
