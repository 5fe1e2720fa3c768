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

Delta pull: every table the client pulls has an index on (owner, ``updatedAt``):
``UserUpdatedIndex`` (``userId``, ``updatedAt``) on the four owner-keyed tables, and
``OwnerPagesIndex`` on ``PageManager``. "What changed since T" is then one Query per table,
whatever the number of stored records. ``ensure_indexes`` adds them to tables the web app
provisioned; until then the client reconciles those tables in full on each pull.
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
    delta_index: str | None = None  # (owner, updatedAt): what changed since a moment

    @property
    def delta(self) -> Index | None:
        return next((i for i in self.indexes if i.name == self.delta_index), None)

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


USER_UPDATED = Index("UserUpdatedIndex", "userId", "updatedAt")

TEMPLATES = TableSpec(
    "GravyTemplates",
    "userId",
    "templateId",
    {"userId": "S", "templateId": "S", "category": "S", "isShared": "S", "updatedAt": "S"},
    (
        Index("CategoryIndex", "userId", "category"),
        Index("SharedTemplatesIndex", "isShared", "category"),
        USER_UPDATED,
    ),
    delta_index=USER_UPDATED.name,
)
SNIPPETS = TableSpec(
    "GravySnippets",
    "userId",
    "snippetId",
    {"userId": "S", "snippetId": "S", "category": "S", "updatedAt": "S"},
    (Index("CategoryIndex", "userId", "category"), USER_UPDATED),
    delta_index=USER_UPDATED.name,
)
PRESETS = TableSpec(
    "GravyVariablePresets",
    "userId",
    "presetId",
    {"userId": "S", "presetId": "S", "updatedAt": "S"},
    (USER_UPDATED,),
    delta_index=USER_UPDATED.name,
)
VERSIONS = TableSpec(
    "GravyTemplateVersions",
    "userId",
    "versionKey",
    {"userId": "S", "versionKey": "S", "updatedAt": "S"},
    (USER_UPDATED,),
    delta_index=USER_UPDATED.name,
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
    delta_index="OwnerPagesIndex",
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
        _wait_active(client, name, deadline)
    return created


def ensure_indexes(client: Any, prefix: str = "", wait_s: float = 300.0) -> list[str]:
    """Add any index a table lacks (e.g. a table the web app created); returns their names."""
    added = []
    for spec in ALL_TABLES:
        name = prefix + spec.name
        table = client.describe_table(TableName=name)["Table"]
        present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        for index in spec.indexes:
            if index.name in present:
                continue
            request = spec.create_request(prefix)
            (definition,) = [
                g for g in request["GlobalSecondaryIndexes"] if g["IndexName"] == index.name
            ]
            client.update_table(
                TableName=name,
                AttributeDefinitions=request["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": definition}],
            )
            added.append(f"{name}.{index.name}")
            _wait_active(client, name, time.monotonic() + wait_s)
    return added


def _wait_active(client: Any, name: str, deadline: float) -> None:
    while True:
        table = client.describe_table(TableName=name)["Table"]
        statuses = [table["TableStatus"]] + [
            index.get("IndexStatus", "ACTIVE") for index in table.get("GlobalSecondaryIndexes", [])
        ]
        if all(status == "ACTIVE" for status in statuses):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} did not become active in time")
        time.sleep(0.5)


def cloudformation(prefix: str = "") -> dict[str, Any]:
    """A CloudFormation template for every table (on-demand, PITR and encryption on)."""
    resources: dict[str, Any] = {}
    for spec in ALL_TABLES:
        request = spec.create_request(prefix)
        properties: dict[str, Any] = {
            "TableName": request["TableName"],
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": request["KeySchema"],
            "AttributeDefinitions": request["AttributeDefinitions"],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        }
        if "GlobalSecondaryIndexes" in request:
            properties["GlobalSecondaryIndexes"] = request["GlobalSecondaryIndexes"]
        resources[spec.name.replace("-", "")] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "Properties": properties,
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Gravy Desktop / GravyJS / Page Manager tables",
        "Resources": resources,
    }


ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]


def iam_policy(region: str = "*", account: str = "*", prefix: str = "") -> dict[str, Any]:
    """Least privilege for one signed-in user (a Cognito identity or federated user).

    On the owner-keyed tables the user reaches only items whose partition key is their own
    id (``dynamodb:LeadingKeys`` = ``${cognito-identity.amazonaws.com:sub}``), through the
    table and its indexes. ``PageManager`` has no owner in its keys, so LeadingKeys cannot
    confine it: the policy allows its item actions (reads through ``OwnerPagesIndex`` are
    the client's way to find its pages), and confining writes there needs a server-side
    guard (the web app's API) or a table keyed by owner.
    """
    arn = f"arn:aws:dynamodb:{region}:{account}:table/"
    owned = [spec for spec in ALL_TABLES if spec.owner_key]
    owned_resources = [arn + prefix + s.name for s in owned] + [
        arn + prefix + s.name + "/index/*" for s in owned
    ]
    pages = [arn + prefix + PAGES.name, arn + prefix + PAGES.name + "/index/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnItemsOnly",
                "Effect": "Allow",
                "Action": ITEM_ACTIONS,
                "Resource": owned_resources,
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "dynamodb:LeadingKeys": ["${cognito-identity.amazonaws.com:sub}"]
                    }
                },
            },
            {
                "Sid": "DescribeForSetupChecks",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeTable"],
                "Resource": [arn + prefix + s.name for s in ALL_TABLES],
            },
            {
                "Sid": "PageManagerNotOwnerKeyed",
                "Effect": "Allow",
                "Action": ITEM_ACTIONS,
                "Resource": pages,
            },
        ],
    }
