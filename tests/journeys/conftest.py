"""Journeys on a real X server: Xvfb on a free display, the app as its own process
(``python -m desktop --db ...`` on Qt's xcb platform, with a throw-away HOME and XDG
folders), driven only by real X input through ``xdotool`` (keys, typing, clicks at
window-relative points), checked through the database and the X clipboard, with a
screenshot of the whole screen per step in ``screenshots/journeys/``.

The app knows nothing of the tests: no test hooks, no geometry reports. The journeys use
the keyboard the README documents (Ctrl+N, Alt+1..6, F6, Tab, shortcuts)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop.store.db import open_database
from desktop.store.services import Store

ROOT = Path(__file__).parents[2]
SCREENSHOTS = Path(os.environ.get("GRAVY_SCREENSHOTS", ROOT / "screenshots")) / "journeys"
WAIT_S = 20.0  # the longest any step may take on a loaded 2-core machine
T = TypeVar("T")

TOOLS = ("Xvfb", "xdotool", "xclip")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing and os.environ.get("CI"):
        raise pytest.UsageError(f"journeys need {', '.join(missing)}: run bash tests/run")
    if missing:  # tests/run installs them; a bare pytest run says what is missing
        for item in items:
            if "journeys" in str(item.path):
                item.add_marker(pytest.mark.skip(reason=f"not installed: {', '.join(missing)}"))


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = WAIT_S) -> T:
    """Poll ``probe`` until it returns something truthy; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """Xvfb on a display it chooses itself (``-displayfd``: others use displays too)."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


class _XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def grab_screen(display: str, target: Path) -> None:
    """Save the whole X screen as a PNG (XGetImage on the root window; Qt's QImage only
    encodes it, so this works from the offscreen test process)."""
    from PySide6.QtGui import QImage

    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XGetImage.restype = ctypes.POINTER(_XImage)
    x11.XGetImage.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_int,
    ]
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display.encode())
    if not connection:
        raise RuntimeError(f"cannot open display {display}")
    try:
        width, height = x11.XDisplayWidth(connection, 0), x11.XDisplayHeight(connection, 0)
        root = x11.XDefaultRootWindow(connection)
        image = x11.XGetImage(connection, root, 0, 0, width, height, 0xFFFFFFFF, 2)  # ZPixmap
        if not image:
            raise RuntimeError("XGetImage failed")
        info = image.contents
        pixels = ctypes.string_at(info.data, info.bytes_per_line * info.height)
        x11.XFree(info.data)
        x11.XFree(image)
    finally:
        x11.XCloseDisplay(connection)
    picture = QImage(pixels, width, height, info.bytes_per_line, QImage.Format.Format_RGB32)
    target.parent.mkdir(parents=True, exist_ok=True)
    assert picture.copy().save(str(target)), f"cannot save {target}"


@dataclass
class App:
    """The app running on the X server, and the hands and eyes of the person using it."""

    display: str
    db_path: Path
    env: dict[str, str]
    journey: str
    process: subprocess.Popen[bytes] | None = None
    window: str = ""
    steps: int = 0
    _store: Store | None = field(default=None, repr=False)

    # -- the app ---------------------------------------------------------------------------

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop", "--db", str(self.db_path)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.window = self.wait_window("(^| - )Gravy Desktop$")  # "<template> - Gravy Desktop"
        self.focus(self.window)

    @property
    def log_path(self) -> Path:
        return self.db_path.with_name("app.log")

    def log(self) -> str:
        """What the app printed (its log file, stdout and stderr)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the app exited ({self.process.returncode}):\n{self.log()}")

    def quit(self) -> int:
        """Ctrl+Q, as a person would; the app's exit code."""
        assert self.process is not None
        self.focus(self.window)
        self.key("ctrl+q")
        try:
            return self.process.wait(timeout=WAIT_S)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def stop(self) -> None:
        if self._store is not None:
            self._store.database.close()
            self._store = None
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    # -- X input ---------------------------------------------------------------------------

    def xdotool(self, *args: str, timeout: float = WAIT_S) -> str:
        done = subprocess.run(
            ["xdotool", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def windows(self, name: str) -> list[str]:
        self.alive()
        done = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", name],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )
        return done.stdout.split()

    def wait_window(self, name: str) -> str:
        """The id of the visible window whose title matches ``name`` (a regex), once shown."""
        found = wait_for(f"a window named {name!r}", lambda: self.windows(name))
        return found[-1]

    def wait_closed(self, name: str, back_to: str | None = None) -> None:
        """Wait until the dialog is gone and give the focus back to the main window (or
        ``back_to``), as a window manager would (Xvfb runs none)."""
        wait_for(f"the window {name!r} to close", lambda: not self.windows(name))
        self.focus(back_to or self.window)

    def focus(self, window: str) -> None:
        self.xdotool("windowfocus", "--sync", window)

    def key(self, *keys: str) -> None:
        """Press keys (xdotool names: ctrl+n, Return, Tab, alt+2...) in the focused window."""
        self.xdotool("key", "--delay", "40", *keys)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "15", text)

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        """x, y, width, height of a window on the screen."""
        values: dict[str, int] = {}
        for line in self.xdotool("getwindowgeometry", "--shell", window).splitlines():
            name, _, value = line.partition("=")
            if name in ("X", "Y", "WIDTH", "HEIGHT"):
                values[name] = int(value)
        return values["X"], values["Y"], values["WIDTH"], values["HEIGHT"]

    def click(self, window: str, x: int, y: int) -> None:
        """A left click at (x, y) inside ``window`` (negative: from the right/bottom edge)."""
        left, top, width, height = self.geometry(window)
        at_x = left + (x if x >= 0 else width + x)
        at_y = top + (y if y >= 0 else height + y)
        self.xdotool("mousemove", "--sync", str(at_x), str(at_y), "click", "1")

    def clipboard(self, kind: str = "UTF8_STRING") -> str:
        done = subprocess.run(
            ["xclip", "-selection", "clipboard", "-o", "-t", kind],
            env=self.env,
            capture_output=True,
            timeout=WAIT_S,
        )
        return done.stdout.decode(errors="replace") if done.returncode == 0 else ""

    # -- eyes --------------------------------------------------------------------------------

    def shoot(self, step: str) -> Path:
        """A screenshot of the whole screen for this step (numbered in order)."""
        self.steps += 1
        target = SCREENSHOTS / f"{self.journey}_{self.steps:02d}_{step}.png"
        time.sleep(0.15)  # let the last key's repaint reach the screen
        grab_screen(self.display, target)
        return target

    @property
    def store(self) -> Store:
        """The app's database, opened beside it as the CLI would be (only read here)."""
        if self._store is None:
            self._store = Store(open_database(self.db_path))
        return self._store

    def wait_store(self, what: str, probe: Callable[[Store], T | None]) -> T:
        return wait_for(what, lambda: probe(self.store))


@pytest.fixture
def app(display: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[App]:
    """The app on the X server with a fresh database and throw-away settings folders."""
    home = tmp_path / "home"
    folders = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_RUNTIME_DIR": tmp_path / "runtime",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    folders["XDG_RUNTIME_DIR"].chmod(0o700)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QT_", "XDG_", "WAYLAND", "DBUS_SESSION"))
    }
    env |= {name: str(path) for name, path in folders.items()}
    env |= {
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",  # never a real keychain
        "LANG": "C.UTF-8",
    }
    name = request.node.name.removeprefix("test_")
    for old in SCREENSHOTS.glob(f"{name}_*.png"):
        old.unlink()
    running = App(display=display, db_path=tmp_path / "gravy.db", env=env, journey=name)
    try:
        yield running
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed and running.process is not None:
            running.shoot("at_failure")  # what the screen showed when the journey failed
    finally:
        running.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def seed(db_path: Path, build: Callable[[Store], Any]) -> None:
    """Write records before the app starts (as an earlier session would have)."""
    store = Store(open_database(db_path))
    try:
        build(store)
    finally:
        store.database.close()


@dataclass
class SyncTarget:
    """Fresh tables on the session's DynamoDB Local, and what the server holds."""

    endpoint_url: str
    prefix: str
    server: Any  # tests.sync.conftest.Server

    def settings(self, device: str) -> Any:
        from tests.sync.conftest import settings_for

        return settings_for(self.endpoint_url, self.prefix, device_id=f"device-{device}")


@pytest.fixture
def sync_target(dynamodb_local: Any, dynamodb: Any) -> SyncTarget:
    import uuid

    from desktop.sync.tables import create_tables
    from tests.sync.conftest import Server

    prefix = f"j{uuid.uuid4().hex[:10]}-"
    create_tables(dynamodb, prefix=prefix)
    return SyncTarget(dynamodb_local.endpoint_url, prefix, Server(dynamodb, prefix))
