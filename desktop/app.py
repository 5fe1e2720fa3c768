"""The one place that assembles Gravy Desktop: the database, the store, and then either the
CLI on it or the window with its parts (the single-instance lock, the background tasks, the
sync controller, the undoable edits), wired together here (as Mu's ``app.py`` does).

Qt is imported only on the window's path, so the CLI starts without it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import __version__

if TYPE_CHECKING:  # loaded on use: `sync status` answers without SQLAlchemy (cli.quick)
    from desktop.store.db import InstanceLock
    from desktop.store.services import Store
    from desktop.ui.main import MainWindow

APP_NAME = "GravyDesktop"
DB_ENV = "GRAVY_DESKTOP_DB"


#: The system libraries Qt's X11 (xcb) window needs beyond what a Python install brings,
#: by file name, with the Debian/Ubuntu package that holds each (what ``ldd`` lists for
#: PySide6's ``libqxcb.so`` and ``libQt6XcbQpa.so.6``). A bare X server often lacks the
#: xcb helpers; Qt then aborts naming only ``libxcb-cursor0``.
SYSTEM_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}


def window_on_xcb(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether Qt would open the window through X11 (xcb): on Linux, unless another
    platform is asked for (``QT_QPA_PLATFORM``) or the session is Wayland."""
    if not sys.platform.startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0].strip() == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def missing_libraries(libraries: Mapping[str, str] | None = None) -> dict[str, str]:
    """The libraries of ``libraries`` (file name: package) the dynamic loader cannot find."""
    missing = {}
    for name, package in (SYSTEM_LIBRARIES if libraries is None else libraries).items():
        try:
            ctypes.CDLL(name)
        except OSError:
            missing[name] = package
    return missing


def explain_missing(missing: Mapping[str, str]) -> str:
    packages = " ".join(sorted(set(missing.values())))
    return (
        f"gravy-desktop: the window cannot open: {len(missing)} system "
        f"{'library' if len(missing) == 1 else 'libraries'} it needs "
        f"{'is' if len(missing) == 1 else 'are'} missing: {', '.join(missing)}.\n"
        f"On Debian or Ubuntu, install them with:\n\n    sudo apt-get install {packages}\n\n"
        "(other systems have the same libraries under their own package names). The "
        "commands (gravy-desktop --help) work without them."
    )


def default_database_path() -> Path:
    """``$GRAVY_DESKTOP_DB``, else the signed-in account's database, else the offline one."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return Path(configured).expanduser()
    from desktop.sync import account

    return account.current_database_path(account.data_home())


def open_store(path: Path, version_window_s: float | None = None) -> Store:
    """Open the database at ``path`` (migrating it) and build the store on it: the one way
    the CLI, the window and the self-test open a store."""
    from desktop.store.db import open_database
    from desktop.store.services import Store

    database = open_database(path)
    if version_window_s is None:
        return Store(database)
    return Store(database, version_window_s=version_window_s)


def open_for_window(path: Path) -> tuple[Store, InstanceLock]:
    """Take the single-instance lock for ``path`` (one window per database) and open its
    store; :class:`AlreadyRunning` when another window holds it."""
    from desktop.store.db import AlreadyRunning, InstanceLock

    lock = InstanceLock(path.expanduser().resolve(), "app")
    if not lock.acquire():
        raise AlreadyRunning(
            f"Gravy Desktop is already running with {path}. Switch to that window, or close "
            "it first."
        )
    try:
        return open_store(path), lock
    except Exception:
        lock.release()
        raise


def build_window(store: Store, start_sync: bool = True) -> MainWindow:
    """The main window on ``store``, assembled from its parts: the background tasks, the
    sync controller (started unless ``start_sync`` is False, as in tests) and the undoable
    edits. The window adopts them (they live as long as it does)."""
    from desktop.ui.main import MainWindow
    from desktop.ui.sync import SyncController
    from desktop.ui.tasks import Tasks
    from desktop.ui.undo import Edits

    tasks = Tasks()
    sync = SyncController(store, tasks)
    window = MainWindow(store, tasks, sync, Edits(store))
    if start_sync:
        sync.start()
    return window


def run_gui(path: Path, follow_account: bool = False) -> int:
    """The window on ``path``; ``follow_account``: on the signed-in account's database,
    asking at first run, and reopening on another database after a sign-in or sign-out."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop.store.db import StoreError
    from desktop.ui import signin
    from desktop.ui.application import make_application
    from desktop.ui.faults import FaultDialogs, explain, log_to_file
    from desktop.ui.quickfill import install as install_quick_fill

    app = make_application()
    try:
        log_path: Path | None = log_to_file()
    except OSError:
        log_path = None
    faults = FaultDialogs(QApplication.activeWindow, log_path)
    if follow_account:
        path = signin.first_run(path)
    try:
        store, lock = open_for_window(path)
    except StoreError as error:
        print(f"gravy-desktop: {error}", file=sys.stderr, flush=True)
        title, text = explain(error, at_start=True) or ("Gravy Desktop cannot start", str(error))
        QMessageBox.critical(None, title, text)
        return 2
    faults.install()
    with lock:
        window = build_window(store)
        quick_fill = install_quick_fill(window, store, path)
        accounts = signin.AccountMenu(window, store, window.tasks, window.sync)
        window.show()
        code = app.exec()
        quick_fill.close()
        if not window.tasks.wait(0):
            # Closing waited its 3 s and a request is still unanswered: end now rather than
            # wait for it (Qt's and Python's thread pools would). As safe as a kill: every
            # commit is durable, and entries left in flight are resent at the next start.
            logging.getLogger(__name__).info("quitting with a sync request unanswered")
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        store.database.close()
    if accounts.switch_to is not None:  # signed in or out: that account's records, or none
        return run_gui(accounts.switch_to)
    return code


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
        missing = missing_libraries() if window_on_xcb() else {}
        if missing:  # Qt would abort (SIGABRT) and name one of them at most
            print(explain_missing(missing), file=sys.stderr)
            return 2
        return run_gui(path, follow_account=not args.db and not os.environ.get(DB_ENV))
    if args.command == "fill":
        from desktop.ui.single_instance import ask_running_window

        if ask_running_window(path):
            return 0
        print(f"gravy-desktop: Gravy Desktop is not running with {path}; start it first.")
        return 1
    answer = cli.quick(args, path)
    if answer is not None:
        return answer
    from desktop.store.db import StoreError

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
