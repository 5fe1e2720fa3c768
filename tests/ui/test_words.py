"""The writer's words (issue 15): the status line, "ago", failure reasons, field labels;
and the window title and status bar as a writer sees them while typing."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.ui.main import MainWindow
from desktop.ui.sync import SyncStatus
from desktop.ui.words import ago, failure_reason, label, status_line
from tests.ui.helpers import open_template

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_status_lines_a_writer_reads() -> None:
    synced = SyncStatus("online", last_success="2026-11-25T11:58:00Z")
    assert status_line(synced, NOW) == "All changes saved and synced - 2 min ago"
    assert status_line(SyncStatus("online", queued=3), NOW) == "3 changes waiting to sync"
    assert status_line(SyncStatus("offline", queued=1), NOW) == (
        "Offline - changes are kept on this computer \u00b7 1 change waiting to sync"
    )
    assert status_line(SyncStatus("online", failed=1), NOW) == (
        "1 change could not be synced - see Failed"
    )
    trouble = SyncStatus("trouble", message="ResourceNotFoundException: dev_GravyTemplates")
    assert "Resource" not in status_line(trouble, NOW) and "dev_" not in status_line(trouble, NOW)


def test_ago_in_minutes_hours_and_days() -> None:
    assert ago("2026-11-25T11:59:30Z", NOW) == "just now"
    assert ago("2026-11-25T10:00:00+00:00", NOW) == "2 h ago"
    assert ago("2026-11-24T09:00:00Z", NOW) == "yesterday"
    assert ago("2026-11-21T12:00:00Z", NOW) == "4 days ago"
    assert ago("2026-10-02T12:00:00Z", NOW) == "2 Oct 2026"


def test_failure_reasons_say_what_to_do() -> None:
    too_big = failure_reason(
        "template", "ValidationException", "Item size has exceeded the maximum allowed size"
    )
    assert too_big == "This template is larger than the server accepts: shorten it or split it"
    assert "retry" in failure_reason("snippet", "SomethingNew", "?")
    assert "Exception" not in failure_reason("node", "AccessDeniedException", "denied")


def test_field_labels_are_human() -> None:
    assert label("job_title") == "Job title"
    assert label("firstName") == "First name"
    assert label("content") == "Text"
    assert label("title") == "Title"


def test_window_title_is_the_templates_name_then_the_apps(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    assert window.windowTitle() == "Gravy Desktop"
    store.create_template("Welcome letter")
    open_template(window, "Welcome letter")
    assert window.windowTitle() == "Welcome letter - Gravy Desktop"
    window.editor.title.selectAll()
    qtbot.keyClicks(window.editor.title, "Farewell")
    assert window.windowTitle() == "Farewell - Gravy Desktop"
    assert ".db" not in window.windowTitle() and "." not in window.windowTitle()


def test_failed_panel_explains_in_plain_words_and_opens_the_item(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    from desktop.store import outbox

    template = store.create_template("Long letter", content="<p>Very long</p>")
    store.create_template("Other")
    with store.database.write() as session:
        for entry in outbox.claim(session, 10):
            if entry.record_id == template.templateId:
                outbox.fail(
                    session, entry.id, "ValidationException", "Item size has exceeded the maximum"
                )
    store.create_template("Third")  # a change the window hears of: it reads the queue again
    assert "1 change could not be synced - see Failed" in window.sync_status.text()
    window.show()
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    assert window.stack.currentWidget() is window.failed
    reason = window.failed.model.index(0, 2).data()
    assert reason == "This template is larger than the server accepts: shorten it or split it"
    qtbot.mouseClick(window.failed.open_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.splitter
    assert window.editor.template_id == template.templateId
    assert window.windowTitle() == "Long letter - Gravy Desktop"


def test_populate_form_labels_are_human(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    from PySide6.QtWidgets import QApplication, QFormLayout

    from desktop.ui.dialogs import PopulateDialog

    store.create_template("Offer", content="<p>Dear [[first_name]], the [[jobTitle]] role</p>")
    open_template(window, "Offer")
    window.show()
    seen: list[str] = []

    def read_labels() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PopulateDialog)
        form = dialog.findChild(QFormLayout)
        assert form is not None
        for line in dialog.inputs.values():
            label = form.labelForField(line)
            seen.append(label.text())  # type: ignore[union-attr]
        dialog.reject()

    QTimer.singleShot(0, read_labels)
    editor = window.editor
    button = editor.toolbar.widgetForAction(editor.actions_by_name["populate"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert sorted(seen) == ["First name", "Job title"]
