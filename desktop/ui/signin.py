"""Signing in with the Gravy account in the window: the first-run choice (Sign in, Create
account, Work offline for now), the sign-in dialog with its challenges, sign-up and
forgotten passwords, and the Account menu (sign in, sign out, sign in again).

Every call to Cognito runs off the GUI thread (:class:`desktop.ui.tasks.Tasks`). Passwords
stay in the dialog's fields and in memory only while it is open. Signing in or out
switches the window to that account's database (or the offline one): the window closes
and :func:`desktop.app.run_gui` opens the other database.
"""

from __future__ import annotations

import logging
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.store import adoption
from desktop.store.db import open_database
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.sync import account
from desktop.sync.account import Account, AccountError, Challenge, Cognito, Deployment, Tokens
from desktop.sync.errors import Kind, classify
from desktop.ui.tasks import Tasks

log = logging.getLogger(__name__)

UNSYNCED = (State.PENDING, State.IN_FLIGHT, State.FAILED, State.CONFLICT)


def explain(error: BaseException) -> str:
    """A sentence for the writer: Cognito's refusals as they are, the network plainly."""
    if isinstance(error, AccountError):
        text = str(error)
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    fault = classify(error)
    if fault is None:
        log.exception("sign-in failed", exc_info=error)
        return f"Something went wrong: {error}"
    if fault.kind in (Kind.OFFLINE, Kind.TRANSIENT):
        return "Cannot reach the Gravy account service. Check the network and try again."
    return fault.message or fault.code


class SignInDialog(QDialog):
    """Pages: welcome (first run), sign in, new password, code, create account, confirm,
    forgot password. ``account`` is set when it closes signed in; ``offline`` when the
    writer chose to work offline."""

    def __init__(
        self,
        home: Path,
        deployment: Deployment,
        tasks: Tasks,
        parent: QWidget | None = None,
        email: str = "",
        welcome: bool = False,
        open_browser: Callable[[str], object] = webbrowser.open,
    ) -> None:
        super().__init__(parent)
        self.open_browser = open_browser
        self.browser_attempt: Any = None  # a BrowserSignIn waiting for the browser
        self.home = home
        self.deployment = deployment
        self.tasks = tasks
        self.cognito = Cognito(deployment)
        self.account: Account | None = None
        self.offline = False
        self.challenge: Challenge | None = None
        self._layouts: dict[QWidget, QVBoxLayout] = {}
        self._forms: dict[QWidget, QFormLayout] = {}
        self.setWindowTitle("Gravy account")
        self.setMinimumWidth(440)
        self.pages = QStackedWidget()

        self.welcome_page = self._page(
            "Sync your templates with your Gravy account: the one you use in the web app."
        )
        self.welcome_sign_in = QPushButton("Sign in")
        self.welcome_create = QPushButton("Create account")
        self.welcome_offline = QPushButton("Work offline for now")
        for button in (self.welcome_sign_in, self.welcome_create, self.welcome_offline):
            self._layouts[self.welcome_page].addWidget(button)

        self.sign_in_page = self._page("Sign in with your Gravy account.")
        self.email = self._field("Email", email, self.sign_in_page)
        self.password = self._field("Password", "", self.sign_in_page, secret=True)
        self.sign_in_button = QPushButton("Sign in")
        self.forgot_button = QPushButton("Forgot password?")
        self.create_button = QPushButton("Create account")
        self._row(self.sign_in_page, self.sign_in_button, self.forgot_button, self.create_button)
        self.browser_button = QPushButton("Sign in with the browser")
        self.browser_button.setToolTip(
            "Sign in on your organisation's Gravy sign-in page (single sign-on)"
        )
        self._row(self.sign_in_page, self.browser_button)
        self.browser_button.setVisible(bool(deployment.hosted_domain))

        self.new_password_page = self._page("Choose a new password to finish signing in.")
        self.new_password = self._field("New password", "", self.new_password_page, secret=True)
        self.new_password_again = self._field("Again", "", self.new_password_page, secret=True)
        self.new_password_button = QPushButton("Continue")
        self._row(self.new_password_page, self.new_password_button)

        self.code_page = self._page("Enter the 6-digit code from your authenticator app.")
        self.code = self._field("Code", "", self.code_page)
        self.code_button = QPushButton("Verify")
        self._row(self.code_page, self.code_button)

        self.sign_up_page = self._page("Create a Gravy account (it works in the web app too).")
        self.up_email = self._field("Email", email, self.sign_up_page)
        self.up_password = self._field("Password", "", self.sign_up_page, secret=True)
        self.up_again = self._field("Again", "", self.sign_up_page, secret=True)
        self.up_button = QPushButton("Create account")
        self.up_back = QPushButton("I have an account")
        self._row(self.sign_up_page, self.up_button, self.up_back)

        self.confirm_page = self._page("Enter the code we emailed to confirm your address.")
        self.confirm_code = self._field("Code", "", self.confirm_page)
        self.confirm_button = QPushButton("Confirm")
        self.resend_button = QPushButton("Send a new code")
        self._row(self.confirm_page, self.confirm_button, self.resend_button)

        self.forgot_page = self._page("We email you a code to choose a new password with.")
        self.forgot_email = self._field("Email", email, self.forgot_page)
        self.send_code_button = QPushButton("Email me a code")
        self._row(self.forgot_page, self.send_code_button)

        self.reset_page = self._page("Enter the emailed code and choose a new password.")
        self.reset_code = self._field("Code", "", self.reset_page)
        self.reset_password = self._field("New password", "", self.reset_page, secret=True)
        self.reset_button = QPushButton("Change password")
        self._row(self.reset_page, self.reset_button)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Sign-in message")
        self.cancel_button = QPushButton("Cancel")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.message)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.cancel_button)
        layout.addLayout(bottom)

        self.welcome_sign_in.clicked.connect(lambda: self.show_page(self.sign_in_page))
        self.welcome_create.clicked.connect(lambda: self.show_page(self.sign_up_page))
        self.welcome_offline.clicked.connect(self._work_offline)
        self.create_button.clicked.connect(lambda: self.show_page(self.sign_up_page))
        self.up_back.clicked.connect(lambda: self.show_page(self.sign_in_page))
        self.forgot_button.clicked.connect(self._forgot)
        self.sign_in_button.clicked.connect(self._sign_in)
        self.password.returnPressed.connect(self._sign_in)
        self.new_password_button.clicked.connect(self._answer_new_password)
        self.code_button.clicked.connect(self._answer_code)
        self.code.returnPressed.connect(self._answer_code)
        self.up_button.clicked.connect(self._sign_up)
        self.confirm_button.clicked.connect(self._confirm)
        self.resend_button.clicked.connect(self._resend)
        self.send_code_button.clicked.connect(self._send_reset_code)
        self.reset_button.clicked.connect(self._reset)
        self.browser_button.clicked.connect(self._sign_in_with_browser)
        self.cancel_button.clicked.connect(self.reject)
        self.show_page(self.welcome_page if welcome else self.sign_in_page)

    # -- layout ---------------------------------------------------------------------------

    def _page(self, intro: str) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        text = QLabel(intro)
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        layout.addLayout(form)
        self._layouts[page], self._forms[page] = layout, form
        self.pages.addWidget(page)
        return page

    def _field(self, label: str, value: str, page: QWidget, secret: bool = False) -> QLineEdit:
        field = QLineEdit(value)
        field.setAccessibleName(label)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self._forms[page].addRow(label, field)
        return field

    def _row(self, page: QWidget, *buttons: QPushButton) -> None:
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        self._layouts[page].addLayout(row)

    def show_page(self, page: QWidget, message: str = "") -> None:
        self.pages.setCurrentWidget(page)
        self.cancel_button.setVisible(page is not self.welcome_page)
        self.message.setText(message)
        first = page.findChild(QLineEdit)
        if page is self.sign_in_page and self.email.text():
            first = self.password
        if page is self.sign_up_page and self.email.text() and not self.up_email.text():
            self.up_email.setText(self.email.text())
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _busy(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setEnabled(False)

    def _idle(self, text: str = "") -> None:
        self.pages.setEnabled(True)
        self.message.setText(text)

    def _run(self, busy: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._busy(busy)
        self.tasks.run(work, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, Challenge):
            self.challenge = error
            page = self.new_password_page if error.kind == "new_password" else self.code_page
            self._idle()
            self.show_page(page)
        elif isinstance(error, account.NotConfirmed):
            self._idle()
            self.show_page(self.confirm_page, explain(error))
        else:
            self._idle(explain(error))

    # -- actions --------------------------------------------------------------------------

    def _work_offline(self) -> None:
        self.offline = True
        self.accept()

    def _sign_in(self) -> None:
        email, password = self.email.text().strip(), self.password.text()
        if not email or not password:
            self._idle("Enter your email and password.")
            return
        self._run("Signing in...", lambda: self.cognito.sign_in(email, password), self._keep)

    def _sign_in_with_browser(self) -> None:
        from desktop.sync.browser import BrowserSignIn

        attempt = BrowserSignIn(self.deployment, self.open_browser, cognito=self.cognito)
        self.browser_attempt = attempt

        def keep(tokens: Tokens) -> None:
            self.browser_attempt = None
            self.email.setText(tokens.email or tokens.sub)
            self._keep(tokens)

        def failed(error: BaseException) -> None:
            self.browser_attempt = None
            self._failed(error)

        self._busy("Continue in your browser: sign in there, then come back here.")
        self.tasks.run(attempt.sign_in, keep, failed)

    def done(self, result: int) -> None:
        """Closing the dialog ends a wait for the browser (its loopback port closes)."""
        if self.browser_attempt is not None:
            self.browser_attempt.cancel()
        super().done(result)

    def _answer_new_password(self) -> None:
        new = self.new_password.text()
        if not new or new != self.new_password_again.text():
            self._idle("The two passwords differ.")
            return
        challenge = self.challenge
        assert challenge is not None
        self._run(
            "Signing in...", lambda: self.cognito.answer_new_password(challenge, new), self._keep
        )

    def _answer_code(self) -> None:
        challenge, code = self.challenge, self.code.text().strip()
        assert challenge is not None
        self._run(
            "Checking the code...", lambda: self.cognito.answer_mfa(challenge, code), self._keep
        )

    def _keep(self, tokens: Tokens) -> None:
        email = self.email.text().strip()
        self._run(
            "Signing in...",
            lambda: account.sign_in_result(self.home, self.deployment, email, tokens, self.cognito),
            self._signed_in,
        )

    def _signed_in(self, signed: Account) -> None:
        self.account = signed
        self.password.clear()
        self.accept()

    def _sign_up(self) -> None:
        email, password = self.up_email.text().strip(), self.up_password.text()
        if not email or not password or password != self.up_again.text():
            self._idle("Enter your email and the same password twice.")
            return
        self.email.setText(email)
        self.password.setText(password)  # to sign in once the address is confirmed
        self._run(
            "Creating the account...",
            lambda: self.cognito.sign_up(email, password),
            lambda confirmed: self._sign_in() if confirmed else self._ask_code(email),
        )

    def _ask_code(self, email: str) -> None:
        self._idle()
        self.show_page(self.confirm_page, f"A code is on its way to {email}.")

    def _confirm(self) -> None:
        email, code = self.email.text().strip(), self.confirm_code.text().strip()
        self._run(
            "Confirming...", lambda: self.cognito.confirm(email, code), lambda _: self._sign_in()
        )

    def _resend(self) -> None:
        email = self.email.text().strip()
        self._run(
            "Sending a new code...",
            lambda: self.cognito.resend_code(email),
            lambda _: self._idle(f"A new code is on its way to {email}."),
        )

    def _forgot(self) -> None:
        self.forgot_email.setText(self.email.text().strip())
        self.show_page(self.forgot_page)

    def _send_reset_code(self) -> None:
        email = self.forgot_email.text().strip()
        self._run("Sending a code...", lambda: self.cognito.forgot_password(email), self._sent)

    def _sent(self, _: object) -> None:
        self._idle()
        email = self.forgot_email.text().strip()
        self.show_page(self.reset_page, f"If {email} has an account, a code is on its way.")

    def _reset(self) -> None:
        email = self.forgot_email.text().strip()
        code, new = self.reset_code.text().strip(), self.reset_password.text()
        self.email.setText(email)
        self.password.setText(new)

        self._run(
            "Changing the password...",
            lambda: self.cognito.reset_password(email, code, new),
            lambda _: self._sign_in(),
        )


# -- which database the window opens ---------------------------------------------------------


def open_account_database(home: Path, signed: Account, deployment: Deployment) -> Path:
    """Create (or reopen) the account's database and bind it to the account."""
    path = account.account_database_path(home, signed.sub)
    store = Store(open_database(path))
    try:
        account.bind_database(store, signed, deployment)
    finally:
        store.database.close()
    return path


def move_offline_records(home: Path, signed: Account, offline: Store) -> adoption.Adopted:
    """Move what was written offline into the account's database (bound already)."""
    target = Store(open_database(account.account_database_path(home, signed.sub)))
    try:
        return adoption.adopt(offline, target, signed.sub, signed.email)
    finally:
        target.database.close()


def offer_offline_records(parent: QWidget | None, signed: Account, offline: Store) -> bool:
    """Ask whether the records written offline join ``signed``'s account; True: move them.
    Not asked when nothing waits, or when they are being moved into another account."""
    waiting = adoption.waiting(offline)
    if not waiting.offered_to(signed.sub):
        return False
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Records written offline")
    box.setText(f"You wrote {waiting.describe()} on this computer while not signed in.")
    box.setInformativeText(
        f"Move them into {signed.email}'s account? They are synced to it, and leave the "
        "offline records on this computer. If not now, they stay here offline, and you are "
        "asked again the next time you sign in."
    )
    move = box.addButton("Move into my account", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(move)
    box.exec()
    return box.clickedButton() is move


def first_run(default: Path, tasks: Tasks | None = None) -> Path:
    """The database to open at start. The first time (no accounts file yet, and a
    deployment to sign in to), ask: Sign in, Create account, or Work offline for now."""
    home = account.data_home()
    deployment = account.load_deployment(home)
    if deployment is None or (home / account.REGISTRY_FILE).exists():
        return default
    dialog = SignInDialog(home, deployment, tasks or Tasks(), welcome=True)
    dialog.exec()
    if dialog.account is not None:
        path = open_account_database(home, dialog.account, deployment)
        offline_path = account.offline_database_path(home)
        if offline_path.exists():
            offline = Store(open_database(offline_path))
            try:
                if offer_offline_records(None, dialog.account, offline):
                    move_offline_records(home, dialog.account, offline)  # before any window
            finally:
                offline.database.close()
        return path
    account.save_registry(home, account.load_registry(home))  # asked once: offline for now
    return default


class AccountMenu:
    """The window's Account menu and its "Sign in again" button (shown when the session
    ended). ``switch_to`` is the database to reopen the window on after a switch."""

    def __init__(self, window: QMainWindow, store: Store, tasks: Tasks, sync: Any) -> None:
        self.window = window
        self.store = store
        self.tasks = tasks
        self.sync = sync
        self.home = account.data_home()
        self.switch_to: Path | None = None
        owner = account.bound_owner(store)
        self.owner_email = str(owner.get("email")) if owner else None
        menu = window.menuBar().addMenu("&Account")
        self.who = menu.addAction(
            f"Signed in as {self.owner_email}" if self.owner_email else "Not signed in"
        )
        self.who.setEnabled(False)
        menu.addSeparator()
        self.sign_in_action = menu.addAction("Sign in...")
        self.sign_out_action = menu.addAction("Sign out...")
        self.sign_in_action.setVisible(self.owner_email is None)
        self.sign_out_action.setVisible(self.owner_email is not None)
        self.sign_in_action.triggered.connect(lambda _checked=False: self.sign_in())
        self.sign_out_action.triggered.connect(lambda _checked=False: self.sign_out())
        self.again_button = QPushButton("Sign in again")
        self.again_button.hide()
        window.statusBar().addPermanentWidget(self.again_button)
        self.again_button.clicked.connect(lambda: self.sign_in())
        sync.status_changed.connect(self._status)

    def _status(self, status: Any) -> None:
        ended = status.mode == "signed out" and "sign in again" in status.message
        self.again_button.setVisible(bool(ended and self.owner_email))

    def sign_in(self) -> None:
        deployment = account.load_deployment(self.home)
        if deployment is None:
            QMessageBox.information(
                self.window,
                "Gravy account",
                "This installation does not know where the Gravy account lives. Put the "
                f"{account.DEPLOYMENT_FILE} your organisation gives you next to the app, or "
                "run: gravy-desktop config import FILE",
            )
            return
        dialog = SignInDialog(
            self.home, deployment, self.tasks, self.window, email=self.owner_email or ""
        )
        if not dialog.exec() or dialog.account is None:
            return
        path = open_account_database(self.home, dialog.account, deployment)
        if path == self.store.database.path:
            self.again_button.hide()
            self.sync.sync_now()  # the same account: sync resumes with the new session
        elif self._on_offline_database() and offer_offline_records(
            self.window, dialog.account, self.store
        ):
            signed = dialog.account
            self.window.statusBar().showMessage("Moving the offline records into the account...")
            self.tasks.run(
                lambda: move_offline_records(self.home, signed, self.store),
                lambda _: self._switch(path),
                lambda error: self._moving_failed(error, path),
            )
        else:
            self._switch(path)

    def _on_offline_database(self) -> bool:
        offline = account.offline_database_path(self.home)
        return self.store.database.path.resolve() == offline.resolve()

    def _moving_failed(self, error: BaseException, path: Path) -> None:
        self._say(
            "Records written offline",
            f"The records written offline could not be moved: {explain(error)} They are "
            "still on this computer; you are asked again the next time you sign in.",
        )
        self._switch(path)

    def unsynced(self) -> int:
        counts = self.store.queue_counts()
        return sum(counts.get(state, 0) for state in UNSYNCED)

    def sign_out(self) -> None:
        waiting = self.unsynced()
        if waiting:
            box = QMessageBox(self.window)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Sign out")
            box.setText(f"{account.not_synced(waiting)}.")
            box.setInformativeText(
                "Sync them first? If you sign out now they stay on this computer and are "
                f"sent the next time {self.owner_email} signs in here."
            )
            sync_first = box.addButton("Sync, then sign out", QMessageBox.ButtonRole.AcceptRole)
            anyway = box.addButton("Sign out", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(sync_first)
            box.exec()
            if box.clickedButton() is sync_first:
                self._sync_then_sign_out()
                return
            if box.clickedButton() is not anyway:
                return
        self._sign_out_now()

    def _sync_then_sign_out(self) -> None:
        def finished(report: Any) -> None:
            self.sync.cycle_finished.disconnect(finished)
            if self.unsynced():
                QMessageBox.warning(
                    self.window,
                    "Still signed in",
                    f"{account.changes(self.unsynced())} could not be synced"
                    + (f" ({report.message})" if report.message else "")
                    + ". You are still signed in.",
                )
                return
            self._sign_out_now()

        self.sync.cycle_finished.connect(finished)
        self.sync.sync_now()

    def _sign_out_now(self) -> None:
        deployment = account.load_deployment(self.home)
        self.tasks.run(
            lambda: account.sign_out(self.home, deployment),
            lambda _: self._switch(account.offline_database_path(self.home)),
            lambda error: self._say("Sign out", explain(error)),
        )

    def _say(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def _switch(self, path: Path) -> None:
        """Close this window; run_gui reopens on ``path`` (nothing of this account stays
        on screen)."""
        self.switch_to = path
        self.window.close()
