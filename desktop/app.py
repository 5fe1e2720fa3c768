"""The one place that assembles Gravy Desktop: database, store, (sync engine,) window or CLI."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop import __version__
from desktop.store.db import StoreError, open_database
from desktop.store.services import Store

APP_NAME = "GravyDesktop"
DB_ENV = "GRAVY_DESKTOP_DB"


def default_database_path() -> Path:
    """``$GRAVY_DESKTOP_DB``, else the signed-in account's database, else the offline one."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return Path(configured).expanduser()
    from desktop.sync import account

    return account.current_database_path(account.data_home())


def open_store(path: Path) -> Store:
    """Open the database at ``path`` (migrating it) and build the store on it."""
    return Store(open_database(path))


def main(argv: Sequence[str] | None = None) -> int:
    from desktop import cli

    args = cli.parse(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.version:
        print(f"gravy-desktop {__version__}")
        return 0
    if args.self_test:
        from desktop.selftest import run

        return run(args.endpoint_url, screenshot=Path(args.screenshot) if args.screenshot else None)
    from desktop import account_cli

    if account_cli.handles(args):  # before a database is chosen: the account's
        return account_cli.run(args, open_store)
    path = Path(args.db) if args.db else default_database_path()
    if args.command is None:
        from desktop.ui.main import run_gui

        return run_gui(path, follow_account=not args.db and not os.environ.get(DB_ENV))
    if args.command == "fill":
        from desktop.ui.single_instance import ask_running_window

        if ask_running_window(path):
            return 0
        print(f"gravy-desktop: Gravy Desktop is not running with {path}; start it first.")
        return 1
    try:
        store = open_store(path)
    except StoreError as error:
        print(f"gravy-desktop: {error}", file=sys.stderr)
        return 2
    try:
        return cli.run(args, store)
    except StoreError as error:
        print(f"gravy-desktop: {error}", file=sys.stderr)
        return 2
    finally:
        store.database.close()
