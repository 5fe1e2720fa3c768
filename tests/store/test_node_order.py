"""A page's nodes are in the order the Page Manager web app shows them: by ``createdAt``
(its ``PageNodesIndex``), then id. A move is a new ``createdAt`` between the neighbours;
an import gives nodes their own increasing ones; undo puts a node back where it was."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop import domain
from desktop.domain import from_ms, iso_ms
from desktop.store import outbox, remote
from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.store.transfer import read_import

T0 = "2026-01-05T10:00:00.000Z"


def titles(store: Store, page_id: str) -> list[str]:
    return [n.title for n in store.nodes(page_id)]


def assert_web_order(store: Store, page_id: str) -> None:
    """Each node has its own createdAt, increasing along the order, and ``position`` is the
    node's place: the web app, ordering by createdAt, sees the same order."""
    nodes = store.nodes(page_id)
    stamps = [n.createdAt for n in nodes]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), stamps
    assert all(len(s) == 24 and s.endswith("Z") for s in stamps), "toISOString() form"
    assert [n.position for n in nodes] == list(range(len(nodes)))
    assert [store.get_node(n.id).position for n in nodes] == list(range(len(nodes)))


def all_sent(store: Store) -> None:
    with store.database.write() as session:
        for entry in outbox.entries(session):
            outbox.complete(session, entry.id)


def queued(store: Store) -> list[tuple[str, str]]:
    return [(e.record_key, e.op) for e in store.queue_entries()]


def imported_page(store: Store, stamps: list[str]) -> str:
    """A page whose nodes A, B, C... have the given createdAt (as a backup brings them)."""
    nodes = [
        {"id": f"n{i}", "pageId": "p", "title": chr(65 + i), "createdAt": s, "updatedAt": s}
        for i, s in enumerate(stamps)
    ]
    document = {
        "format": "gravy-desktop-backup",
        "version": 1,
        "pages": [{"id": "p", "title": "Board", "createdAt": T0, "updatedAt": T0}],
        "nodes": nodes,
    }
    store.import_records(read_import(json.dumps(document)).records)
    all_sent(store)
    return "p"


def test_a_move_is_one_update_with_a_createdAt_between_the_new_neighbours(store: Store) -> None:
    page = imported_page(store, [from_ms(iso_ms(T0) + 1000 * i) for i in range(4)])
    store.move_node("n3", 1)  # D between A and B
    assert titles(store, page) == ["A", "D", "B", "C"]
    d = store.get_node("n3")
    assert d.createdAt == "2026-01-05T10:00:00.500Z", "the middle millisecond"
    assert queued(store) == [("node:n3", "update")], "nothing else moves"
    store.move_node("n0", 3)  # A to the end
    assert titles(store, page) == ["D", "B", "C", "A"]
    store.move_node("n2", 0)  # C to the top
    assert titles(store, page) == ["C", "D", "B", "A"]
    assert_web_order(store, page)


def test_with_no_millisecond_free_the_following_nodes_shift_one_each(store: Store) -> None:
    stamps = [from_ms(iso_ms(T0) + i) for i in range(4)] + [from_ms(iso_ms(T0) + 60_000)]
    page = imported_page(store, stamps)  # A..D one ms apart, E a minute later
    store.move_node("n4", 1)  # E between A and B: no millisecond between them
    assert titles(store, page) == ["A", "E", "B", "C", "D"]
    assert_web_order(store, page)
    assert [n.createdAt[-7:] for n in store.nodes(page)] == [
        "00.000Z",
        "00.001Z",
        "00.002Z",
        "00.003Z",
        "00.004Z",
    ]
    assert sorted(queued(store)) == [(f"node:n{i}", "update") for i in range(1, 5)]


def test_a_page_manager_import_gives_its_nodes_increasing_createdAt_in_the_files_order(
    store: Store,
) -> None:
    pages = [
        {
            "id": "p",
            "title": "Board",
            "nodes": [{"id": f"z{9 - i}", "title": f"N{i}"} for i in range(5)],  # ids descending
        }
    ]
    store.import_records(read_import(json.dumps(pages)).records)
    assert titles(store, "p") == [f"N{i}" for i in range(5)]
    assert_web_order(store, "p")


def test_a_backup_of_nodes_sharing_one_createdAt_keeps_their_order(store: Store) -> None:
    """An earlier version imported a page's nodes with one createdAt and kept the order in
    ``position``: its backup comes back in that order, each node with its own millisecond."""
    nodes = [
        {"id": f"z{9 - i}", "pageId": "p", "title": f"N{i}", "position": i, "createdAt": T0}
        for i in range(4)
    ]
    document = {
        "format": "gravy-desktop-backup",
        "version": 1,
        "pages": [{"id": "p", "title": "Board", "createdAt": T0}],
        "nodes": nodes[::-1],
    }
    store.import_records(read_import(json.dumps(document)).records)
    assert titles(store, "p") == ["N0", "N1", "N2", "N3"]
    assert_web_order(store, "p")


def test_nodes_the_web_app_created_arrive_in_its_order(store: Store) -> None:
    """Pulled nodes are ordered by createdAt, then id (ties: the same rule on every device)."""
    page = store.create_page("Board")
    stamps = {"c": "2026-01-05T10:00:03.000Z", "a": "2026-01-05T10:00:01.000Z"}
    stamps |= {"b2": "2026-01-05T10:00:02.000Z", "b1": "2026-01-05T10:00:02.000Z"}
    with store.database.write() as session:
        for node_id, stamp in stamps.items():
            state = {"id": node_id, "pageId": page.id, "title": node_id, "createdAt": stamp}
            remote.write(session, "node", state | {"updatedAt": stamp})
    assert titles(store, page.id) == ["a", "b1", "b2", "c"]
    store.move_node("c", 2)  # between the tied ones: it and the node after it move apart
    assert titles(store, page.id) == ["a", "b1", "c", "b2"]
    assert_web_order(store, page.id)


def test_undo_of_a_move_and_of_a_delete_puts_the_node_back(store: Store) -> None:
    page = store.create_page("Board")
    for title in "ABCD":
        store.add_node(page.id, title)
    c = store.nodes(page.id)[2]
    store.move_node(c.id, 0)
    assert titles(store, page.id) == ["C", "A", "B", "D"]
    store.move_node(c.id, c.position)  # what Undo of the move does
    assert titles(store, page.id) == list("ABCD")
    assert_web_order(store, page.id)
    page_id = imported_page(store, [from_ms(iso_ms(T0) + ms) for ms in (0, 1000, 3000, 4000)])
    taken = store.with_children("node", "n1")
    store.delete_node("n1")
    store.move_node("n3", 1)  # D between A and C meanwhile
    store.restore(taken)
    assert titles(store, page_id) == ["A", "B", "D", "C"], "B back after A, where it was"
    assert_web_order(store, page_id)


def test_a_restored_node_sharing_a_millisecond_with_another_gets_its_own(store: Store) -> None:
    page = imported_page(store, [from_ms(iso_ms(T0) + ms) for ms in (0, 2, 4, 6)])
    taken = store.with_children("node", "n1")
    store.delete_node("n1")
    store.move_node("n3", 1)  # D between A and C: the middle is B's old millisecond
    assert store.get_node("n3").createdAt == taken[0][1].createdAt
    store.restore(taken)
    assert titles(store, page) in (["A", "B", "D", "C"], ["A", "D", "B", "C"])
    assert_web_order(store, page)


# -- any sequence of edits, against a plain list ----------------------------------------------

ACTIONS = st.lists(
    st.tuples(st.sampled_from(["add", "insert", "move", "delete", "undo"]), st.integers(0, 9)),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS, gap=st.sampled_from([1, 2, 1000]))
def test_any_sequence_of_edits_keeps_the_order_the_writer_made(
    tmp_path_factory: Any, actions: list[tuple[str, int]], gap: int
) -> None:
    """Adds, inserts, moves, deletes and their undo, on nodes whose createdAt start ``gap``
    milliseconds apart: the store's order is always the one the writer made, and every node
    has its own createdAt, increasing along it."""
    store = Store(open_database(tmp_path_factory.mktemp("order") / "gravy.db"))
    try:
        imported_page(store, [from_ms(iso_ms(T0) + gap * i) for i in range(3)])
        expected = ["A", "B", "C"]
        deleted: list[tuple[int, list[tuple[str, domain.Record]], str]] = []
        for count, (action, n) in enumerate(actions):
            nodes = store.nodes("p")
            if action != "undo" and action != "delete":
                deleted.clear()  # Undo would undo this action first
            if action in ("add", "insert"):
                title = f"X{count}"
                at = n % (len(nodes) + 1) if action == "insert" else len(nodes)
                store.add_node("p", title, position=at)
                expected.insert(at, title)
            elif action == "move" and nodes:
                node = nodes[n % len(nodes)]
                to = (n * 7) % len(nodes)
                store.move_node(node.id, to)
                expected.remove(node.title)
                expected.insert(to, node.title)
            elif action == "delete" and nodes:
                node = nodes[n % len(nodes)]
                deleted.append((node.position, store.with_children("node", node.id), node.title))
                store.delete_node(node.id)
                expected.remove(node.title)
            elif action == "undo" and deleted:
                at, taken, title = deleted.pop()
                store.restore(taken)
                expected.insert(at, title)
            assert titles(store, "p") == expected
            assert_web_order(store, "p")
    finally:
        store.database.close()
