"""The Gravy account: sign-in with the web app's Cognito user pool, and the temporary AWS
credentials it buys from the identity pool. Qt-free (the CLI and the window share it).

- **Sign-in** is SRP (``pycognito``: no hand-written SRP maths), with the challenges a real
  pool returns: NEW_PASSWORD_REQUIRED and SOFTWARE_TOKEN_MFA. Sign-up with a confirmation
  code and forgot-password go through the same app client (public: no client secret).
- **Tokens.** Every token is verified against the pool's JWKS (RS256, issuer, audience,
  expiry). The refresh token lives only in the OS keyring (service ``gravy-desktop``, user
  ``cognito-refresh:<sub>``; a plaintext or failing keyring backend is refused); ID and
  access tokens and AWS credentials only in memory (DESIGN invariant 12).
- **Credentials.** The ID token buys credentials from the identity pool (``GetId`` once,
  ``GetCredentialsForIdentity`` each time); botocore's ``RefreshableCredentials`` renews
  them before they expire, renewing the ID token from the refresh token first when it is
  near its own expiry, so a long drain never notices. A refresh token that Cognito refuses
  (expired, revoked) raises :class:`SessionExpired` (a :class:`MissingCredentials`: sync
  pauses as "credentials" and asks to sign in again; nothing is marked failed).
- **Owner.** The partition-key value of every item is the user pool ``sub`` (the web app's
  ``userId``). Each account has its own database (``<home>/accounts/<sub>/gravy.db``),
  bound to that sub when it is created (:func:`bind_database`); the engine refuses to sync
  a database under another identity (:func:`identity_mismatch`).
- **Deployment** (region, pool and client ids) comes from a file the deployer ships next to
  the app (``gravy-deployment.json``) or imports (``gravy-desktop config import FILE``:
  that format or ``tables cloudformation``'s stack outputs); a writer never types it.

pycognito, boto3 and keyring load on first use (the window starts without them).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from desktop.sync.errors import MissingCredentials

if TYPE_CHECKING:  # the store (SQLAlchemy) loads on use: `sync status` goes without it
    from desktop.store.services import Store

log = logging.getLogger(__name__)

APP_NAME = "GravyDesktop"
HOME_ENV = "GRAVY_DESKTOP_HOME"
KEYRING_SERVICE = "gravy-desktop"
DEPLOYMENT_FILE = "gravy-deployment.json"
REGISTRY_FILE = "accounts.json"
OWNER_SETTING = "account.owner"  # {"sub", "email"}: the account a database belongs to
# Renew the ID token when it has less than this left (Cognito's shortest is 5 minutes).
ID_TOKEN_MARGIN_S = 120.0


# -- errors a writer sees -----------------------------------------------------------------


class AccountError(Exception):
    """Something the writer can act on; ``str()`` is the sentence to show them."""


class WrongPassword(AccountError):
    pass


class NotConfirmed(AccountError):
    """The account exists but its email address was never confirmed with the code."""


class NoDeployment(AccountError):
    pass


class SessionExpired(MissingCredentials):
    """The refresh token is missing, expired or revoked: the writer must sign in again."""


@dataclass
class Challenge(Exception):
    """Sign-in needs one more answer: ``kind`` is ``new_password`` or ``mfa_code``."""

    kind: str
    email: str
    # Kept in memory only for the NEW_PASSWORD_REQUIRED answer; never in a repr or a log.
    password: str = field(default="", repr=False)
    session: dict[str, Any] | None = field(default=None, repr=False)  # Cognito's (MFA)

    def __str__(self) -> str:
        if self.kind == "new_password":
            return "choose a new password to finish signing in"
        return "enter the 6-digit code from your authenticator app"


# -- deployment -----------------------------------------------------------------------------


class Deployment(BaseModel):
    """Where the Gravy account lives: nothing here is secret."""

    model_config = ConfigDict(extra="forbid")

    region: str
    user_pool_id: str
    app_client_id: str
    identity_pool_id: str
    # A stand-in for Cognito (tests); None: the region's public endpoints.
    cognito_endpoint_url: str | None = None
    # Self-hosted or test DynamoDB endpoint and table prefix; None / "": AWS, no prefix.
    dynamodb_endpoint_url: str | None = None
    table_prefix: str = ""
    # The pool's hosted sign-in domain ("Sign in with the browser"), e.g.
    # https://gravy.auth.eu-west-1.amazoncognito.com; None: no browser sign-in.
    hosted_domain: str | None = None
    # The loopback port registered on the app client (Cognito matches callback URLs
    # exactly); None: any free port.
    callback_port: int | None = None

    @field_validator("hosted_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if not value:
            return None
        if "://" not in value:
            value = f"https://{value}"
        split = urllib.parse.urlsplit(value)
        loopback = split.hostname in ("127.0.0.1", "localhost", "::1")
        if split.scheme != "https" and not (split.scheme == "http" and loopback):
            raise ValueError("the hosted domain must be https")
        return value.rstrip("/")

    @field_validator("user_pool_id")
    @classmethod
    def _pool(cls, value: str) -> str:
        if "_" not in value:
            raise ValueError("a user pool id looks like <region>_<id>")
        return value

    @property
    def provider_name(self) -> str:
        """The identity pool's name for this user pool (the ``Logins`` key)."""
        return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        base = self.cognito_endpoint_url or f"https://cognito-idp.{self.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"


# CloudFormation output keys (``tables cloudformation``) -> Deployment fields.
OUTPUT_KEYS = {
    "Region": "region",
    "UserPoolId": "user_pool_id",
    "DesktopClientId": "app_client_id",
    "IdentityPoolId": "identity_pool_id",
    "TablePrefix": "table_prefix",
    "HostedDomain": "hosted_domain",
    "CallbackPort": "callback_port",
}


def parse_deployment(text: str) -> Deployment:
    """A deployment file, or a stack's outputs (``aws cloudformation describe-stacks``
    JSON, or its ``Outputs`` list); raises AccountError with what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise AccountError(f"not JSON: {error}") from None
    if isinstance(data, dict) and "Stacks" in data:
        data = (data["Stacks"] or [{}])[0].get("Outputs", [])
    if isinstance(data, dict) and "Outputs" in data:
        data = data["Outputs"]
    if isinstance(data, list):
        data = {
            OUTPUT_KEYS[o["OutputKey"]]: o["OutputValue"]
            for o in data
            if isinstance(o, dict) and o.get("OutputKey") in OUTPUT_KEYS
        }
    try:
        return Deployment.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in error.errors()
        )
        raise AccountError(f"not a Gravy deployment: {problems}") from None


def data_home() -> Path:
    """The per-user data folder (``$GRAVY_DESKTOP_HOME`` overrides it)."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def shipped_deployment_paths() -> list[Path]:
    """Where a deployer puts the file: next to the executable (a frozen app) or the package."""
    here = Path(sys.executable).resolve().parent
    package = Path(__file__).resolve().parents[2]
    return [here / DEPLOYMENT_FILE, package / DEPLOYMENT_FILE]


def load_deployment(home: Path) -> Deployment | None:
    """The imported deployment, else the one shipped with the app, else None."""
    for path in [home / DEPLOYMENT_FILE, *shipped_deployment_paths()]:
        if path.is_file():
            try:
                return parse_deployment(path.read_text(encoding="utf-8"))
            except (OSError, AccountError) as error:
                log.warning("ignoring %s: %s", path, error)
    return None


def import_deployment(home: Path, source: Path) -> Deployment:
    try:
        deployment = parse_deployment(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise AccountError(f"cannot read {source}: {error}") from None
    home.mkdir(parents=True, exist_ok=True)
    _write_atomically(home / DEPLOYMENT_FILE, deployment.model_dump(exclude_defaults=True))
    return deployment


def _write_atomically(path: Path, data: Any) -> None:
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(data, indent=2), encoding="utf-8")
    staging.replace(path)


# -- which account is signed in (no secrets: ids and emails) ---------------------------------


class Account(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sub: str
    email: str
    identity_id: str | None = None


class Registry(BaseModel):
    """``<home>/accounts.json``: the accounts known here and the signed-in one."""

    model_config = ConfigDict(extra="ignore")

    current: str | None = None
    accounts: dict[str, Account] = {}

    @property
    def signed_in(self) -> Account | None:
        return self.accounts.get(self.current) if self.current else None


def load_registry(home: Path) -> Registry:
    path = home / REGISTRY_FILE
    try:
        return Registry.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Registry()
    except (OSError, ValidationError) as error:
        log.warning("ignoring %s: %s", path, error)
        return Registry()


def save_registry(home: Path, registry: Registry) -> None:
    home.mkdir(parents=True, exist_ok=True)
    _write_atomically(home / REGISTRY_FILE, registry.model_dump())


def account_database_path(home: Path, sub: str) -> Path:
    """Each account's own database: switching accounts never mixes their records."""
    return home / "accounts" / sub / "gravy.db"


def offline_database_path(home: Path) -> Path:
    """The database used while nobody is signed in ("Work offline for now")."""
    return home / "gravy.db"


def current_database_path(home: Path) -> Path:
    account = load_registry(home).signed_in
    return account_database_path(home, account.sub) if account else offline_database_path(home)


def changes(count: int) -> str:
    """How the CLI and the window count queued changes: "1 change", "3 changes"."""
    return "1 change" if count == 1 else f"{count} changes"


def not_synced(count: int) -> str:
    return f"{changes(count)} {'has' if count == 1 else 'have'} not been synced yet"


# -- the database's owner -------------------------------------------------------------------


def bound_owner(store: Store) -> dict[str, Any] | None:
    from desktop.store import syncstate

    with store.database.read() as session:
        value = syncstate.get_setting(session, OWNER_SETTING)
    return value if isinstance(value, dict) else None


def bind_database(store: Store, account: Account, deployment: Deployment) -> None:
    """Bind a database to ``account`` (once: a bound database keeps its owner) and point
    its sync settings at the deployment with the account's sub as the user id."""
    from desktop.store import syncstate
    from desktop.sync.config import AccountTarget, load_settings, save_settings

    owner = bound_owner(store)
    if owner is not None and owner.get("sub") != account.sub:
        raise AccountError(
            f"this database belongs to {owner.get('email') or owner.get('sub')}, "
            f"not {account.email}"
        )
    settings = load_settings(store).model_copy(
        update={
            "user_id": account.sub,
            "region": deployment.region,
            "endpoint_url": deployment.dynamodb_endpoint_url,
            "table_prefix": deployment.table_prefix,
            "profile": None,
            "access_key_id": None,
            "account": AccountTarget(
                sub=account.sub,
                email=account.email,
                user_pool_id=deployment.user_pool_id,
                app_client_id=deployment.app_client_id,
                identity_pool_id=deployment.identity_pool_id,
                cognito_endpoint_url=deployment.cognito_endpoint_url,
                identity_id=account.identity_id,
            ),
        }
    )
    with store.database.write() as session:
        if owner is None:
            syncstate.put_setting(
                session, OWNER_SETTING, {"sub": account.sub, "email": account.email}
            )
    save_settings(store, settings)


def identity_mismatch(store: Store, user_id: str) -> str | None:
    """Why ``user_id`` may not sync this database (it belongs to another account), or None.

    A queued change carries no owner of its own: sent under another identity it would land
    in that account's partition. So the engine asks this before every pull and push."""
    owner = bound_owner(store)
    if owner is None or owner.get("sub") == user_id:
        return None
    return (
        f"this database belongs to {owner.get('email') or owner.get('sub')}; "
        f"sign in as that account to sync it (now: {user_id})"
    )


# -- the keyring (refresh tokens only) ------------------------------------------------------


INSECURE_KEYRINGS = ("keyrings.alt.file", "keyring.backends.fail", "keyring.backends.null")
NO_SECURE_KEYRING = (
    "no secure OS keyring is available (on Linux: a Secret Service such as GNOME Keyring or "
    "KWallet, unlocked); the session was not stored anywhere, so you stay signed in only "
    "until the app closes"
)


def _keyring() -> Any:
    import keyring

    backend = keyring.get_keyring()
    for candidate in getattr(backend, "backends", None) or [backend]:
        module = type(candidate).__module__
        if module.startswith(INSECURE_KEYRINGS) or "Plaintext" in type(candidate).__name__:
            raise MissingCredentials(NO_SECURE_KEYRING)
    return keyring


def _refresh_key(sub: str) -> str:
    return f"cognito-refresh:{sub}"


def save_refresh_token(sub: str, token: str) -> None:
    from keyring.errors import KeyringError

    try:
        _keyring().set_password(KEYRING_SERVICE, _refresh_key(sub), token)
    except KeyringError as error:
        raise MissingCredentials(NO_SECURE_KEYRING) from error


def load_refresh_token(sub: str) -> str | None:
    from keyring.errors import KeyringError

    try:
        token: str | None = _keyring().get_password(KEYRING_SERVICE, _refresh_key(sub))
    except KeyringError as error:
        raise MissingCredentials(NO_SECURE_KEYRING) from error
    return token


def forget_refresh_token(sub: str) -> None:
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        _keyring().delete_password(KEYRING_SERVICE, _refresh_key(sub))
    except PasswordDeleteError:
        pass
    except KeyringError as error:
        raise MissingCredentials(NO_SECURE_KEYRING) from error


# -- Cognito --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    """A verified sign-in: the claims come from the ID token (signature checked)."""

    id_token: str
    access_token: str
    refresh_token: str | None
    sub: str
    expires_at: float  # the ID token's ``exp``
    email: str = ""  # the ID token's ``email`` claim

    def __repr__(self) -> str:  # never print tokens (logs, tracebacks)
        return f"Tokens(sub={self.sub!r}, expires_at={self.expires_at})"


# botocore's DEBUG logs carry request and response bodies (passwords, tokens) and signing
# material (the session token): records mentioning them are dropped (DESIGN invariant 12).
SECRET_MARKERS = (
    "PASSWORD",
    "Password",
    "REFRESH_TOKEN",
    "RefreshToken",
    "IdToken",
    "AccessToken",
    "SecretKey",
    "SessionToken",
    "x-amz-security-token",
    "Logins",
    "SRP_A",
)
LOGGERS_WITH_BODIES = ("botocore.endpoint", "botocore.parsers", "botocore.auth", "botocore.hooks")


class _NoSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: better lost than leaking
            return False
        return not any(marker in text for marker in SECRET_MARKERS)


_NO_SECRETS = _NoSecrets()


def _keep_secrets_out_of_logs() -> None:
    for name in LOGGERS_WITH_BODIES:
        logger = logging.getLogger(name)
        if _NO_SECRETS not in logger.filters:
            logger.addFilter(_NO_SECRETS)


_JWKS: dict[str, dict[str, Any]] = {}  # per JWKS URL: keys change only on rotation
_JWKS_LOCK = threading.Lock()


def _client_config() -> Any:
    from botocore.config import Config

    return Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=5)


def _aws_client(deployment: Deployment, service: str) -> Any:
    """An unsigned client: sign-in and identity calls carry no AWS credentials."""
    _keep_secrets_out_of_logs()
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    make: Any = boto3.session.Session().client
    return make(
        service,
        region_name=deployment.region,
        endpoint_url=deployment.cognito_endpoint_url,
        config=_client_config().merge(Config(signature_version=UNSIGNED)),
    )


class Cognito:
    """One user pool app client and identity pool: the calls the desktop makes."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.idp = _aws_client(deployment, "cognito-idp")
        self.identity = _aws_client(deployment, "cognito-identity")

    def _user(self, email: str) -> Any:
        from pycognito import Cognito as User

        user = User(
            self.deployment.user_pool_id,
            self.deployment.app_client_id,
            user_pool_region=self.deployment.region,
            username=email,
        )
        user.client = self.idp  # the deployment's endpoint, unsigned
        user.pool_jwk = self._jwks()
        return user

    def _jwks(self) -> dict[str, Any]:
        url = self.deployment.jwks_url
        with _JWKS_LOCK:
            if url not in _JWKS:
                try:
                    with urllib.request.urlopen(url, timeout=10) as answer:
                        _JWKS[url] = json.load(answer)
                except OSError as error:  # unreachable: the engine's "offline"
                    from botocore.exceptions import EndpointConnectionError

                    raise EndpointConnectionError(endpoint_url=url, error=error) from None
            return _JWKS[url]

    # sign-in and its challenges

    def sign_in(self, email: str, password: str) -> Tokens:
        """SRP sign-in; raises Challenge, WrongPassword, NotConfirmed, AccountError."""
        from pycognito.exceptions import (
            ForceChangePasswordException,
            SoftwareTokenMFAChallengeException,
        )

        user = self._user(email)
        try:
            with _cognito_errors():
                user.authenticate(password)
        except ForceChangePasswordException:
            raise Challenge("new_password", email, password=password) from None
        except SoftwareTokenMFAChallengeException as challenge:
            raise Challenge("mfa_code", email, session=challenge.get_tokens()) from None
        return _tokens(user)

    def verified(self, id_token: str, access_token: str, refresh_token: str | None) -> Tokens:
        """Tokens obtained elsewhere (the hosted UI's token endpoint), verified as SRP's are."""
        from pycognito.exceptions import TokenVerificationException

        user = self._user("")
        user.access_token = access_token  # the ID token's at_hash is checked against it
        try:
            user.verify_token(id_token, "id_token", "id")
            user.verify_token(access_token, "access_token", "access")
        except (TokenVerificationException, ValueError, KeyError, IndexError) as error:
            raise AccountError(
                f"the sign-in service's tokens could not be verified ({error})"
            ) from None
        return _tokens(user, refresh_token)

    def answer_new_password(self, challenge: Challenge, new_password: str) -> Tokens:
        user = self._user(challenge.email)
        with _cognito_errors():
            user.new_password_challenge(challenge.password, new_password)
        return _tokens(user)

    def answer_mfa(self, challenge: Challenge, code: str) -> Tokens:
        user = self._user(challenge.email)
        with _cognito_errors():
            user.respond_to_software_token_mfa_challenge(code.strip(), challenge.session)
        return _tokens(user)

    def refresh(self, refresh_token: str) -> Tokens:
        """New ID and access tokens; SessionExpired when Cognito refuses the refresh token."""
        user = self._user("")
        user.refresh_token = refresh_token
        try:
            with _cognito_errors():
                user.renew_access_token()
        except WrongPassword as error:  # NotAuthorizedException: expired or revoked
            raise SessionExpired(f"your session has ended ({error}): sign in again") from None
        return _tokens(user, refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """Best effort: end this device's session at Cognito (signing out works offline)."""
        try:
            self.idp.revoke_token(Token=refresh_token, ClientId=self.deployment.app_client_id)
        except Exception as error:  # offline, or a stand-in without RevokeToken
            log.info("could not revoke the session at Cognito: %s", type(error).__name__)

    # sign-up, confirmation, forgotten passwords

    def sign_up(self, email: str, password: str) -> bool:
        """Create the account; True when it is confirmed already (no code needed)."""
        with _cognito_errors():
            answer = self.idp.sign_up(
                ClientId=self.deployment.app_client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        return bool(answer.get("UserConfirmed"))

    def confirm(self, email: str, code: str) -> None:
        with _cognito_errors():
            self.idp.confirm_sign_up(
                ClientId=self.deployment.app_client_id, Username=email, ConfirmationCode=code
            )

    def resend_code(self, email: str) -> None:
        with _cognito_errors():
            self.idp.resend_confirmation_code(
                ClientId=self.deployment.app_client_id, Username=email
            )

    def forgot_password(self, email: str) -> None:
        with _cognito_errors():
            self.idp.forgot_password(ClientId=self.deployment.app_client_id, Username=email)

    def reset_password(self, email: str, code: str, new_password: str) -> None:
        with _cognito_errors():
            self.idp.confirm_forgot_password(
                ClientId=self.deployment.app_client_id,
                Username=email,
                ConfirmationCode=code,
                Password=new_password,
            )

    # AWS credentials

    def identity_id(self, tokens: Tokens) -> str:
        logins = {self.deployment.provider_name: tokens.id_token}
        with _cognito_errors():
            answer = self.identity.get_id(
                IdentityPoolId=self.deployment.identity_pool_id, Logins=logins
            )
        return str(answer["IdentityId"])

    def credentials(self, identity_id: str, tokens: Tokens) -> dict[str, Any]:
        """Temporary AWS credentials, in botocore's refresh metadata shape."""
        logins = {self.deployment.provider_name: tokens.id_token}
        with _cognito_errors():
            answer = self.identity.get_credentials_for_identity(
                IdentityId=identity_id, Logins=logins
            )
        found = answer["Credentials"]
        return {
            "access_key": found["AccessKeyId"],
            "secret_key": found["SecretKey"],
            "token": found["SessionToken"],
            "expiry_time": found["Expiration"].isoformat(),
        }


@contextmanager
def _cognito_errors() -> Iterator[None]:
    """Cognito's refusals as sentences a writer can act on; network faults pass through
    (the sync engine classifies them as offline)."""
    from botocore.exceptions import ClientError

    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", ""))
        if code == "NotAuthorizedException":
            raise WrongPassword(message or "incorrect email or password") from None
        if code == "UserNotConfirmedException":
            raise NotConfirmed("confirm your email address with the code sent to it") from None
        if code == "UserNotFoundException":
            raise WrongPassword("incorrect email or password") from None
        if code in ("CodeMismatchException", "ExpiredCodeException"):
            raise AccountError("that code is wrong or has expired") from None
        if code in ("InvalidPasswordException", "InvalidParameterException"):
            raise AccountError(message) from None
        if code == "UsernameExistsException":
            raise AccountError("an account with this email already exists") from None
        if code in ("LimitExceededException", "TooManyRequestsException"):
            raise AccountError("too many attempts; wait a few minutes and try again") from None
        raise


def _tokens(user: Any, refresh_token: str | None = None) -> Tokens:
    claims = user.id_claims or {}
    return Tokens(
        id_token=user.id_token,
        access_token=user.access_token,
        refresh_token=user.refresh_token or refresh_token,
        sub=str(claims["sub"]),
        expires_at=float(claims["exp"]),
        email=str(claims.get("email") or ""),
    )


# -- a signed-in session and its refreshable AWS credentials --------------------------------


class Session:
    """Tokens in memory, the refresh token in the keyring, AWS credentials on demand.

    ``clock`` is wall-clock seconds (time.time); tests move it to force expiries."""

    def __init__(
        self,
        cognito: Cognito,
        sub: str,
        identity_id: str | None = None,
        tokens: Tokens | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cognito = cognito
        self.sub = sub
        self.identity_id = identity_id
        self.tokens = tokens
        self.clock = clock
        self.lock = threading.Lock()
        self.token_refreshes = 0  # ID tokens renewed from the refresh token
        self.credential_refreshes = 0  # GetCredentialsForIdentity calls
        self._credentials: Any = None  # the latest botocore credentials handed out

    def expire(self) -> None:
        """Treat the ID token and AWS credentials in memory as expired: the next request
        renews both (from the keyring's refresh token). For a server that says they have
        expired before this machine's clock does, and for tests of renewal mid-drain."""
        from datetime import UTC, datetime

        with self.lock:
            if self.tokens is not None:
                self.tokens = replace(self.tokens, expires_at=0.0)
            if self._credentials is not None and self._credentials._expiry_time is not None:
                self._credentials._expiry_time = datetime.fromtimestamp(0, UTC)

    def id_tokens(self) -> Tokens:
        """Fresh ID token, renewed from the keyring's refresh token when near expiry, or
        when the keyring holds another one (signed in again, or out, in another window or
        the CLI)."""
        with self.lock:
            refresh_token = load_refresh_token(self.sub)
            if not refresh_token:
                raise SessionExpired("you are signed out: sign in again")
            if (
                self.tokens is None
                or self.tokens.refresh_token != refresh_token
                or self.tokens.expires_at - self.clock() < ID_TOKEN_MARGIN_S
            ):
                tokens = self.cognito.refresh(refresh_token)
                if tokens.sub != self.sub:
                    raise SessionExpired("the stored session belongs to another account")
                self.tokens = tokens
                self.token_refreshes += 1
            return self.tokens

    def aws_metadata(self) -> dict[str, Any]:
        """botocore's refresh callback: new temporary credentials from the identity pool."""
        tokens = self.id_tokens()
        try:
            if self.identity_id is None:
                self.identity_id = self.cognito.identity_id(tokens)
            metadata = self.cognito.credentials(self.identity_id, tokens)
        except AccountError as error:  # the identity pool refused the token
            with self.lock:
                self.tokens = None
            raise SessionExpired(f"{error}: sign in again") from None
        self.credential_refreshes += 1
        log.info("new AWS credentials for the account (until %s)", metadata["expiry_time"])
        return metadata

    def botocore_credentials(self) -> Any:
        """Credentials fetched at their first use (an offline start costs nothing) that
        renew themselves a fraction of their life ahead: 5 min of AWS's hour, 30 s of the
        stand-in's 90 s (botocore's fixed 15 min would renew on every call there)."""
        from datetime import UTC, datetime

        from botocore.credentials import DeferredRefreshableCredentials

        def now() -> datetime:
            return datetime.fromtimestamp(self.clock(), UTC)

        def renew() -> dict[str, Any]:
            metadata = self.aws_metadata()
            life = (datetime.fromisoformat(metadata["expiry_time"]) - now()).total_seconds()
            handle._advisory_refresh_timeout = min(300.0, max(0.0, life) / 3)
            handle._mandatory_refresh_timeout = min(60.0, max(0.0, life) / 6)
            return metadata

        handle: Any = DeferredRefreshableCredentials(renew, "gravy-account", time_fetcher=now)
        self._credentials = handle
        return handle


SERVER_SAYS_EXPIRED = frozenset({"ExpiredTokenException", "ExpiredToken"})
_SESSIONS: dict[tuple[str, str], Session] = {}  # (pool, sub): tokens outlive one client
_SESSIONS_LOCK = threading.Lock()


def deployment_of(settings: Any) -> Deployment:
    """The deployment a bound database's settings point at."""
    target = settings.account
    return Deployment(
        region=settings.region,
        user_pool_id=target.user_pool_id,
        app_client_id=target.app_client_id,
        identity_pool_id=target.identity_pool_id,
        cognito_endpoint_url=target.cognito_endpoint_url,
        dynamodb_endpoint_url=settings.endpoint_url,
        table_prefix=settings.table_prefix,
    )


def session_for(settings: Any) -> Session:
    """This process's session for the account in ``settings`` (one per account)."""
    target = settings.account
    with _SESSIONS_LOCK:
        key = (target.user_pool_id, target.sub)
        if key not in _SESSIONS:
            _SESSIONS[key] = Session(
                Cognito(deployment_of(settings)), target.sub, identity_id=target.identity_id
            )
        return _SESSIONS[key]


def forget_sessions() -> None:
    """Drop every in-memory token (sign-out)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


def account_client(settings: Any, config: Any, session: Session | None = None) -> Any:
    """A DynamoDB client acting as the signed-in account (``settings.account``)."""
    import boto3
    import botocore.session
    from botocore.credentials import CredentialProvider, CredentialResolver

    _keep_secrets_out_of_logs()
    target = settings.account
    if target.sub != settings.user_id:
        raise MissingCredentials(
            f"signed in as {target.email}, but this database syncs as {settings.user_id}"
        )
    active = session or session_for(settings)

    class Provider(CredentialProvider):
        METHOD = "gravy-account"

        def load(self) -> Any:
            return active.botocore_credentials()

    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([Provider()]))
    client = boto3.session.Session(botocore_session=core).client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=config,
        verify=not settings.local_endpoint,
    )

    def on_answer(parsed: dict[str, Any], **_: Any) -> None:
        # AWS says the credentials expired before this machine's clock does (skew): renew
        # them for the next attempt rather than resending the same ones until local expiry.
        if parsed.get("Error", {}).get("Code") in SERVER_SAYS_EXPIRED:
            active.expire()

    client.meta.events.register("after-call.dynamodb", on_answer)
    return client


def sign_in_result(
    home: Path, deployment: Deployment, email: str, tokens: Tokens, cognito: Cognito
) -> Account:
    """Keep a successful sign-in: the refresh token into the keyring, the account into the
    registry as the signed-in one. Refused (nothing kept) without a secure keyring."""
    if tokens.refresh_token is None:
        raise AccountError("Cognito returned no refresh token")
    save_refresh_token(tokens.sub, tokens.refresh_token)
    registry = load_registry(home)
    previous = registry.signed_in
    if previous is not None and previous.sub != tokens.sub:
        # One account at a time: the other's session ends here (its database, with its
        # queue, stays for its next sign-in).
        forget_refresh_token(previous.sub)
    known = registry.accounts.get(tokens.sub)
    identity_id = known.identity_id if known else None
    if identity_id is None:
        try:
            identity_id = cognito.identity_id(tokens)
        except Exception as error:  # found again at the first sync
            log.info("no identity id yet: %s", type(error).__name__)
    account = Account(sub=tokens.sub, email=email, identity_id=identity_id)
    registry.accounts[tokens.sub] = account
    registry.current = tokens.sub
    save_registry(home, registry)
    return account


def sign_out(home: Path, deployment: Deployment | None) -> Account | None:
    """Forget the session (keyring and registry); the account's database stays, with its
    queued changes, for its next sign-in. Returns who was signed out."""
    registry = load_registry(home)
    account = registry.signed_in
    if account is None:
        return None
    token = load_refresh_token(account.sub)
    if token and deployment is not None:
        Cognito(deployment).revoke(token)
    forget_refresh_token(account.sub)
    forget_sessions()
    registry.current = None
    save_registry(home, registry)
    return account
