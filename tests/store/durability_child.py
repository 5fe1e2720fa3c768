"""Edits a database forever, printing each edit before it starts and once it is committed.

Run by tests/store/test_durability.py, which kills it with SIGKILL at random moments.
"""

from __future__ import annotations

import json
import random
import sys

from desktop.store.db import open_database
from desktop.store.services import Store


def say(**message: object) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(path: str, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(open_database(path), version_window_s=0)
    templates = [t.templateId for t in store.list_templates()]
    say(phase="ready")
    counter = 0
    while True:
        counter += 1
        choice = rng.random()
        body = f"<p>{seed}-{counter} " + "lorem ipsum " * rng.randint(10, 200) + "</p>"
        if choice < 0.3 or not templates:
            say(phase="begin", op="create")
            template = store.create_template(f"T {seed}-{counter}", content=body)
            templates.append(template.templateId)
            say(phase="ack", id=template.templateId, state=template.model_dump())
        elif choice < 0.75:
            target = rng.choice(templates)
            say(phase="begin", op="update", id=target)
            template = store.update_template(target, content=body, title=f"T {seed}-{counter}")
            say(phase="ack", id=target, state=template.model_dump())
        elif choice < 0.9:
            target = rng.choice(templates)
            say(phase="begin", op="use", id=target)
            store.record_use(target)
            say(phase="ack", id=target, state=store.get_template(target).model_dump())
        else:
            target = templates.pop(rng.randrange(len(templates)))
            say(phase="begin", op="delete", id=target)
            store.delete_template(target)
            say(phase="ack", id=target, state=None)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
