"""Sync settings and credentials, and the DynamoDB client built from them.

Plain settings live in the database's ``settings`` table; the secret access key lives only
in the OS keyring (service ``gravy-desktop``, user = the access key id), never in SQLite,
settings files or logs.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from desktop.sync.errors import MissingCredentials

if TYPE_CHECKING:  # the store (SQLAlchemy) loads on use: `sync status` goes without it
    from desktop.store.services import Store

KEYRING_SERVICE = "gravy-desktop"
SETTINGS_KEY = "sync"


class AccountTarget(BaseModel):
    """The Gravy account a database syncs as (ids only: the tokens are in the keyring and
    in memory). Written at sign-in by :func:`desktop.sync.account.bind_database`."""

    model_config = ConfigDict(extra="forbid")

    sub: str
    email: str
    user_pool_id: str
    app_client_id: str
    identity_pool_id: str
    cognito_endpoint_url: str | None = None
    identity_id: str | None = None


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(
        default=None, description="the partition-key value owning the items"
    )
    region: str = "us-east-1"
    endpoint_url: str | None = None
    table_prefix: str = ""
    profile: str | None = None
    access_key_id: str | None = None
    sync_interval_s: int = Field(default=60, ge=5, le=86_400)
    # A pull asks for what changed since its last one minus this much, so writes stamped by
    # a device whose clock runs up to this far behind still arrive (they are re-read, and
    # skipped cheaply, for this long).
    pull_overlap_s: int = Field(default=900, ge=0, le=7 * 86_400)
    # How often a pull reads every record (finding remote deletions, and anything a delta
    # missed, e.g. a writer's clock further behind than the overlap).
    full_sync_interval_s: int = Field(default=6 * 3600, ge=60, le=30 * 86_400)
    device_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    # Signed in with the Gravy account: credentials come from its identity pool, not keys.
    account: AccountTarget | None = None

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def configured(self) -> bool:
        """Is there a sync target at all? Without one, changes simply wait in the queue."""
        return bool(self.user_id) and bool(
            self.account or self.endpoint_url or self.profile or self.access_key_id
        )

    @property
    def local_endpoint(self) -> bool:
        if not self.endpoint_url:
            return False
        host = urlparse(self.endpoint_url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def load_settings(store: Store) -> SyncSettings:
    from desktop.store import syncstate

    with store.database.read() as session:
        stored = syncstate.get_setting(session, SETTINGS_KEY)
    settings = SyncSettings.model_validate(stored or {})
    if not stored:
        save_settings(store, settings)  # keep the device id stable from now on
    return settings


def save_settings(store: Store, settings: SyncSettings) -> None:
    from desktop.store import syncstate

    with store.database.write() as session:
        syncstate.put_setting(session, SETTINGS_KEY, settings.model_dump())


NO_KEYRING = (
    "no OS keyring is available (on Linux: a Secret Service such as GNOME Keyring or "
    "KWallet, unlocked); the secret was not stored anywhere else"
)


# boto3 and keyring load on first use: the window starts without them (bench/startup.py).


def save_secret(access_key_id: str, secret_access_key: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, access_key_id, secret_access_key)
    except KeyringError as error:
        raise MissingCredentials(NO_KEYRING) from error


def load_secret(access_key_id: str) -> str | None:
    """The secret for ``access_key_id``; MissingCredentials when there is no keyring."""
    import keyring
    from keyring.errors import KeyringError

    try:
        secret: str | None = keyring.get_password(KEYRING_SERVICE, access_key_id)
    except KeyringError as error:
        raise MissingCredentials(NO_KEYRING) from error
    return secret


def client_config() -> Any:
    from botocore.config import Config

    # One attempt per call: the engine owns retries (backoff persisted per entry), so
    # botocore's own retries would only multiply waits and hide errors from it.
    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=3,
        read_timeout=15,
        max_pool_connections=16,
        tcp_keepalive=True,
    )


def make_client(settings: SyncSettings, session: Any = None) -> Any:
    """A DynamoDB client for ``settings``; raises MissingCredentials when none can be had.

    Signed in (``settings.account``), its credentials are the account's, renewed on their
    own (``session``: an :class:`desktop.sync.account.Session`, by default the process's
    one for that account)."""
    import boto3

    if not settings.user_id:
        raise MissingCredentials("no user id is configured")
    if settings.account is not None:
        from desktop.sync.account import account_client

        return account_client(settings, client_config(), session)
    session = (
        boto3.session.Session(profile_name=settings.profile)
        if settings.profile
        else (boto3.session.Session())
    )
    credentials: dict[str, str] = {}
    if settings.access_key_id:
        secret = load_secret(settings.access_key_id)
        if secret is None:
            raise MissingCredentials(
                f"the secret for access key {settings.access_key_id} is not in the keyring"
            )
        credentials = {"aws_access_key_id": settings.access_key_id, "aws_secret_access_key": secret}
    elif settings.local_endpoint and session.get_credentials() is None:
        # DynamoDB Local accepts any key; a local endpoint needs no account.
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return session.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=client_config(),
        verify=not settings.local_endpoint,  # TLS stays verified unless explicitly local
        aws_access_key_id=credentials.get("aws_access_key_id"),
        aws_secret_access_key=credentials.get("aws_secret_access_key"),
    )
