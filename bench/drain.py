"""Draining 10,000 queued conditional updates of existing items, three ways, in one run:

(a) the push engine; (b) the seeds' naive loop, one PutItem per entry in order;
(c) raw TransactWriteItems of 100 conditional updates from the same client, sequentially
like the engine. Also: remote writes for 100 offline edits of one record (bar: 1).

Usage: python bench/drain.py [--updates N] [--endpoint URL]
Starts DynamoDB Local itself when no endpoint is given. Last line: one JSON object.
Bars (DESIGN.md): vs_naive >= 8, vs_raw >= 0.8.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import paragraph, report

from desktop.store.db import open_database
from desktop.store.outbox import Claimed, Op
from desktop.store.services import Store
from desktop.store.syncstate import RemoteState
from desktop.sync import codec
from desktop.sync.config import SyncSettings, make_client
from desktop.sync.push import PushEngine
from desktop.sync.tables import create_tables
from tests.dynamodb_local import DynamoDBLocal

USER = "bench-user"


def count_item_writes(client: Any) -> Counter[str]:
    """Count write actions per item key on ``client`` (a botocore event hook)."""
    counts: Counter[str] = Counter()

    def seen(params: dict[str, Any], **_: Any) -> None:
        for action in params.get("TransactItems", []):
            (detail,) = action.values()
            key = detail.get("Key") or detail.get("Item")
            counts[
                detail["TableName"]
                + str(
                    sorted(
                        (k, str(v))
                        for k, v in key.items()
                        if k in ("userId", "templateId", "versionId")
                    )
                )
            ] += 1

    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", seen)
    return counts


def engine_drain(store: Store, engine: PushEngine) -> float:
    started = time.perf_counter()
    while sum(store.queue_counts().values()):
        engine.drain()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--endpoint")
    args = parser.parse_args()
    n = args.updates
    with contextlib.ExitStack() as stack:
        endpoint = args.endpoint or stack.enter_context(DynamoDBLocal()).endpoint_url
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        prefix = f"bench{uuid.uuid4().hex[:6]}-"
        settings = SyncSettings(user_id=USER, endpoint_url=endpoint, table_prefix=prefix)
        client = make_client(settings)
        create_tables(client, prefix)
        rng = __import__("random").Random(3)

        # Setup: n templates of ~2 KB, created and synced, so that updates are conditional.
        store = Store(open_database(folder / "bench.db"))
        ids = [
            store.create_template(
                f"Template {i}", content=f"<p>{paragraph(rng, 1900)}</p>"
            ).templateId
            for i in range(n)
        ]
        engine = PushEngine(store, client, settings)
        engine_drain(store, engine)

        # (a) the engine: n queued conditional updates.
        for i, template_id in enumerate(ids):
            store.update_template(template_id, description=f"updated {i}")
        engine_s = engine_drain(store, engine)

        # (b) the naive loop the seeds use: one PutItem per entry, in order.
        items = [
            codec.serialize(
                codec.CODECS["template"].item(USER, store.get_template(t).model_dump())
                | {"description": f"naive {i}"}
            )
            for i, t in enumerate(ids)
        ]
        table = prefix + "GravyTemplates"
        started = time.perf_counter()
        for item in items:
            client.put_item(TableName=table, Item=item)
        naive_s = time.perf_counter() - started

        # (c) raw TransactWriteItems: the engine's own actions (conditional on version 1),
        # built beforehand, sent 100 at a time with the engine's concurrency; no queue.
        for item in items:  # give every item a known version to condition on
            item["version"] = {"N": "1"}
            client.put_item(TableName=table, Item=item)
        actions = [
            engine.action(
                Claimed(
                    0,
                    f"raw-{i}",
                    "template",
                    t,
                    f"template:{t}",
                    Op.UPDATE,
                    store.get_template(t).model_dump() | {"description": f"raw {i}"},
                    1,
                ),
                RemoteState(1, None, None),
            )
            for i, t in enumerate(ids)
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(engine.concurrency) as pool:
            list(
                pool.map(
                    lambda start: client.transact_write_items(
                        TransactItems=actions[start : start + 100]
                    ),
                    range(0, n, 100),
                )
            )
        raw_s = time.perf_counter() - started

        # Remote writes for 100 offline edits of one record.
        store.version_window_s = 0  # no version records: count the template's own writes
        one = store.create_template("Edited offline")
        engine_drain(store, engine)
        counts = count_item_writes(client)
        for i in range(100):
            store.update_template(one.templateId, title=f"Edited offline {i}")
        engine_drain(store, engine)
        one_key = [k for k in counts if one.templateId in k]
        remote_writes = sum(counts[k] for k in one_key)
        engine.close()
        store.database.close()

    engine_ops, naive_ops, raw_ops = n / engine_s, n / naive_s, n / raw_s
    report(
        {
            "benchmark": "drain",
            "updates": n,
            "engine_ops_s": round(engine_ops, 1),
            "naive_ops_s": round(naive_ops, 1),
            "raw_tx_ops_s": round(raw_ops, 1),
            "vs_naive": round(engine_ops / naive_ops, 2),
            "vs_raw": round(engine_ops / raw_ops, 2),
            "concurrency": 4,
            "remote_writes_for_100_edits": remote_writes,
            "bars": {"vs_naive": 8, "vs_raw": 0.8, "remote_writes_for_100_edits": 1},
        }
    )


if __name__ == "__main__":
    main()
