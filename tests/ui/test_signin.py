"""Signing in from the window, typed and clicked as a writer does, against the Cognito
stand-in (and DynamoDB Local for the sync journey). Screenshots of each state go to
screenshots/signin-*.png."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync import account
from desktop.sync.account import Deployment
from desktop.sync.tables import create_tables
from desktop.ui.signin import AccountMenu, SignInDialog, first_run, open_account_database
from desktop.ui.tasks import Tasks
from tests.cognito import CognitoStandIn, fresh_totp, new_email
from tests.conftest import MemoryKeyring
from tests.dynamodb_local import DynamoDBLocal
from tests.ui.helpers import shoot

PASSWORD = "Correct-horse-9"


@pytest.fixture
def deployment(cognito_standin: CognitoStandIn, home: Path) -> Deployment:
    assert cognito_standin.pool is not None
    shipped = home.parent / "deployment.json"
    shipped.write_text(json.dumps(cognito_standin.pool.deployment()))
    return account.import_deployment(home, shipped)


@pytest.fixture
def dialog_for(qtbot: QtBot, home: Path, deployment: Deployment) -> Callable[..., SignInDialog]:
    def make(**extra: Any) -> SignInDialog:
        dialog = SignInDialog(home, deployment, Tasks(), **extra)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    return make


def type_into(qtbot: QtBot, field: Any, text: str) -> None:
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, text)


def click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_signing_in_by_typing_keeps_the_session_in_the_keyring_only(
    qtbot: QtBot,
    dialog_for: Callable[..., SignInDialog],
    cognito_standin: CognitoStandIn,
    memory_keyring: MemoryKeyring,
    home: Path,
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    dialog = dialog_for()
    type_into(qtbot, dialog.email, email)
    type_into(qtbot, dialog.password, PASSWORD)
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    shoot(dialog, "signin-1-typed")
    with qtbot.waitSignal(dialog.finished, timeout=20_000):
        click(qtbot, dialog.sign_in_button)
        assert dialog.message.text() == "Signing in..."
        shoot(dialog, "signin-2-busy")
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.account is not None and dialog.account.sub == sub
    assert ("gravy-desktop", f"cognito-refresh:{sub}") in memory_keyring.secrets
    assert account.load_registry(home).signed_in == dialog.account
    assert dialog.password.text() == "", "the password does not outlive the sign-in"


def test_a_new_password_then_an_authenticator_code_are_asked_in_turn(
    qtbot: QtBot, dialog_for: Callable[..., SignInDialog], cognito_standin: CognitoStandIn
) -> None:
    email = new_email()
    cognito_standin.add_user(email, "Temporary-pass-1", temporary=True)
    dialog = dialog_for(email=email)
    assert dialog.focusWidget() is dialog.password, "the email is known: type the password"
    qtbot.keyClicks(dialog.password, "Temporary-pass-1")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: dialog.pages.currentWidget() is dialog.new_password_page, timeout=20_000
    )
    type_into(qtbot, dialog.new_password, "Brand-new-pass-2")
    type_into(qtbot, dialog.new_password_again, "Brand-new-pass-3")
    click(qtbot, dialog.new_password_button)
    assert dialog.message.text() == "The two passwords differ."
    shoot(dialog, "signin-3-new-password-mismatch")
    dialog.new_password_again.clear()
    type_into(qtbot, dialog.new_password_again, "Brand-new-pass-2")
    with qtbot.waitSignal(dialog.finished, timeout=20_000):
        click(qtbot, dialog.new_password_button)
    assert dialog.account is not None

    mfa = new_email()
    cognito_standin.add_user(mfa, PASSWORD)
    cognito_standin.require_totp(mfa, PASSWORD)
    second = dialog_for(email=mfa)
    qtbot.keyClicks(second.password, PASSWORD)
    click(qtbot, second.sign_in_button)
    qtbot.waitUntil(lambda: second.pages.currentWidget() is second.code_page, timeout=20_000)
    qtbot.keyClicks(second.code, "000000")
    qtbot.keyClick(second.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "code is wrong" in second.message.text(), timeout=20_000)
    shoot(second, "signin-4-wrong-code")
    second.code.clear()
    qtbot.keyClicks(second.code, fresh_totp())
    with qtbot.waitSignal(second.finished, timeout=20_000):
        click(qtbot, second.code_button)
    assert second.account is not None


def test_create_an_account_confirm_it_and_be_signed_in(
    qtbot: QtBot, dialog_for: Callable[..., SignInDialog]
) -> None:
    email = new_email()
    dialog = dialog_for(welcome=True)
    shoot(dialog, "signin-0-first-run")
    click(qtbot, dialog.welcome_create)
    assert dialog.pages.currentWidget() is dialog.sign_up_page
    type_into(qtbot, dialog.up_email, email)
    type_into(qtbot, dialog.up_password, PASSWORD)
    type_into(qtbot, dialog.up_again, PASSWORD)
    shoot(dialog, "signin-5-create-account")
    click(qtbot, dialog.up_button)
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.confirm_page, timeout=20_000)
    assert email in dialog.message.text()
    type_into(qtbot, dialog.confirm_code, "123456")
    shoot(dialog, "signin-6-confirm-code")
    with qtbot.waitSignal(dialog.finished, timeout=20_000):
        click(qtbot, dialog.confirm_button)
    assert dialog.account is not None and dialog.account.email == email


def test_forgot_password_from_the_sign_in_page(
    qtbot: QtBot, dialog_for: Callable[..., SignInDialog], cognito_standin: CognitoStandIn
) -> None:
    email = new_email()
    cognito_standin.add_user(email, PASSWORD)
    dialog = dialog_for(email=email)
    click(qtbot, dialog.forgot_button)
    assert dialog.forgot_email.text() == email
    click(qtbot, dialog.send_code_button)
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.reset_page, timeout=20_000)
    assert "code is on its way" in dialog.message.text()
    qtbot.keyClicks(dialog.reset_code, "123456")
    type_into(qtbot, dialog.reset_password, "Another-pass-3")
    shoot(dialog, "signin-7-forgot-password")
    with qtbot.waitSignal(dialog.finished, timeout=20_000):
        click(qtbot, dialog.reset_button)
    assert dialog.account is not None


def test_first_run_asks_once_and_working_offline_is_remembered(
    qtbot: QtBot, home: Path, deployment: Deployment
) -> None:
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SignInDialog)
        seen.append("welcome" if dialog.pages.currentWidget() is dialog.welcome_page else "?")
        click(qtbot, dialog.welcome_offline)

    QTimer.singleShot(200, answer)
    default = account.offline_database_path(home)
    assert first_run(default) == default
    assert seen == ["welcome"]
    assert first_run(default) == default, "asked once: no dialog the second time"
    assert seen == ["welcome"]


def test_window_journey_sign_in_again_then_sign_out_with_unsynced_changes(
    qtbot: QtBot,
    home: Path,
    deployment: Deployment,
    cognito_standin: CognitoStandIn,
    dynamodb_local: DynamoDBLocal,
    dynamodb: Any,
    isolated_qsettings: None,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    create_tables(dynamodb, prefix=prefix)
    shipped = home.parent / "with-tables.json"
    shipped.write_text(
        json.dumps(
            deployment.model_dump()
            | {"dynamodb_endpoint_url": dynamodb_local.endpoint_url, "table_prefix": prefix}
        )
    )
    target = account.import_deployment(home, shipped)
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    cognito = account.Cognito(target)
    signed = account.sign_in_result(home, target, email, cognito.sign_in(email, PASSWORD), cognito)
    path = open_account_database(home, signed, target)
    store = Store(open_database(path), version_window_s=0)
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    menu = AccountMenu(window, store, window.tasks, window.sync)
    window.show()
    assert menu.who.text() == f"Signed in as {email}"

    store.create_template("Written here")
    cognito_standin.sign_out_everywhere(sub)  # the session ends (revoked, or expired)
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000):
        click(qtbot, window.sync_button)
    qtbot.waitUntil(menu.again_button.isVisible)
    assert "Signed out: sign in again" in window.sync_status.text()
    shoot(window, "signin-8-session-ended")

    def type_password() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SignInDialog) and dialog.email.text() == email
        qtbot.keyClicks(dialog.password, PASSWORD)
        click(qtbot, dialog.sign_in_button)

    QTimer.singleShot(200, type_password)
    with qtbot.waitSignal(window.sync.cycle_finished, timeout=30_000) as cycle:
        click(qtbot, menu.again_button)
    assert cycle.args[0].ok, cycle.args[0].message
    assert not menu.again_button.isVisible()
    assert menu.unsynced() == 0

    store.create_template("Not sent yet")
    answered: list[str] = []

    def sign_out_anyway() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        answered.append(box.text())
        shoot(box, "signin-9-sign-out-warning")
        (anyway,) = [b for b in box.buttons() if b.text() == "Sign out"]
        click(qtbot, anyway)

    QTimer.singleShot(200, sign_out_anyway)
    menu.sign_out_action.trigger()
    assert answered == ["1 change has not been synced yet."]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert menu.switch_to == account.offline_database_path(home)
    assert account.load_registry(home).signed_in is None
    store.database.close()
    kept = Store(open_database(path))
    assert kept.queue_counts()["pending"] == 1, "the unsynced change waits for the next sign-in"
    kept.database.close()


def test_settings_keep_aws_keys_under_advanced(
    qtbot: QtBot, home: Path, deployment: Deployment, cognito_standin: CognitoStandIn
) -> None:
    from desktop.ui.settings import SettingsDialog

    email = new_email()
    cognito_standin.add_user(email, PASSWORD)
    cognito = account.Cognito(deployment)
    signed = account.sign_in_result(
        home, deployment, email, cognito.sign_in(email, PASSWORD), cognito
    )
    store = Store(open_database(open_account_database(home, signed, deployment)))
    dialog = SettingsDialog(store, Tasks())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.account_line.text().startswith(f"Account: signed in as {email}")
    assert not dialog.access_key_id.isVisible() and not dialog.profile.isVisible()
    shoot(dialog, "signin-10-settings")
    click(qtbot, dialog.advanced)
    assert dialog.access_key_id.isVisible() and dialog.profile.isVisible()
    shoot(dialog, "signin-11-settings-advanced")
    store.database.close()


def test_signing_in_from_the_offline_window_offers_to_move_the_offline_records(
    qtbot: QtBot,
    home: Path,
    deployment: Deployment,
    cognito_standin: CognitoStandIn,
    isolated_qsettings: None,
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    offline_path = account.offline_database_path(home)
    store = Store(open_database(offline_path))
    store.create_template("Drafted offline")
    store.create_snippet("Offline sign-off")
    window = build_window(store, start_sync=False)
    qtbot.addWidget(window)
    menu = AccountMenu(window, store, window.tasks, window.sync)
    window.show()
    offered: list[str] = []

    def answer_offer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):  # still signing in: ask again shortly
            QTimer.singleShot(200, answer_offer)
            return
        offered.append(box.text())
        shoot(box, "signin-12-offline-records")
        (move,) = [b for b in box.buttons() if b.text() == "Move into my account"]
        click(qtbot, move)

    def type_password() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SignInDialog):  # not open yet (a loaded machine)
            QTimer.singleShot(100, type_password)
            return
        type_into(qtbot, dialog.email, email)
        type_into(qtbot, dialog.password, PASSWORD)
        QTimer.singleShot(200, answer_offer)
        click(qtbot, dialog.sign_in_button)

    def give_up() -> None:  # a dialog nobody answered fails the test instead of hanging it
        while (modal := QApplication.activeModalWidget()) is not None:
            modal.close()

    QTimer.singleShot(200, type_password)
    QTimer.singleShot(120_000, give_up)
    menu.sign_in_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert offered == ["You wrote 1 template, 1 snippet on this computer while not signed in."]
    assert menu.switch_to == account.account_database_path(home, sub)
    assert store.list_templates() == [] and store.queue_counts().get("pending", 0) == 0
    store.database.close()
    mine = Store(open_database(account.account_database_path(home, sub)))
    assert [t.title for t in mine.list_templates()] == ["Drafted offline"]
    assert [s.title for s in mine.list_snippets()] == ["Offline sign-off"]
    assert mine.queue_counts()["pending"] == 2, "queued for this account's first sync"
    mine.database.close()


def test_sign_in_with_the_browser_where_the_pool_has_a_hosted_domain(
    qtbot: QtBot,
    home: Path,
    dialog_for: Callable[..., SignInDialog],
    memory_keyring: MemoryKeyring,
) -> None:
    from tests.hosted_ui import FakeHostedUI

    assert not dialog_for().browser_button.isVisible(), "no hosted domain: no browser button"
    hosted_ui = FakeHostedUI("eu-west-1", "eu-west-1_FakePool2", "fakeclient456")
    try:
        shipped = home.parent / "hosted.json"
        shipped.write_text(json.dumps(hosted_ui.deployment()))
        deployment = account.import_deployment(home, shipped)
        opened: list[str] = []

        def browser(url: str) -> bool:
            opened.append(url)
            return hosted_ui.browser(url)

        hosted_ui.misbehave = "state"
        dialog = SignInDialog(home, deployment, Tasks(), open_browser=browser)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.browser_button.isVisible()
        shoot(dialog, "signin-13-browser-button")
        click(qtbot, dialog.browser_button)
        qtbot.waitUntil(lambda: "another sign-in" in dialog.message.text(), timeout=20_000)
        assert dialog.isVisible() and memory_keyring.secrets == {}

        hosted_ui.misbehave = None
        with qtbot.waitSignal(dialog.finished, timeout=20_000):
            click(qtbot, dialog.browser_button)
        assert len(opened) == 2 and opened[1].startswith(f"{hosted_ui.url}/oauth2/authorize?")
        assert dialog.result() == dialog.DialogCode.Accepted
        assert dialog.account is not None
        assert (dialog.account.sub, dialog.account.email) == (hosted_ui.sub, hosted_ui.email)
        assert ("gravy-desktop", f"cognito-refresh:{hosted_ui.sub}") in memory_keyring.secrets
        assert account.load_registry(home).signed_in == dialog.account
    finally:
        hosted_ui.close()


def test_cancel_ends_the_wait_for_the_browser(
    qtbot: QtBot, home: Path, memory_keyring: MemoryKeyring
) -> None:
    from tests.hosted_ui import FakeHostedUI

    hosted_ui = FakeHostedUI("eu-west-1", "eu-west-1_FakePool3", "fakeclient789")
    try:
        deployment = Deployment.model_validate(hosted_ui.deployment())
        opened: list[str] = []
        dialog = SignInDialog(home, deployment, Tasks(), open_browser=opened.append)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        click(qtbot, dialog.browser_button)
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)
        assert "Continue in your browser" in dialog.message.text()
        shoot(dialog, "signin-14-browser-waiting")
        attempt = dialog.browser_attempt
        click(qtbot, dialog.cancel_button)
        assert dialog.result() == dialog.DialogCode.Rejected and dialog.account is None
        port = urllib.parse.urlsplit(
            urllib.parse.parse_qs(urllib.parse.urlsplit(opened[0]).query)["redirect_uri"][0]
        ).port
        assert attempt is not None
        qtbot.waitUntil(lambda: not _listening(port), timeout=10_000)
        assert memory_keyring.secrets == {}
    finally:
        hosted_ui.close()


def _listening(port: int | None) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port or 0)) == 0
