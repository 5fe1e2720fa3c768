"""``gravy-desktop account ...`` and ``config import``, run in-process (each call as a fresh
process would: no token kept in memory between them) against the Cognito stand-in and
DynamoDB Local, with the in-memory keyring."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop.app import main
from desktop.sync import account
from tests.cognito import CognitoStandIn, Relay, fresh_totp, new_email
from tests.conftest import MemoryKeyring
from tests.dynamodb_local import DynamoDBLocal
from tests.sync.conftest import Server

pytestmark = pytest.mark.dynamodb

PASSWORD = "Correct-horse-9"


@dataclass
class Result:
    code: int
    out: str
    err: str


Gravy = Callable[..., Result]


@pytest.fixture
def gravy(
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cognito_standin: CognitoStandIn,
    dynamodb_local: DynamoDBLocal,
    prefix: str,
) -> Gravy:
    """gravy(*args, stdin="") -> Result, with this test's deployment imported first."""
    assert cognito_standin.pool is not None
    deployment = cognito_standin.pool.deployment() | {
        "dynamodb_endpoint_url": dynamodb_local.endpoint_url,
        "table_prefix": prefix,
    }
    shipped = home.parent / "gravy-deployment.json"
    shipped.write_text(json.dumps(deployment))

    def run(*args: str, stdin: str = "") -> Result:
        account.forget_sessions()  # a new process: only the keyring remembers the session
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    imported = run("config", "import", str(shipped))
    assert imported.code == 0 and "deployment imported" in imported.out, imported
    return run


def sign_in(gravy: Gravy, email: str, *lines: str) -> Result:
    return gravy("account", "sign-in", email, "--password-stdin", stdin="\n".join(lines) + "\n")


def titles(gravy: Gravy) -> list[str]:
    listed = gravy("--json", "templates", "list")
    assert listed.code == 0, listed
    return sorted(t["title"] for t in json.loads(listed.out))


def test_sign_in_then_sync_as_the_sub(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server, home: Path
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    assert "nobody is signed in" in gravy("account", "status").out
    signed = sign_in(gravy, email, PASSWORD)
    assert signed.code == 0 and f"signed in as {email}" in signed.out, signed
    assert PASSWORD not in signed.out + signed.err
    status = json.loads(gravy("--json", "account", "status").out)
    assert (status["email"], status["sub"], status["session"]) == (
        email,
        sub,
        "kept in the OS keyring",
    )
    assert status["database"] == str(account.account_database_path(home, sub))
    assert gravy("templates", "add", "From the CLI").code == 0
    synced = gravy("sync", "run")
    assert synced.code == 0, synced
    assert [i["title"] for i in server.scan("GravyTemplates") if i["userId"] == sub] == [
        "From the CLI"
    ]


def test_a_new_password_challenge_on_the_command_line(
    gravy: Gravy, cognito_standin: CognitoStandIn
) -> None:
    email = new_email()
    cognito_standin.add_user(email, "Temporary-pass-1", temporary=True)
    signed = sign_in(gravy, email, "Temporary-pass-1", "Brand-new-pass-2")
    assert signed.code == 0, signed
    assert "new password is required" in signed.err


def test_an_authenticator_code_on_the_command_line(
    gravy: Gravy, cognito_standin: CognitoStandIn
) -> None:
    email = new_email()
    cognito_standin.add_user(email, PASSWORD)
    cognito_standin.require_totp(email, PASSWORD)
    wrong = gravy(
        "account", "sign-in", email, "--password-stdin", "--code", "000000", stdin=PASSWORD
    )
    assert wrong.code == 1 and "code is wrong" in wrong.err
    assert "nobody is signed in" in gravy("account", "status").out
    signed = sign_in(gravy, email, PASSWORD, fresh_totp())
    assert signed.code == 0, signed


def test_sign_up_confirm_and_forgot_password(gravy: Gravy) -> None:
    email = new_email()
    up = gravy("account", "sign-up", email, "--password-stdin", stdin=PASSWORD + "\n")
    assert up.code == 0 and f"account confirm {email} CODE" in up.out, up
    unconfirmed = sign_in(gravy, email, PASSWORD)
    assert unconfirmed.code == 1 and "confirm your email" in unconfirmed.err
    assert gravy("account", "confirm", email, "123456").code == 0
    forgot = gravy("account", "forgot-password", email)
    assert forgot.code == 0 and "--code CODE" in forgot.out
    reset = gravy(
        "account",
        "forgot-password",
        email,
        "--code",
        "123456",
        "--password-stdin",
        stdin="Another-pass-3\n",
    )
    assert reset.code == 0 and "password changed" in reset.out, reset
    assert sign_in(gravy, email, "Another-pass-3").code == 0


def test_sign_out_warns_about_unsynced_changes_and_can_sync_first(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    sign_in(gravy, email, PASSWORD)
    gravy("templates", "add", "Not sent yet")
    gravy("templates", "add", "Nor this")
    refused = gravy("account", "sign-out")
    assert refused.code == 1 and "2 changes have not been synced yet" in refused.err
    assert f"signed in as {email}" in gravy("account", "status").out
    out = gravy("account", "sign-out", "--sync-first")
    assert out.code == 0 and f"signed out {email}" in out.out, out
    assert {i["title"] for i in server.scan("GravyTemplates") if i["userId"] == sub} == {
        "Not sent yet",
        "Nor this",
    }
    assert titles(gravy) == [], "the signed-out account's records are not shown"


def test_switching_accounts_keeps_each_accounts_records_apart(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server
) -> None:
    ann, bob = new_email(), new_email()
    ann_sub = cognito_standin.add_user(ann, PASSWORD)
    bob_sub = cognito_standin.add_user(bob, PASSWORD)
    gravy("templates", "add", "Offline draft")  # nobody signed in: the offline database
    sign_in(gravy, ann, PASSWORD)
    assert titles(gravy) == []
    gravy("templates", "add", "Ann's letter")
    assert sign_in(gravy, bob, PASSWORD).code == 1, "one account at a time: sign out first"
    out = gravy("account", "sign-out", "--force")
    assert out.code == 0 and "1 change kept for the next sign-in" in out.out
    assert titles(gravy) == ["Offline draft"]
    sign_in(gravy, bob, PASSWORD)
    assert titles(gravy) == []
    gravy("templates", "add", "Bob's memo")
    assert gravy("sync", "run").code == 0
    assert gravy("account", "sign-out").code == 0
    back = sign_in(gravy, ann, PASSWORD)
    assert "1 change from an earlier session will be synced" in back.out
    assert titles(gravy) == ["Ann's letter"]
    assert gravy("sync", "run").code == 0
    owners = {i["title"]: i["userId"] for i in server.scan("GravyTemplates")}
    assert owners == {"Ann's letter": ann_sub, "Bob's memo": bob_sub}


def test_an_ended_session_stops_sync_with_sign_in_again_and_keeps_the_queue(
    gravy: Gravy, cognito_standin: CognitoStandIn
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    sign_in(gravy, email, PASSWORD)
    gravy("templates", "add", "Waiting for a session")
    cognito_standin.sign_out_everywhere(sub)
    stopped = gravy("sync", "run")
    assert stopped.code == 2 and "stopped: credentials" in stopped.out, stopped
    assert "sign in again" in stopped.out
    queue = json.loads(gravy("--json", "queue", "list").out)
    assert [e["state"] for e in queue] == ["pending"]
    assert sign_in(gravy, email, PASSWORD).code == 0
    assert gravy("sync", "run").code == 0
    assert json.loads(gravy("--json", "queue", "list").out) == []


def test_config_import_takes_cloudformation_outputs_and_refuses_other_files(
    gravy: Gravy, home: Path, cognito_standin: CognitoStandIn
) -> None:
    assert cognito_standin.pool is not None
    pool = cognito_standin.pool
    outputs = {
        "Stacks": [
            {
                "Outputs": [
                    {"OutputKey": "Region", "OutputValue": pool.region},
                    {"OutputKey": "UserPoolId", "OutputValue": pool.user_pool_id},
                    {"OutputKey": "DesktopClientId", "OutputValue": pool.app_client_id},
                    {"OutputKey": "IdentityPoolId", "OutputValue": pool.identity_pool_id},
                    {"OutputKey": "SomethingElse", "OutputValue": "ignored"},
                ]
            }
        ]
    }
    stack = home.parent / "stack.json"
    stack.write_text(json.dumps(outputs))
    assert gravy("config", "import", str(stack)).code == 0
    imported = account.load_deployment(home)
    assert imported is not None and imported.app_client_id == pool.app_client_id
    stack.write_text('{"region": "eu-west-1"}')
    refused = gravy("config", "import", str(stack))
    assert refused.code == 1 and "user_pool_id" in refused.err


def test_a_push_under_another_identity_is_refused_on_the_command_line(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server
) -> None:
    ann, bob = new_email(), new_email()
    cognito_standin.add_user(ann, PASSWORD)
    bob_sub = cognito_standin.add_user(bob, PASSWORD)
    sign_in(gravy, ann, PASSWORD)
    gravy("templates", "add", "Ann's letter")
    # A stale or mistyped setting points Ann's queue at Bob's partition.
    assert gravy("config", "set", "--user-id", bob_sub).code == 0
    for command in (("sync", "push"), ("sync", "run")):
        refused = gravy(*command)
        assert refused.code == 2, refused
        assert "credentials" in refused.out + refused.err
    assert server.scan("GravyTemplates") == []
    assert [e["state"] for e in json.loads(gravy("--json", "queue", "list").out)] == ["pending"]


def test_offline_start_with_a_cached_session_on_the_command_line(
    gravy: Gravy,
    home: Path,
    cognito_standin: CognitoStandIn,
    dynamodb_local: DynamoDBLocal,
    prefix: str,
    server: Server,
) -> None:
    assert cognito_standin.pool is not None
    cognito_net, dynamodb_net = Relay(cognito_standin.port), Relay(dynamodb_local.port)
    cognito_net.start(), dynamodb_net.start()
    behind = home.parent / "behind.json"
    behind.write_text(
        json.dumps(
            cognito_standin.pool.deployment()
            | {
                "cognito_endpoint_url": cognito_net.url,
                "dynamodb_endpoint_url": dynamodb_net.url,
                "table_prefix": prefix,
            }
        )
    )
    try:
        assert gravy("config", "import", str(behind)).code == 0
        email = new_email()
        sub = cognito_standin.add_user(email, PASSWORD)
        assert sign_in(gravy, email, PASSWORD).code == 0
        cognito_net.stop(), dynamodb_net.stop()
        account._JWKS.clear()  # a new process has not fetched the pool's keys yet

        assert gravy("templates", "add", "Written offline").code == 0
        offline = gravy("sync", "run")
        assert offline.code == 2 and "stopped: offline" in offline.out, offline
        assert "sign in" not in offline.out + offline.err
        assert f"signed in as {email}" in gravy("account", "status").out

        cognito_net.start(), dynamodb_net.start()
        back = gravy("sync", "run")
        assert back.code == 0, back
        assert [i["title"] for i in server.scan("GravyTemplates") if i["userId"] == sub] == [
            "Written offline"
        ]
    finally:
        cognito_net.stop(), dynamodb_net.stop()


def test_no_password_or_token_reaches_the_log_even_at_debug_level(
    gravy: Gravy,
    cognito_standin: CognitoStandIn,
    caplog: pytest.LogCaptureFixture,
    memory_keyring: MemoryKeyring,
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)  # the administrator's calls: not logged
    caplog.set_level(logging.DEBUG)
    assert sign_in(gravy, email, PASSWORD).code == 0
    gravy("templates", "add", "Logged")
    assert gravy("sync", "run").code == 0
    other = new_email()
    gravy("account", "sign-up", other, "--password-stdin", stdin="Sign-up-pass-4\n")
    refresh_token = memory_keyring.secrets[("gravy-desktop", f"cognito-refresh:{sub}")]
    assert "InitiateAuth" in caplog.text, "botocore did log these calls"
    for secret in (PASSWORD, "Sign-up-pass-4", refresh_token, "ABCSECRETKEY", "ABC12345"):
        assert secret not in caplog.text


def test_offline_work_joins_the_account_on_first_sign_in_and_syncs_under_the_sub(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server, home: Path
) -> None:
    ann, bob = new_email(), new_email()
    ann_sub = cognito_standin.add_user(ann, PASSWORD)
    cognito_standin.add_user(bob, PASSWORD)
    gravy("templates", "add", "Written on the train")  # nobody signed in: offline
    gravy("templates", "add", "And on the bus")
    signed = sign_in(gravy, ann, PASSWORD)
    assert signed.code == 0, signed
    assert "written offline on this computer and not in this account yet: 2 templates" in (
        signed.out
    )
    assert "gravy-desktop account adopt-offline" in signed.out
    assert titles(gravy) == [], "not moved until the writer says so"

    moved = gravy("account", "adopt-offline")
    assert moved.code == 0 and "moved into this account" in moved.out, moved
    assert "2 templates" in moved.out
    assert titles(gravy) == ["And on the bus", "Written on the train"]
    again = gravy("account", "adopt-offline")
    assert again.code == 0 and "nothing written offline is waiting" in again.out
    assert gravy("sync", "run").code == 0
    owners = sorted((i["title"], i["userId"]) for i in server.scan("GravyTemplates"))
    assert owners == [("And on the bus", ann_sub), ("Written on the train", ann_sub)]

    assert gravy("account", "sign-out").code == 0
    assert titles(gravy) == [], "the offline database gave its records to the account"
    bob_in = sign_in(gravy, bob, PASSWORD)
    assert bob_in.code == 0 and "written offline" not in bob_in.out, bob_in
    assert titles(gravy) == []
    assert gravy("account", "adopt-offline").out.startswith("nothing written offline")


def test_sign_in_with_adopt_offline_moves_them_in_one_step(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    gravy("templates", "add", "Offline only")
    signed = gravy(
        "--json", "account", "sign-in", email, "--password-stdin", "--adopt-offline",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert signed.code == 0, signed
    assert json.loads(signed.out)["adopted"] == {"template": 1}
    assert gravy("sync", "run").code == 0
    assert [(i["title"], i["userId"]) for i in server.scan("GravyTemplates")] == [
        ("Offline only", sub)
    ]


def test_a_move_killed_after_the_copy_is_finished_by_running_it_again_without_duplicates(
    gravy: Gravy, cognito_standin: CognitoStandIn, server: Server, home: Path
) -> None:
    import subprocess
    import sys

    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    gravy("templates", "add", "Offline one")
    gravy("templates", "add", "Offline two")
    assert sign_in(gravy, email, PASSWORD).code == 0
    child = subprocess.run(
        [sys.executable, "-m", "tests.store.adoption_child",
         str(account.offline_database_path(home)), str(account.account_database_path(home, sub)),
         sub, email],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == -9 and child.stdout.strip() == "copied", child
    assert titles(gravy) == ["Offline one", "Offline two"], "the copy committed"

    again = gravy("account", "adopt-offline")
    assert again.code == 0 and "(2 moved already by an earlier run)" in again.out, again
    assert titles(gravy) == ["Offline one", "Offline two"], "nothing doubled"
    assert gravy("sync", "run").code == 0
    assert sorted((i["title"], i["userId"]) for i in server.scan("GravyTemplates")) == [
        ("Offline one", sub),
        ("Offline two", sub),
    ]
    assert gravy("account", "sign-out").code == 0
    assert titles(gravy) == [], "the offline database was emptied by the re-run"
