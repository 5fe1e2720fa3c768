"""A real X server (Xvfb) with Gravy Desktop and a separate target application on it, driven
by real X input (xdotool), for the Quick Fill journey test and ``bench/quick_fill.py``.

Every process here is started by this module and ended by its pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_SCRIPT = Path(__file__).with_name("quickfill_target.py")
PALETTE = "Gravy Quick Fill"
TOOLS = ("Xvfb", "xdotool", "xclip")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def wait_for(check: Callable[[], bool], timeout: float, what: str, pause: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(pause)


class Desktop:
    """Xvfb on a display it chooses itself, with Gravy Desktop and the target running."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.database = workdir / "gravy.db"
        self.target_file = workdir / "target.txt"
        self.display = ""
        self.env: dict[str, str] = {}
        self.xvfb: subprocess.Popen[bytes] | None = None
        self.app: subprocess.Popen[bytes] | None = None
        self.target: subprocess.Popen[bytes] | None = None
        self.xclip: subprocess.Popen[bytes] | None = None
        self.target_window = ""

    # -- processes -----------------------------------------------------------------------

    def start_x(self) -> None:
        read, write = os.pipe()
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        home = self.workdir / "home"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
        }
        env.update(
            DISPLAY=self.display,
            QT_QPA_PLATFORM="xcb",
            XDG_SESSION_TYPE="x11",
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_STATE_HOME=str(home / "state"),
            XDG_CACHE_HOME=str(home / "cache"),
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
            PYTHONPATH=str(ROOT),
        )
        self.env = env

    def start_app(self) -> None:
        self.app = subprocess.Popen(
            [sys.executable, "-m", "desktop", "--db", str(self.database)],
            env=self.env,
            cwd=ROOT,
        )
        # The window's title is "<open template> - Gravy Desktop" (or the app's name alone).
        self.xdotool("search", "--sync", "--onlyvisible", "--name", "Gravy Desktop$", timeout=60)

    def start_target(self) -> None:
        self.target = subprocess.Popen(
            [sys.executable, str(TARGET_SCRIPT), str(self.target_file)], env=self.env
        )
        found = self.xdotool(
            "search", "--sync", "--onlyvisible", "--name", "^Quick Fill target$", timeout=60
        )
        self.target_window = found.split()[0]
        self.focus_target()

    def focus_target(self) -> None:
        self.xdotool("windowfocus", "--sync", self.target_window)
        wait_for(lambda: self.focused() == self.target_window, 10, "the target's focus")

    def stop(self) -> None:
        for process in (self.xclip, self.target, self.app, self.xvfb):
            _stop(process)

    # -- X input and output --------------------------------------------------------------

    def xdotool(self, *args: str, timeout: float = 20, check: bool = True) -> str:
        done = subprocess.run(
            ["xdotool", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )
        return done.stdout.strip()

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--clearmodifiers", *keys)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "15", text)

    def focused(self) -> str:
        return self.xdotool("getwindowfocus", "-f")

    def palette_window(self, title: str = PALETTE) -> str:
        """The palette's window id once it is shown with ``title`` and has the focus."""
        found: list[str] = []

        def shown() -> bool:
            done = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=20,
            )
            found[:] = done.stdout.split()
            return bool(found) and self.focused() in found

        wait_for(shown, 20, f"the window {title!r} with the focus", pause=0.05)
        return found[0]

    def set_clipboard(self, text: str) -> None:
        """xclip owns the clipboard (in the foreground, so by its pid) until someone else
        takes it."""
        _stop(self.xclip)
        self.xclip = subprocess.Popen(
            ["xclip", "-quiet", "-selection", "clipboard"],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert self.xclip.stdin is not None
        self.xclip.stdin.write(text.encode())
        self.xclip.stdin.close()
        wait_for(lambda: self.clipboard() == text, 10, "xclip to own the clipboard")

    def clipboard(self) -> str:
        done = subprocess.run(
            ["xclip", "-o", "-selection", "clipboard"],
            env=self.env,
            capture_output=True,
            timeout=10,
        )
        return done.stdout.decode(errors="replace") if done.returncode == 0 else ""

    def target_text(self) -> str:
        try:
            return self.target_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""


@contextmanager
def running_desktop(workdir: Path) -> Iterator[Desktop]:
    desktop = Desktop(workdir)
    try:
        desktop.start_x()
        yield desktop
    finally:
        desktop.stop()
