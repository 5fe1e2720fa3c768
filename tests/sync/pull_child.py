"""A first sync in a process of its own, for tests/sync/test_pull_resume.py.

``python -m tests.sync.pull_child DB ENDPOINT PREFIX USER PAGE_SIZE``: pulls, printing
``read N`` after each page it applied (and remembered), slowly enough to be killed halfway.
"""

from __future__ import annotations

import sys
import time

from desktop.store.db import open_database
from desktop.store.services import Store
from desktop.sync.config import SyncSettings, make_client
from desktop.sync.pull import Puller


def main(path: str, endpoint: str, prefix: str, user: str, page_size: int) -> None:
    store = Store(open_database(path))
    settings = SyncSettings(user_id=user, endpoint_url=endpoint, table_prefix=prefix)
    puller = Puller(store, make_client(settings), settings, page_size=page_size)

    def progress(read: int, total: int | None) -> None:
        print(f"read {read} of {total}", flush=True)
        time.sleep(0.05)

    puller.progress = progress
    puller.pull()
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
