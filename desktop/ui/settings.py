"""Sync settings: the account signed in, the interval, and under Advanced (self-hosting and
development) who, where, how (AWS profile or access keys, with the secret going only to the
OS keyring and never shown back), and the tables: Test connection, Create tables."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.store.services import Store
from desktop.sync import tables
from desktop.sync.config import (
    SyncSettings,
    load_secret,
    load_settings,
    make_client,
    save_secret,
    save_settings,
)
from desktop.sync.errors import MissingCredentials, classify
from desktop.ui import icons
from desktop.ui.quickfill import QuickFillSettings
from desktop.ui.tasks import Tasks


def _problem_text(error: BaseException) -> str:
    problem = classify(error)
    return str(error) if problem is None else problem.message or problem.code


#: The settings' fields as the dialog labels them (a refusal names the field so).
LABELS = {
    "user_id": "User id",
    "region": "Region",
    "endpoint_url": "Endpoint URL",
    "table_prefix": "Table prefix",
    "sync_interval_s": "Sync every",
    "profile": "AWS profile",
    "access_key_id": "Access key",
}
ADVANCED = "Advanced (self-hosting and development)"


def _problems(error: ValidationError) -> str:
    """What pydantic refused, with the fields named as the dialog labels them."""
    return "; ".join(
        f"{LABELS.get(str(e['loc'][0]), str(e['loc'][0])) if e['loc'] else 'Settings'}: {e['msg']}"
        for e in error.errors()
    )


def _account_text(settings: SyncSettings) -> str:
    if settings.account is not None:
        return f"Account: signed in as {settings.account.email} (Account menu to sign out)."
    return "Account: not signed in. Sign in from the Account menu to sync your templates."


class SettingsDialog(QDialog):
    def __init__(self, store: Store, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tasks = tasks
        self.settings = load_settings(store)
        self.setWindowTitle("Sync settings")
        self.setMinimumWidth(560)
        self.user_id = QLineEdit(self.settings.user_id or "")
        self.user_id.setPlaceholderText("the id that owns your items (e.g. your Cognito id)")
        self.use_profile = QRadioButton("AWS profile")
        self.use_keys = QRadioButton("Access key")
        self.use_default = QRadioButton("Default AWS credentials (or none for DynamoDB Local)")
        group = QButtonGroup(self)
        for button in (self.use_profile, self.use_keys, self.use_default):
            group.addButton(button)
        self.profile = QLineEdit(self.settings.profile or "")
        self.access_key_id = QLineEdit(self.settings.access_key_id or "")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(self._secret_placeholder())
        self.region = QLineEdit(self.settings.region)
        self.endpoint = QLineEdit(self.settings.endpoint_url or "")
        self.endpoint.setPlaceholderText("AWS; or e.g. http://localhost:8000 for DynamoDB Local")
        self.prefix = QLineEdit(self.settings.table_prefix)
        self.interval = QSpinBox()
        self.interval.setRange(5, 86_400)
        self.interval.setSuffix(" s")
        self.interval.setValue(self.settings.sync_interval_s)
        if self.settings.access_key_id:
            self.use_keys.setChecked(True)
        elif self.settings.profile:
            self.use_profile.setChecked(True)
        else:
            self.use_default.setChecked(True)

        form = QFormLayout()
        form.addRow("User id", self.user_id)
        form.addRow(self.use_profile, self.profile)
        keys = QHBoxLayout()
        keys.addWidget(self.access_key_id)
        keys.addWidget(self.secret)
        form.addRow(self.use_keys, keys)
        form.addRow(self.use_default)
        form.addRow("Region", self.region)
        form.addRow("Endpoint URL", self.endpoint)
        form.addRow("Table prefix", self.prefix)
        # Keys, profiles and endpoints are for self-hosting and development, under Advanced:
        # a writer signs in with the Gravy account (Account menu) and never sees an AWS key.
        self.account_line = QLabel(_account_text(self.settings))
        self.account_line.setWordWrap(True)
        self.advanced = QPushButton(ADVANCED)
        self.advanced.setCheckable(True)
        # A heading that folds the part open (not a pressed-in button when open).
        self.advanced.setStyleSheet(
            "QPushButton { text-align: left; border: none; padding: 6px 0px; font-weight: bold; }"
        )
        self.advanced.setAccessibleName("Advanced settings")
        self.advanced_box = QWidget()
        advanced = QVBoxLayout(self.advanced_box)
        advanced.setContentsMargins(12, 0, 0, 0)
        note = QLabel(
            "Where your templates sync to, for your own server or development. "
            "Signed in with a Gravy account, you need none of this."
        )
        note.setWordWrap(True)
        advanced.addWidget(note)
        advanced.addLayout(form)
        self.test_button = QPushButton("Test connection")
        self.create_button = QPushButton("Create tables")
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addWidget(self.create_button)
        actions.addStretch(1)
        advanced.addLayout(actions)
        self.advanced.toggled.connect(self._show_advanced)
        self.advanced.setChecked(self.settings.account is None and bool(self.settings.user_id))
        self._show_advanced(self.advanced.isChecked())
        always = QFormLayout()
        always.addRow("Sync every", self.interval)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.account_line)
        layout.addLayout(always)
        self.quick_fill = QuickFillSettings()
        layout.addWidget(self.quick_fill)
        layout.addWidget(self.advanced)
        layout.addWidget(self.advanced_box)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.test_button.clicked.connect(self.test_connection)
        self.create_button.clicked.connect(self.create_tables)
        for button in (self.use_profile, self.use_keys, self.use_default):
            button.toggled.connect(self._enable)
        self._enable()

    def _show_advanced(self, shown: bool) -> None:
        self.advanced_box.setVisible(shown)
        self.advanced.setIcon(icons.icon("chevron-down" if shown else "chevron-right"))
        self.adjustSize()

    def _secret_placeholder(self) -> str:
        if not self.settings.access_key_id:
            return "secret access key"
        try:
            stored = load_secret(self.settings.access_key_id)
        except MissingCredentials:
            return "no OS keyring available"
        return "stored in the keyring" if stored else "secret access key"

    def _enable(self) -> None:
        self.profile.setEnabled(self.use_profile.isChecked())
        self.access_key_id.setEnabled(self.use_keys.isChecked())
        self.secret.setEnabled(self.use_keys.isChecked())

    def chosen(self) -> SyncSettings:
        """The settings as entered (raises ValidationError when something is invalid)."""
        fields: dict[str, Any] = self.settings.model_dump() | {
            "user_id": self.user_id.text().strip() or None,
            "region": self.region.text().strip() or "us-east-1",
            "endpoint_url": self.endpoint.text().strip() or None,
            "table_prefix": self.prefix.text().strip(),
            "sync_interval_s": self.interval.value(),
            "profile": self.profile.text().strip() or None
            if self.use_profile.isChecked()
            else None,
            "access_key_id": (
                self.access_key_id.text().strip() or None if self.use_keys.isChecked() else None
            ),
        }
        return SyncSettings.model_validate(fields)

    def _store_secret(self, settings: SyncSettings) -> None:
        secret = self.secret.text()
        if settings.access_key_id and secret:
            save_secret(settings.access_key_id, secret)
            self.secret.clear()  # never kept in the dialog, never shown back
            self.secret.setPlaceholderText("stored in the keyring")

    def save(self) -> None:
        try:
            settings = self.chosen()
            self._store_secret(settings)
        except ValidationError as error:
            self.outcome.setText("Not saved: " + _problems(error))
            advanced = {"sync_interval_s"}.isdisjoint(e["loc"][0] for e in error.errors())
            if advanced:
                self.advanced.setChecked(True)  # show the field refused
            return
        except MissingCredentials as error:
            self.outcome.setText(f"Not saved: {error}")
            return
        save_settings(self.store, settings)
        self.quick_fill.save()
        self.settings = settings
        self.accept()

    def _run(self, what: str, work: Any) -> None:
        try:
            settings = self.chosen()
            self._store_secret(settings)
        except ValidationError as error:
            self.outcome.setText(f"{what}: {_problems(error)}")
            return
        except MissingCredentials as error:
            self.outcome.setText(f"{what}: {error}")
            return
        self.outcome.setText(f"{what}...")
        for button in (self.test_button, self.create_button):
            button.setEnabled(False)

        def done(message: str) -> None:
            self.outcome.setText(message)
            for button in (self.test_button, self.create_button):
                button.setEnabled(True)

        self.tasks.run(
            lambda: work(settings),
            done,
            lambda error: done(f"{what} failed: {_problem_text(error)}"),
        )

    def test_connection(self) -> None:
        def check(settings: SyncSettings) -> str:
            client = make_client(settings)
            names: list[str] = []
            for page in client.get_paginator("list_tables").paginate():
                names.extend(page["TableNames"])
            wanted = [settings.table_prefix + spec.name for spec in tables.ALL_TABLES]
            missing = [name for name in wanted if name not in names]
            if missing:
                return f"Connected. Missing tables: {', '.join(missing)} (use Create tables)."
            return f"Connected. All {len(wanted)} tables are there."

        self._run("Testing the connection", check)

    def create_tables(self) -> None:
        def create(settings: SyncSettings) -> str:
            client = make_client(settings)
            created = tables.create_tables(client, settings.table_prefix)
            added = tables.ensure_indexes(client, settings.table_prefix)
            return f"Tables ready ({len(created)} created, {len(added)} indexes added)."

        self._run("Creating the tables", create)
