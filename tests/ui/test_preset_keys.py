"""The preset editor driven by keys: a new variable's name, Tab, its value, Tab, on to the
next control; no keystroke lands in another row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.helpers import shoot


def _focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the focus"
    return widget


def test_a_new_variable_is_typed_name_tab_value_and_touches_no_other_row(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    preset = store.create_preset("Acme", values={"company": "Acme Ltd", "city": "Leeds"})
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.show_section(2)
    presets = window.presets
    presets.list.setCurrentIndex(presets.model.index(presets.model.rowCount() - 1))  # the only one
    form = presets.form
    assert form.record_id == preset.presetId
    qtbot.mouseClick(form.add_row, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.table.state() == form.table.State.EditingState)
    qtbot.keyClicks(_focused(), "country")
    qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    assert (form.table.currentRow(), form.table.currentColumn()) == (2, 1)
    qtbot.waitUntil(lambda: form.table.state() == form.table.State.EditingState)
    qtbot.keyClicks(_focused(), "UK")
    qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    assert _focused() is form.add_row, "Tab from the last value leaves the table"
    assert form.values()["values"] == {"company": "Acme Ltd", "city": "Leeds", "country": "UK"}
    qtbot.waitUntil(lambda: store.get_preset(preset.presetId).values.get("country") == "UK")
    assert store.get_preset(preset.presetId).values == {
        "company": "Acme Ltd",
        "city": "Leeds",
        "country": "UK",
    }
    shoot(window, "preset_new_variable")
    # Shift+Tab goes back through the row: into the value, then the name.
    qtbot.keyClick(_focused(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert _focused() is form.table or form.table.isAncestorOf(_focused())
    assert (form.table.currentRow(), form.table.currentColumn()) == (2, 1)


def test_an_autosave_while_typing_a_value_keeps_the_cell_being_edited(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    preset = store.create_preset("Acme", values={"company": "Acme Ltd"})
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.show_section(2)
    qtbot.keyClick(window.presets.search, Qt.Key.Key_Down)  # to the list, its first preset
    form = window.presets.form
    assert form.record_id == preset.presetId
    qtbot.mouseClick(form.add_row, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(_focused(), "zip")
    qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    # The name is saved (and the section reloads) while the value's editor is open.
    qtbot.waitUntil(lambda: "zip" in store.get_preset(preset.presetId).values)
    qtbot.keyClicks(_focused(), "LS1")
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: store.get_preset(preset.presetId).values.get("zip") == "LS1")
    assert store.get_preset(preset.presetId).values == {"company": "Acme Ltd", "zip": "LS1"}
