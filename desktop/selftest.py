"""``gravy-desktop --self-test``: prove an installed copy works, on a throw-away database.

Steps (each reported on its own line, ``ok`` or ``FAILED`` with the reason):
open a fresh database in a temporary folder (which runs the migrations), save a template,
find it by full-text search, check it is queued, push it when ``--endpoint-url`` is given
(creating the tables under a fresh prefix), check that an OS keyring backend is available
(a missing one is reported, not fatal: the app then works only with profiles or a local
endpoint), that Quick Fill can listen for its shortcut and send the paste keys (reported,
not fatal: there may be no X display), and open and close the main window (offscreen when
there is no display) with its icons (the font a package must carry).
Exit status 0 only if every step that must work did.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

from desktop import __version__


def _keyring_backend() -> str:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise RuntimeError(
            "no OS keyring backend (on Linux: a Secret Service such as GNOME Keyring or "
            "KWallet); access keys cannot be stored, AWS profiles and local endpoints still work"
        )
    return type(backend).__module__ + "." + type(backend).__name__


def _quick_fill_keys() -> str:
    """The keyboard backend Quick Fill's global shortcut and paste keys use (pynput loads it
    by name for the desktop it finds: a package must carry it)."""
    from pynput import keyboard  # ImportError without a display

    return str(keyboard.Controller.__module__)


def _process_age_s() -> float | None:
    """Seconds since this process started (Linux), for the window step's report."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started_ticks = int(fields[19])
        uptime_s = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime_s - started_ticks / os.sysconf("SC_CLK_TCK")


def run(
    endpoint_url: str | None = None,
    out: Callable[[str], None] = print,
    screenshot: Path | None = None,
) -> int:
    from desktop import app
    from desktop.store.outbox import State
    from desktop.store.services import Store

    failures = 0

    def step(name: str, action: Callable[[], str], required: bool = True) -> None:
        nonlocal failures
        try:
            detail = action()
        except Exception as error:  # report every failure, whatever it is, and go on
            out(f"{'FAILED' if required else 'warning'}: {name}: {error}")
            if os.environ.get("GRAVY_SELF_TEST_TRACE"):
                traceback.print_exc()
            failures += int(required)
            return
        out(f"ok: {name}" + (f" ({detail})" if detail else ""))

    out(f"gravy-desktop {__version__} self-test (Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory(prefix="gravy-self-test-") as folder:
        path = Path(folder) / "self-test.db"
        holder: dict[str, object] = {}

        def open_store() -> str:
            holder["store"] = app.open_store(path)
            return str(path)

        step("database opened and migrated", open_store)
        store = holder.get("store")
        if not isinstance(store, Store):
            out("self-test FAILED")
            return 1

        def save() -> str:
            template = store.create_template(
                "Self-test letter", content="<p>Dear [[name]], this is a self-test.</p>"
            )
            holder["template"] = template.templateId
            return template.templateId

        def find() -> str:
            found = store.search_templates("self-test")
            if [t.templateId for t in found] != [holder.get("template")]:
                raise RuntimeError(f"search found {[t.title for t in found]}")
            return "1 result"

        def queued() -> str:
            pending = store.queue_counts()[State.PENDING]
            if pending < 1:
                raise RuntimeError("nothing was queued")
            return f"{pending} entries"

        step("template saved", save)
        step("template found by search", find)
        step("change queued for sync", queued)
        if endpoint_url:
            step("pushed to " + endpoint_url, lambda: _push(store, endpoint_url))
        step("OS keyring", _keyring_backend, required=False)
        step("Quick Fill keys", _quick_fill_keys, required=False)
        step("main window opened and closed", lambda: _window(store, screenshot))
        store.database.close()
    steps = "1 step" if failures == 1 else f"{failures} steps"
    out("self-test passed" if failures == 0 else f"self-test FAILED ({steps})")
    return 0 if failures == 0 else 1


def _push(store: object, endpoint_url: str) -> str:
    from desktop.store.services import Store
    from desktop.sync.config import SyncSettings, make_client, save_settings
    from desktop.sync.engine import SyncEngine
    from desktop.sync.tables import create_tables

    assert isinstance(store, Store)
    settings = SyncSettings(
        user_id="self-test",
        endpoint_url=endpoint_url,
        table_prefix=f"selftest{uuid.uuid4().hex[:8]}-",
    )
    save_settings(store, settings)
    client = make_client(settings)
    create_tables(client, settings.table_prefix)
    engine = SyncEngine(store, client, settings)
    try:
        report = engine.run_once()
    finally:
        engine.close()
    left = sum(int(n) for n in store.queue_counts().values())
    if not report.ok or left:
        raise RuntimeError(f"{report.state}: {report.message}")
    return f"{report.push.sent} sent, tables {settings.table_prefix}*"


def _window(store: object, screenshot: Path | None = None) -> str:
    headless = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    if headless and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import build_window
    from desktop.store.services import Store
    from desktop.ui import icons
    from desktop.ui.application import make_application

    assert isinstance(store, Store)
    app = make_application()
    if icons.icon("plus").isNull():  # the window would show words alone
        raise RuntimeError(f"no icon font ({icons.FONT}, from qtawesome)")
    window = build_window(store, start_sync=False)
    window.show()
    app.processEvents()
    age = _process_age_s()
    rows = window.model.rowCount()
    if screenshot is not None and not window.grab().save(str(screenshot)):
        raise RuntimeError(f"could not save the screenshot to {screenshot}")
    window.close()
    app.processEvents()
    if rows != 1:
        raise RuntimeError(f"the window listed {rows} templates")
    shown = f", shown {age:.2f} s after the process started" if age is not None else ""
    return f"platform {app.platformName()}, icons drawn{shown}"
