"""The order of a page's nodes, as both the desktop and the Page Manager web app see it.

The web app orders a page's nodes by what it writes: ``createdAt`` (its ``PageNodesIndex``
is (``pageId``, ``createdAt``)); it never reads ``position``. So the order is ``createdAt``
here too, compared as DynamoDB compares strings (byte by byte, as SQLite's default
collation does), then the node id. ``position`` breaks the remaining ties only: nodes that
an earlier version imported with one shared ``createdAt`` keep the order they had. A
node's ``position`` as the store returns it is its place in this order (0, 1, ...).

Moving a node gives it a ``createdAt`` between its new neighbours (the middle millisecond,
in ``toISOString()``'s form); where there is no millisecond between them, the moved node
goes one millisecond after the previous one and the following nodes shift by a
millisecond each as far as needed, each an ordinary queued update. A node added at the end
gets the current time (or a millisecond after the last node, if that is later).
"""

from __future__ import annotations

from desktop.domain import Node, from_ms, iso_ms

#: ``ORDER BY`` for a page's nodes in the local ``nodes`` table.
ORDER_SQL = "created_at, position, id"


def sort_key(node: Node) -> tuple[str, int, str]:
    return node.createdAt, node.position, node.id


def ranked(nodes: list[Node]) -> list[Node]:
    """``nodes`` (in their order) with ``position`` set to their place."""
    return [
        node if node.position == at else node.model_copy(update={"position": at})
        for at, node in enumerate(nodes)
    ]


def after(stamp: str) -> str:
    """The earliest millisecond timestamp in ``toISOString()`` form sorting after ``stamp``
    (which may be in another ISO form, e.g. without milliseconds)."""
    ms = iso_ms(stamp)
    for candidate in (ms + 1, ms - ms % 1000 + 1000):
        if from_ms(candidate) > stamp:
            return from_ms(candidate)
    raise ValueError(f"no timestamp sorts after {stamp!r}")


def _between(earlier: str, later: str) -> str | None:
    """A millisecond timestamp strictly between two, as near the middle as there is."""
    low, high = iso_ms(earlier), iso_ms(later)
    for candidate in (from_ms((low + high) // 2), after(earlier)):
        if earlier < candidate < later:
            return candidate
    return None


def _before(stamp: str) -> str | None:
    candidate = from_ms(iso_ms(stamp) - 1)
    return candidate if candidate < stamp else None


def place(others: list[Node], at: int, now: str) -> tuple[str, list[Node]]:
    """The ``createdAt`` that puts a node at index ``at`` among ``others`` (a page's other
    nodes, in order), and the nodes that must shift after it to make room (already
    changed, stamped ``now``)."""
    previous = others[at - 1].createdAt if at > 0 else None
    following = others[at].createdAt if at < len(others) else None
    if following is None:
        if previous is None or now > previous:
            return now, []
        return after(previous), []
    found = _before(following) if previous is None else _between(previous, following)
    if found is not None:
        return found, []
    stamp = after(previous) if previous is not None else following
    return stamp, shift(others[at:], stamp, now)


def shift(nodes: list[Node], stamp: str, now: str) -> list[Node]:
    """The leading ``nodes`` whose ``createdAt`` is not after the one before them (``stamp``
    for the first), each moved to a millisecond after its predecessor."""
    moved = []
    for node in nodes:
        if node.createdAt > stamp:
            break
        stamp = after(stamp)
        moved.append(node.model_copy(update={"createdAt": stamp, "updatedAt": now}))
    return moved
