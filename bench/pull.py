"""Pulling: 10,000 new remote templates (about 2 KB each) into an empty store, then an idle
pull (nothing changed) over them.

The records are stamped an hour ago, as stored records are; a second idle pull over
records stamped within the overlap window (``pull_overlap_s``, 15 minutes) shows what
the clock-skew tolerance costs right after a burst of writes (``--skip-recent``: not).

The ceiling: right before the initial pull, the same client pages through the same
records with plain ``Query`` calls and does nothing with them (``raw_query_s``);
``vs_raw`` = ``raw_query_s / initial_pull_s`` (goal >= 0.8). The initial pull runs as a
first sync does in the window: with its progress reported, so with the ``Select=COUNT``
that gives "Downloading 3,400 of 10,000" its total (its requests are in
``initial_requests``). ``peak_rss_mb``: the process's peak resident memory at the end
(seeding writes the records in chunks, so the pull is what sets it).

Usage: python bench/pull.py [--records N] [--endpoint URL] [--skip-recent]
Starts DynamoDB Local itself when no endpoint is given. Requests are counted on the
client (every HTTP request sent). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from common import report, template_fields

from desktop import domain
from desktop.domain import to_iso
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync.codec import CODECS, VERSION
from desktop.sync.config import SyncSettings, make_client
from desktop.sync.pull import Puller, PullReport
from desktop.sync.tables import create_tables
from tests.dynamodb_local import DynamoDBLocal
from tests.remote_data import put_all

USER = "bench-user"


def remote_templates(
    count: int, stamp: str, seed: int = 11, first: int = 0
) -> list[dict[str, Any]]:
    rng = random.Random(seed + first)
    items = []
    for i in range(first, first + count):
        fields = template_fields(rng, i) | {"createdAt": stamp, "updatedAt": stamp}
        state = domain.Template(**fields).model_dump()
        items.append(CODECS["template"].item(USER, state) | {VERSION: 1})
    return items


class Sent:
    """Counts the HTTP requests a client sends."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        client.meta.events.register("before-send.dynamodb", self._seen)

    def _seen(self, **_: Any) -> None:
        self.count += 1


def put_templates(client: Any, table: str, count: int, stamp: str, chunk: int = 5_000) -> None:
    for first in range(0, count, chunk):
        put_all(client, table, remote_templates(min(chunk, count - first), stamp, first=first))


def raw_query(client: Any, table: str) -> tuple[float, int, int]:
    """Seconds, requests and items of paging through the user's records with Query."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "userId = :owner",
        "ExpressionAttributeValues": {":owner": {"S": USER}},
    }
    started, requests, items = time.perf_counter(), 0, 0
    while True:
        response = client.query(**request)
        requests += 1
        items += len(response["Items"])
        if "LastEvaluatedKey" not in response:
            return time.perf_counter() - started, requests, items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _shown(into: list[tuple[int, int | None]], read: int, total: int | None) -> None:
    into.append((read, total))


def timed_pull(puller: Puller, sent: Sent, full: bool | None) -> tuple[float, int, PullReport]:
    before = sent.count
    started = time.perf_counter()
    result = puller.pull(full)
    assert result.stop is None, result.stop
    return time.perf_counter() - started, sent.count - before, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--endpoint")
    parser.add_argument("--skip-recent", action="store_true", help="no second, recent set")
    parser.add_argument(
        "--read-timeout",
        type=float,
        help="seconds (the app's client waits 15): a Query deep into 100,000 items on "
        "DynamoDB Local on a loaded machine can take longer",
    )
    args = parser.parse_args()
    n = args.records
    with contextlib.ExitStack() as stack:
        endpoint = args.endpoint or stack.enter_context(DynamoDBLocal()).endpoint_url
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        results: dict[str, Any] = {"benchmark": "pull", "records": n}
        passes = [("", timedelta(hours=1))]
        if not args.skip_recent:
            passes.append(("recent_", timedelta(seconds=0)))
        for label, age in passes:
            prefix = f"bench{uuid.uuid4().hex[:6]}-"
            settings = SyncSettings(user_id=USER, endpoint_url=endpoint, table_prefix=prefix)
            client = make_client(settings)
            if args.read_timeout:
                from botocore.config import Config

                config = Config(read_timeout=args.read_timeout, retries={"total_max_attempts": 1})
                client = boto3.client(
                    "dynamodb",
                    endpoint_url=endpoint,
                    region_name=settings.region,
                    aws_access_key_id="bench",
                    aws_secret_access_key="bench",
                    config=config,
                )
            create_tables(client, prefix)
            stamp = to_iso(datetime.now(UTC) - age)
            put_templates(client, prefix + "GravyTemplates", n, stamp)
            raw_s, raw_requests, raw_items = raw_query(client, prefix + "GravyTemplates")
            assert raw_items == n, raw_items

            store = Store(open_database(folder / f"{label}bench.db"))
            sent = Sent(client)
            puller = Puller(store, client, settings)
            shown: list[tuple[int, int | None]] = []
            puller.progress = partial(_shown, shown)
            initial_s, initial_requests, initial = timed_pull(puller, sent, None)
            assert shown[-1] == (n, n), shown[-1]
            puller.progress = None
            assert store.count_templates() == n, store.count_templates()
            idle_s, idle_requests, idle = timed_pull(puller, sent, False)
            assert idle.applied == 0
            if not label:
                counted = [total for _, total in shown]
                results |= {
                    "raw_query_s": round(raw_s, 2),
                    "raw_query_requests": raw_requests,
                    "initial_pull_s": round(initial_s, 2),
                    "vs_raw": round(raw_s / initial_s, 2),
                    "progress_reports": len(shown),
                    "progress_total_known_from_report": (
                        counted.index(n) + 1 if n in counted else None
                    ),
                    "initial_requests": initial_requests,
                    "initial_read_capacity": round(initial.read_capacity, 1),
                    "initial_records_per_s": round(n / initial_s),
                    "idle_pull_requests": idle_requests,
                    "idle_pull_s": round(idle_s, 3),
                    "idle_read_capacity": round(idle.read_capacity, 1),
                }
            else:  # all n stamped inside the overlap window: re-read, skipped unchanged
                results |= {
                    "recent_idle_pull_requests": idle_requests,
                    "recent_idle_pull_s": round(idle_s, 3),
                }
            store.database.close()
    results["tables_pulled"] = 5
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results["bar"] = {"initial_pull_s": 3.0, "vs_raw": 0.8}
    report(results)


if __name__ == "__main__":
    main()
