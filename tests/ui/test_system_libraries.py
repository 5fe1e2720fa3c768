"""Before the window opens on X11, ``gravy-desktop`` checks the system libraries Qt's xcb
platform needs and names the missing ones with the apt command (exit 2), where Qt aborted
naming only libxcb-cursor0. Checked against a fake library list: no system package is
uninstalled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop.app import SYSTEM_LIBRARIES, missing_libraries, window_on_xcb

FAKE = "libgravy-not-here.so.7"
CHECK = f"""
import sys
import desktop.app as app
app.SYSTEM_LIBRARIES = {{"libc.so.6": "libc6", "{FAKE}": "libgravy-not-here7",
                        "libxcb-icccm-fake.so.4": "libxcb-icccm4"}}
sys.exit(app.main([]))
"""


def test_missing_libraries_are_named_with_the_apt_command_and_exit_2(tmp_path: Path) -> None:
    database = tmp_path / "gravy.db"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "GRAVY_DESKTOP_DB": str(database)}
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert f"missing: {FAKE}, libxcb-icccm-fake.so.4." in done.stderr
    assert "sudo apt-get install libgravy-not-here7 libxcb-icccm4" in done.stderr
    assert "libc.so.6" not in done.stderr, "only the missing ones"
    assert not database.exists(), "stopped before anything was opened"


def test_the_check_finds_what_the_loader_cannot() -> None:
    assert missing_libraries({"libc.so.6": "libc6", FAKE: "fake7"}) == {FAKE: "fake7"}
    # The list holds what the xcb plugin needs, the two Qt's message left out among them.
    assert {"libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0"} <= set(SYSTEM_LIBRARIES.values())


def test_the_check_runs_only_where_the_window_would_use_x11() -> None:
    if not sys.platform.startswith("linux"):
        assert not window_on_xcb({})
        return
    assert window_on_xcb({})
    assert window_on_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not window_on_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not window_on_xcb({"QT_QPA_PLATFORM": "wayland;xcb"})
    assert not window_on_xcb({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"})
