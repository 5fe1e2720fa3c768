"""The sync commands of the CLI, run as a user runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dynamodb_local import DynamoDBLocal, free_port
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import Server
from tests.test_cli import configure, gravy

pytestmark = pytest.mark.dynamodb


def test_tables_create_then_push_and_status(
    db_path: Path, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    assert gravy("sync", "status", db=db_path).stdout.startswith("sync target: none configured")
    configure(db_path, dynamodb_local.endpoint_url, prefix)
    created = gravy("tables", "create", db=db_path)
    assert created.returncode == 0 and "all tables ready" in created.stdout
    assert gravy("tables", "create", db=db_path).returncode == 0, "safe to run twice"
    gravy("templates", "add", "From the CLI", db=db_path)
    pushed = gravy("--json", "sync", "push", db=db_path)
    assert pushed.returncode == 0, pushed.stderr
    summary = json.loads(pushed.stdout)
    assert summary["sent"] == 1 and summary["state"] == "idle"
    assert [i["title"] for i in server.scan("GravyTemplates") if i["userId"] == "ann"] == [
        "From the CLI"
    ]
    assert gravy("sync", "status", db=db_path).returncode == 0


def test_push_while_offline_exits_2_and_keeps_everything(db_path: Path, prefix: str) -> None:
    gravy("config", "set", "--user-id", "ann", "--table-prefix", prefix, db=db_path)
    gravy("templates", "add", "Waiting", db=db_path)
    offline = gravy("--endpoint-url", f"http://127.0.0.1:{free_port()}", "sync", "push", db=db_path)
    assert offline.returncode == 2
    assert "stopped: offline" in offline.stdout
    queue = json.loads(gravy("--json", "queue", "list", db=db_path).stdout)
    assert [e["state"] for e in queue] == ["pending"]


def test_push_says_what_waits_in_backoff_and_when_it_is_due(
    db_path: Path, prefix: str, proxy: FaultProxy
) -> None:
    configure(db_path, proxy.endpoint_url, prefix)
    for title in ("One", "Two", "Three"):
        gravy("templates", "add", title, db=db_path)
    proxy.fail_next("503", count=10)  # the first tries and the drain's short retries
    pushed = gravy("sync", "push", db=db_path)
    assert pushed.returncode == 0, pushed.stderr
    assert "waiting in backoff; next attempt due at 20" in pushed.stdout


def test_the_secret_goes_to_the_keyring_and_is_never_shown(db_path: Path) -> None:
    gravy("config", "set", "--access-key-id", "AKIAEXAMPLE", "--user-id", "ann", db=db_path)
    shown = gravy("config", "show", db=db_path)
    assert shown.returncode == 0 and "secret: none" in shown.stdout
    # The subprocess uses the real OS keyring; where there is none (CI), it must say so.
    stored = gravy("config", "set-secret", db=db_path, stdin="s3cr3t-value\n")
    if stored.returncode == 0:
        assert "stored in the OS keyring" in stored.stdout
    else:
        assert stored.returncode == 2 and "no OS keyring is available" in stored.stderr
    assert "s3cr3t-value" not in stored.stdout + stored.stderr
    for path in db_path.parent.iterdir():
        assert b"s3cr3t-value" not in path.read_bytes()


def test_sync_run_and_conflicts_from_the_command_line(
    tmp_path: Path, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    laptop, desktop = tmp_path / "laptop.db", tmp_path / "desktop.db"
    for db in (laptop, desktop):
        configure(db, dynamodb_local.endpoint_url, prefix)
    base = "<p>Dear [[name]],</p><p>Welcome.</p>"
    template_id = gravy("templates", "add", "Welcome", "--content", base, db=laptop).stdout.strip()
    assert gravy("sync", "run", db=laptop).returncode == 0
    first = gravy("--json", "sync", "run", db=desktop)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["pulled"]["applied"] >= 1
    assert gravy("templates", "show", template_id, db=desktop).returncode == 0

    gravy("templates", "edit", template_id, "--content", base.replace("Welcome", "Hi!"), db=laptop)
    gravy(
        "templates", "edit", template_id, "--content", base.replace("Welcome", "Hello!"), db=desktop
    )
    assert gravy("sync", "run", db=laptop).returncode == 0
    clash = gravy("sync", "run", db=desktop)
    assert clash.returncode == 1, "a conflict is left for the user"
    listed = json.loads(gravy("--json", "conflicts", "list", db=desktop).stdout)
    assert [(c["recordId"], c["fields"]) for c in listed] == [(template_id, ["content"])]
    shown = gravy("conflicts", "show", str(listed[0]["id"]), db=desktop)
    assert "Hello!" in shown.stdout and "Hi!" in shown.stdout and "base" in shown.stdout

    merged = tmp_path / "merged.html"
    merged.write_text(base.replace("Welcome", "Hi! Hello!"), encoding="utf-8")
    resolved = gravy(
        "conflicts", "resolve", str(listed[0]["id"]), "--merged", str(merged), db=desktop
    )
    assert resolved.returncode == 0, resolved.stderr
    assert gravy("sync", "run", db=desktop).returncode == 0
    assert gravy("sync", "run", db=laptop).returncode == 0
    item = server.get("GravyTemplates", userId="ann", templateId=template_id)
    assert item is not None and "Hi! Hello!" in item["content"]
    laptop_copy = json.loads(gravy("--json", "templates", "show", template_id, db=laptop).stdout)
    assert laptop_copy["content"] == item["content"]
    status = gravy("sync", "status", db=laptop).stdout
    assert "last successful sync: 20" in status


def test_sync_run_watch_keeps_syncing_until_stopped(
    tmp_path: Path, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    db = tmp_path / "server.db"
    configure(db, dynamodb_local.endpoint_url, prefix)
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop",
            "--db",
            str(db),
            "sync",
            "run",
            "--watch",
            "--interval",
            "0.3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        template_id = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if template_id is None:
                added = gravy("templates", "add", "Made while watching", db=db)
                if added.returncode == 0:
                    template_id = added.stdout.strip()
            elif server.get("GravyTemplates", userId="ann", templateId=template_id):
                break
            time.sleep(0.2)
        assert template_id and server.get("GravyTemplates", userId="ann", templateId=template_id)
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "pulled" in out
