"""Pulling: 10,000 new remote templates (about 2 KB each) into an empty store, then an idle
pull (nothing changed) over them.

The records are stamped an hour ago, as stored records are; a second idle pull over
records stamped within the overlap window (``pull_overlap_s``, 15 minutes) shows what
the clock-skew tolerance costs right after a burst of writes.

Usage: python bench/pull.py [--records N] [--endpoint URL]
Starts DynamoDB Local itself when no endpoint is given. Requests are counted on the
client (every HTTP request sent). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def remote_templates(count: int, stamp: str, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    items = []
    for i in range(count):
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
    args = parser.parse_args()
    n = args.records
    with contextlib.ExitStack() as stack:
        endpoint = args.endpoint or stack.enter_context(DynamoDBLocal()).endpoint_url
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        results: dict[str, Any] = {"benchmark": "pull", "records": n}
        for label, age in (("", timedelta(hours=1)), ("recent_", timedelta(seconds=0))):
            prefix = f"bench{uuid.uuid4().hex[:6]}-"
            settings = SyncSettings(user_id=USER, endpoint_url=endpoint, table_prefix=prefix)
            client = make_client(settings)
            create_tables(client, prefix)
            stamp = to_iso(datetime.now(UTC) - age)
            put_all(client, prefix + "GravyTemplates", remote_templates(n, stamp))

            store = Store(open_database(folder / f"{label}bench.db"))
            sent = Sent(client)
            puller = Puller(store, client, settings)
            initial_s, initial_requests, initial = timed_pull(puller, sent, None)
            assert store.count_templates() == n, store.count_templates()
            idle_s, idle_requests, idle = timed_pull(puller, sent, False)
            assert idle.applied == 0
            if not label:
                results |= {
                    "initial_pull_s": round(initial_s, 2),
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
    report(results)


if __name__ == "__main__":
    main()
