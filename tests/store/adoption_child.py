"""Child process for tests/store/test_adoption.py: ``python -m tests.store.adoption_child
OFFLINE_DB ACCOUNT_DB SUB EMAIL`` moves the offline records into the account's database and
SIGKILLs itself the moment the account's database has committed the copy, before the
offline database is emptied (the worst place for a crash)."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from desktop.store import adoption
from desktop.store.db import open_database
from desktop.store.services import Store


def main(offline_path: str, account_path: str, sub: str, email: str) -> None:
    offline = Store(open_database(offline_path))
    target = Store(open_database(account_path))
    copy = target.import_records

    def copy_then_die(records: Any) -> Any:
        copy(records)
        print("copied", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    target.import_records = copy_then_die  # type: ignore[method-assign]
    adoption.adopt(offline, target, sub, email)


if __name__ == "__main__":
    main(*sys.argv[1:5])
