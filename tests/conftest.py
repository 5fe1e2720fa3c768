"""Shared fixtures: a fresh store per test, DynamoDB Local per session, offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.store.db import open_database
from desktop.store.services import Store
from tests.dynamodb_local import DynamoDBLocal


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
