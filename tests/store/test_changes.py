"""Change notifications say what changed and who asked (``Store.initiator``), per thread:
a view's write is attributed to the view, a commit on another thread meanwhile (the sync
engine's) is not."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

from desktop.store.services import Changes, Store


def test_a_write_inside_initiator_carries_it_and_others_carry_none(store: Store) -> None:
    heard: list[Changes] = []
    store.subscribe(heard.append)
    view = object()
    with store.initiator(view):
        template = store.create_template("Mine")
    store.update_template(template.templateId, title="Anyone's")
    assert [(c.records, c.initiator) for c in heard] == [
        ((("template", template.templateId),), view),
        ((("template", template.templateId),), None),
    ]
    assert heard[0].kinds == {"template"} and heard[0].touches("template", template.templateId)


def test_a_commit_on_another_thread_inside_the_block_carries_no_initiator(store: Store) -> None:
    heard: list[tuple[str, object | None]] = []
    store.subscribe(lambda c: heard.append((c.records[0][1] if c.records else "", c.initiator)))
    template = store.create_template("Shared")
    heard.clear()
    view = object()
    inside, done = threading.Event(), threading.Event()

    def sync_thread() -> None:
        inside.wait(10)
        with store.operation() as op:  # what a pull announces
            op.changed(("template", "from-sync"))
        done.set()

    other = threading.Thread(target=sync_thread)
    other.start()
    with store.initiator(view):
        inside.set()
        assert done.wait(10)
        store.update_template(template.templateId, title="Mine, while the sync committed")
    other.join()
    assert sorted(heard, key=lambda h: h[0]) == [
        ("from-sync", None),
        (template.templateId, view),
    ]


def test_an_operation_announces_once_after_it_ends_and_not_when_it_fails(store: Store) -> None:
    heard: list[Changes] = []
    store.subscribe(heard.append)
    view = object()
    with store.operation(initiator=view) as op:
        op.changed(("template", "a"), ("template", "b"))
        op.changed(("template", "a"))
        assert heard == []  # not before the operation is over
    assert [(c.records, c.initiator) for c in heard] == [
        ((("template", "a"), ("template", "b")), view)
    ]
    heard.clear()
    try:
        with store.operation() as op:
            op.changed(("template", "c"))
            raise RuntimeError("the write failed")
    except RuntimeError:
        pass
    with store.operation():
        pass  # nothing changed: nothing to announce
    assert heard == []


def test_no_change_is_announced_outside_the_store_operation() -> None:
    """Every announcement goes through ``Store.operation`` (issue 13): no module calls a
    ``notify_*`` method or the announcement itself directly."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted((root / "desktop").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and (
                node.attr.startswith("notify_") or node.attr in ("_notify", "_announce")
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno} {node.attr}")
    assert offenders == ["desktop/store/services.py:" + _announce_line(root)]


def _announce_line(root: Path) -> str:
    """The one use of ``_announce``: in ``Store.operation``."""
    source = (root / "desktop/store/services.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    store = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Store")
    operation = next(
        n for n in store.body if isinstance(n, ast.FunctionDef) and n.name == "operation"
    )
    uses = [
        n.lineno
        for n in ast.walk(operation)
        if isinstance(n, ast.Attribute) and n.attr == "_announce"
    ]
    assert len(uses) == 1
    return f"{uses[0]} _announce"
