"""Records written straight to the server (as another device would have), fast: used by
the pull tests and ``bench/pull.py``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from desktop import domain
from desktop.sync import codec
from desktop.sync.codec import CODECS, VERSION


def template_items(user_id: str, count: int, stamp: str, content: str) -> list[dict[str, Any]]:
    """``count`` templates as the desktop client writes them, all stamped ``stamp``."""
    items = []
    for i in range(count):
        template = domain.Template(
            title=f"Template {i}",
            content=content,
            category=f"cat{i % 10}",
            tags=["seeded"],
            createdAt=stamp,
            updatedAt=stamp,
        )
        state = template.model_dump()
        items.append(CODECS["template"].item(user_id, state) | {VERSION: 1})
    return items


def put_all(client: Any, table: str, items: list[dict[str, Any]], threads: int = 4) -> None:
    """BatchWriteItem in 25s, UnprocessedItems retried until none are left."""

    def write(batch: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": codec.serialize(item)}} for item in batch]
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])

    batches = [items[start : start + 25] for start in range(0, len(items), 25)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, batches))
