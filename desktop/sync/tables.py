"""The DynamoDB tables the desktop client shares with the web apps, defined once.

Key schemas and indexes follow the seeds exactly where they give them. Where they do not
(versions, shares, analytics), every item stays under its owner's partition key so that an
IAM policy with ``dynamodb:LeadingKeys`` can confine a user to their own items:

- ``GravyTemplateVersions``: PK ``userId``, SK ``versionKey`` = ``<templateId>#<versionId>``
  (one template's history is ``begins_with(versionKey, '<templateId>#')``).
- ``GravyTemplateShares``: PK ``userId`` (the sharer), SK ``shareKey`` =
  ``<templateId>#<sharedWithUserId>``; GSI ``SharedWithUserIndex`` (``sharedWithUserId``,
  ``templateId``) for "shared with me".
- ``GravyAnalytics``: PK ``userId``, SK ``trackingId``.
- ``PageManager`` has no owner in its keys (PK ``PAGE#<id>``); the desktop client writes an
  ``ownerId`` attribute and queries its pages through the GSI ``OwnerPagesIndex``
  (``ownerId``, ``updatedAt``). ``LeadingKeys`` cannot confine this table by owner: a
  policy can only restrict the ``PAGE#`` key space or the index (see README).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    hash_key: str
    range_key: str
    attribute_types: dict[str, str]
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    owner_key: str | None = "userId"

    def key_attributes(self) -> list[str]:
        names = [self.hash_key, self.range_key]
        for index in self.indexes:
            names += [index.hash_key] + ([index.range_key] if index.range_key else [])
        return list(dict.fromkeys(names))

    def create_request(self, prefix: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": prefix + self.name,
            "KeySchema": _key_schema(self.hash_key, self.range_key),
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": self.attribute_types[name]}
                for name in self.key_attributes()
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.indexes:
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.hash_key, index.range_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        return request


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


TEMPLATES = TableSpec(
    "GravyTemplates",
    "userId",
    "templateId",
    {"userId": "S", "templateId": "S", "category": "S", "isShared": "S"},
    (
        Index("CategoryIndex", "userId", "category"),
        Index("SharedTemplatesIndex", "isShared", "category"),
    ),
)
SNIPPETS = TableSpec(
    "GravySnippets",
    "userId",
    "snippetId",
    {"userId": "S", "snippetId": "S", "category": "S"},
    (Index("CategoryIndex", "userId", "category"),),
)
PRESETS = TableSpec("GravyVariablePresets", "userId", "presetId", {"userId": "S", "presetId": "S"})
VERSIONS = TableSpec(
    "GravyTemplateVersions", "userId", "versionKey", {"userId": "S", "versionKey": "S"}
)
SHARES = TableSpec(
    "GravyTemplateShares",
    "userId",
    "shareKey",
    {"userId": "S", "shareKey": "S", "sharedWithUserId": "S", "templateId": "S"},
    (Index("SharedWithUserIndex", "sharedWithUserId", "templateId"),),
)
ANALYTICS = TableSpec("GravyAnalytics", "userId", "trackingId", {"userId": "S", "trackingId": "S"})
PAGES = TableSpec(
    "PageManager",
    "PK",
    "SK",
    {
        "PK": "S",
        "SK": "S",
        "isPublished": "N",
        "createdAt": "S",
        "pageId": "S",
        "ownerId": "S",
        "updatedAt": "S",
    },
    (
        Index("PublishedPagesIndex", "isPublished", "createdAt"),
        Index("PageNodesIndex", "pageId", "createdAt"),
        Index("OwnerPagesIndex", "ownerId", "updatedAt"),
    ),
    owner_key=None,
)

ALL_TABLES: tuple[TableSpec, ...] = (
    TEMPLATES,
    SNIPPETS,
    PRESETS,
    VERSIONS,
    SHARES,
    ANALYTICS,
    PAGES,
)


def create_tables(client: Any, prefix: str = "", wait_s: float = 120.0) -> list[str]:
    """Create every missing table; safe to run twice. Returns the names it created."""
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for spec in ALL_TABLES:
        name = prefix + spec.name
        if name in existing:
            continue
        try:
            client.create_table(**spec.create_request(prefix))
            created.append(name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
    deadline = time.monotonic() + wait_s
    for name in created:
        while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise TimeoutError(f"table {name} did not become active within {wait_s} s")
            time.sleep(0.5)
    return created
