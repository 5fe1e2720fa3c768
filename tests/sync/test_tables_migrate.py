"""`gravy-desktop tables migrate`: tables an earlier release made with ``versionKey`` and
``shareKey`` sort keys are rebuilt with the keys the web app's writes carry, losing nothing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.sync import tables
from desktop.sync.tables import SHARES, VERSIONS
from tests.dynamodb_local import DynamoDBLocal
from tests.sync.conftest import Server
from tests.test_cli import configure, gravy

pytestmark = pytest.mark.dynamodb


def old_tables(client: Any, prefix: str) -> None:
    """The two tables as releases before issue 11 created them."""
    for name, keys in (
        ("GravyTemplateVersions", ("userId", "versionKey")),
        ("GravyTemplateShares", ("userId", "shareKey")),
    ):
        client.create_table(
            TableName=prefix + name,
            KeySchema=[
                {"AttributeName": keys[0], "KeyType": "HASH"},
                {"AttributeName": keys[1], "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            BillingMode="PAY_PER_REQUEST",
        )


def old_version(n: int, version_id: str | None = None) -> dict[str, Any]:
    version_id = version_id or f"v-17639000000{n:02d}-abcdefghi"
    return {
        "userId": "ann",
        "versionKey": f"template-{n % 3}#{version_id}",
        "versionId": version_id,
        "templateId": f"template-{n % 3}",
        "content": f"<p>text {n}</p>",
        "createdAt": f"2026-11-0{1 + n % 9}T10:00:00.000Z",
        "updatedAt": f"2026-11-0{1 + n % 9}T10:00:00.000Z",
        "version": 1,
    }


def key_schema(client: Any, name: str) -> list[tuple[str, str]]:
    table = client.describe_table(TableName=name)["Table"]
    return [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]


@pytest.fixture
def old_prefix(dynamodb: Any) -> str:
    prefix = f"old{uuid.uuid4().hex[:8]}-"
    old_tables(dynamodb, prefix)
    return prefix


def test_tables_migrate_rebuilds_old_keys_and_keeps_every_item(
    db_path: Path, dynamodb_local: DynamoDBLocal, dynamodb: Any, old_prefix: str
) -> None:
    server = Server(dynamodb, old_prefix)
    for n in range(40):
        server.put("GravyTemplateVersions", old_version(n))
    share = {
        "userId": "ann",
        "shareKey": "template-1#bob@example.com",
        "templateId": "template-1",
        "sharedByUserId": "ann",
        "sharedWithUserId": "bob@example.com",
        "permissions": "read",
        "createdAt": "2026-11-01T10:00:00.000Z",
    }
    server.put("GravyTemplateShares", share)
    configure(db_path, dynamodb_local.endpoint_url, old_prefix)

    refused = gravy("tables", "create", db=db_path)
    assert refused.returncode == 2
    assert "run `gravy-desktop tables migrate`" in refused.stderr

    migrated = gravy("tables", "migrate", db=db_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated 2 tables" in migrated.stdout
    versions = old_prefix + "GravyTemplateVersions"
    assert key_schema(dynamodb, versions) == [("userId", "HASH"), ("versionId", "RANGE")]
    assert key_schema(dynamodb, old_prefix + "GravyTemplateShares") == [
        ("templateId", "HASH"),
        ("sharedWithUserId", "RANGE"),
    ]
    items = server.scan("GravyTemplateVersions")
    assert len(items) == 40 and all("versionKey" not in i for i in items)
    assert {i["versionId"] for i in items} == {old_version(n)["versionId"] for n in range(40)}
    (moved,) = server.scan("GravyTemplateShares")
    assert moved == {k: v for k, v in share.items() if k not in ("userId", "shareKey")}
    assert len(server.scan("GravyTemplateVersions-backup")) == 40, "the backup is kept"
    indexes = dynamodb.describe_table(TableName=versions)["Table"]["GlobalSecondaryIndexes"]
    assert [i["IndexName"] for i in indexes] == [VERSIONS.delta_index]

    again = gravy("tables", "migrate", db=db_path)
    assert again.returncode == 0 and "migrated 0 tables" in again.stdout
    assert gravy("tables", "create", db=db_path).returncode == 0
    assert SHARES.owner_index == "SharedByUserIndex"


def test_a_migration_that_would_merge_items_stops_with_a_plain_message_and_keeps_them(
    db_path: Path, dynamodb_local: DynamoDBLocal, dynamodb: Any, old_prefix: str
) -> None:
    server = Server(dynamodb, old_prefix)
    clash = "v-1763900000000-samesame1"
    server.put("GravyTemplateVersions", old_version(1, clash))
    server.put("GravyTemplateVersions", old_version(2, clash))  # same id, another template
    configure(db_path, dynamodb_local.endpoint_url, old_prefix)

    failed = gravy("tables", "migrate", db=db_path)
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    assert "two items share a key under the new keys" in failed.stderr
    assert "GravyTemplateVersions is untouched" in failed.stderr
    assert len(server.scan("GravyTemplateVersions")) == 2


def test_an_interrupted_migration_resumes_from_the_backup(
    db_path: Path, dynamodb_local: DynamoDBLocal, dynamodb: Any, old_prefix: str
) -> None:
    server = Server(dynamodb, old_prefix)
    for n in range(5):
        server.put("GravyTemplateVersions", old_version(n))
    versions = old_prefix + "GravyTemplateVersions"
    # Interrupted after the backup and the deletion, before the table was made again.
    schema = dynamodb.describe_table(TableName=versions)["Table"]["KeySchema"]
    tables._back_up(dynamodb, versions, versions + "-backup", schema, 60, print)
    dynamodb.delete_table(TableName=versions)
    tables._wait_gone(dynamodb, versions, time.monotonic() + 60)
    configure(db_path, dynamodb_local.endpoint_url, old_prefix)

    resumed = gravy("tables", "migrate", db=db_path)
    assert resumed.returncode == 0, resumed.stderr
    assert key_schema(dynamodb, versions) == [("userId", "HASH"), ("versionId", "RANGE")]
    assert len(server.scan("GravyTemplateVersions")) == 5
