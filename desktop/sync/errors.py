"""Every error the sync engine meets, classified once (DESIGN.md, invariant 6).

- transient: throttling, 5xx, timeouts, dropped connections, transaction conflicts -> retry
  with capped exponential backoff and full jitter, the attempt count persisted;
- offline: the endpoint cannot be reached at all -> wait, nothing marked failed;
- credentials: missing, expired or rejected -> pause and ask, nothing marked failed;
- setup: the tables do not exist -> pause and say so (``gravy-desktop tables create``);
- permanent: validation, item too large, access denied -> the entry moves to failed;
- conflict: a conditional check failed -> the entry moves to conflicts.

The codes are those of a failed request and those of one statement in a
``BatchExecuteStatement`` answer (``ConditionalCheckFailed``, ``ResourceNotFound``,
``AccessDenied``, ...: the request's names without ``Exception``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)


class Kind(StrEnum):
    TRANSIENT = "transient"
    OFFLINE = "offline"
    CREDENTIALS = "credentials"
    SETUP = "setup"
    PERMANENT = "permanent"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Classified:
    kind: Kind
    code: str
    message: str


class MissingCredentials(Exception):
    """No secret in the keyring for the configured access key, or no user id."""


_TRANSIENT_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "TransactionConflictException",
    "TransactionInProgressException",
    "LimitExceededException",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "TransactionConflict",
}
_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "ExpiredToken",
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException",
}
_PERMANENT_CODES = {
    "ValidationException",
    "ValidationError",
    "SerializationException",
    "AccessDeniedException",
    "AccessDenied",
    "ItemCollectionSizeLimitExceeded",
    "ItemCollectionSizeLimitExceededException",
}


def classify_code(code: str, message: str, status: int = 400) -> Classified:
    """Classify a DynamoDB error code (of a request or of one cancellation reason)."""
    if code in ("ConditionalCheckFailedException", "ConditionalCheckFailed"):
        return Classified(Kind.CONFLICT, code, message)
    if code in _TRANSIENT_CODES or status >= 500:
        return Classified(Kind.TRANSIENT, code, message)
    if code in _CREDENTIAL_CODES:
        return Classified(Kind.CREDENTIALS, code, message)
    if code in ("ResourceNotFoundException", "ResourceNotFound"):
        return Classified(Kind.SETUP, code, message)
    if code in _PERMANENT_CODES:
        return Classified(Kind.PERMANENT, code, message)
    # Unknown 4xx: keep the entry and say why rather than retrying it forever.
    return Classified(Kind.PERMANENT, code or "UnknownError", message)


def classify(error: BaseException) -> Classified | None:
    """Classify an exception raised by a DynamoDB call; None: it is no fault of the
    environment or the server but a bug, for the caller to report as one."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) or 400)
        return classify_code(str(details.get("Code", "")), str(details.get("Message", "")), status)
    if isinstance(error, NoCredentialsError | PartialCredentialsError | ProfileNotFound):
        return Classified(Kind.CREDENTIALS, type(error).__name__, str(error))
    if isinstance(error, MissingCredentials):
        return Classified(Kind.CREDENTIALS, "MissingCredentials", str(error))
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError) and not isinstance(
        error, ReadTimeoutError
    ):
        return Classified(Kind.OFFLINE, type(error).__name__, str(error))
    if isinstance(error, ReadTimeoutError | ConnectionClosedError | BotoCoreError | OSError):
        # The request may have reached the server: resend (safely, see push.py).
        return Classified(Kind.TRANSIENT, type(error).__name__, str(error))
    return None


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter: uniform(0, min(cap, base * 2**n))."""

    base_s: float = 1.0
    cap_s: float = 300.0

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))
        return (rng or random).uniform(0, ceiling)
