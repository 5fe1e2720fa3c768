"""A Cognito stand-in on loopback: moto's server mode, started like DynamoDB Local.

There is no official local Cognito. moto 5.2.5 (``moto[server]``, a dev dependency) serves
cognito-idp and cognito-identity over HTTP on one port. :class:`CognitoStandIn` starts it
on a free loopback port and provisions what the desktop's deployment has: a user pool with
email sign-in and self sign-up, a public app client allowing SRP (and refresh), and an
identity pool trusting that client.

What the stand-in does and does not check (measured with moto 5.2.5, see README):
- SRP sign-in, NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA (TOTP codes of a fixed secret,
  checked with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP),
  sign-up and confirmation, forgot-password, refresh tokens and their revocation
  (global sign-out), identity-pool credentials (90 s, a fixed key) all work;
- its SRP does not verify the password (any password signs in): the wrong-password path
  is proved with ``USER_PASSWORD_AUTH``, which it does check, and the client's SRP maths
  against known values (``tests/sync/test_account.py``);
- tokens carry the real AWS issuer, but the pool's JWKS is served by the stand-in itself
  at ``<endpoint>/<pool id>/.well-known/jwks.json``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.loopback import LocalServer, free_port

REGION = "us-east-1"
# moto's software-token MFA accepts TOTP codes of this secret (moto.cognitoidp.models).
TOTP_SECRET = "asdfasdfasdf"


@dataclass(frozen=True)
class Pool:
    region: str
    user_pool_id: str
    app_client_id: str
    identity_pool_id: str
    endpoint_url: str

    def deployment(self) -> dict[str, Any]:
        """What a deployer ships next to the app (``config import`` reads it)."""
        return {
            "region": self.region,
            "user_pool_id": self.user_pool_id,
            "app_client_id": self.app_client_id,
            "identity_pool_id": self.identity_pool_id,
            "cognito_endpoint_url": self.endpoint_url,
        }


class CognitoStandIn(LocalServer):
    """moto's server on 127.0.0.1 with one provisioned pool; a context manager."""

    name = "moto server"

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.pool: Pool | None = None

    def client(self, service: str) -> Any:
        """An administrator's client (the stand-in accepts any key)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="admin",
            aws_secret_access_key="admin",
        )

    def start(self, timeout_s: float = 60.0) -> CognitoStandIn:
        # TOTP codes are checked only when asked (moto.settings).
        env = dict(os.environ, MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP="true")
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.launch(
            argv,
            lambda: bool(self.client("cognito-idp").list_user_pools(MaxResults=1)),
            timeout_s,
            env=env,
        )
        self.pool = self.provision()
        return self

    def provision(self, name: str = "gravy") -> Pool:
        idp = self.client("cognito-idp")
        user_pool = idp.create_user_pool(
            PoolName=name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
            Policies={"PasswordPolicy": {"MinimumLength": 8}},
        )["UserPool"]
        app = idp.create_user_pool_client(
            UserPoolId=user_pool["Id"],
            ClientName="gravy-desktop",
            GenerateSecret=False,
            ExplicitAuthFlows=[
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
                "ALLOW_USER_PASSWORD_AUTH",
            ],
        )["UserPoolClient"]
        identity = self.client("cognito-identity").create_identity_pool(
            IdentityPoolName=f"{name}_desktop",
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[
                {
                    "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{user_pool['Id']}",
                    "ClientId": app["ClientId"],
                }
            ],
        )
        return Pool(
            REGION, user_pool["Id"], app["ClientId"], identity["IdentityPoolId"], self.endpoint_url
        )

    # -- what an administrator does in the console, for the tests -------------------------

    def add_user(self, email: str, password: str, *, temporary: bool = False) -> str:
        """A confirmed user (``temporary``: must choose a new password); returns its sub."""
        assert self.pool is not None
        idp = self.client("cognito-idp")
        user = idp.admin_create_user(
            UserPoolId=self.pool.user_pool_id,
            Username=email,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}],
        )["User"]
        if not temporary:
            idp.admin_set_user_password(
                UserPoolId=self.pool.user_pool_id, Username=email, Password=password, Permanent=True
            )
        return next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")

    def require_totp(self, email: str, password: str) -> None:
        """The user sets up an authenticator app (secret TOTP_SECRET) and makes it required."""
        assert self.pool is not None
        idp = self.client("cognito-idp")
        signed_in = idp.initiate_auth(
            ClientId=self.pool.app_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]["AccessToken"]
        idp.associate_software_token(AccessToken=signed_in)
        idp.verify_software_token(AccessToken=signed_in, UserCode=fresh_totp())
        idp.set_user_mfa_preference(
            AccessToken=signed_in,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )

    def sign_out_everywhere(self, email: str) -> None:
        """Revoke the user's refresh tokens, as an expired or revoked session looks."""
        assert self.pool is not None
        self.client("cognito-idp").admin_user_global_sign_out(
            UserPoolId=self.pool.user_pool_id, Username=email
        )


def totp(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The RFC 6238 code an authenticator app shows for ``secret`` (base32, 30 s, 6 digits)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def fresh_totp() -> str:
    """A code with at least 3 s of its 30 s window left (the stand-in allows no drift)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp()


def new_email() -> str:
    return f"writer-{uuid.uuid4().hex[:8]}@example.com"


# -- fixtures (a pytest plugin: tests/conftest.py lists this module) ------------------------


@pytest.fixture(scope="session")
def cognito_standin() -> Iterator[CognitoStandIn]:
    with CognitoStandIn() as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The per-user data folder (accounts, deployment, databases) in a temporary folder."""
    from desktop.sync.account import HOME_ENV, forget_sessions

    folder = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(folder))
    monkeypatch.delenv("GRAVY_DESKTOP_DB", raising=False)
    yield folder
    forget_sessions()


class Relay:
    """A TCP relay from a fixed loopback port to ``target_port``: ``start()`` and ``stop()``
    are the network coming back and going away (connection refused, as when offline)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                inbound, _ = listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(("127.0.0.1", self.target_port))
            self.open += [inbound, outbound]
            for source, sink in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):  # wakes the accept() (Linux)
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for end in self.open:
            with contextlib.suppress(OSError):
                end.close()
        self.open.clear()
