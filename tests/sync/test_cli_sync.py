"""The sync commands of the CLI, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dynamodb_local import DynamoDBLocal, free_port
from tests.sync.conftest import Server
from tests.test_cli import gravy

pytestmark = pytest.mark.dynamodb


def test_tables_create_then_push_and_status(
    db_path: Path, dynamodb_local: DynamoDBLocal, prefix: str, server: Server
) -> None:
    endpoint = dynamodb_local.endpoint_url
    assert gravy("sync", "status", db=db_path).stdout.startswith("sync target: none configured")
    assert (
        gravy(
            "config",
            "set",
            "--user-id",
            "ann",
            "--table-prefix",
            prefix,
            "--endpoint-url",
            endpoint,
            db=db_path,
        ).returncode
        == 0
    )
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
