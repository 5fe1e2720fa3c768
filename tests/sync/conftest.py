"""Sync fixtures: tables under a fresh prefix per test on the session's DynamoDB Local."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync.config import SyncSettings, make_client, save_settings
from desktop.sync.engine import CycleReport, SyncEngine
from desktop.sync.errors import Backoff
from desktop.sync.push import PushEngine
from desktop.sync.tables import create_tables
from tests.conftest import client_for
from tests.dynamodb_local import DynamoDBLocal
from tests.fault_proxy import FaultProxy
from tests.webapp import PageManagerService, TemplateService, resource_for

USER = "user-ann"


@pytest.fixture
def prefix(dynamodb: Any) -> str:
    name = f"t{uuid.uuid4().hex[:10]}-"
    create_tables(dynamodb, prefix=name)
    return name


def settings_for(endpoint_url: str, prefix: str, **extra: Any) -> SyncSettings:
    fields = {"user_id": USER, "endpoint_url": endpoint_url, "table_prefix": prefix}
    return SyncSettings(**(fields | extra))


EngineFactory = Callable[..., PushEngine]


@pytest.fixture
def engine_for(dynamodb_local: DynamoDBLocal, prefix: str) -> EngineFactory:
    """engine_for(store, endpoint_url=None) -> a PushEngine with instant backoff."""

    def make(
        store: Store,
        endpoint_url: str | None = None,
        batch_size: int = 100,
        backoff: Backoff | None = None,
        **extra: Any,
    ) -> PushEngine:
        settings = settings_for(endpoint_url or dynamodb_local.endpoint_url, prefix, **extra)
        save_settings(store, settings)
        return PushEngine(
            store,
            make_client(settings),
            settings,
            backoff=backoff or Backoff(0.001, 0.01),
            batch_size=batch_size,
        )

    return make


class Device:
    """One installation: its own database, device id and sync engine."""

    def __init__(self, store: Store, engine: SyncEngine) -> None:
        self.store = store
        self.engine = engine

    def sync(self, full: bool | None = False) -> CycleReport:
        report = self.engine.run_once(full)
        assert report.ok, report.message
        return report


DeviceFactory = Callable[..., Device]


@pytest.fixture
def device_for(
    dynamodb_local: DynamoDBLocal, prefix: str, tmp_path: Path
) -> Iterator[DeviceFactory]:
    """device_for(name, endpoint_url=None, store=None, **settings) -> a Device."""
    made: list[Device] = []
    owned: list[Store] = []

    def make(
        name: str, endpoint_url: str | None = None, store: Store | None = None, **extra: Any
    ) -> Device:
        if store is None:
            store = Store(open_database(tmp_path / f"{name}.db"), version_window_s=0)
            owned.append(store)
        settings = settings_for(
            endpoint_url or dynamodb_local.endpoint_url, prefix, device_id=f"device-{name}", **extra
        )
        save_settings(store, settings)
        engine = SyncEngine(store, make_client(settings), settings, backoff=Backoff(0.001, 0.01))
        device = Device(store, engine)
        made.append(device)
        return device

    yield make
    for device in made:
        device.engine.close()
    for store in owned:
        store.database.close()


@pytest.fixture
def proxy(dynamodb_local: DynamoDBLocal) -> Iterator[FaultProxy]:
    with FaultProxy(dynamodb_local.port) as running:
        yield running


@pytest.fixture
def server(dynamodb: Any, prefix: str) -> Server:
    return Server(dynamodb, prefix)


@pytest.fixture
def webapp(dynamodb_local: DynamoDBLocal, prefix: str) -> TemplateService:
    """The GravyJS web app (seed 000) on this test's tables."""
    return TemplateService(resource_for(dynamodb_local.endpoint_url), prefix)


@pytest.fixture
def pagemanager(dynamodb_local: DynamoDBLocal, prefix: str) -> PageManagerService:
    """The Page Manager web app (seed 002) on this test's tables, ``isPublished`` as 1/0."""
    return PageManagerService(
        resource_for(dynamodb_local.endpoint_url), prefix, published_as_number=True
    )


class Server:
    """What a user (or the web app) sees on DynamoDB, read with plain boto3."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def table(self, name: str) -> str:
        return self.prefix + name

    def get(self, table: str, **key: str) -> dict[str, Any] | None:
        from desktop.sync.codec import deserialize, serialize

        found = self.client.get_item(
            TableName=self.table(table), Key=serialize(key), ConsistentRead=True
        ).get("Item")
        return deserialize(found) if found else None

    def scan(self, table: str) -> list[dict[str, Any]]:
        from desktop.sync.codec import deserialize

        items: list[dict[str, Any]] = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table(table)):
            items.extend(deserialize(item) for item in page["Items"])
        return items

    def put(self, table: str, item: dict[str, Any]) -> None:
        from desktop.sync.codec import serialize

        self.client.put_item(TableName=self.table(table), Item=serialize(item))


__all__ = [
    "USER",
    "Device",
    "DeviceFactory",
    "EngineFactory",
    "Server",
    "client_for",
    "settings_for",
]
