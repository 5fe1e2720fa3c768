"""Items written in the seeds' shape by plain boto3 (no ``version``) decode without loss,
and what the codec writes decodes back to the same record."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import given
from hypothesis import strategies as st

from desktop import domain
from desktop.sync.codec import CODECS, _plain, deserialize, serialize
from tests.sync.conftest import USER, Server

SEED_ITEMS: dict[str, dict[str, Any]] = {
    "template": {  # as the GravyJS duplicateTemplate / createTemplate write it
        "userId": USER,
        "templateId": "template-1710504000000-k3j9x2m1p",
        "title": "Welcome",
        "description": "First mail",
        "content": "<p>Hi [[name]]</p>",
        "category": "mail",
        "tags": ["intro", "mail"],
        "isShared": "true",
        "usageCount": 12,
        "latestVersion": "v1710504000000",
        "createdAt": "2024-03-15T12:00:00.000Z",
        "updatedAt": "2024-03-16T08:30:00.000Z",
        "isOffline": True,
    },
    "page": {  # as the Page Manager createPage writes it (isPublished fixed to 1/0)
        "PK": "PAGE#uuid1",
        "SK": "META#",
        "id": "uuid1",
        "title": "My Page",
        "isPublished": 1,
        "createdAt": "2024-03-15T12:00:00Z",
        "updatedAt": "2024-03-15T12:00:00Z",
        "type": "page",
    },
    "node": {
        "PK": "PAGE#uuid1",
        "SK": "NODE#uuid2",
        "id": "uuid2",
        "pageId": "uuid1",
        "title": "My Node",
        "description": "Node description",
        "prompt": "Image prompt",
        "generatedImages": ["url1", "url2"],
        "predictionId": "pred123",
        "predictionStatus": "succeeded",
        "createdAt": "2024-03-15T12:00:00Z",
        "updatedAt": "2024-03-15T12:00:00Z",
        "type": "node",
    },
    "usage_event": {
        "userId": USER,
        "trackingId": "track-1710504000000-abcdefghi",
        "templateId": "template-1710504000000-k3j9x2m1p",
        "action": "populate",
        "timestamp": "2024-03-15T12:00:00.000Z",
        "date": "2024-03-15",
    },
}
DOMAIN = {
    "template": domain.Template,
    "page": domain.Page,
    "node": domain.Node,
    "usage_event": domain.UsageEvent,
}


@pytest.mark.dynamodb
@pytest.mark.parametrize("entity", sorted(SEED_ITEMS))
def test_seed_shaped_items_decode_without_loss(entity: str, server: Server) -> None:
    codec = CODECS[entity]
    item = SEED_ITEMS[entity]
    server.put(codec.table.name, item)  # written by plain boto3, no version
    key = codec.key(USER, codec.decode(item) | {"templateId": item.get("templateId", "")})
    stored = server.get(codec.table.name, **key)
    assert stored is not None
    record = DOMAIN[entity].model_validate(codec.decode(stored))  # valid domain record
    for name, value in record.model_dump().items():
        if name in item and name not in ("isShared", "isPublished"):
            assert item[name] == value, name
    if entity == "template":
        assert record.isShared is True and record.usageCount == 12  # type: ignore[attr-defined]
    if entity == "page":
        assert record.isPublished is True  # type: ignore[attr-defined]


def test_what_the_codec_writes_decodes_to_the_same_record() -> None:
    template = domain.Template(title="T", content="<p>x</p>", tags=["a"], isShared=True)
    codec = CODECS["template"]
    item = deserialize(serialize(codec.item(USER, template.model_dump())))
    assert item["isShared"] == "true" and "category" not in item, "empty GSI keys left out"
    assert domain.Template.model_validate(codec.decode(item)) == template
    node = domain.Node(pageId="p1", title="n", generatedImages=["u"], position=3)
    node_item = deserialize(serialize(CODECS["node"].item(USER, node.model_dump())))
    assert (node_item["PK"], node_item["SK"], node_item["ownerId"]) == (
        "PAGE#p1",
        f"NODE#{node.id}",
        USER,
    )
    assert domain.Node.model_validate(CODECS["node"].decode(node_item)) == node


def test_the_fast_serializer_agrees_with_boto3s() -> None:
    from boto3.dynamodb.types import TypeSerializer

    from desktop.sync.codec import to_attribute

    for value in [
        "",
        "é",
        0,
        -12,
        10**20,
        True,
        False,
        None,
        [],
        ["a", 1, [True]],
        {"k": {"n": [None]}},
        {"a", "b"},
        b"bytes",
    ]:
        assert to_attribute(value) == TypeSerializer().serialize(value), value


_plain_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(min_size=1, max_size=8), _plain_values, max_size=6))
def test_the_fast_decoder_agrees_with_boto3s(item: dict[str, Any]) -> None:
    wire = serialize(item)
    assert deserialize(wire) == item
    assert deserialize(wire) == {
        name: _plain(TypeDeserializer().deserialize(value)) for name, value in wire.items()
    }
    assert deserialize({"n": {"N": "1.5"}, "s": {"SS": ["a"]}}) == {"n": 1.5, "s": {"a"}}


def test_unknown_attributes_are_extras_put_back_whole_never_sent_by_updates() -> None:
    codec = CODECS["template"]
    item = {
        "userId": USER,
        "templateId": "template-1763900000000-webapp001",
        "title": "T",
        "createdAt": "2026-11-25T10:00:00.000Z",
        "updatedAt": "2026-11-25T10:00:00.000Z",
        "variables": [{"name": "name"}],
        "version": 3,
        "lastOpId": "op-1",
        "usageOp_device-bob": "op-2",
        "versionKey": "old",
    }
    state = codec.decode(item)
    assert state["extras"] == {"variables": [{"name": "name"}]}
    assert codec.item(USER, state)["variables"] == [{"name": "name"}]
    assert not {"version", "lastOpId", "usageOp_device-bob"} & set(codec.item(USER, state))
    smuggled = state | {"extras": {"version": 9, "title": "not this", "lastOpId": "x"}}
    put = codec.item(USER, smuggled)
    assert "version" not in put and "lastOpId" not in put and put["title"] == "T"
    sets, removes = codec.managed(USER, state)
    assert "variables" not in sets and "variables" not in removes and "extras" not in sets
