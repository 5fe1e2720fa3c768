"""The web apps as a second writer: every DynamoDB call of seeds 000 (GravyJS templates) and
002 (Page Manager), ported call for call to boto3's resource layer.

``boto3.resource("dynamodb").Table(...)`` serialises like the JavaScript DocumentClient the
seeds use: a Python ``int`` is a number (N), ``bool`` a boolean (BOOL), ``list`` a list (L),
``str`` a string (S), ``dict`` a map (M). Attribute names, types, key shapes, expressions and
omissions are the seeds': no ``version``, ``isShared`` as a string, ``ADD usageCount``,
versions keyed by what ``createTemplateVersion`` writes, shares written with one
``BatchWriteItem`` and no owner attribute, analytics, pages and nodes with the seed's
boolean ``isPublished`` (a known seed bug: a GSI key must be S, N or B, so DynamoDB refuses
such a page against ``PublishedPagesIndex`` (N); ``published_as_number=True`` writes 1/0 as
a fixed web app would).

Shown in the seeds and ported as written: ``searchTemplates``, ``getTrendingTemplates``,
``duplicateTemplate``, ``createTemplateVersion``, ``trackTemplateUsage``, ``shareTemplate``,
``getSharedTemplates``; ``getPage``, ``getPageNodes``, ``createPage``, ``createNode``,
``migrateToDynamoDB``.

Inferred (the seed calls them but does not show them; ported as issue 11 describes):

- ``getTemplate``: ``GetItem`` on (``userId``, ``templateId``) (the seed passes only the
  template id; the table's key needs the owner too).
- ``createTemplate``: ``PutItem`` of the template as given plus ``createdAt``/``updatedAt``,
  no condition and no ``version``.
- ``updateTemplate``: ``UpdateItem SET <the given fields>, updatedAt``, no condition; it
  never touches ``version`` (nor any engine attribute it was not given).
- ``deleteTemplate``: ``DeleteItem`` without a condition.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

Item = dict[str, Any]


def iso_now() -> str:
    """JavaScript's ``new Date().toISOString()``."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def date_now() -> int:
    """JavaScript's ``Date.now()``."""
    return int(time.time() * 1000)


def base36_suffix() -> str:
    """``Math.random().toString(36).substr(2, 9)``."""
    return "".join(random.choices(string.digits + string.ascii_lowercase, k=9))


def resource_for(endpoint_url: str) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class TemplateService:
    """Seed 000: ``TemplateService`` and the module-level functions next to it."""

    def __init__(
        self,
        resource: Any,
        prefix: str = "",
        now: Callable[[], str] = iso_now,
        millis: Callable[[], int] = date_now,
    ) -> None:
        self.resource = resource
        self.prefix = prefix
        self.now = now
        self.millis = millis

    def table(self, name: str) -> Any:
        return self.resource.Table(self.prefix + name)

    # -- shown in the seed ------------------------------------------------------------------

    def search_templates(
        self,
        user_id: str,
        query: str | None = None,
        category: str | None = None,
        limit: int = 20,
        last_evaluated_key: Item | None = None,
    ) -> Item:
        params: Item = {
            "KeyConditionExpression": "userId = :userId",
            "ExpressionAttributeValues": {":userId": user_id},
            "Limit": limit,
        }
        if last_evaluated_key:
            params["ExclusiveStartKey"] = last_evaluated_key
        filters = []
        if category:
            filters.append("category = :category")
            params["ExpressionAttributeValues"][":category"] = category
        if query:
            filters.append("(contains(title, :query) OR contains(description, :query))")
            params["ExpressionAttributeValues"][":query"] = query
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        response: Item = self.table("GravyTemplates").query(**params)
        return response

    def get_trending_templates(self, limit: int = 10) -> Item:
        response: Item = self.table("GravyTemplates").query(
            IndexName="SharedTemplatesIndex",
            KeyConditionExpression="isShared = :shared",
            ExpressionAttributeValues={":shared": "true"},
            ScanIndexForward=False,  # the seed's comment says "by usage count": it is by category
            Limit=limit,
        )
        return response

    def duplicate_template(
        self, user_id: str, template_id: str, new_title: str | None = None
    ) -> Item:
        original = self.get_template(user_id, template_id)
        assert original is not None, f"no template {template_id}"
        # {...original, ...}: every attribute of the original, the engine's included.
        new_template = original | {
            "templateId": f"template-{self.millis()}-{base36_suffix()}",
            "userId": user_id,
            "title": new_title or f"Copy of {original['title']}",
            "isShared": "false",
            "createdAt": self.now(),
            "updatedAt": self.now(),
            "usageCount": 0,
        }
        new_template.pop("originalTemplateId", None)
        self.table("GravyTemplates").put_item(Item=new_template)
        return new_template

    def create_template_version(
        self, user_id: str, template_id: str, content: str, changes: str
    ) -> str:
        version_id = f"v{self.millis()}"
        version = {
            "userId": user_id,
            "templateId": template_id,
            "versionId": version_id,
            "content": content,
            "changes": changes,
            "createdAt": self.now(),
            "isActive": True,
        }
        self.table("GravyTemplateVersions").put_item(Item=version)
        self.table("GravyTemplates").update_item(
            Key={"userId": user_id, "templateId": template_id},
            UpdateExpression="SET latestVersion = :versionId, updatedAt = :updatedAt",
            ExpressionAttributeValues={":versionId": version_id, ":updatedAt": self.now()},
        )
        return version_id

    def track_template_usage(self, user_id: str, template_id: str, action: str = "populate") -> str:
        tracking_id = f"track-{self.millis()}-{base36_suffix()}"
        self.table("GravyAnalytics").put_item(
            Item={
                "userId": user_id,
                "trackingId": tracking_id,
                "templateId": template_id,
                "action": action,
                "timestamp": self.now(),
                "date": self.now().split("T")[0],
            }
        )
        self.table("GravyTemplates").update_item(
            Key={"userId": user_id, "templateId": template_id},
            UpdateExpression="ADD usageCount :inc",
            ExpressionAttributeValues={":inc": 1},
        )
        return tracking_id

    def share_template(
        self,
        user_id: str,
        template_id: str,
        target_user_ids: list[str],
        permissions: str = "read",
    ) -> list[Item]:
        shares = [
            {
                "templateId": template_id,
                "sharedByUserId": user_id,
                "sharedWithUserId": target,
                "permissions": permissions,
                "createdAt": self.now(),
            }
            for target in target_user_ids
        ]
        self.resource.batch_write_item(
            RequestItems={
                self.prefix + "GravyTemplateShares": [
                    {"PutRequest": {"Item": share}} for share in shares
                ]
            }
        )
        return shares

    def get_shared_templates(self, user_id: str) -> list[str]:
        shares = self.table("GravyTemplateShares").query(
            IndexName="SharedWithUserIndex",
            KeyConditionExpression="sharedWithUserId = :userId",
            ExpressionAttributeValues={":userId": user_id},
        )
        return [share["templateId"] for share in shares["Items"]]

    # -- inferred (see the module docstring) ------------------------------------------------

    def get_template(self, user_id: str, template_id: str) -> Item | None:
        response = self.table("GravyTemplates").get_item(
            Key={"userId": user_id, "templateId": template_id}
        )
        item: Item | None = response.get("Item")
        return item

    def create_template(self, template: Item) -> Item:
        item = template | {"createdAt": self.now(), "updatedAt": self.now()}
        item.setdefault("templateId", f"template-{self.millis()}-{base36_suffix()}")
        self.table("GravyTemplates").put_item(Item=item)
        return item

    def update_template(self, user_id: str, template_id: str, fields: Item) -> None:
        values = {
            name: value for name, value in fields.items() if name not in ("userId", "templateId")
        }
        values["updatedAt"] = self.now()
        names = {f"#f{i}": name for i, name in enumerate(values)}
        self.table("GravyTemplates").update_item(
            Key={"userId": user_id, "templateId": template_id},
            UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(values))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":f{i}": v for i, v in enumerate(values.values())},
        )

    def delete_template(self, user_id: str, template_id: str) -> None:
        self.table("GravyTemplates").delete_item(Key={"userId": user_id, "templateId": template_id})


class PageManagerService:
    """Seed 002: ``DynamoDBService`` and ``migrateToDynamoDB``."""

    def __init__(
        self,
        resource: Any,
        prefix: str = "",
        now: Callable[[], str] = iso_now,
        published_as_number: bool = False,
    ) -> None:
        self.resource = resource
        self.table = resource.Table(prefix + "PageManager")
        self.now = now
        self.published_as_number = published_as_number

    def get_page(self, page_id: str) -> Item | None:
        item: Item | None = self.table.get_item(Key={"PK": f"PAGE#{page_id}", "SK": "META#"}).get(
            "Item"
        )
        return item

    def get_page_nodes(self, page_id: str) -> list[Item]:
        items: list[Item] = self.table.query(
            KeyConditionExpression=Key("PK").eq(f"PAGE#{page_id}") & Key("SK").begins_with("NODE#")
        )["Items"]
        return items

    def create_page(self, page: Item) -> Item:
        """``{PK, SK, ...page, createdAt, updatedAt, type}``: the page's ``nodes`` list too."""
        item = {"PK": f"PAGE#{page['id']}", "SK": "META#"} | page
        if self.published_as_number and isinstance(item.get("isPublished"), bool):
            item["isPublished"] = 1 if item["isPublished"] else 0
        item |= {"createdAt": self.now(), "updatedAt": self.now(), "type": "page"}
        self.table.put_item(Item=item)
        return item

    def create_node(self, node: Item) -> Item:
        item = {"PK": f"PAGE#{node['pageId']}", "SK": f"NODE#{node['id']}"} | node
        item |= {"createdAt": self.now(), "updatedAt": self.now(), "type": "node"}
        self.table.put_item(Item=item)
        return item

    def migrate_to_dynamodb(self, local_pages: list[Item]) -> None:
        """The seed's migration script: every page of the ``pages`` localStorage value, then
        each of its nodes, one ``PutItem`` each."""
        for page in local_pages:
            self.create_page(page)
            for node in page.get("nodes", []):
                self.create_node(node)


def new_page(title: str, is_published: bool = False) -> Item:
    """``addPage`` in the seed's PageContext: ``{id: uuidv4(), title, nodes: [], isPublished}``."""
    import uuid

    return {"id": str(uuid.uuid4()), "title": title, "nodes": [], "isPublished": is_published}
