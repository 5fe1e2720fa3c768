"""What the web app set on a template and this device keeps read-only is said in the
editor, in one line under the fields (issue 11)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.store import remote
from desktop.store.services import Store
from desktop.ui.main import MainWindow
from tests.ui.helpers import open_template


def test_the_editor_says_who_the_web_app_shared_the_template_with(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    shared = store.create_template("Offer", content="<p>Dear [[name]]</p>")
    store.create_template("Private", content="<p>Mine</p>")
    with store.database.write() as session:  # as a pull writes the web app's shares
        for user, how in (("bob@example.com", "read"), ("ann@example.com", "read")):
            remote.write(
                session,
                "share",
                {
                    "shareId": f"{shared.templateId}:{user}",
                    "templateId": shared.templateId,
                    "sharedByUserId": "user-ann",
                    "sharedWithUserId": user,
                    "permissions": how,
                    "createdAt": "2026-11-25T10:00:00.000Z",
                    "updatedAt": "2026-11-25T10:00:00.000Z",
                },
            )
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    open_template(window, "Offer")
    note = window.editor.server_note
    assert note.isVisible()
    assert note.text() == "Shared with ann@example.com, bob@example.com (read)"
    open_template(window, "Private")
    assert not note.isVisible()


def test_the_editor_marks_a_template_kept_beyond_the_limits_and_still_saves_other_edits(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    long_title = "Kept " + "x" * 295
    # as a pull writes the web app's template, and announces it
    with store.operation() as op, op.write() as session:
        remote.write(
            session,
            "template",
            {
                "templateId": "template-1763900000000-webapp001",
                "title": long_title,
                "content": "<p>Dear [[name]]</p>",
                "tags": [f"t{n}" for n in range(25)],
                "createdAt": "2026-11-25T10:00:00.000Z",
                "updatedAt": "2026-11-25T10:00:00.000Z",
                "extras": {"variables": [{"name": "name"}]},
            },
        )
        op.changed(("template", "template-1763900000000-webapp001"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    open_template(window, long_title)
    note = window.editor.server_note
    assert note.isVisible()
    assert note.text() == "Title, tags kept as the server has them; shorten them to change them."
    window.editor.body.setFocus()
    qtbot.keyClicks(window.editor.body, "More ")
    with qtbot.waitSignal(window.editor.saved, timeout=3000):
        pass
    saved = store.get_template("template-1763900000000-webapp001")
    assert "More" in saved.content and saved.title == long_title
    assert saved.extras == {"variables": [{"name": "name"}]}
