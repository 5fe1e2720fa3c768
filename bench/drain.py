"""Draining queued conditional updates on a link with latency, and what each edit costs.

For each added latency (a round trip added by ``tests/fault_proxy.py`` in front of DynamoDB
Local), in one run, on the same ``--records`` templates of about 2.5 KB, already synced:

- engine: the push engine in this process (``PushEngine.drain``, what ``sync push`` runs);
- cli: ``gravy-desktop sync push`` in a new process, and its start-up, measured as a
  ``sync push`` of an empty queue just before; cli_net_ops_s = records / (push - empty);
- naive: one conditional PutItem at a time, as the seeds write (timed on ``--naive-sample``
  records: at 50 ms the whole set would take minutes);
- raw_tx: TransactWriteItems of 100 conditional updates, 8 requests in flight;
- raw_partiql: BatchExecuteStatement of 25 conditional UPDATEs, as many in flight as the
  engine keeps (:data:`desktop.sync.push.DEFAULT_CONCURRENCY`).

Every path writes about 2.5 KB per record, conditioned on the version AND updatedAt it
last saw, as the engine does. Ratios: engine / naive, engine / best raw, and the same for
the CLI with its start-up subtracted.

Cost (write units per synced edit, table + indexes): DynamoDB Local reports consumed
capacity for single-item requests but none for PartiQL and wrong totals for transactions,
so each kind is priced by the single-item request it stands for, with
``ReturnConsumedCapacity=INDEXES``: a PartiQL UPDATE is billed as the UpdateItem it is, a
transaction action twice (AWS's price for transactional writes). The engine's figure is
its statements (and transaction actions) per edit, counted on the wire, times those.

Also: remote writes for 100 offline edits of one record (bar: 1).

Usage: python bench/drain.py [--records N] [--latency-ms 0,25,50] [--naive-sample N]
Starts DynamoDB Local itself. Last line: one JSON object.
Bars (issue 17): at 25 ms, engine >= 20x naive and (start-up subtracted) >= 0.9x the best
raw path; engine write units per edit <= one conditional single-item write's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import ROOT, paragraph, report

from desktop.domain import now_iso
from desktop.store import syncstate
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync import codec
from desktop.sync.config import SyncSettings, make_client, save_settings
from desktop.sync.push import DEFAULT_CONCURRENCY, PushEngine
from desktop.sync.tables import create_tables
from tests.dynamodb_local import DynamoDBLocal
from tests.fault_proxy import FaultProxy

USER = "bench-user"
TABLE = "GravyTemplates"
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchExecuteStatement")


class Seen:
    """What the server holds for each record (version, updatedAt): the raw paths condition
    on it and move the version on; the store is told afterwards, as a pull would."""

    def __init__(self, store: Store, ids: list[str]) -> None:
        with store.database.read() as session:
            states = syncstate.remote_states(session, [f"template:{t}" for t in ids])
        self.state = {
            t: (states[f"template:{t}"].version or 0, states[f"template:{t}"].updated_at)
            for t in ids
        }

    def next(self, template_id: str, moved_at: str | None = None) -> tuple[int, str | None]:
        """(version, updatedAt) to condition on; the write makes it version + 1 and, when
        it sets one, ``moved_at``."""
        version, at = self.state[template_id]
        self.state[template_id] = (version + 1, moved_at or at)
        return version, at

    def tell(self, store: Store) -> None:
        with store.database.write() as session:
            keys = [f"template:{t}" for t in self.state]
            bases = syncstate.remote_states(session, keys, with_base=True)
            syncstate.record_remote_many(
                session,
                [
                    (f"template:{t}", v, at, bases[f"template:{t}"].base)
                    for t, (v, at) in self.state.items()
                ],
            )


class Raw:
    """The raw conditional paths, from the same client, no queue."""

    def __init__(self, client: Any, table: str, seen: Seen) -> None:
        self.client = client
        self.table = table
        self.seen = seen
        self.rng = random.Random(5)

    def _key(self, template_id: str) -> dict[str, Any]:
        return {"userId": {"S": USER}, "templateId": {"S": template_id}}

    def update(self, template_id: str, tag: str, moved_at: str | None = None) -> dict[str, Any]:
        """A conditional UpdateItem of ~2.5 KB (content, version, lastOpId; and updatedAt
        when ``moved_at`` is given, as an edit moves it)."""
        version, at = self.seen.next(template_id, moved_at)
        request = {
            "TableName": self.table,
            "Key": self._key(template_id),
            "UpdateExpression": "SET content = :c, #v = :next, lastOpId = :op",
            "ConditionExpression": "#v = :seen AND updatedAt = :at",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {
                ":c": {"S": "<p>" + paragraph(self.rng, 2400) + "</p>"},
                ":next": {"N": str(version + 1)},
                ":seen": {"N": str(version)},
                ":at": {"S": str(at)},
                ":op": {"S": f"{tag}-{template_id}-{version}"},
            },
        }
        if moved_at:
            request["UpdateExpression"] += ", updatedAt = :moved"
            request["ExpressionAttributeValues"][":moved"] = {"S": moved_at}
        return request

    def statement(self, template_id: str, tag: str) -> dict[str, Any]:
        """The same write as a PartiQL UPDATE."""
        values = self.update(template_id, tag)["ExpressionAttributeValues"]
        return {
            "Statement": f'UPDATE "{self.table}" SET content = ? SET "version" = ? '
            'SET lastOpId = ? WHERE userId = ? AND templateId = ? AND "version" = ? '
            "AND updatedAt = ?",
            "Parameters": [
                values[":c"],
                values[":next"],
                values[":op"],
                {"S": USER},
                {"S": template_id},
                values[":seen"],
                values[":at"],
            ],
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def naive(self, items: dict[str, dict[str, Any]]) -> float:
        """One conditional PutItem at a time, in order."""
        requests = []
        for template_id, item in items.items():
            version, at = self.seen.next(template_id)
            requests.append(
                {
                    "TableName": self.table,
                    "Item": item
                    | {
                        "content": {"S": "<p>" + paragraph(self.rng, 2400) + "</p>"},
                        "version": {"N": str(version + 1)},
                    },
                    "ConditionExpression": "version = :seen AND updatedAt = :at",
                    "ExpressionAttributeValues": {
                        ":seen": {"N": str(version)},
                        ":at": {"S": str(at)},
                    },
                }
            )
        started = time.perf_counter()
        for request in requests:
            self.client.put_item(**request)
        return len(requests) / (time.perf_counter() - started)

    def transactions(self, ids: list[str]) -> float:
        actions = [{"Update": self.update(t, "tx")} for t in ids]
        return _timed(
            len(actions),
            8,
            lambda start: self.client.transact_write_items(
                TransactItems=actions[start : start + 100]
            ),
            range(0, len(actions), 100),
        )

    def partiql(self, ids: list[str], in_flight: int) -> float:
        statements = [self.statement(t, "pq") for t in ids]

        def send(start: int) -> None:
            answer = self.client.batch_execute_statement(Statements=statements[start : start + 25])
            errors = [r["Error"] for r in answer["Responses"] if "Error" in r]
            assert not errors, errors

        return _timed(len(statements), in_flight, send, range(0, len(statements), 25))


def _timed(n: int, threads: int, call: Callable[[Any], Any], work: Iterable[Any]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(call, work))
    return n / (time.perf_counter() - started)


def cli_push(db: Path) -> tuple[float, str]:
    """``gravy-desktop sync push`` in a new process: (seconds, what it printed)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(db), "sync", "push"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"sync push failed: {result.stdout}{result.stderr}")
    return elapsed, result.stdout


def edit_all(store: Store, ids: list[str], rng: random.Random, tag: str) -> None:
    """One edit of each template (its description: no version record, one write each)."""
    for template_id in ids:
        store.update_template(template_id, description=f"{tag} {paragraph(rng, 60)}")


def wire_writes(proxy: FaultProxy) -> Counter[str]:
    """Write requests, statements and transaction actions the proxy forwarded."""
    counts: Counter[str] = Counter()
    for operation, body in proxy.bodies:
        if operation not in WRITES:
            continue
        counts[operation] += 1
        request = json.loads(body)
        counts["statements"] += len(request.get("Statements", []))
        counts["transaction_actions"] += len(request.get("TransactItems", []))
        counts["single_item"] += operation in ("PutItem", "UpdateItem", "DeleteItem")
    return counts


def by_index(answer: dict[str, Any]) -> dict[str, float]:
    """Units of one single-item write, per table and index."""
    consumed = answer["ConsumedCapacity"]
    found = {"table": float(consumed["Table"]["CapacityUnits"])}
    for name, units in (consumed.get("GlobalSecondaryIndexes") or {}).items():
        found[name] = float(units["CapacityUnits"])
    return found


def capacity(answer: dict[str, Any]) -> float:
    consumed = answer["ConsumedCapacity"]
    if isinstance(consumed, list):
        return sum(float(c["CapacityUnits"]) for c in consumed)
    return float(consumed["CapacityUnits"])


def costs(
    client: Any, store: Store, raw: Raw, ids: list[str], wire: Counter[str], n: int
) -> dict[str, Any]:
    """Write units per edit of each kind, priced by single-item requests (see above).
    Each write moves ``updatedAt`` as an edit does (an index keyed on it moves too)."""
    single = [
        capacity(
            client.update_item(**raw.update(t, "cost", now_iso()), ReturnConsumedCapacity="INDEXES")
        )
        for t in ids[:20]
    ]
    # The engine's own write, as the single-item request it stands for: every managed
    # attribute set, conditioned on version and updatedAt.
    engine_single = []
    breakdown: dict[str, float] = {}
    for t in ids[20:40]:
        payload = store.get_template(t).model_dump()
        sets, removes = codec.CODECS["template"].managed(USER, payload)
        moved = now_iso()
        version, at = raw.seen.next(t, moved)
        sets |= {"version": version + 1, "lastOpId": f"cost-{t}", "updatedAt": moved}
        names = {f"#s{i}": name for i, name in enumerate(sets)} | {
            "#v": "version",
            "#u": "updatedAt",
        }
        names |= {f"#r{i}": name for i, name in enumerate(removes)}
        expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets)))
        if removes:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
        answer = client.update_item(
            TableName=raw.table,
            Key=raw._key(t),
            UpdateExpression=expression,
            ConditionExpression="#v = :seen AND #u = :at",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                f":s{i}": codec.to_attribute(v) for i, v in enumerate(sets.values())
            }
            | {":seen": {"N": str(version)}, ":at": {"S": str(at)}},
            ReturnConsumedCapacity="INDEXES",
        )
        engine_single.append(capacity(answer))
        for name, units in by_index(answer).items():
            breakdown[name] = breakdown.get(name, 0.0) + units / 20
    local_tx = capacity(
        client.transact_write_items(
            TransactItems=[{"Update": raw.update(ids[40], "cost", now_iso())}],
            ReturnConsumedCapacity="INDEXES",
        )
    )
    item = codec.serialize(
        codec.CODECS["template"].item(USER, store.get_template(ids[41]).model_dump())
    )
    moved = now_iso()
    version, at = raw.seen.next(ids[41], moved)
    naive = capacity(
        client.put_item(
            TableName=raw.table,
            Item=item | {"version": {"N": str(version + 1)}, "updatedAt": {"S": moved}},
            ConditionExpression="version = :seen AND updatedAt = :at",
            ExpressionAttributeValues={":seen": {"N": str(version)}, ":at": {"S": str(at)}},
            ReturnConsumedCapacity="INDEXES",
        )
    )
    per_single = sum(engine_single) / len(engine_single)
    statements = wire["statements"] + wire["single_item"]
    engine_wcu = (statements + 2 * wire["transaction_actions"]) * per_single / n
    return {
        "single_item_wcu": round(sum(single) / len(single), 2),
        "engine_statement_wcu": round(per_single, 2),
        "engine_wcu_per_edit": round(engine_wcu, 2),
        "engine_statement_wcu_by_index": {k: round(v, 2) for k, v in breakdown.items()},
        "engine_writes_per_edit": round((statements + wire["transaction_actions"]) / n, 3),
        "engine_requests": {k: v for k, v in wire.items() if k in WRITES},
        "transaction_wcu_billed": round(2 * per_single, 2),
        "transaction_wcu_local": local_tx,
        "naive_put_wcu": naive,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2_000, help="queued updates per run")
    parser.add_argument("--latency-ms", default="0,25,50", help="added round trips, ms")
    parser.add_argument("--naive-sample", type=int, default=200)
    args = parser.parse_args()
    n = args.records
    latencies = [int(x) for x in args.latency_ms.split(",")]
    rows: dict[str, Any] = {}
    cost: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        local = stack.enter_context(DynamoDBLocal())
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        prefix = f"bench{uuid.uuid4().hex[:6]}-"
        direct = SyncSettings(user_id=USER, endpoint_url=local.endpoint_url, table_prefix=prefix)
        client = make_client(direct)
        create_tables(client, prefix)
        rng = random.Random(3)
        table = prefix + TABLE

        store = Store(open_database(folder / "bench.db"))
        ids = [
            store.create_template(
                f"Template {i}", content=f"<p>{paragraph(rng, 2400)}</p>"
            ).templateId
            for i in range(n)
        ]
        PushEngine(store, client, direct).drain()
        assert sum(store.queue_counts().values()) == 0

        for latency in latencies:
            proxy = stack.enter_context(FaultProxy(local.port, latency_s=latency / 1000))
            linked = direct.model_copy(update={"endpoint_url": proxy.endpoint_url})
            save_settings(store, linked)
            link_client = make_client(linked)

            # The engine in this process: what `sync push` runs, without process start-up.
            edit_all(store, ids, rng, f"engine {latency}")
            proxy.bodies.clear()
            pusher = PushEngine(store, link_client, linked)
            started = time.perf_counter()
            pushed = pusher.drain()
            engine_ops = n / (time.perf_counter() - started)
            pusher.close()
            assert sum(store.queue_counts().values()) == 0 and pushed.sent == n, pushed
            wire = wire_writes(proxy)
            proxy.bodies.clear()

            # `sync push` itself, less a push of an empty queue (process start-up).
            store.database.close()
            empty_s = min(cli_push(folder / "bench.db")[0] for _ in range(2))
            store = Store(open_database(folder / "bench.db"))
            edit_all(store, ids, rng, f"cli {latency}")
            store.database.close()
            push_s, output = cli_push(folder / "bench.db")
            store = Store(open_database(folder / "bench.db"))
            assert sum(store.queue_counts().values()) == 0, output
            cli_ops = n / max(push_s - empty_s, 1e-3)

            seen = Seen(store, ids)
            raw = Raw(link_client, table, seen)
            sample = ids[: args.naive_sample]
            items = {
                t: codec.serialize(
                    codec.CODECS["template"].item(USER, store.get_template(t).model_dump())
                )
                for t in sample
            }
            naive_ops = raw.naive(items)
            paths = {
                "raw_tx": raw.transactions(ids),
                "raw_partiql": raw.partiql(ids, DEFAULT_CONCURRENCY),
            }
            if not cost:  # once, on the direct link: units do not depend on latency
                cost = costs(client, store, Raw(client, table, seen), ids, wire, n)
            seen.tell(store)  # the raw paths moved the versions on
            best = max(paths, key=lambda name: paths[name])
            rows[f"{latency}ms"] = {
                "engine_ops_s": round(engine_ops, 1),
                "cli_net_ops_s": round(cli_ops, 1),
                "cli_push_s": round(push_s, 2),
                "empty_push_s": round(empty_s, 2),
                "naive_ops_s": round(naive_ops, 1),
                **{f"{name}_ops_s": round(rate, 1) for name, rate in paths.items()},
                "best_raw": best,
                "engine_vs_naive": round(engine_ops / naive_ops, 1),
                "engine_vs_best_raw": round(engine_ops / paths[best], 2),
                "cli_net_vs_naive": round(cli_ops / naive_ops, 1),
                "cli_net_vs_best_raw": round(cli_ops / paths[best], 2),
                "engine_requests": {k: v for k, v in wire.items() if k in WRITES},
            }
            print(latency, rows[f"{latency}ms"], file=sys.stderr, flush=True)

        # Remote writes for 100 offline edits of one record.
        save_settings(store, direct)
        store.version_window_s = 0  # no version records: count the template's own writes
        with FaultProxy(local.port) as counter:
            engine = PushEngine(
                store,
                make_client(direct.model_copy(update={"endpoint_url": counter.endpoint_url})),
                direct,
            )
            edited = store.create_template("Edited offline")
            engine.drain()
            counter.bodies.clear()
            for i in range(100):
                store.update_template(edited.templateId, title=f"Edited offline {i}")
            engine.drain()
            engine.close()
            remote_writes = sum(
                c for k, c in counter.written_keys().items() if edited.templateId in k
            )
        store.database.close()

    report(
        {
            "benchmark": "drain",
            "records": n,
            "naive_sample": args.naive_sample,
            "engine_concurrency": DEFAULT_CONCURRENCY,
            "latency": rows,
            "cost": cost,
            "remote_writes_for_100_edits": remote_writes,
            "bars": {
                "engine_vs_naive_at_25ms": 20,
                "engine_vs_best_raw_at_25ms": 0.9,
                "engine_wcu_per_edit": "<= single_item_wcu",
                "remote_writes_for_100_edits": 1,
            },
        }
    )


if __name__ == "__main__":
    main()
