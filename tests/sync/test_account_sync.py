"""Syncing as the signed-in account: Cognito stand-in for identity, DynamoDB Local for data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.store.db import open_database
from desktop.store.outbox import State
from desktop.store.services import Store
from desktop.sync import account
from desktop.sync.account import Cognito, Deployment, Session
from desktop.sync.config import SyncSettings, load_settings, make_client
from desktop.sync.engine import SyncEngine
from desktop.sync.errors import Backoff
from desktop.sync.push import EngineState, PushEngine
from tests import fault_proxy
from tests.cognito import CognitoStandIn, Relay, new_email
from tests.conftest import MemoryKeyring
from tests.dynamodb_local import DynamoDBLocal
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import Server

pytestmark = pytest.mark.dynamodb

PASSWORD = "Correct-horse-9"
INSTANT = Backoff(0.001, 0.01)


@pytest.fixture
def deployment(
    cognito_standin: CognitoStandIn, dynamodb_local: DynamoDBLocal, prefix: str
) -> Deployment:
    assert cognito_standin.pool is not None
    return Deployment.model_validate(
        cognito_standin.pool.deployment()
        | {"dynamodb_endpoint_url": dynamodb_local.endpoint_url, "table_prefix": prefix}
    )


class Writer:
    """A writer signed in on this machine: their account, database and session."""

    def __init__(self, home: Path, deployment: Deployment, standin: CognitoStandIn) -> None:
        self.home = home
        self.email = new_email()
        self.sub = standin.add_user(self.email, PASSWORD)
        self.deployment = deployment
        self.cognito = Cognito(deployment)
        tokens = self.cognito.sign_in(self.email, PASSWORD)
        self.account = account.sign_in_result(home, deployment, self.email, tokens, self.cognito)
        self.store = Store(
            open_database(account.account_database_path(home, self.sub)), version_window_s=0
        )
        account.bind_database(self.store, self.account, deployment)
        self.session = Session(self.cognito, self.sub, tokens=tokens)

    @property
    def settings(self) -> SyncSettings:
        return load_settings(self.store)

    def pusher(self, **extra: Any) -> PushEngine:
        settings = self.settings
        return PushEngine(
            self.store, make_client(settings, self.session), settings, backoff=INSTANT, **extra
        )

    def sign_in_again(self) -> None:
        tokens = self.cognito.sign_in(self.email, PASSWORD)
        account.sign_in_result(self.home, self.deployment, self.email, tokens, self.cognito)


@pytest.fixture
def writer_for(
    home: Path, deployment: Deployment, cognito_standin: CognitoStandIn
) -> Iterator[Any]:
    made: list[Writer] = []

    def make() -> Writer:
        made.append(Writer(home, deployment, cognito_standin))
        return made[-1]

    yield make
    for writer in made:
        writer.store.database.close()


def owned_titles(server: Server, sub: str) -> set[str]:
    return {i["title"] for i in server.scan("GravyTemplates") if i["userId"] == sub}


def test_the_items_are_keyed_by_the_user_pool_sub(writer_for: Any, server: Server) -> None:
    writer = writer_for()
    assert writer.settings.user_id == writer.sub and writer.settings.account is not None
    writer.store.create_template("Signed in")
    report = writer.pusher().drain()
    assert (report.state, report.sent) == (EngineState.IDLE, 1)
    assert owned_titles(server, writer.sub) == {"Signed in"}
    assert writer.session.credential_refreshes == 1, "identity-pool credentials were bought"


def test_credentials_and_tokens_renew_during_a_long_drain_unnoticed(
    writer_for: Any, server: Server
) -> None:
    writer = writer_for()
    for n in range(120):
        writer.store.create_template(f"Long drain {n}")
    # Every fourth request, the ID token and the credentials expire (the stand-in's tokens
    # live an hour and its credentials 90 s, longer than this drain).
    engine = writer.pusher(batch_size=5, concurrency=1)
    engine.progress = lambda report: writer.session.expire() if report.sent % 20 == 0 else None
    report = engine.drain()
    assert (report.state, report.sent, report.failed) == (EngineState.IDLE, 120, 0)
    assert len(owned_titles(server, writer.sub)) == 120
    assert writer.session.token_refreshes == 5, "ID tokens renewed from the refresh token"
    assert writer.session.credential_refreshes == 6, "credentials renewed before expiry"


def test_a_revoked_session_pauses_sync_and_loses_nothing(
    writer_for: Any, server: Server, cognito_standin: CognitoStandIn
) -> None:
    writer = writer_for()
    for n in range(3):
        writer.store.create_template(f"Kept {n}")
    cognito_standin.sign_out_everywhere(writer.sub)  # expired or revoked: the same refusal
    writer.session.expire()  # the ID token in memory has expired too
    report = writer.pusher().drain()
    assert report.state == EngineState.CREDENTIALS and "sign in again" in report.message
    counts = writer.store.queue_counts()
    assert (counts[State.PENDING], counts[State.FAILED]) == (3, 0)
    assert owned_titles(server, writer.sub) == set()

    writer.sign_in_again()  # a new refresh token in the keyring; the session picks it up
    report = writer.pusher().drain()
    assert (report.state, report.sent) == (EngineState.IDLE, 3)
    assert owned_titles(server, writer.sub) == {"Kept 0", "Kept 1", "Kept 2"}


def test_credentials_aws_calls_expired_are_renewed_for_the_next_attempt(
    writer_for: Any, server: Server, monkeypatch: pytest.MonkeyPatch, dynamodb_local: DynamoDBLocal
) -> None:
    """A clock running behind: AWS refuses credentials this machine still thinks valid."""
    monkeypatch.setitem(
        fault_proxy.ANSWERS,
        "expired",
        (400, "ExpiredTokenException", "The security token included in the request is expired"),
    )
    writer = writer_for()
    writer.store.create_template("Skewed")
    with FaultProxy(dynamodb_local.port) as proxy:
        settings = writer.settings.model_copy(update={"endpoint_url": proxy.endpoint_url})
        engine = PushEngine(
            writer.store, make_client(settings, writer.session), settings, backoff=INSTANT
        )
        proxy.fail_next("expired", operation="BatchExecuteStatement")
        report = engine.drain()
        assert report.state == EngineState.CREDENTIALS, report.message
        assert writer.store.queue_counts()[State.FAILED] == 0
        assert writer.session.credential_refreshes == 1
        report = engine.drain()
        assert (report.state, report.sent) == (EngineState.IDLE, 1)
        assert writer.session.credential_refreshes == 2, "fresh credentials for the resend"
    assert owned_titles(server, writer.sub) == {"Skewed"}


def test_a_push_under_another_identity_is_refused_by_the_engine(
    writer_for: Any, server: Server, dynamodb_local: DynamoDBLocal
) -> None:
    ann, bob = writer_for(), writer_for()
    ann.store.create_template("Ann's draft")
    # Ann's database, with its settings pointed at Bob (a stale setting, `config set`,
    # a bug): the queue must not land in Bob's partition.
    as_bob = bob.settings
    push = PushEngine(ann.store, make_client(as_bob, bob.session), as_bob, backoff=INSTANT)
    report = push.drain()
    assert report.state == EngineState.CREDENTIALS and ann.email in report.message
    cycle = SyncEngine(ann.store, make_client(as_bob, bob.session), as_bob, backoff=INSTANT)
    assert cycle.run_once().state == EngineState.CREDENTIALS, "no pull into it either"
    cycle.close()
    assert [i for i in server.scan("GravyTemplates")] == []
    assert ann.store.queue_counts()[State.PENDING] == 1
    # Even with keys that DynamoDB accepts (no account at all), the binding holds.
    plain = SyncSettings(
        user_id=bob.sub, endpoint_url=dynamodb_local.endpoint_url, table_prefix=as_bob.table_prefix
    )
    assert PushEngine(ann.store, make_client(plain), plain).drain().state == "credentials"
    ann.sign_in_again()  # one account at a time: Bob's sign-in ended Ann's session
    assert ann.pusher().drain().sent == 1
    assert owned_titles(server, ann.sub) == {"Ann's draft"}
    assert owned_titles(server, bob.sub) == set()


def test_signing_in_as_another_account_ends_the_previous_session(
    writer_for: Any, home: Path, memory_keyring: MemoryKeyring
) -> None:
    ann = writer_for()
    assert account.load_refresh_token(ann.sub)
    bob = writer_for()  # e.g. another email typed into "Sign in again"
    assert account.load_registry(home).signed_in == bob.account
    assert account.load_refresh_token(ann.sub) is None
    assert account.load_refresh_token(bob.sub)
    assert account.account_database_path(home, ann.sub).exists(), "Ann's database stays"


def test_a_database_keeps_its_owner(writer_for: Any) -> None:
    ann, bob = writer_for(), writer_for()
    with pytest.raises(account.AccountError, match=ann.email):
        account.bind_database(ann.store, bob.account, bob.deployment)
    assert ann.settings.user_id == ann.sub


def test_offline_start_with_a_cached_session_then_the_network_returns(
    home: Path,
    deployment: Deployment,
    cognito_standin: CognitoStandIn,
    dynamodb_local: DynamoDBLocal,
    server: Server,
) -> None:
    cognito_net, dynamodb_net = Relay(cognito_standin.port), Relay(dynamodb_local.port)
    cognito_net.start(), dynamodb_net.start()
    behind = deployment.model_copy(
        update={"cognito_endpoint_url": cognito_net.url, "dynamodb_endpoint_url": dynamodb_net.url}
    )
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    cognito = Cognito(behind)
    signed = account.sign_in_result(home, behind, email, cognito.sign_in(email, PASSWORD), cognito)
    first = Store(open_database(account.account_database_path(home, sub)))
    account.bind_database(first, signed, behind)
    first.database.close()
    account.forget_sessions()  # the app quits: tokens in memory are gone, the keyring keeps one
    account._JWKS.clear()
    cognito_net.stop(), dynamodb_net.stop()

    # Next start, offline: the signed-in account's database opens without the network.
    path = account.current_database_path(home)
    assert path == account.account_database_path(home, sub)
    store = Store(open_database(path), version_window_s=0)
    try:
        store.create_template("Written offline")
        settings = load_settings(store)
        engine = SyncEngine(store, make_client(settings), settings, backoff=INSTANT)
        report = engine.run_once()
        assert report.state == EngineState.OFFLINE, report.message
        assert store.queue_counts()[State.PENDING] == 1

        cognito_net.start(), dynamodb_net.start()
        report = engine.run_once()
        assert report.state == EngineState.IDLE, report.message
        assert owned_titles(server, sub) == {"Written offline"}
        engine.close()
    finally:
        store.database.close()
        cognito_net.stop(), dynamodb_net.stop()


def test_no_token_reaches_the_database_or_the_settings_files(
    writer_for: Any, home: Path, memory_keyring: MemoryKeyring
) -> None:
    writer = writer_for()
    writer.store.create_template("Anything")
    writer.pusher().drain()
    tokens = writer.session.tokens
    assert tokens is not None and tokens.refresh_token
    writer.store.database.close()
    secrets = [tokens.refresh_token, tokens.id_token, tokens.access_token]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path
    stored = memory_keyring.secrets[("gravy-desktop", f"cognito-refresh:{writer.sub}")]
    assert stored == tokens.refresh_token, "the refresh token lives in the keyring"
    writer.store = Store(open_database(account.account_database_path(home, writer.sub)))


def test_a_plaintext_keyring_is_refused() -> None:
    import keyring

    class PlaintextKeyring(MemoryKeyring):
        pass

    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        with pytest.raises(account.MissingCredentials, match="no secure OS keyring"):
            account.save_refresh_token("sub", "token")
    finally:
        keyring.set_keyring(previous)
