"""The Conflicts panel as a writer uses it, on conflicts made by two devices against
DynamoDB Local: merge by hand in a rich-text editor (mine and theirs rendered side by side,
changed paragraphs marked, a paragraph taken from either side), and delete-versus-edit
(what would be lost is shown; keeping a deletion asks first and can be undone)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette, QTextCursor
from PySide6.QtWidgets import QMessageBox, QTextEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store.outbox import State
from desktop.ui import theme
from desktop.ui.panels import MergeDialog
from tests.sync.conftest import USER, DeviceFactory, Server, device_for, prefix, server
from tests.ui.helpers import shoot
from tests.ui.modal import when_modal

__all__ = ["device_for", "prefix", "server"]  # the sync fixtures, used here too
pytestmark = pytest.mark.dynamodb
LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
BASE = "<p>Dear [[name]],</p><p>Thank you for applying.</p><p>Best regards</p>"


@pytest.fixture(autouse=True)
def _light_afterwards() -> Iterator[None]:
    yield
    theme.apply("system", Qt.ColorScheme.Unknown)


def click_in(view: QTextEdit, block_number: int) -> None:
    """Click at the end of paragraph ``block_number`` of ``view``, as a writer would."""
    cursor = QTextCursor(view.document().findBlockByNumber(block_number))
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    point = view.cursorRect(cursor).center() + QPoint(-2, 0)
    QtBot.mouseClick(view.viewport(), LEFT, pos=point)


def dark(widget: QWidget) -> bool:
    """Whether ``widget`` has been repainted with the dark palette."""
    return widget.palette().color(QPalette.ColorRole.Base).lightness() < 128


def background(view: QTextEdit, block_number: int) -> QColor:
    block = view.document().findBlockByNumber(block_number)
    return block.blockFormat().background().color()


def test_merge_by_hand_takes_a_paragraph_from_theirs_into_rich_text(
    qtbot: QtBot, device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content=BASE)
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.update_template(tid, content=BASE.replace("Thank you", "Many thanks"))
    bob.store.update_template(tid, content=BASE.replace("Thank you", "Thanks a lot"))
    ann.sync()
    assert bob.sync().pull.conflicts == 1
    window = build_window(bob.store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    panel = window.conflicts
    assert window.stack.currentWidget() is panel and panel.list.count() == 1
    shoot(window, "conflicts_panel_light")
    seen: list[str] = []

    def merge(dialog: QWidget) -> None:
        assert isinstance(dialog, MergeDialog)
        assert not dialog.editor.textCursor().hasSelection(), "nothing pre-selected"
        mine, theirs = dialog.sides["mine"], dialog.sides["theirs"]
        assert "<p>" not in theirs.toPlainText(), "rendered, not raw HTML"
        assert theirs.document().findBlockByNumber(1).text() == "Many thanks for applying."
        added = QColor(theme.LIGHT.added_bg)
        assert background(theirs, 1) == added and background(mine, 1) == added
        assert background(theirs, 0) != added, "an unchanged paragraph is not marked"
        shoot(dialog, "merge_by_hand_light")
        window.appearance_actions["dark"].trigger()
        assert background(theirs, 1) == QColor(theme.DARK.added_bg), "repainted in dark"
        qtbot.waitUntil(lambda: dark(dialog))
        shoot(dialog, "merge_by_hand_dark")
        window.appearance_actions["light"].trigger()

        click_in(theirs, 1)
        click_in(dialog.editor, 1)
        qtbot.mouseClick(dialog.take["theirs"], LEFT)
        qtbot.keyClicks(dialog.editor, " Truly.")
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Home)
        qtbot.keyClick(dialog.editor, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(dialog.editor, Qt.Key.Key_B, CTRL)  # rich text: bold
        seen.append(dialog.editor.toPlainText())
        shoot(dialog, "merge_by_hand_taken")
        qtbot.mouseClick(dialog.use_button, LEFT)

    when_modal(merge)
    qtbot.mouseClick(panel.merge_button, LEFT)
    assert seen == [
        "Dear [[name]],\nThanks a lot for applying.\nMany thanks for applying. Truly.\nBest regards"
    ]
    merged = (
        "<p>Dear [[name]],</p><p>Thanks a lot for applying.</p>"
        "<p><strong>Many thanks for applying. Truly.</strong></p><p>Best regards</p>"
    )
    assert bob.store.get_template(tid).content == merged
    assert panel.list.count() == 0
    bob.sync()
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and item["content"] == merged


def test_keeping_a_deletion_shows_what_goes_asks_first_and_can_be_undone(
    qtbot: QtBot, device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", content=BASE, category="hr")
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.delete_template(tid)
    bob.store.update_template(tid, content=BASE.replace("Thank you", "Thanks a lot"))
    ann.sync()
    bob.sync(full=True)
    window = build_window(bob.store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    panel = window.conflicts
    assert panel.list.count() == 1
    mine = panel.views["mine"].toPlainText()
    assert "Text" in mine and "Thanks a lot for applying." in mine, "what would be lost"
    assert "Deleted on the server" in panel.views["theirs"].toPlainText()
    assert not panel.merge_button.isEnabled()
    shoot(window, "conflicts_delete_versus_edit_light")
    window.appearance_actions["dark"].trigger()
    assert QColor(theme.DARK.added_bg).name() in panel.views["mine"].toHtml(), "repainted"
    qtbot.waitUntil(lambda: dark(panel.views["mine"]))
    shoot(window, "conflicts_delete_versus_edit_dark")
    window.appearance_actions["light"].trigger()

    questions: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> Callable[[QWidget], None]:
        def click(box: QWidget) -> None:
            assert isinstance(box, QMessageBox)
            questions.append(box.text())
            qtbot.mouseClick(box.button(button), LEFT)

        return click

    when_modal(answer(QMessageBox.StandardButton.Cancel))
    qtbot.mouseClick(panel.keep_theirs, LEFT)
    assert questions and "deleted on the server" in questions[0]
    assert panel.list.count() == 1 and bob.store.get_template(tid), "Cancel changes nothing"

    when_modal(answer(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(panel.keep_theirs, LEFT)
    assert panel.list.count() == 0
    assert tid not in {t.templateId for t in bob.store.list_templates()}
    assert window.edits.stack.canUndo()

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(panel.list, Qt.Key.Key_Z, CTRL)  # Edit > Undo
    restored = bob.store.get_template(tid)
    assert restored.content == BASE.replace("Thank you", "Thanks a lot")
    assert bob.store.queue_counts()[State.PENDING] >= 1, "sent to the server again"
    bob.sync()
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and "Thanks a lot" in item["content"]


def test_a_plain_text_field_is_merged_as_plain_text(
    qtbot: QtBot, device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    template = ann.store.create_template("Offer", description="For new staff")
    ann.sync()
    bob.sync()
    tid = template.templateId
    ann.store.update_template(tid, description="For new staff in Spain")
    bob.store.update_template(tid, description="For new staff, signed by HR")
    ann.sync()
    assert bob.sync().pull.conflicts == 1
    window = build_window(bob.store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    window.show_section(window.CONFLICTS)
    panel = window.conflicts

    def merge(dialog: QWidget) -> None:
        assert isinstance(dialog, MergeDialog) and dialog.field == "description"
        assert not dialog.rich and not dialog.toolbar.isVisible()
        click_in(dialog.sides["theirs"], 0)
        qtbot.mouseClick(dialog.take["theirs"], LEFT)
        qtbot.mouseClick(dialog.use_button, LEFT)

    when_modal(merge)
    qtbot.mouseClick(panel.merge_button, LEFT)
    expected = "For new staff, signed by HR\nFor new staff in Spain"
    assert bob.store.get_template(tid).description == expected
    assert panel.list.count() == 0
