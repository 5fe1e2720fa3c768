"""Smoke test of the installed package: build the .deb (unless given), install it on this
machine with apt (which brings its declared dependencies), run the installed
``gravy-desktop --self-test`` against DynamoDB Local with a screenshot of the window (and
its icons, from the package's copy of qtawesome's font), check that it upgrades a database
the previous release left (backed up, migrated, data intact), that a running window
answers ``gravy-desktop fill`` (Quick Fill's local socket), report the sizes, and
uninstall. Needs root (apt) and the test set-up (``bash tests/run``).

With ``--over REF`` it first builds the package of an older release (the git commit or
tag REF, in a worktree under build/), installs it, writes templates and a queued change
with it, and then installs this package over it with apt: the upgrade must keep the
user's database and queue, leave no file of the old package behind, and run.

Usage: .venv/bin/python packaging/smoke.py [--deb build/gravy-desktop_X_amd64.deb] [--over REF]
Last line: one JSON object with deb_mb, installed_mb, self_test_ok, frozen_startup_s
(and package_upgrade_ok, from_version, to_version with --over).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dynamodb_local import DynamoDBLocal  # noqa: E402
from tests.store.previous_schema import OLD_TEMPLATE_ID, previous_schema_database  # noqa: E402


def sh(*command: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def upgrade_check(run_env: dict[str, str], folder: Path) -> bool:
    """The installed app opens the previous release's database: it backs it up, migrates
    it, and every record is still there."""
    path = folder / "gravy.db"
    previous_schema_database(path, title="Written by the previous release", usage_count=7)
    shown = sh(
        "/usr/bin/gravy-desktop",
        "--db",
        str(path),
        "--json",
        "templates",
        "show",
        OLD_TEMPLATE_ID,
        env=run_env,
        timeout=120,
    )
    if shown.returncode != 0:
        print(shown.stdout + shown.stderr)
        return False
    template = json.loads(shown.stdout)
    with sqlite3.connect(path) as connection:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    backups = list(folder.glob("gravy.db.before-*.bak"))
    names = [b.name for b in backups]
    print(f"upgrade: revision {revision}, backups {names}, kept {template['title']!r}")
    return (
        template["content"] == "<p>old</p>"
        and template["usageCount"] == 7
        and revision != "0001"
        and len(backups) == 1
    )


def quick_fill_check(run_env: dict[str, str], folder: Path) -> bool:
    """The installed window answers ``gravy-desktop fill`` through its local socket (the
    QtNetwork the package keeps): the command exits 0 only if a running window took it."""
    database = folder / "quick-fill.db"
    window = subprocess.Popen(
        ["/usr/bin/gravy-desktop", "--db", str(database)],
        env=run_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and window.poll() is None:
            asked = sh("/usr/bin/gravy-desktop", "--db", str(database), "fill", env=run_env)
            if asked.returncode == 0:
                return True
            time.sleep(0.5)  # the window is still starting
        return False
    finally:
        window.terminate()
        window.wait(30)


def build_release(ref: str) -> Path:
    """The .deb of git ``ref``, built in a worktree with its own virtualenv."""
    folder = ROOT / "build" / f"release-{ref}"
    if not folder.exists():
        added = sh("git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), ref)
        if added.returncode != 0:
            raise SystemExit(f"cannot check out {ref}: {added.stderr}")
    if not (folder / ".venv" / "bin" / "python").exists():
        sh(sys.executable, "-m", "venv", str(folder / ".venv"), check=True)
    built = sh("bash", "packaging/build-deb.sh", cwd=folder)
    if built.returncode != 0:
        raise SystemExit(f"cannot build {ref}: {built.stdout[-2000:]}{built.stderr[-2000:]}")
    return (folder / built.stdout.strip().splitlines()[-1]).resolve()


def installed_version() -> str:
    return sh("dpkg-query", "-W", "-f=${Version}", "gravy-desktop").stdout.strip()


def package_upgrade(old: Path, new: Path, env: dict[str, str]) -> dict[str, object]:
    """Install ``old``, write with it, install ``new`` over it; what survived."""
    apt = ("apt-get", "install", "-y", "--no-install-recommends", "--allow-downgrades")
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as home:
        run_env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}
        database = Path(home) / ".local" / "share" / "GravyDesktop" / "gravy.db"
        if sh(*apt, str(old), env=env).returncode != 0:
            raise SystemExit(f"cannot install {old}")
        report["from_version"] = installed_version()
        for i in range(3):
            sh(
                "/usr/bin/gravy-desktop",
                "templates",
                "add",
                f"Older release {i}",
                "--content",
                f"<p>Written by {report['from_version']} [[name]] {i}</p>",
                env=run_env,
                check=True,
            )
        before = sh("/usr/bin/gravy-desktop", "--json", "queue", "list", env=run_env).stdout
        upgraded = sh(*apt, str(new), env=env)
        report["to_version"] = installed_version()
        listed = sh("/usr/bin/gravy-desktop", "--json", "templates", "list", env=run_env)
        after = sh("/usr/bin/gravy-desktop", "--json", "queue", "list", env=run_env).stdout
        titles = sorted(t["title"] for t in json.loads(listed.stdout or "[]"))
        with sqlite3.connect(database) as connection:
            report["schema"] = connection.execute(
                "SELECT version_num FROM alembic_version"
            ).fetchone()[0]
        report["backups"] = sorted(p.name for p in database.parent.glob("gravy.db.before-*.bak"))
        owned = set(sh("dpkg", "-L", "gravy-desktop").stdout.split())
        on_disk = {str(p) for p in Path("/opt/gravy-desktop").rglob("*")}
        report["stale_files"] = len(on_disk - owned)
        report["package_upgrade_ok"] = (
            upgraded.returncode == 0
            and report["to_version"] != report["from_version"]
            and database.exists()
            and titles == [f"Older release {i}" for i in range(3)]
            and before == after != ""
            and report["stale_files"] == 0
        )
        print(f"package upgrade: {report}, templates {titles}")
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb", help="an already built package")
    parser.add_argument("--over", metavar="REF", help="first install the release at git REF")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("packaging/smoke.py installs a package: run it as root", file=sys.stderr)
        return 2
    if args.deb:
        deb = Path(args.deb).resolve()
    else:
        built = sh("bash", str(ROOT / "packaging" / "build-deb.sh"), cwd=ROOT)
        if built.returncode != 0:
            print(built.stdout + built.stderr, file=sys.stderr)
            return 1
        deb = (ROOT / built.stdout.strip().splitlines()[-1]).resolve()
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    upgrade: dict[str, object] = {}
    if args.over:
        upgrade = package_upgrade(build_release(args.over), deb, env)
    installed = sh("apt-get", "install", "-y", "--no-install-recommends", str(deb), env=env)
    if installed.returncode != 0:
        print(installed.stdout[-3000:] + installed.stderr[-3000:], file=sys.stderr)
        return 1
    result: dict[str, object] = {"deb_mb": round(deb.stat().st_size / 1e6, 1), **upgrade}
    try:
        size_kb = sh("dpkg-query", "-W", "-f=${Installed-Size}", "gravy-desktop").stdout
        result["installed_mb"] = round(int(size_kb) / 1024, 1)
        screenshot = ROOT / "build" / "smoke-window.png"
        with DynamoDBLocal() as dynamodb, tempfile.TemporaryDirectory() as home:
            run_env = {
                "PATH": "/usr/bin:/bin",
                "HOME": home,
                "QT_QPA_PLATFORM": "offscreen",
                "LANG": "C.UTF-8",
            }
            test = sh(
                "/usr/bin/gravy-desktop",
                "--self-test",
                "--endpoint-url",
                dynamodb.endpoint_url,
                "--screenshot",
                str(screenshot),
                env=run_env,
                timeout=300,
            )
            # A real X server (Xvfb), so the xcb platform plugin and the system libraries
            # the package declares are loaded, as on a desktop.
            if sh("sh", "-c", "command -v xvfb-run").returncode != 0:
                sh("apt-get", "install", "-y", "--no-install-recommends", "xvfb", "xauth", env=env)
            on_x = sh(
                "xvfb-run",
                "-a",
                "/usr/bin/gravy-desktop",
                "--self-test",
                env=run_env | {"QT_QPA_PLATFORM": "xcb"},
                timeout=300,
            )
            print(on_x.stdout[-1500:] + on_x.stderr[-1500:])
            result["xcb_ok"] = on_x.returncode == 0 and "platform xcb" in on_x.stdout
            # pynput's X11 backend, which Quick Fill's shortcut and paste keys load by name.
            result["quick_fill_keys_ok"] = (
                "ok: Quick Fill keys (pynput.keyboard._xorg)" in on_x.stdout
            )
            # Start-up alone: a second run with nothing to push (it still creates and
            # migrates a fresh database, which takes about 0.1 s of the figure).
            timing = sh("/usr/bin/gravy-desktop", "--self-test", env=run_env, timeout=300)
            result["upgrade_ok"] = upgrade_check(run_env, Path(home))
            result["quick_fill_ok"] = quick_fill_check(run_env, Path(home))
        print(test.stdout + test.stderr)
        result["self_test_ok"] = test.returncode == 0 and screenshot.exists()
        result["icons_ok"] = "icons drawn" in test.stdout  # the font came with the package
        shown = re.search(r"shown ([0-9.]+) s after the process started", timing.stdout)
        result["frozen_startup_s"] = float(shown.group(1)) if shown else None
        result["screenshot"] = str(screenshot.relative_to(ROOT))
    finally:
        removed = sh("apt-get", "remove", "-y", "gravy-desktop", env=env)
        result["uninstalled"] = (
            removed.returncode == 0 and not Path("/usr/bin/gravy-desktop").exists()
        )
    print(json.dumps(result))
    required = ["self_test_ok", "icons_ok", "quick_fill_ok", "quick_fill_keys_ok", "upgrade_ok"]
    required += ["xcb_ok", "uninstalled"]
    passed = all(result.get(k) for k in required + (["package_upgrade_ok"] if args.over else []))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
