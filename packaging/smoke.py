"""Smoke test of the installed package: build the .deb (unless given), install it on this
machine with apt (which brings its declared dependencies), run the installed
``gravy-desktop --self-test`` against DynamoDB Local with a screenshot of the window,
check that it upgrades a database the previous release left (backed up, migrated, data
intact), report the sizes, and uninstall. Needs root (apt) and the test set-up (``bash tests/run``).

Usage: .venv/bin/python packaging/smoke.py [--deb build/gravy-desktop_X_amd64.deb]
Last line: one JSON object with deb_mb, installed_mb, self_test_ok, frozen_startup_s.
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb", help="an already built package")
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
    installed = sh("apt-get", "install", "-y", "--no-install-recommends", str(deb), env=env)
    if installed.returncode != 0:
        print(installed.stdout[-3000:] + installed.stderr[-3000:], file=sys.stderr)
        return 1
    result: dict[str, object] = {"deb_mb": round(deb.stat().st_size / 1e6, 1)}
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
            # Start-up alone: a second run with nothing to push (it still creates and
            # migrates a fresh database, which takes about 0.1 s of the figure).
            timing = sh("/usr/bin/gravy-desktop", "--self-test", env=run_env, timeout=300)
            result["upgrade_ok"] = upgrade_check(run_env, Path(home))
        print(test.stdout + test.stderr)
        result["self_test_ok"] = test.returncode == 0 and screenshot.exists()
        shown = re.search(r"shown ([0-9.]+) s after the process started", timing.stdout)
        result["frozen_startup_s"] = float(shown.group(1)) if shown else None
        result["screenshot"] = str(screenshot.relative_to(ROOT))
    finally:
        removed = sh("apt-get", "remove", "-y", "gravy-desktop", env=env)
        result["uninstalled"] = (
            removed.returncode == 0 and not Path("/usr/bin/gravy-desktop").exists()
        )
    print(json.dumps(result))
    passed = all(result.get(k) for k in ("self_test_ok", "upgrade_ok", "uninstalled"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
