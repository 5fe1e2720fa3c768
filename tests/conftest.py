"""Shared fixtures: a fresh store per test, DynamoDB Local per session, offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.store.db import open_database
from desktop.store.services import Store
from tests.dynamodb_local import DynamoDBLocal

pytest_plugins = ["tests.full_disk", "tests.cognito"]  # ``disk``; the Cognito stand-in


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gravy.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A store on a fresh database; every content save records its own version."""
    store = Store(open_database(db_path), version_window_s=0)
    yield store
    store.database.close()


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    with DynamoDBLocal() as server:
        yield server


def client_for(endpoint_url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def dynamodb(dynamodb_local: DynamoDBLocal) -> Any:
    return client_for(dynamodb_local.endpoint_url)


class MemoryKeyring(KeyringBackend):
    """Tests never touch the real OS keychain."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def isolated_qsettings(tmp_path: Path, qapp: Any) -> None:
    """Window settings in a temporary folder, never the user's real ones."""
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("GravyDesktopTests")
    QCoreApplication.setApplicationName("Gravy Desktop Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture(autouse=True)
def cycles_collected_on_the_main_thread(qapp: Any) -> Iterator[None]:
    """As in the app (desktop/ui/collector.py): cyclic garbage is collected on the GUI
    thread only, by a timer, and after each test (a test that never runs the event loop
    leaves nothing to pile up); never in a worker thread, where destroying Qt objects
    crashed the suite at random."""
    from desktop.ui.collector import collect_on_gui_thread

    collector = collect_on_gui_thread(qapp)
    yield
    collector.collect()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
