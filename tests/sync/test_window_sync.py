"""The window syncing against DynamoDB Local: offline edits go out when the target is
reachable, a conflict shows in the Conflicts panel and resolving it updates the server,
a failed change shows its reason and Retry sends it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.store.services import Store
from desktop.sync.config import load_settings, save_settings
from desktop.ui.main import MainWindow
from desktop.ui.settings import SettingsDialog
from desktop.ui.tasks import Tasks
from tests.dynamodb_local import DynamoDBLocal, free_port
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import USER, DeviceFactory, Server, settings_for
from tests.ui.helpers import open_template, shoot, shown_window, titles

pytestmark = [pytest.mark.dynamodb, pytest.mark.usefixtures("isolated_qsettings")]


def sync_and_wait(qtbot: QtBot, window: MainWindow, full: bool | None = None) -> Any:
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000) as finished:
        window.sync.sync_now(full)
    return finished.args[0]


def test_edits_made_offline_go_out_when_the_server_is_reachable(
    qtbot: QtBot, store: Store, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    save_settings(store, settings_for(f"http://127.0.0.1:{free_port()}", prefix))  # offline
    window = shown_window(qtbot, store)
    template = store.create_template("Written on a train")
    open_template(window, "Written on a train")
    qtbot.keyClicks(window.editor.body, "Every word")
    window.editor.save()
    report = sync_and_wait(qtbot, window)
    assert report.state == "offline"
    text = window.sync_status.text()
    assert text.startswith("Offline - changes are kept on this computer")
    assert "1 change waiting to sync" in text  # the template and its version: one change
    assert "127.0.0.1" not in text, "no endpoint in the status bar"
    assert server.get("GravyTemplates", userId=USER, templateId=template.templateId) is None

    save_settings(
        store, load_settings(store).model_copy(update={"endpoint_url": dynamodb_local.endpoint_url})
    )
    report = sync_and_wait(qtbot, window)
    assert report.ok
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and item["content"] == "<p>Every word</p>"
    assert window.sync_status.text().startswith("All changes saved and synced - just now")
    assert window.model.badge(0) is None, "synced: no badge"


def test_a_conflict_shows_in_the_panel_and_keeping_mine_updates_the_server(
    qtbot: QtBot, device_for: DeviceFactory, server: Server
) -> None:
    ann, bob = device_for("ann"), device_for("bob")
    base = "<p>Dear [[name]],</p><p>Thanks for your order.</p>"
    template = bob.store.create_template("Order", content=base)
    bob.sync()
    window = shown_window(qtbot, ann.store)
    sync_and_wait(qtbot, window)
    assert titles(window) == ["Order"]
    bob.store.update_template(template.templateId, content=base.replace("Thanks", "Many thanks"))
    bob.sync()
    open_template(window, "Order")
    ann.store.update_template(template.templateId, content=base.replace("Thanks", "Thank you"))

    sync_and_wait(qtbot, window)
    assert window.sidebar.item(window.CONFLICTS).text() == "Conflicts (1)"
    window.sidebar.setCurrentRow(window.CONFLICTS)
    panel = window.conflicts
    assert panel.list.count() == 1
    assert "Thank you" in panel.views["mine"].toPlainText()
    assert "Many thanks" in panel.views["theirs"].toPlainText()
    assert "Thanks for your order" in panel.views["base"].toPlainText()
    shoot(window, "conflicts_panel")

    panel.keep_mine.click()
    assert panel.list.count() == 0
    sync_and_wait(qtbot, window)
    item = server.get("GravyTemplates", userId=USER, templateId=template.templateId)
    assert item is not None and "Thank you for your order" in item["content"]
    assert window.sidebar.item(window.CONFLICTS).text() == "Conflicts"


def test_a_failed_change_shows_its_reason_and_retry_sends_it(
    qtbot: QtBot, store: Store, proxy: FaultProxy, prefix: str, server: Server
) -> None:
    save_settings(store, settings_for(proxy.endpoint_url, prefix))
    window = shown_window(qtbot, store)
    template = store.create_template("Refused at first")
    proxy.fail_next("denied", count=20, operation="BatchExecuteStatement")  # a narrow IAM policy
    sync_and_wait(qtbot, window)
    assert window.sidebar.item(window.FAILED).text() == "Failed (1)"
    window.sidebar.setCurrentRow(window.FAILED)
    panel = window.failed
    assert panel.model.rowCount() == 1
    reason = panel.model.index(0, 2).data()
    assert reason.startswith("Your account may not change this template: sign in again")
    tooltip = panel.model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("AccessDeniedException: User is not authorized")
    shoot(window, "failed_panel")

    proxy.scripted.clear()  # the policy is fixed
    panel.retry_all_button.click()
    sync_and_wait(qtbot, window)
    assert panel.model.rowCount() == 0
    assert server.get("GravyTemplates", userId=USER, templateId=template.templateId) is not None
    assert window.sidebar.item(window.FAILED).text() == "Failed"


def test_settings_keep_the_secret_in_the_keyring_and_create_the_tables(
    qtbot: QtBot,
    store: Store,
    dynamodb_local: DynamoDBLocal,
    dynamodb: Any,
    memory_keyring: Any,
    db_path: Any,
) -> None:
    window = shown_window(qtbot, store)
    assert "Set up sync" in window.sync_status.text()
    dialog = SettingsDialog(store, window.tasks, window)
    qtbot.addWidget(dialog)
    prefix = "settings-test-"
    dialog.user_id.setText("ann")
    dialog.endpoint.setText(dynamodb_local.endpoint_url)
    dialog.prefix.setText(prefix)
    dialog.use_keys.setChecked(True)
    dialog.access_key_id.setText("AKIALOCALTEST")
    dialog.secret.setText("very-secret-value")

    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.outcome.text().startswith("Connected"), timeout=20_000)
    assert "Missing tables" in dialog.outcome.text()
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.outcome.text().startswith("Tables ready"), timeout=60_000)
    names = dynamodb.list_tables()["TableNames"]
    assert f"{prefix}GravyTemplates" in names and f"{prefix}PageManager" in names
    assert dialog.secret.text() == "", "the secret is not kept in the dialog"
    shoot(dialog, "settings_dialog")

    dialog.save()
    saved = load_settings(store)
    assert (saved.user_id, saved.access_key_id, saved.table_prefix) == (
        "ann",
        "AKIALOCALTEST",
        prefix,
    )
    assert memory_keyring.secrets[("gravy-desktop", "AKIALOCALTEST")] == "very-secret-value"
    for path in db_path.parent.iterdir():
        if path.is_file():
            assert b"very-secret-value" not in path.read_bytes(), path
    template = store.create_template("Synced with keys from the keyring")
    report = sync_and_wait(qtbot, window)
    assert report.ok, report.message
    item = dynamodb.get_item(
        TableName=f"{prefix}GravyTemplates",
        Key={"userId": {"S": "ann"}, "templateId": {"S": template.templateId}},
    )
    assert "Item" in item


def test_invalid_settings_are_explained_and_not_saved(qtbot: QtBot, store: Store) -> None:
    tasks = Tasks()
    dialog = SettingsDialog(store, tasks)
    tasks.setParent(dialog)  # goes with the dialog, before the application does
    qtbot.addWidget(dialog)
    dialog.user_id.setText("ann")
    dialog.endpoint.setText("localhost:8000")  # no scheme
    dialog.save()
    assert dialog.outcome.text().startswith("Not saved: Endpoint URL")
    assert load_settings(store).endpoint_url is None
