"""Child processes for tests/sync/test_crash.py.

``python -m tests.sync.crash_processes engine DB``: drains the queue forever.
``python -m tests.sync.crash_processes editor DB SEED``: edits templates forever.
Both print ``ready`` once started; the test kills them with SIGKILL.
"""

from __future__ import annotations

import random
import sys
import time

from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync.config import load_settings, make_client
from desktop.sync.errors import Backoff
from desktop.sync.push import PushEngine


def engine(path: str) -> None:
    store = Store(open_database(path))
    settings = load_settings(store)
    push = PushEngine(store, make_client(settings), settings, backoff=Backoff(0.01, 0.05))
    print("ready", flush=True)
    while True:
        push.drain()
        time.sleep(0.01)


def editor(path: str, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(open_database(path))
    ids = [t.templateId for t in store.list_templates()]
    print("ready", flush=True)
    counter = 0
    while True:
        counter += 1
        roll = rng.random()
        if roll < 0.6:
            store.update_template(rng.choice(ids), content=f"<p>edit {seed}-{counter}</p>")
        elif roll < 0.75:
            store.record_use(rng.choice(ids))
        elif roll < 0.9:
            ids.append(store.create_template(f"New {seed}-{counter}").templateId)
        elif len(ids) > 100:
            store.delete_template(ids.pop(rng.randrange(len(ids))))
        time.sleep(0.002)


if __name__ == "__main__":
    if sys.argv[1] == "engine":
        engine(sys.argv[2])
    else:
        editor(sys.argv[2], int(sys.argv[3]))
