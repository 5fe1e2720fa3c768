"""A remote change arriving while the writer has unsaved edits in the editor (a real second
writer syncing through DynamoDB Local): each field merges against the base the writer
started from, and the next autosave writes only what the writer changed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.ui import editor as editor_module
from tests.sync.conftest import USER, DeviceFactory, Server
from tests.sync.test_window_sync import sync_and_wait
from tests.ui.helpers import shoot
from tests.ui.test_editing import CTRL, click_into, click_template

pytestmark = [pytest.mark.dynamodb, pytest.mark.usefixtures("isolated_qsettings")]


@pytest.fixture(autouse=True)
def _slow_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autosave 3 s after the last key, so the typing is certainly unsaved when the pull
    (run on the GUI thread, which holds the timer back meanwhile) brings the rename."""
    monkeypatch.setattr(editor_module, "AUTOSAVE_MS", 3_000)


def test_a_remote_rename_keeps_unsaved_text_tags_and_shared(
    qtbot: QtBot, device_for: DeviceFactory, server: Server
) -> None:
    ann, web = device_for("ann"), device_for("web")
    template = web.store.create_template("Offer", content="<p>Dear [[name]],</p>", tags=["hr"])
    web.sync()
    window = build_window(ann.store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    ann.sync()
    click_template(qtbot, window, "Offer")
    web.store.update_template(template.templateId, title="Offer 2027", tags=["hr", "legal"])
    web.sync()

    editor = window.editor
    click_into(qtbot, editor.body)
    qtbot.keyClick(editor.body, Qt.Key.Key_End, CTRL)
    qtbot.keyClicks(editor.body, " welcome aboard")
    click_into(qtbot, editor.tags)
    qtbot.keyClick(editor.tags, Qt.Key.Key_End)
    qtbot.keyClicks(editor.tags, ", urgent")
    qtbot.mouseClick(editor.shared, Qt.MouseButton.LeftButton, pos=editor.shared.rect().center())
    assert editor.state.text() == "Editing..." and editor.dirty
    ann.sync()  # pulls the rename while all of that is unsaved
    assert editor.title.text() == "Offer 2027", "the field the writer did not touch follows"
    assert editor.body.toPlainText() == "Dear [[name]], welcome aboard"
    assert editor.body.document().isUndoAvailable(), "the body was not reloaded"
    assert editor.tags.text() == "hr, legal, urgent"
    assert editor.shared.isChecked()
    assert not editor.banner.isVisible()
    shoot(window, "remote_rename_merged")

    with qtbot.waitSignal(editor.saved, timeout=10_000):
        pass  # the autosave
    stored = ann.store.get_template(template.templateId)
    assert stored.title == "Offer 2027"
    assert stored.content == "<p>Dear [[name]], welcome aboard</p>"
    assert stored.tags == ["hr", "legal", "urgent"] and stored.isShared
    assert sync_and_wait(qtbot, window).ok
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None
    assert item["title"] == "Offer 2027"
    assert item["content"] == "<p>Dear [[name]], welcome aboard</p>"
    assert item["tags"] == ["hr", "legal", "urgent"] and item["isShared"] == "true"


def test_both_writers_changing_a_title_and_the_text_keep_both_texts_and_the_writers_title(
    qtbot: QtBot, device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    base = "<p>First paragraph.</p><p>Between them.</p><p>Second paragraph.</p>"
    template = bob.store.create_template("Notice", content=base)
    bob.sync()
    window = build_window(ann.store, start_sync=False)
    qtbot.addWidget(window)
    window.show()
    ann.sync()
    click_template(qtbot, window, "Notice")
    bob.store.update_template(
        template.templateId,
        title="Notice from Bob",
        content=base.replace("Second paragraph.", "Second paragraph, by Bob."),
    )
    bob.sync()

    editor = window.editor
    click_into(qtbot, editor.title)
    qtbot.keyClick(editor.title, Qt.Key.Key_End)
    qtbot.keyClicks(editor.title, " from Ann")
    click_into(qtbot, editor.body)
    qtbot.keyClick(editor.body, Qt.Key.Key_Home, CTRL)
    qtbot.keyClick(editor.body, Qt.Key.Key_End)  # the end of the first paragraph
    qtbot.keyClicks(editor.body, " Ann was here.")
    ann.sync()
    assert editor.title.text() == "Notice from Ann", "the writer's title wins"
    assert editor.body.toPlainText() == (
        "First paragraph. Ann was here.\nBetween them.\nSecond paragraph, by Bob."
    ), "paragraphs edited on each side merge"
    assert editor.banner.isVisible()
    assert "The title also changed on another device" in editor.banner.text()
    assert "\u201cNotice from Bob\u201d" in editor.banner.text()
    shoot(window, "both_changed_banner")

    with qtbot.waitSignal(editor.saved, timeout=10_000):
        pass
    assert sync_and_wait(qtbot, window).ok
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["title"] == "Notice from Ann"
    assert item["content"] == (
        "<p>First paragraph. Ann was here.</p><p>Between them.</p><p>Second paragraph, by Bob.</p>"
    )
