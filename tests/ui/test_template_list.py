"""The template list as a writer uses it (issue 15): previews, category and "edited ...",
sorting, favourites by the star or Ctrl+Shift+D, the Recent view, empty states and the
first run's sample templates."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui.main import MainWindow
from desktop.ui.samples import SAMPLES
from desktop.ui.template_list import (
    CategoryRole,
    EditedRole,
    PreviewRole,
    plain_preview,
)
from tests.ui.helpers import open_template, shoot, titles


def choose(qtbot: QtBot, box: object, label: str) -> None:
    """Pick ``label`` in a combo box with the keyboard, as a person would."""
    box.setFocus()  # type: ignore[attr-defined]
    qtbot.keyClick(box, Qt.Key.Key_Home)
    for _ in range(box.count()):  # type: ignore[attr-defined]
        if box.currentText() == label:  # type: ignore[attr-defined]
            return
        qtbot.keyClick(box, Qt.Key.Key_Down)
    raise AssertionError(f"no {label!r} in the box")


def test_rows_show_a_preview_the_category_and_when_edited(
    window: MainWindow, store: Store
) -> None:
    store.create_template(
        "Welcome", content="<h1>Hi&nbsp;[[name]]</h1><p>Glad <b>you</b> came</p>", category="HR"
    )
    index = window.model.index(0)
    assert index.data(PreviewRole) == "Hi [[name]] Glad you came"
    assert index.data(CategoryRole) == "HR"
    assert index.data(EditedRole) == "edited just now"
    assert plain_preview("<p>" + "word " * 100 + "</p>", 20) == "word word word word\u2026"
    shoot(window, "template_list")


def test_sort_by_title_or_most_used_from_the_sort_box(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    for title in ("Banana", "Apple", "Cherry"):
        store.create_template(title)
    assert titles(window) == ["Cherry", "Apple", "Banana"]  # recently edited first
    choose(qtbot, window.order_box, "Title")
    assert titles(window) == ["Apple", "Banana", "Cherry"]
    banana = next(t for t in store.list_templates() if t.title == "Banana")
    store.record_use(banana.templateId)
    choose(qtbot, window.order_box, "Most used")
    assert titles(window)[0] == "Banana"


def test_star_in_the_list_and_ctrl_shift_d_make_favourites(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    store.create_template("Kept")
    store.create_template("Other")
    row = titles(window).index("Kept")
    rect = window.list.visualRect(window.model.index(row))
    star = QPoint(rect.left() + 12, rect.top() + 14)
    qtbot.mouseClick(window.list.viewport(), Qt.MouseButton.LeftButton, pos=star)
    kept = next(t for t in store.list_templates() if t.title == "Kept")
    assert kept.isFavorite
    choose(qtbot, window.view_box, "Favourites")
    assert titles(window) == ["Kept"]

    open_template(window, "Kept")
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.editor.body, Qt.Key.Key_D, ctrl_shift)
    assert not store.get_template(kept.templateId).isFavorite
    assert titles(window) == []
    assert "No favourites yet" in window.list.empty_text


def test_recent_view_lists_recently_used_templates(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    first = store.create_template("First")
    store.create_template("Never used")
    second = store.create_template("Second")
    store.record_use(first.templateId)
    store.record_use(second.templateId)
    choose(qtbot, window.view_box, "Recently used")
    assert titles(window) == ["Second", "First"]


def test_empty_states_say_what_to_do_and_samples_are_one_click(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    assert window.samples_button.isVisible()
    assert "No templates yet" in window.list.empty_text
    qtbot.mouseClick(window.samples_button, Qt.MouseButton.LeftButton)
    assert sorted(titles(window)) == sorted(sample[0] for sample in SAMPLES)
    assert not window.samples_button.isVisible()
    window.search.setFocus()
    qtbot.keyClicks(window.search, "zebra crossing")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0)
    assert window.list.empty_text.startswith("No template matches \u201czebra crossing\u201d")
    shoot(window, "template_list_no_results")


def test_painting_the_list_keeps_none_alive(window: MainWindow, store: Store) -> None:
    """PySide6 6.12 drops a reference to None per void C++ call on CPython 3.11; None is
    out of their reach (desktop/ui/immortal.py), or scrolling 10,000 rows aborts."""
    import sys

    for number in range(30):
        store.create_template(f"Row {number}", content="<p>text</p>", category="c")
    window.resize(900, 900)
    before = sys.getrefcount(None)
    for _ in range(20):
        window.list.viewport().repaint()
    assert sys.getrefcount(None) > 2**31, (before, sys.getrefcount(None))
