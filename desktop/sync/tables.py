"""The DynamoDB tables the desktop client shares with the web apps, defined once.

Key schemas and indexes follow the seeds exactly where they give them. Where they do not
(versions, shares, analytics), keys are made only of attributes the web app's own writes
carry (so seed 000's ``createTemplateVersion`` and ``shareTemplate`` succeed as written),
with the owner's id as the partition key wherever the web app writes it, so that an IAM
policy with ``dynamodb:LeadingKeys`` can confine a user to their own items:

- ``GravyTemplateVersions``: PK ``userId``, SK ``versionId``. The web app's versions carry
  no ``updatedAt``, so the delta index is ``UserCreatedIndex`` (``userId``, ``createdAt``):
  a version never changes on the server once written (the store folds a re-save into a
  version's create only while that create is unsent).
- ``GravyTemplateShares``: PK ``templateId``, SK ``sharedWithUserId`` (the seed's shares
  carry no ``userId``, and one batch shares a template with several users); GSI
  ``SharedWithUserIndex`` (``sharedWithUserId``, ``templateId``) as the seed queries it,
  GSI ``SharedByUserIndex`` (``sharedByUserId``, ``createdAt``) for the owner's pull.
  Not owner-keyed: ``LeadingKeys`` cannot confine it (like ``PageManager``).
- ``GravyAnalytics``: PK ``userId``, SK ``trackingId``.

Tables made by earlier releases with ``versionKey``/``shareKey`` sort keys are rebuilt by
:func:`migrate_tables` (``gravy-desktop tables migrate``).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
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
    delta_index: str | None = None  # (owner, updatedAt or createdAt): what changed since
    owner_index: str | None = None  # not owner-keyed: the index holding one owner's items

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
USER_CREATED = Index("UserCreatedIndex", "userId", "createdAt")
VERSIONS = TableSpec(
    "GravyTemplateVersions",
    "userId",
    "versionId",
    {"userId": "S", "versionId": "S", "createdAt": "S"},
    (USER_CREATED,),
    delta_index=USER_CREATED.name,
)
SHARED_BY = Index("SharedByUserIndex", "sharedByUserId", "createdAt")
SHARES = TableSpec(
    "GravyTemplateShares",
    "templateId",
    "sharedWithUserId",
    {"templateId": "S", "sharedWithUserId": "S", "sharedByUserId": "S", "createdAt": "S"},
    (Index("SharedWithUserIndex", "sharedWithUserId", "templateId"), SHARED_BY),
    owner_key=None,
    delta_index=SHARED_BY.name,
    owner_index=SHARED_BY.name,
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


#: Seconds between two looks at a table being built, and between two progress lines.
POLL_S = 0.5
PROGRESS_EVERY_S = 10.0
Progress = Callable[[str], None]


class StillBuilding(Exception):
    """The wait ran out while tables or indexes were still being built. Nothing is lost:
    DynamoDB goes on building them, and running ``tables create`` again waits for what is
    being built and adds what is still missing."""

    def __init__(self, building: list[str], added: list[str]) -> None:
        self.building, self.added = building, added
        done = f"added {', '.join(added)}; " if added else ""
        super().__init__(
            f"{done}still being built: {', '.join(building)}. DynamoDB goes on building; "
            "run `gravy-desktop tables create` again to wait for it and add what is missing"
        )


def create_tables(
    client: Any, prefix: str = "", wait_s: float = 120.0, progress: Progress | None = None
) -> list[str]:
    """Create every missing table and wait until every table is active (also those an
    earlier run left being created); safe to run twice. Returns the names it created;
    :class:`StillBuilding` if the wait runs out."""
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
    for spec in ALL_TABLES:
        name = prefix + spec.name
        if name in existing or name in created:
            _wait_ready(client, name, deadline, progress, created)
    return created


def ensure_indexes(
    client: Any, prefix: str = "", wait_s: float = 300.0, progress: Progress | None = None
) -> list[str]:
    """Add any index a table lacks (e.g. a table the web app created), one at a time as
    DynamoDB requires, each with the table's provisioned throughput if it has one; returns
    their names. An index that an earlier run started is waited for, not added again;
    :class:`StillBuilding` if the wait runs out (the indexes keep building)."""
    deadline = time.monotonic() + wait_s
    added: list[str] = []
    for spec in ALL_TABLES:
        name = prefix + spec.name
        table = _wait_ready(client, name, deadline, progress, added)
        present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        for index in spec.indexes:
            if index.name in present:
                continue
            request = spec.create_request(prefix)
            (definition,) = [
                g for g in request["GlobalSecondaryIndexes"] if g["IndexName"] == index.name
            ]
            throughput = _provisioned(table)
            if throughput is not None:  # a provisioned table's index needs its own
                definition = definition | {"ProvisionedThroughput": throughput}
            client.update_table(
                TableName=name,
                AttributeDefinitions=request["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": definition}],
            )
            added.append(f"{name}.{index.name}")
            table = _wait_ready(client, name, deadline, progress, added)
    return added


def _provisioned(table: dict[str, Any]) -> dict[str, int] | None:
    """The table's read and write capacity if it is provisioned (the seed's create-table
    commands make such tables), None if it is on demand."""
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode")
    capacity = table.get("ProvisionedThroughput") or {}
    if mode == "PAY_PER_REQUEST" or not capacity.get("ReadCapacityUnits"):
        return None
    return {
        "ReadCapacityUnits": int(capacity["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(capacity["WriteCapacityUnits"]),
    }


def _building(table: dict[str, Any]) -> list[str]:
    """What of a table is not active yet, e.g. ``GravyTemplates.UserUpdatedIndex (CREATING,
    backfilling)``."""
    name = table["TableName"]
    found = [] if table["TableStatus"] == "ACTIVE" else [f"{name} ({table['TableStatus']})"]
    for index in table.get("GlobalSecondaryIndexes", []):
        status = index.get("IndexStatus", "ACTIVE")
        if status != "ACTIVE":
            backfilling = ", backfilling" if index.get("Backfilling") else ""
            found.append(f"{name}.{index['IndexName']} ({status}{backfilling})")
    return found


def _wait_ready(
    client: Any,
    name: str,
    deadline: float,
    progress: Progress | None,
    added: list[str],
) -> dict[str, Any]:
    """The table's description once it and all its indexes are active; progress every
    :data:`PROGRESS_EVERY_S` while they are not; :class:`StillBuilding` at the deadline."""
    started = time.monotonic()
    said = -PROGRESS_EVERY_S
    while True:
        table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
        building = _building(table)
        if not building:
            return table
        now = time.monotonic()
        if progress is not None and now - said >= PROGRESS_EVERY_S:
            progress(f"waiting for {', '.join(building)}: {now - started:.0f} s so far")
            said = now
        if now >= deadline:
            raise StillBuilding(building, added)
        time.sleep(max(0.0, min(POLL_S, deadline - now)))


def _wait_active(client: Any, name: str, deadline: float) -> None:
    """Wait, silently, until the table and its indexes are active (TimeoutError at the
    deadline): for the migration, which reports its own progress."""
    try:
        _wait_ready(client, name, deadline, None, [])
    except StillBuilding as waiting:
        raise TimeoutError(str(waiting)) from waiting


# -- rebuilding tables made with older key schemas ------------------------------------------

#: Tables whose key schema changed (issue 11): earlier releases keyed versions by
#: ``versionKey`` and shares by ``userId``/``shareKey``, which the web app's writes lack.
REKEYED: tuple[TableSpec, ...] = (VERSIONS, SHARES)
BACKUP_SUFFIX = "-backup"


class MigrationError(Exception):
    """A table migration that could not finish; the message says what to do."""


def _key_schema_of(client: Any, name: str) -> list[dict[str, str]] | None:
    try:
        schema: list[dict[str, str]] = client.describe_table(TableName=name)["Table"]["KeySchema"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    return schema


def outdated_tables(client: Any, prefix: str = "") -> list[str]:
    """The existing tables whose keys are not the ones :data:`REKEYED` defines."""
    return [
        prefix + spec.name
        for spec in REKEYED
        if (schema := _key_schema_of(client, prefix + spec.name)) is not None
        and schema != _key_schema(spec.hash_key, spec.range_key)
    ]


def migrate_tables(
    client: Any,
    prefix: str = "",
    wait_s: float = 300.0,
    say: Callable[[str], None] = lambda line: None,
) -> list[str]:
    """Rebuild each table of :data:`REKEYED` that has an older key schema; returns their
    names. Safe to run again after an interruption: it resumes from what exists.

    For each: copy every item to ``<table>-backup`` (same keys as the old table) and check
    the counts; delete the table; create it with the new keys; copy the items back
    (dropping the old sort-key attribute); check the counts. The backup is kept: delete it
    once satisfied. Raises :class:`MigrationError` with a plain message on any trouble;
    the data is then in the old table or the backup, never only in memory.
    """
    migrated = []
    for spec in REKEYED:
        name, backup = prefix + spec.name, prefix + spec.name + BACKUP_SUFFIX
        try:
            schema = _key_schema_of(client, name)
            if schema is not None and schema != _key_schema(spec.hash_key, spec.range_key):
                _check_new_keys(client, name, spec)
                _back_up(client, name, backup, schema, wait_s, say)
                client.delete_table(TableName=name)
                _wait_gone(client, name, time.monotonic() + wait_s)
                schema = None
            backup_schema = _key_schema_of(client, backup)
            if backup_schema is None:
                continue  # current (or absent: `tables create` makes it)
            if schema is None:
                say(f"{name}: creating it with the new keys")
                client.create_table(**spec.create_request(prefix))
                _wait_active(client, name, time.monotonic() + wait_s)
            elif _count(client, name) >= _count(client, backup):
                continue  # migrated earlier; the backup is only kept
            old_only = {k["AttributeName"] for k in backup_schema} - set(spec.key_attributes())
            copied = _copy_items(client, backup, name, partial(_without, old_only))
            expected, now = _count(client, backup), _count(client, name)
            if now < expected:
                raise MigrationError(
                    f"{name} holds {now} items, its backup {backup} {expected}: "
                    f"{expected - now} share a key under the new keys; the backup keeps them all"
                )
            say(f"{name}: {copied} items copied back; {backup} can be deleted when you are sure")
            migrated.append(name)
        except ClientError as error:
            detail = error.response.get("Error", {})
            raise MigrationError(
                f"{name}: DynamoDB refused the migration ({detail.get('Code')}: "
                f"{detail.get('Message')}); run `gravy-desktop tables migrate` again to resume"
            ) from error
        except TimeoutError as error:
            raise MigrationError(
                f"{error}; run `gravy-desktop tables migrate` again to resume"
            ) from error
    return migrated


def _check_new_keys(client: Any, name: str, spec: TableSpec) -> None:
    """Refuse (before anything is touched) items the new keys cannot hold: without a key
    attribute, or sharing a new key with another item."""
    keys = (spec.hash_key, spec.range_key)
    seen: set[tuple[str, ...]] = set()
    for page in client.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
        for item in page["Items"]:
            if any(k not in item for k in keys):
                raise MigrationError(
                    f"{name}: an item lacks {' or '.join(keys)}; {name} is untouched"
                )
            key = tuple(str(item[k]) for k in keys)
            if key in seen:
                raise MigrationError(
                    f"{name}: two items share a key under the new keys ({', '.join(key)}); "
                    f"{name} is untouched"
                )
            seen.add(key)


def _back_up(
    client: Any,
    name: str,
    backup: str,
    schema: list[dict[str, str]],
    wait_s: float,
    say: Callable[[str], None],
) -> None:
    """Copy every item of ``name`` to ``backup`` (made with the same keys if missing)."""
    if _key_schema_of(client, backup) is None:
        table = client.describe_table(TableName=name)["Table"]
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        client.create_table(
            TableName=backup,
            KeySchema=schema,
            AttributeDefinitions=[
                {"AttributeName": k["AttributeName"], "AttributeType": types[k["AttributeName"]]}
                for k in schema
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        _wait_active(client, backup, time.monotonic() + wait_s)
    say(f"{name}: copying its items to {backup}")
    copied = _copy_items(client, name, backup, lambda item: item)
    if _count(client, backup) < _count(client, name):
        raise MigrationError(f"{backup} holds fewer items than {name}; {name} is untouched")
    say(f"{name}: {copied} items backed up; recreating it with the new keys")


def _without(names: set[str], item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in names}


def _copy_items(
    client: Any, source: str, target: str, convert: Callable[[dict[str, Any]], dict[str, Any]]
) -> int:
    """Put every item of ``source`` into ``target`` (converted); returns how many."""
    copied = 0
    for page in client.get_paginator("scan").paginate(TableName=source, ConsistentRead=True):
        items = [convert(item) for item in page["Items"]]
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            for attempt in range(8):
                response = client.batch_write_item(RequestItems={target: requests})
                requests = response.get("UnprocessedItems", {}).get(target, [])
                if not requests:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            if requests:
                raise MigrationError(f"DynamoDB kept refusing writes to {target}; run it again")
            copied += len(items[start : start + 25])
    return copied


def _count(client: Any, name: str) -> int:
    total = 0
    for page in client.get_paginator("scan").paginate(
        TableName=name, Select="COUNT", ConsistentRead=True
    ):
        total += int(page["Count"])
    return total


def _wait_gone(client: Any, name: str, deadline: float) -> None:
    while _key_schema_of(client, name) is not None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} was not deleted in time")
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
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Gravy Desktop / GravyJS / Page Manager tables",
        "Resources": resources,
    }
    return with_desktop_account(template, prefix)


ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    # The push sends its writes as PartiQL statements (BatchExecuteStatement).
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
]


def iam_policy(region: str = "*", account: str = "*", prefix: str = "") -> dict[str, Any]:
    """Least privilege for one signed-in user (a Cognito identity or federated user).

    On the owner-keyed tables the user reaches only items whose partition key is their own
    user pool ``sub`` (``dynamodb:LeadingKeys`` = ``${aws:PrincipalTag/sub}``, the tag the
    identity pool maps from the ID token's ``sub`` claim: see :func:`with_desktop_account`),
    through the table and its indexes. ``PageManager`` and ``GravyTemplateShares`` have no
    owner in their keys (the seeds write none there), so LeadingKeys cannot confine them:
    the policy allows their item actions (and the Scan of PageManager's full
    reconciliation; reads through ``OwnerPagesIndex`` and ``SharedByUserIndex`` are the
    client's way to find its own), and confining writes there needs a server-side guard
    (the web app's API) or a table keyed by owner.
    """
    arn = f"arn:aws:dynamodb:{region}:{account}:table/"
    owned = [spec for spec in ALL_TABLES if spec.owner_key]
    owned_resources = [arn + prefix + s.name for s in owned] + [
        arn + prefix + s.name + "/index/*" for s in owned
    ]
    shared = [spec for spec in ALL_TABLES if not spec.owner_key]
    pages = [arn + prefix + s.name for s in shared] + [
        arn + prefix + s.name + "/index/*" for s in shared
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnItemsOnly",
                "Effect": "Allow",
                "Action": ITEM_ACTIONS,
                "Resource": owned_resources,
                "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [OWNER_TAG]}},
            },
            {
                "Sid": "DescribeForSetupChecks",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeTable"],
                "Resource": [arn + prefix + s.name for s in ALL_TABLES],
            },
            {
                "Sid": "NotOwnerKeyed",
                "Effect": "Allow",
                "Action": [*ITEM_ACTIONS, "dynamodb:Scan"],  # full reconciliation scans it
                "Resource": pages,
            },
        ],
    }


# -- the desktop's sign-in: app client, identity pool, role (ABAC on the ``sub`` claim) ------

# The identity pool copies the ID token's ``sub`` claim (the user pool sub, the web app's
# ``userId``) into this session tag; the policy compares partition keys with it. (The
# identity pool's own ``cognito-identity.amazonaws.com:sub`` is the identity id, which is
# not the web app's userId.)
OWNER_TAG = "${aws:PrincipalTag/sub}"
HAS_POOL = "HasUserPool"
HAS_DOMAIN = "HasHostedDomain"
DEFAULT_CALLBACK_PORT = 47615  # registered on the app client; any free port works unregistered


def with_desktop_account(template: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Add what the desktop's sign-in needs to a tables template, for the web app's user
    pool (parameter ``UserPoolId``; left empty, only the tables are made):

    - ``DesktopClient``: a public app client (no secret: a desktop cannot keep one) with
      SRP and refresh-token sign-in only, token revocation on;
    - ``IdentityPool``: authenticated identities only, from that client, tokens checked;
    - ``PrincipalTags``: the "attributes for access control" mapping, tag ``sub`` = claim
      ``sub``;
    - ``AuthenticatedRole`` (trusting the identity pool, with ``sts:TagSession`` so the tag
      reaches the session) carrying :func:`iam_policy`, and its ``RoleAttachment``;
    - with ``HostedDomain`` (the pool's existing hosted sign-in domain) the client also
      allows the authorization code flow for "Sign in with the browser", with the one
      loopback callback URL ``http://localhost:<CallbackPort>/callback`` the app listens on;
    - outputs named as ``gravy-desktop config import`` reads them.
    """
    from desktop.sync.browser import SCOPES, callback_url  # the URL the app sends

    provider = {"Fn::Sub": "cognito-idp.${AWS::Region}.amazonaws.com/${UserPoolId}"}
    policy = iam_policy("${AWS::Region}", "${AWS::AccountId}", prefix)
    for statement in policy["Statement"]:
        statement["Resource"] = [{"Fn::Sub": arn} for arn in statement["Resource"]]
    only: dict[str, Any] = {"Condition": HAS_POOL}
    resources = {
        "DesktopClient": only
        | {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "UserPoolId"},
                "ClientName": f"{prefix}gravy-desktop",
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                "RefreshTokenValidity": 30,
                **{
                    name: {"Fn::If": [HAS_DOMAIN, value, {"Ref": "AWS::NoValue"}]}
                    for name, value in {
                        "AllowedOAuthFlowsUserPoolClient": True,
                        "AllowedOAuthFlows": ["code"],
                        "AllowedOAuthScopes": SCOPES.split(),
                        "CallbackURLs": [{"Fn::Sub": callback_url("${CallbackPort}")}],
                        "SupportedIdentityProviders": ["COGNITO"],
                    }.items()
                },
            },
        },
        "IdentityPool": only
        | {
            "Type": "AWS::Cognito::IdentityPool",
            "Properties": {
                "IdentityPoolName": f"{prefix.replace('-', '_')}gravy_desktop",
                "AllowUnauthenticatedIdentities": False,
                "CognitoIdentityProviders": [
                    {
                        "ClientId": {"Ref": "DesktopClient"},
                        "ProviderName": provider,
                        "ServerSideTokenCheck": True,
                    }
                ],
            },
        },
        "PrincipalTags": only
        | {
            "Type": "AWS::Cognito::IdentityPoolPrincipalTag",
            "Properties": {
                "IdentityPoolId": {"Ref": "IdentityPool"},
                "IdentityProviderName": provider,
                "UseDefaults": False,
                "PrincipalTags": {"sub": "sub"},
            },
        },
        "AuthenticatedRole": only
        | {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                            "Condition": {
                                "StringEquals": {
                                    "cognito-identity.amazonaws.com:aud": {"Ref": "IdentityPool"}
                                },
                                "ForAnyValue:StringLike": {
                                    "cognito-identity.amazonaws.com:amr": "authenticated"
                                },
                            },
                        }
                    ],
                },
                "Policies": [{"PolicyName": "GravyDesktopOwnItems", "PolicyDocument": policy}],
            },
        },
        "RoleAttachment": only
        | {
            "Type": "AWS::Cognito::IdentityPoolRoleAttachment",
            "Properties": {
                "IdentityPoolId": {"Ref": "IdentityPool"},
                "Roles": {"authenticated": {"Fn::GetAtt": ["AuthenticatedRole", "Arn"]}},
            },
        },
    }
    outputs: dict[str, dict[str, Any]] = {
        "Region": {"Value": {"Ref": "AWS::Region"}},
        "UserPoolId": {"Value": {"Ref": "UserPoolId"}},
        "DesktopClientId": {"Value": {"Ref": "DesktopClient"}},
        "IdentityPoolId": {"Value": {"Ref": "IdentityPool"}},
        "TablePrefix": {"Value": prefix},
    }
    browser_outputs = {
        "HostedDomain": {"Value": {"Ref": "HostedDomain"}},
        "CallbackPort": {"Value": {"Ref": "CallbackPort"}},
    }
    has_domain = {"Fn::Not": [{"Fn::Equals": [{"Ref": "HostedDomain"}, ""]}]}
    return template | {
        "Parameters": {
            "UserPoolId": {
                "Type": "String",
                "Default": "",
                "Description": "the web app's Cognito user pool (empty: tables only)",
            },
            "HostedDomain": {
                "Type": "String",
                "Default": "",
                "Description": "the pool's hosted sign-in domain, e.g. "
                "https://gravy.auth.eu-west-1.amazoncognito.com (empty: no browser sign-in)",
            },
            "CallbackPort": {
                "Type": "Number",
                "Default": DEFAULT_CALLBACK_PORT,
                "Description": "the loopback port the app listens on for the browser's answer",
            },
        },
        "Conditions": {
            HAS_POOL: {"Fn::Not": [{"Fn::Equals": [{"Ref": "UserPoolId"}, ""]}]},
            HAS_DOMAIN: {"Fn::And": [{"Condition": HAS_POOL}, has_domain]},
        },
        "Resources": template["Resources"] | resources,
        "Outputs": {name: only | output for name, output in outputs.items()}
        | {name: {"Condition": HAS_DOMAIN} | out for name, out in browser_outputs.items()},
    }
