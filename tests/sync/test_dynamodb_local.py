"""DynamoDB Local runs under the test suite; the seed tables and their indexes exist on it."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.sync.tables import ALL_TABLES, PAGES, TEMPLATES, create_tables

pytestmark = pytest.mark.dynamodb


def test_create_tables_makes_the_seed_tables_with_their_indexes_and_is_idempotent(
    dynamodb: Any,
) -> None:
    created = create_tables(dynamodb, prefix="smoke-")
    assert sorted(created) == sorted(f"smoke-{spec.name}" for spec in ALL_TABLES)
    assert create_tables(dynamodb, prefix="smoke-") == [], "safe to run twice"

    templates = dynamodb.describe_table(TableName="smoke-GravyTemplates")["Table"]
    assert [k["AttributeName"] for k in templates["KeySchema"]] == ["userId", "templateId"]
    assert {i["IndexName"] for i in templates["GlobalSecondaryIndexes"]} == {
        "CategoryIndex",
        "SharedTemplatesIndex",
        "UserUpdatedIndex",  # the delta pull's
    }
    pages = dynamodb.describe_table(TableName="smoke-PageManager")["Table"]
    published = {d["AttributeName"]: d["AttributeType"] for d in pages["AttributeDefinitions"]}
    assert published["isPublished"] == "N", "a GSI key cannot be a boolean (seed bug)"
    assert {i["IndexName"] for i in pages["GlobalSecondaryIndexes"]} >= {
        "PublishedPagesIndex",
        "PageNodesIndex",
    }
    assert TEMPLATES.owner_key == "userId" and PAGES.owner_key is None


def test_an_item_round_trips_and_the_web_apps_index_query_finds_it(dynamodb: Any) -> None:
    create_tables(dynamodb, prefix="rt-")
    item = {
        "userId": {"S": "user-1"},
        "templateId": {"S": "template-1700000000000-abcdefghi"},
        "title": {"S": "Hello"},
        "category": {"S": "mail"},
        "isShared": {"S": "true"},
        "tags": {"L": [{"S": "a"}]},
        "usageCount": {"N": "0"},
    }
    dynamodb.put_item(TableName="rt-GravyTemplates", Item=item)
    got = dynamodb.get_item(
        TableName="rt-GravyTemplates",
        Key={"userId": item["userId"], "templateId": item["templateId"]},
        ConsistentRead=True,
    )["Item"]
    assert got == item
    shared = dynamodb.query(
        TableName="rt-GravyTemplates",
        IndexName="SharedTemplatesIndex",
        KeyConditionExpression="isShared = :s",
        ExpressionAttributeValues={":s": {"S": "true"}},
    )["Items"]
    assert [i["title"]["S"] for i in shared] == ["Hello"]
