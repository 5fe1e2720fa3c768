"""The headless CLI, run as users run it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desktop import __version__


def gravy(
    *args: str, db: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "desktop"] + (["--db", str(db)] if db else []) + list(args)
    return subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=60)


def configure(db: Path, endpoint: str, prefix: str) -> None:
    """Point ``db`` at a DynamoDB endpoint and table prefix, as user ann, by the CLI."""
    result = gravy(
        "config",
        "set",
        "--user-id",
        "ann",
        "--table-prefix",
        prefix,
        "--endpoint-url",
        endpoint,
        db=db,
    )
    assert result.returncode == 0, result.stderr


def test_version_from_the_installed_console_script() -> None:
    script = Path(sys.executable).with_name("gravy-desktop")
    assert script.exists(), "pip install put the gravy-desktop entry point beside python"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, f"gravy-desktop {__version__}")


def test_add_list_search_and_queue(db_path: Path) -> None:
    added = gravy(
        "templates",
        "add",
        "Offer letter",
        "--content",
        "-",
        "--category",
        "hr",
        "--tag",
        "jobs",
        db=db_path,
        stdin="<p>Dear [[candidate]]</p>",
    )
    assert added.returncode == 0, added.stderr
    template_id = added.stdout.strip()
    listed = gravy("--json", "templates", "list", db=db_path)
    assert [t["templateId"] for t in json.loads(listed.stdout)] == [template_id]
    found = gravy("search", "candid", db=db_path)
    assert template_id in found.stdout
    queue = gravy("--json", "queue", "list", db=db_path)
    assert queue.returncode == 0
    assert [e["record"].split(":")[0] for e in json.loads(queue.stdout)] == ["template", "version"]
    assert gravy("queue", "list", "--failed", db=db_path).stdout.strip() == (
        "2 pending, 0 in_flight, 0 failed, 0 conflict"
    )


def test_invalid_input_is_reported_with_exit_code_3(db_path: Path) -> None:
    result = gravy("templates", "add", "   ", db=db_path)
    assert result.returncode == 3
    assert "template title: must not be empty" in result.stderr


def test_a_corrupt_database_is_explained_with_exit_code_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"garbage" * 1000)
    result = gravy("templates", "list", db=broken)
    assert result.returncode == 2
    assert "damaged" in result.stderr and "left untouched" in result.stderr
    assert broken.read_bytes() == b"garbage" * 1000


def test_unknown_ids_fail_cleanly(db_path: Path) -> None:
    result = gravy("queue", "retry", "42", db=db_path)
    assert result.returncode == 1
    assert "no queue entry 42" in result.stderr
