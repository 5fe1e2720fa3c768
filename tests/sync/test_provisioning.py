"""`tables create` on tables the seeds' own commands made (provisioned capacity, without
the desktop's indexes): each new index gets the table's throughput; a build longer than
the wait ends in exit 2 with a plain message, and running the command again resumes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.dynamodb_local import DynamoDBLocal
from tests.test_cli import configure, gravy

pytestmark = pytest.mark.dynamodb

CAPACITY = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def _index(name: str, hash_key: str, range_key: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": CAPACITY,
    }


def seed_tables(client: Any, prefix: str) -> None:
    """GravyTemplates and PageManager as the seeds' create-table commands make them:
    provisioned capacity, the seeds' keys and indexes, none of the desktop's."""
    client.create_table(
        TableName=prefix + "GravyTemplates",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("userId", "templateId", "category", "isShared")
        ],
        KeySchema=[
            {"AttributeName": "userId", "KeyType": "HASH"},
            {"AttributeName": "templateId", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            _index("CategoryIndex", "userId", "category"),
            _index("SharedTemplatesIndex", "isShared", "category"),
        ],
        ProvisionedThroughput=CAPACITY,
    )
    client.create_table(
        TableName=prefix + "PageManager",
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
            {"AttributeName": "isPublished", "AttributeType": "N"},
            {"AttributeName": "createdAt", "AttributeType": "S"},
            {"AttributeName": "pageId", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            _index("PublishedPagesIndex", "isPublished", "createdAt"),
            _index("PageNodesIndex", "pageId", "createdAt"),
        ],
        ProvisionedThroughput=CAPACITY,
    )
    for i in range(200):
        stamp = f"2026-01-05T10:00:{i % 60:02d}.{i:03d}Z"
        client.put_item(
            TableName=prefix + "GravyTemplates",
            Item={
                "userId": {"S": "ann"},
                "templateId": {"S": f"template-{i}"},
                "title": {"S": f"T{i}"},
                "updatedAt": {"S": stamp},
            },
        )


def indexes(client: Any, table: str) -> dict[str, dict[str, Any]]:
    described = client.describe_table(TableName=table)["Table"]
    return {i["IndexName"]: i for i in described.get("GlobalSecondaryIndexes", [])}


def test_indexes_added_to_a_provisioned_table_get_its_throughput(
    db_path: Path, dynamodb_local: DynamoDBLocal, dynamodb: Any
) -> None:
    prefix = f"s{uuid.uuid4().hex[:8]}-"
    seed_tables(dynamodb, prefix)
    configure(db_path, dynamodb_local.endpoint_url, prefix)
    done = gravy("tables", "create", db=db_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for table, name in (("GravyTemplates", "UserUpdatedIndex"), ("PageManager", "OwnerPagesIndex")):
        index = indexes(dynamodb, prefix + table)[name]
        assert index["IndexStatus"] == "ACTIVE"
        throughput = index["ProvisionedThroughput"]
        assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 5)


def test_a_build_longer_than_the_wait_exits_2_and_the_next_run_resumes(
    db_path: Path, dynamodb_local: DynamoDBLocal, dynamodb: Any
) -> None:
    prefix = f"s{uuid.uuid4().hex[:8]}-"
    seed_tables(dynamodb, prefix)
    configure(db_path, dynamodb_local.endpoint_url, prefix)
    short = gravy("tables", "create", "--wait", "0", db=db_path)
    assert (short.returncode, "Traceback" in short.stderr) == (2, False), short.stderr
    assert "waiting for " in short.stderr, "progress is shown"
    assert "still being built" in short.stderr
    assert "run `gravy-desktop tables create` again" in short.stderr
    assert "UserUpdatedIndex" in indexes(dynamodb, prefix + "GravyTemplates")
    assert "OwnerPagesIndex" not in indexes(dynamodb, prefix + "PageManager"), (
        "one index at a time: the next waits for the run that resumes"
    )

    resumed = gravy("tables", "create", db=db_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "all tables ready" in resumed.stdout
    for table in ("GravyTemplates", "PageManager"):
        assert {i["IndexStatus"] for i in indexes(dynamodb, prefix + table).values()} == {"ACTIVE"}
    assert "OwnerPagesIndex" in indexes(dynamodb, prefix + "PageManager")
    again = gravy("tables", "create", "--wait", "0", db=db_path)
    assert again.returncode == 0 and "0 tables, 0 indexes" in again.stdout


def test_a_wait_that_is_not_a_number_of_seconds_is_invalid_input(db_path: Path) -> None:
    for wait in ("nan", "-1", "soon"):
        result = gravy("tables", "create", "--wait", wait, db=db_path)
        assert result.returncode == 3 and "Traceback" not in result.stderr
