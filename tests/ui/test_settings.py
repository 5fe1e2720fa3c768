"""The sync settings as a writer meets them (issue 15): the account, the interval and Quick
Fill in view; endpoint URL, table prefix, region, AWS profile or keys and the tables only
under Advanced; all through Ctrl+, and clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QFormLayout, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.sync.config import SyncSettings, load_settings, save_settings
from desktop.ui.main import MainWindow
from desktop.ui.settings import SettingsDialog
from desktop.ui.tasks import Tasks
from tests.dynamodb_local import free_port
from tests.ui.helpers import shoot
from tests.ui.modal import Answers, reactivate

TECHNICAL = ("Endpoint", "endpoint", "Region", "prefix", "AWS", "Access key", "User id", "tables")


def visible_words(dialog: QWidget) -> str:
    """Every label and button text a person can see in the dialog."""
    texts = [w.text() for w in dialog.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in dialog.findChildren(QAbstractButton) if w.isVisible()]
    return " | ".join(texts)


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(line: QLineEdit, text: str) -> None:
    click(line)
    line.selectAll()
    QTest.keyClicks(line, text)


def open_settings(qtbot: QtBot, window: MainWindow, *acts: object) -> Answers:
    answers = Answers(*acts)  # type: ignore[arg-type]
    reactivate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    return answers


def test_technical_settings_wait_under_advanced_and_are_saved_from_there(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens: offline

    def fill_in(dialog: QWidget) -> None:
        assert isinstance(dialog, SettingsDialog)
        assert not dialog.advanced_box.isVisible()
        words = visible_words(dialog)
        assert not [word for word in TECHNICAL if word in words], words
        assert "Sync every" in words and dialog.quick_fill.isVisible()
        shoot(dialog, "settings_writer")
        click(dialog.advanced)
        assert dialog.advanced_box.isVisible()
        form = dialog.advanced_box.findChild(QFormLayout)
        assert form is not None
        shown = {
            form.labelForField(field).text()  # type: ignore[union-attr]
            for field in (dialog.user_id, dialog.region, dialog.endpoint, dialog.prefix)
        }
        assert shown == {"User id", "Region", "Endpoint URL", "Table prefix"}
        click(dialog.use_profile)
        assert dialog.profile.isEnabled() and not dialog.access_key_id.isEnabled()
        click(dialog.use_default)
        assert not dialog.profile.isEnabled()
        type_into(dialog.user_id, "ann")
        type_into(dialog.region, "eu-west-1")
        type_into(dialog.endpoint, endpoint)
        type_into(dialog.prefix, "dev_")
        shoot(dialog, "settings_advanced")
        click(dialog.save_button)

    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000, raising=False) as cycle:
        answers = open_settings(qtbot, window, fill_in)
    answers.done()
    assert cycle.signal_triggered, "saving starts a sync"
    saved = load_settings(store)
    assert (saved.user_id, saved.region, saved.endpoint_url, saved.table_prefix) == (
        "ann",
        "eu-west-1",
        endpoint,
        "dev_",
    )
    assert saved.profile is None and saved.access_key_id is None
    text = window.sync_status.text()
    assert text.startswith("Offline - changes are kept on this computer"), text
    assert "127.0.0.1" not in text and "dev_" not in text and "eu-west-1" not in text


def test_a_refused_field_is_named_as_labelled_and_shown(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    seen: list[str] = []

    def refuse(dialog: QWidget) -> None:
        assert isinstance(dialog, SettingsDialog)
        click(dialog.advanced)
        type_into(dialog.user_id, "ann")
        type_into(dialog.endpoint, "localhost:8000")  # no scheme
        click(dialog.advanced)  # folded away again before saving
        assert not dialog.endpoint.isVisible()
        click(dialog.save_button)
        seen.append(dialog.outcome.text())
        assert dialog.isVisible(), "not saved: the dialog stays"
        assert dialog.endpoint.isVisible(), "Advanced opens on the refused field"
        dialog.reject()

    open_settings(qtbot, window, refuse).done()
    assert seen[0].startswith("Not saved: Endpoint URL: "), seen
    assert load_settings(store).endpoint_url is None


def test_advanced_opens_by_itself_only_where_sync_is_set_up_by_hand(
    qtbot: QtBot, store: Store
) -> None:
    def shown(dialog: SettingsDialog) -> SettingsDialog:
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    fresh = shown(SettingsDialog(store, Tasks()))
    assert not fresh.advanced_box.isVisible()
    save_settings(store, SyncSettings(user_id="ann", endpoint_url="http://localhost:8000"))
    by_hand = shown(SettingsDialog(store, Tasks()))
    assert by_hand.advanced_box.isVisible()
    assert by_hand.endpoint.text() == "http://localhost:8000"
