"""After desktop moves, the Page Manager web app reads a page's nodes in the desktop's
order: read here as the web app's index reads them (a Query on ``PageNodesIndex``,
(``pageId``, ``createdAt``)); and a node the web app adds lands where it shows it."""

from __future__ import annotations

from typing import Any

from desktop.domain import from_ms, iso_ms
from tests.sync.conftest import DeviceFactory, Server


def web_order(server: Server, page_id: str) -> list[str]:
    """Node ids of a page as the web app's PageNodesIndex returns them."""
    ids: list[str] = []
    for page in server.client.get_paginator("query").paginate(
        TableName=server.table("PageManager"),
        IndexName="PageNodesIndex",
        KeyConditionExpression="pageId = :p",
        ExpressionAttributeValues={":p": {"S": page_id}},
    ):
        ids.extend(item["id"]["S"] for item in page["Items"])
    return ids


def web_creates_node(server: Server, page_id: str, node_id: str, created_at: str) -> None:
    """The seed's createNode: PutItem of the node with createdAt = new Date().toISOString()."""
    item: dict[str, Any] = {
        "PK": f"PAGE#{page_id}",
        "SK": f"NODE#{node_id}",
        "id": node_id,
        "title": "From the web",
        "description": "",
        "pageId": page_id,
        "createdAt": created_at,
        "updatedAt": created_at,
        "type": "node",
    }
    server.put("PageManager", item)


def test_the_web_app_reads_nodes_in_the_order_the_desktop_moved_them_to(
    device_for: DeviceFactory, server: Server
) -> None:
    ann = device_for("ann")
    page = ann.store.create_page("Storyboard")
    for title in ("Opening", "Middle", "Close", "Credits"):
        ann.store.add_node(page.id, title)
    ann.sync()
    assert web_order(server, page.id) == [n.id for n in ann.store.nodes(page.id)]

    nodes = ann.store.nodes(page.id)
    ann.store.move_node(nodes[3].id, 0)  # Credits first
    ann.store.move_node(nodes[0].id, 2)  # Opening between Middle and Close
    ann.store.move_node(nodes[2].id, 4)  # Close last (past the end)
    ann.sync()
    desktop = [n.id for n in ann.store.nodes(page.id)]
    assert [n.title for n in ann.store.nodes(page.id)] == [
        "Credits",
        "Middle",
        "Opening",
        "Close",
    ]
    assert web_order(server, page.id) == desktop

    # The web app adds a node now; the desktop shows it where the web app does (last).
    later = from_ms(iso_ms(ann.store.nodes(page.id)[-1].createdAt) + 1)
    web_creates_node(server, page.id, "web-node", later)
    ann.sync(full=True)
    assert [n.id for n in ann.store.nodes(page.id)] == web_order(server, page.id)
    assert ann.store.nodes(page.id)[-1].id == "web-node"

    # A move between two nodes a millisecond apart shifts the following ones: still the
    # same order on both sides.
    ann.store.move_node(ann.store.nodes(page.id)[0].id, 3)  # Credits between Close and it
    ann.sync()
    assert web_order(server, page.id) == [n.id for n in ann.store.nodes(page.id)]
    assert [n.title for n in ann.store.nodes(page.id)][-2:] == ["Credits", "From the web"]
