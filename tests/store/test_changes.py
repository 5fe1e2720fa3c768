"""Change notifications say what changed and who asked (``Store.initiator``), per thread:
a view's write is attributed to the view, a commit on another thread meanwhile (the sync
engine's) is not."""

from __future__ import annotations

import threading

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
        store.notify_changed([("template", "from-sync")])  # what a pull announces
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
