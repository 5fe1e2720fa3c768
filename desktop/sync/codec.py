"""Domain records <-> DynamoDB items of the tables the web apps share. The only module that
knows attribute names and types on the server.

Compatibility rules (DESIGN.md, "The backend tables"):
- ``isShared`` is the *string* ``'true'``/``'false'``; ``isPublished`` the number 1/0.
- GSI key attributes are left out when empty (DynamoDB rejects an empty string there), so
  a template without a category is simply not in ``CategoryIndex``.
- ``usageCount`` is written by a create only; afterwards only ever changed with ``ADD``.
- Items the web apps wrote have no ``version``; decoding fills what they lack.

Engine attributes, ignored by the web apps: ``version`` (N, +1 per write from this client),
``lastOpId`` (S, the queue entry that wrote the item, to recognise a resend),
``usageOp_<device id>`` (S, this device's last counter increment, to make ``ADD``
idempotent), ``ownerId`` on PageManager.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from desktop.store.entities import ENTITIES
from desktop.sync import tables
from desktop.sync.tables import TableSpec

VERSION = "version"
LAST_OP = "lastOpId"
USAGE_OP_PREFIX = "usageOp_"


@cache
def _boto3_types() -> tuple[Any, Any]:
    """boto3's (de)serializer, for the rare types the fast paths leave to it (loaded on
    first use: importing boto3 costs a third of a second)."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


Item = dict[str, Any]


def serialize(item: Item) -> dict[str, Any]:
    """Plain Python values -> DynamoDB's attribute-value JSON."""
    return {name: to_attribute(value) for name, value in item.items()}


def to_attribute(value: Any) -> dict[str, Any]:
    """One value as an attribute value: the types records use directly (this runs for every
    attribute the engine sends), anything else through boto3's TypeSerializer."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    return dict(_boto3_types()[0].serialize(value))


def deserialize(item: dict[str, Any]) -> Item:
    """DynamoDB's attribute-value JSON -> plain Python values (numbers as int or float)."""
    return {name: from_attribute(value) for name, value in item.items()}


def from_attribute(value: dict[str, Any]) -> Any:
    """One attribute value as a plain value: the common types directly (this runs for
    every attribute a pull reads), sets and binaries through boto3's TypeDeserializer."""
    (kind, data), *_ = value.items()
    if kind == "S":
        return data
    if kind == "N":
        return _number(data)
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "L":
        return [from_attribute(v) for v in data]
    if kind == "M":
        return {k: from_attribute(v) for k, v in data.items()}
    return _plain(_boto3_types()[1].deserialize(value))


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _json_safe(value: Any) -> Any:
    """A value the local store can keep as JSON (string and number sets as sorted lists)."""
    if isinstance(value, set):
        return sorted(_json_safe(v) for v in value)
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _text(item: Item, name: str, default: Any = "") -> Any:
    """The attribute, or ``default`` when missing or null. Not converted: a wrong type is
    left for validation to refuse (a number is no title), never coerced into something
    the server does not hold."""
    value = item.get(name, default)
    return default if value is None else value


def _list(item: Item, name: str) -> Any:
    value = item.get(name)
    return [] if value is None else value


def _flag(value: Any, true: Any) -> bool:
    return value is True or value == true or value == str(true)


#: Attributes of earlier releases' keys, never carried as extras.
_RETIRED = frozenset({"versionKey", "shareKey"})


def is_engine_attribute(name: str) -> bool:
    """This client's bookkeeping on an item: never a record's extra, never copied."""
    return name in (VERSION, LAST_OP) or name.startswith(USAGE_OP_PREFIX) or name in _RETIRED


@dataclass(frozen=True)
class Codec:
    entity: str
    table: TableSpec
    key: Callable[[str, Item], Item]  # (user id, record state) -> primary key
    encode: Callable[[str, Item], Item]  # (user id, record state) -> item (without key)
    parse: Callable[[Item], Item]  # item -> record state (without extras)
    attributes: frozenset[str]  # what encode and key write: the attributes this client knows
    optional: frozenset[str] = frozenset()  # attributes left out (REMOVEd) when empty
    counters: frozenset[str] = frozenset()  # attributes only ever changed with ADD

    def decode(self, item: Item) -> Item:
        """Item -> record state; attributes this client does not know go to ``extras``
        (lossless: a pull keeps whatever the server holds), the engine's excepted."""
        extras = {
            name: _json_safe(value)
            for name, value in item.items()
            if name not in self.attributes and not is_engine_attribute(name)
        }
        return self.parse(item) | {"extras": extras}

    def item(self, user_id: str, state: Item) -> Item:
        """The full item for ``state``: key + attributes (empty optional ones left out) +
        the extras it keeps from the server (a put writes the item whole: nothing the web
        app stored on it is dropped). Updates never send extras (see :meth:`managed`)."""
        attributes = {
            name: value
            for name, value in self.encode(user_id, state).items()
            if not (name in self.optional and value in ("", None))
        }
        extras = {
            name: value
            for name, value in (state.get("extras") or {}).items()
            if name not in self.attributes and not is_engine_attribute(name)
        }
        return extras | self.key(user_id, state) | attributes

    def managed(self, user_id: str, state: Item) -> tuple[Item, list[str]]:
        """What an update sets and removes: every attribute but keys and counters."""
        values = self.encode(user_id, state)
        sets = {
            name: value
            for name, value in values.items()
            if name not in self.counters and not (name in self.optional and value in ("", None))
        }
        removes = [name for name in values if name not in sets and name not in self.counters]
        return sets, removes

    @property
    def hash_key(self) -> str:
        return self.table.hash_key


def _document_encode(s: Item) -> Item:
    """The attributes templates and snippets share."""
    return {
        "title": s["title"],
        "description": s.get("description", ""),
        "content": s.get("content", ""),
        "category": s.get("category", ""),
        "tags": list(s.get("tags", [])),
        "createdAt": s["createdAt"],
        "updatedAt": s["updatedAt"],
    }


def _document_decode(i: Item, id_field: str) -> Item:
    created = _text(i, "createdAt")
    return {
        id_field: i[id_field],
        "title": _text(i, "title") or "Untitled",
        "description": _text(i, "description"),
        "content": _text(i, "content"),
        "category": _text(i, "category"),
        "tags": _list(i, "tags"),
        "createdAt": created,
        "updatedAt": _text(i, "updatedAt", created),
    }


def _template_encode(user_id: str, s: Item) -> Item:
    return _document_encode(s) | {
        "isShared": "true" if s.get("isShared") else "false",
        "usageCount": int(s.get("usageCount", 0)),
        "latestVersion": s.get("latestVersion"),
        "isFavorite": bool(s.get("isFavorite")),
    }


def _template_decode(i: Item) -> Item:
    return _document_decode(i, "templateId") | {
        "isShared": _flag(i.get("isShared"), "true"),
        "usageCount": int(i.get("usageCount") or 0),
        "latestVersion": i.get("latestVersion"),
        "isFavorite": _flag(i.get("isFavorite"), True),
    }


def _snippet_encode(user_id: str, s: Item) -> Item:
    return _document_encode(s)


def _snippet_decode(i: Item) -> Item:
    return _document_decode(i, "snippetId")


def _preset_encode(user_id: str, s: Item) -> Item:
    return {
        "name": s["name"],
        "description": s.get("description", ""),
        "values": dict(s.get("values", {})),
        "createdAt": s["createdAt"],
        "updatedAt": s["updatedAt"],
    }


def _preset_decode(i: Item) -> Item:
    created = _text(i, "createdAt")
    return {
        "presetId": i["presetId"],
        "name": _text(i, "name") or "Untitled",
        "description": _text(i, "description"),
        "values": _text(i, "values", {}),
        "createdAt": created,
        "updatedAt": _text(i, "updatedAt", created),
    }


def _version_encode(user_id: str, s: Item) -> Item:
    return {
        "versionId": s["versionId"],
        "templateId": s["templateId"],
        "title": s.get("title", ""),
        "content": s.get("content", ""),
        "changes": s.get("changes", ""),
        "isActive": bool(s.get("isActive", True)),
        "createdAt": s["createdAt"],
        "updatedAt": s["updatedAt"],
    }


def _version_decode(i: Item) -> Item:
    created = _text(i, "createdAt")
    return {
        "versionId": i["versionId"],
        "templateId": i["templateId"],
        "title": _text(i, "title"),
        "content": _text(i, "content"),
        "changes": _text(i, "changes"),
        "isActive": bool(i.get("isActive", True)),
        "createdAt": created,
        "updatedAt": _text(i, "updatedAt", created),
    }


def _share_encode(user_id: str, s: Item) -> Item:
    return {
        "sharedByUserId": s.get("sharedByUserId") or user_id,
        "permissions": s.get("permissions", "read"),
        "createdAt": s["createdAt"],
    }


def _share_decode(i: Item) -> Item:
    created = _text(i, "createdAt")
    template_id, shared_with = _text(i, "templateId"), _text(i, "sharedWithUserId")
    return {
        "shareId": f"{template_id}:{shared_with}",
        "templateId": template_id,
        "sharedByUserId": _text(i, "sharedByUserId"),
        "sharedWithUserId": shared_with,
        "permissions": _text(i, "permissions", "read"),
        "createdAt": created,
        "updatedAt": _text(i, "updatedAt", created),
    }


def _usage_encode(user_id: str, s: Item) -> Item:
    return {
        "templateId": s["templateId"],
        "action": s.get("action", "populate"),
        "timestamp": s["timestamp"],
        "date": s.get("date") or s["timestamp"][:10],
    }


def _usage_decode(i: Item) -> Item:
    timestamp = _text(i, "timestamp")
    return {
        "trackingId": i["trackingId"],
        "templateId": i["templateId"],
        "action": _text(i, "action", "populate"),
        "timestamp": timestamp,
        "date": _text(i, "date", timestamp[:10]),
        "createdAt": _text(i, "createdAt", timestamp),
        "updatedAt": _text(i, "updatedAt", timestamp),
    }


def _page_encode(user_id: str, s: Item) -> Item:
    return {
        "id": s["id"],
        "title": s["title"],
        "isPublished": 1 if s.get("isPublished") else 0,
        "createdAt": s["createdAt"],
        "updatedAt": s["updatedAt"],
        "type": "page",
        "ownerId": user_id,
    }


def _page_decode(i: Item) -> Item:
    created = _text(i, "createdAt")
    return {
        "id": _text(i, "id") or str(i["PK"]).removeprefix("PAGE#"),
        "title": _text(i, "title") or "Untitled",
        "isPublished": _flag(i.get("isPublished"), 1),
        "createdAt": created,
        "updatedAt": _text(i, "updatedAt", created),
    }


def _node_encode(user_id: str, s: Item) -> Item:
    return {
        "id": s["id"],
        "pageId": s["pageId"],
        "title": s["title"],
        "description": s.get("description", ""),
        "prompt": s.get("prompt", ""),
        "generatedImages": list(s.get("generatedImages", [])),
        "predictionId": s.get("predictionId", ""),
        "predictionStatus": s.get("predictionStatus", ""),
        "position": int(s.get("position", 0)),
        "createdAt": s["createdAt"],
        "updatedAt": s["updatedAt"],
        "type": "node",
        "ownerId": user_id,
    }


def _node_decode(i: Item) -> Item:
    created = _text(i, "createdAt")
    return {
        "id": _text(i, "id") or str(i["SK"]).removeprefix("NODE#"),
        "pageId": _text(i, "pageId") or str(i["PK"]).removeprefix("PAGE#"),
        "title": _text(i, "title") or "Untitled",
        "description": _text(i, "description"),
        "prompt": _text(i, "prompt"),
        "generatedImages": _list(i, "generatedImages"),
        "predictionId": _text(i, "predictionId"),
        "predictionStatus": _text(i, "predictionStatus"),
        "position": int(i.get("position") or 0),
        "createdAt": created,
        "updatedAt": _text(i, "updatedAt", created),
    }


_DOCUMENT = "title description content category tags createdAt updatedAt"


def _known(*names: str) -> frozenset[str]:
    return frozenset(" ".join(names).split())


def _user_key(entity: str) -> Callable[[str, Item], Item]:
    """The key of a table keyed by user and the record's id (the id field its description
    names)."""
    id_field = ENTITIES[entity].id_field
    return lambda user_id, state: {"userId": user_id, id_field: state[id_field]}


def _registry(*codecs: Codec) -> dict[str, Codec]:
    """The codecs by entity name: exactly one for each kind of record the store describes."""
    by_name = {c.entity: c for c in codecs}
    if set(by_name) != set(ENTITIES) or len(by_name) != len(codecs):
        raise RuntimeError(f"codecs and entities differ: {sorted(set(by_name) ^ set(ENTITIES))}")
    return by_name


#: One codec per :data:`desktop.store.entities.ENTITIES` entry (checked at import).
CODECS: dict[str, Codec] = _registry(
    Codec(
        "template",
        tables.TEMPLATES,
        _user_key("template"),
        _template_encode,
        _template_decode,
        _known("userId templateId", _DOCUMENT, "isShared usageCount latestVersion isFavorite"),
        optional=frozenset({"category", "latestVersion"}),
        counters=frozenset({"usageCount"}),
    ),
    Codec(
        "snippet",
        tables.SNIPPETS,
        _user_key("snippet"),
        _snippet_encode,
        _snippet_decode,
        _known("userId snippetId", _DOCUMENT),
        optional=frozenset({"category"}),
    ),
    Codec(
        "preset",
        tables.PRESETS,
        _user_key("preset"),
        _preset_encode,
        _preset_decode,
        _known("userId presetId name description values createdAt updatedAt"),
    ),
    Codec(
        "version",
        tables.VERSIONS,
        _user_key("version"),
        _version_encode,
        _version_decode,
        _known("userId versionId templateId title content changes isActive createdAt updatedAt"),
    ),
    Codec(
        "share",
        tables.SHARES,
        lambda u, s: {"templateId": s["templateId"], "sharedWithUserId": s["sharedWithUserId"]},
        _share_encode,
        _share_decode,
        _known("templateId sharedWithUserId sharedByUserId permissions createdAt"),
    ),
    Codec(
        "usage_event",
        tables.ANALYTICS,
        _user_key("usage_event"),
        _usage_encode,
        _usage_decode,
        _known("userId trackingId templateId action timestamp date"),
    ),
    Codec(
        "page",
        tables.PAGES,
        lambda u, s: {"PK": f"PAGE#{s['id']}", "SK": "META#"},
        _page_encode,
        _page_decode,
        _known("PK SK id title isPublished createdAt updatedAt type ownerId"),
    ),
    Codec(
        "node",
        tables.PAGES,
        lambda u, s: {"PK": f"PAGE#{s['pageId']}", "SK": f"NODE#{s['id']}"},
        _node_encode,
        _node_decode,
        _known(
            "PK SK id pageId title description prompt generatedImages predictionId",
            "predictionStatus position createdAt updatedAt type ownerId",
        ),
    ),
)
