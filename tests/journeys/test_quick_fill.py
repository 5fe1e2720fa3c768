"""Quick Fill end to end on a real X server: another application has the focus, the global
shortcut is pressed with real X input, a template is found and filled (a preset value, a
typed value, today's date), Enter, and the text lands in that application while the
clipboard ends up holding what it held before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from desktop.app import open_store
from tests.journeys.quickfill_helpers import (
    PALETTE,
    Desktop,
    missing_tools,
    running_desktop,
    wait_for,
)

LETTER = "<p>Dear [[client]], your order left on [[date]].</p><p>[[sign]]</p>"


@pytest.fixture
def quick_fill_desktop(tmp_path: Path) -> Iterator[Desktop]:
    missing = missing_tools()
    if missing:
        pytest.fail(f"the Quick Fill journey needs {', '.join(missing)} (see tests/run)")
    with running_desktop(tmp_path) as desktop:
        store = open_store(desktop.database)
        store.create_template("Order shipped", content=LETTER)
        store.create_template("Invoice overdue", content="<p>Please pay [[amount]]</p>")
        store.create_preset("Ann at Gravy", values={"sign": "Ann, Gravy Ltd"})
        store.database.close()
        desktop.start_app()
        desktop.start_target()
        yield desktop


def test_shortcut_find_fill_and_paste_into_another_app_keeping_the_clipboard(
    quick_fill_desktop: Desktop,
) -> None:
    desktop = quick_fill_desktop
    desktop.set_clipboard("what I copied before")
    desktop.focus_target()

    desktop.key("ctrl+alt+space")  # the global shortcut, seen by the app through X
    desktop.palette_window()
    desktop.type("ship")
    desktop.key("Return")
    desktop.palette_window(f"{PALETTE}: Order shipped")
    desktop.type("Mr Smith")  # the first empty field has the focus
    desktop.key("alt+p")  # the preset picker
    desktop.key("Down")  # its first preset: the signature
    desktop.key("Return")

    expected = f"Dear Mr Smith, your order left on {date.today().isoformat()}.\nAnn, Gravy Ltd"
    wait_for(lambda: desktop.target_text() == expected, 15, "the text in the target")
    assert desktop.focused() == desktop.target_window
    wait_for(lambda: desktop.clipboard() == "what I copied before", 10, "the clipboard restored")
    store = open_store(desktop.database)
    try:
        (summary,) = store.search_templates("shipped")
        assert summary.usageCount == 1
    finally:
        store.database.close()


def test_escape_in_the_form_pastes_nothing_and_keeps_the_clipboard(
    quick_fill_desktop: Desktop,
) -> None:
    desktop = quick_fill_desktop
    desktop.set_clipboard("untouched")
    desktop.focus_target()
    desktop.key("ctrl+alt+space")
    desktop.palette_window()
    desktop.type("invoice")
    desktop.key("Return")
    desktop.palette_window(f"{PALETTE}: Invoice overdue")
    desktop.type("100 EUR")
    desktop.key("Escape")
    wait_for(lambda: desktop.focused() == desktop.target_window, 10, "the focus back")
    desktop.focus_target()
    desktop.type("typed by hand")  # the target works as before
    wait_for(lambda: desktop.target_text() == "typed by hand", 10, "the typed text")
    assert desktop.clipboard() == "untouched"


def test_the_shortcut_pressed_again_closes_the_palette(quick_fill_desktop: Desktop) -> None:
    desktop = quick_fill_desktop
    desktop.focus_target()
    desktop.key("ctrl+alt+space")
    palette = desktop.palette_window()
    desktop.key("ctrl+alt+space")
    wait_for(lambda: desktop.focused() == desktop.target_window, 10, "the focus back")
    visible = desktop.xdotool("search", "--onlyvisible", "--name", f"^{PALETTE}$", check=False)
    assert palette not in visible.split()
