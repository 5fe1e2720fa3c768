"""Signing in with the Gravy account, against the Cognito stand-in (moto's server mode)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, N_HEX

from desktop.sync import account
from desktop.sync.account import Challenge, Cognito, Deployment, WrongPassword
from tests.cognito import CognitoStandIn, fresh_totp, new_email

PASSWORD = "Correct-horse-9"


@pytest.fixture
def pool(cognito_standin: CognitoStandIn) -> Deployment:
    assert cognito_standin.pool is not None
    return Deployment.model_validate(cognito_standin.pool.deployment())


# -- the stand-in itself ---------------------------------------------------------------------


def test_the_stand_in_refuses_a_wrong_password_where_it_checks_one(
    cognito_standin: CognitoStandIn, pool: Deployment
) -> None:
    """moto's SRP accepts any password; USER_PASSWORD_AUTH is where it checks, and the
    desktop turns Cognito's refusal into "incorrect password" (the same code SRP gets)."""
    email = new_email()
    cognito_standin.add_user(email, PASSWORD)
    idp = cognito_standin.client("cognito-idp")

    def password_auth(password: str) -> dict[str, Any]:
        answer: dict[str, Any] = idp.initiate_auth(
            ClientId=pool.app_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        return answer

    assert "IdToken" in password_auth(PASSWORD)["AuthenticationResult"]
    with pytest.raises(ClientError) as refused:
        password_auth("wrong-password-1")
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(WrongPassword), account._cognito_errors():
        password_auth("wrong-password-1")


# A Cognito-side SRP verifier written from the protocol (SRP-6a over the RFC 5054 3072-bit
# group, Cognito's x = H(salt | H(poolname | userid | ":" | password)) and HKDF key), so the
# client's maths (pycognito's) is checked against what a real pool would compute.
N = int(N_HEX, 16)
G = 2


def _hex(number: int | str) -> str:
    text = number if isinstance(number, str) else format(number, "x")
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdefABCDEF" else text


def _h(hex_text: str) -> int:
    return int(hashlib.sha256(bytes.fromhex(hex_text)).hexdigest(), 16)


class SRPServer:
    def __init__(self, pool_name: str, user_id: str, password: str) -> None:
        self.pool_name, self.user_id = pool_name, user_id
        self.salt = secrets.token_hex(16)
        inner = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
        x = _h(_hex(self.salt) + inner)
        self.verifier = pow(G, x, N)
        self.b = secrets.randbelow(N - 1) + 1
        k = _h(_hex(N) + _hex(G))
        self.big_b = (k * self.verifier + pow(G, self.b, N)) % N
        self.secret_block = base64.b64encode(secrets.token_bytes(64)).decode()

    def key(self, big_a: int) -> bytes:
        u = _h(_hex(big_a) + _hex(self.big_b))
        shared = pow(big_a * pow(self.verifier, u, N), self.b, N)
        prk = hmac.new(bytes.fromhex(_hex(u)), bytes.fromhex(_hex(shared)), "sha256").digest()
        return hmac.new(prk, b"Caldera Derived Key\x01", "sha256").digest()[:16]

    def accepts(self, big_a: int, answer: dict[str, str]) -> bool:
        message = (
            self.pool_name.encode()
            + self.user_id.encode()
            + base64.b64decode(answer["PASSWORD_CLAIM_SECRET_BLOCK"])
            + answer["TIMESTAMP"].encode()
        )
        expected = hmac.new(self.key(big_a), message, "sha256").digest()
        return hmac.compare_digest(base64.b64decode(answer["PASSWORD_CLAIM_SIGNATURE"]), expected)


@pytest.mark.parametrize("typed, accepted", [(PASSWORD, True), ("Correct-horse-8", False)])
def test_the_srp_answer_is_what_a_real_pool_verifies(typed: str, accepted: bool) -> None:
    pool_id, user_id = "eu-west-1_AbCdEf123", "4f1c3e7a-0000-4000-8000-000000000001"
    server = SRPServer(pool_id.split("_")[1], user_id, PASSWORD)
    client = AWSSRP("ann@example.com", typed, pool_id, "client", client=object())
    answer = client.process_challenge(
        {
            "USER_ID_FOR_SRP": user_id,
            "SALT": server.salt,
            "SRP_B": format(server.big_b, "x"),
            "SECRET_BLOCK": server.secret_block,
        },
        {"USERNAME": "ann@example.com"},
    )
    assert server.accepts(client.large_a_value, answer) is accepted
    # Cognito's timestamp format: no leading zero in the day ("Wed Nov 5 09:03:01 UTC 2026").
    day = answer["TIMESTAMP"].split()[2]
    assert day == str(int(day))


# -- sign-in, challenges, sign-up, forgotten passwords ---------------------------------------


def test_sign_in_with_srp_gives_verified_tokens_of_the_users_sub(
    cognito_standin: CognitoStandIn, pool: Deployment
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    tokens = Cognito(pool).sign_in(email, PASSWORD)
    assert tokens.sub == sub and tokens.refresh_token
    assert tokens.id_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    renewed = Cognito(pool).refresh(tokens.refresh_token)
    assert renewed.sub == sub and renewed.refresh_token == tokens.refresh_token


def test_a_new_password_is_required_then_accepted(
    cognito_standin: CognitoStandIn, pool: Deployment
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, "Temporary-pass-1", temporary=True)
    cognito = Cognito(pool)
    with pytest.raises(Challenge) as asked:
        cognito.sign_in(email, "Temporary-pass-1")
    assert asked.value.kind == "new_password"
    tokens = cognito.answer_new_password(asked.value, "Brand-new-pass-2")
    assert tokens.sub == sub
    assert cognito.sign_in(email, "Brand-new-pass-2").sub == sub, "no challenge any more"


def test_software_token_mfa_is_asked_and_a_wrong_code_refused(
    cognito_standin: CognitoStandIn, pool: Deployment
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    cognito_standin.require_totp(email, PASSWORD)
    cognito = Cognito(pool)
    with pytest.raises(Challenge) as asked:
        cognito.sign_in(email, PASSWORD)
    assert asked.value.kind == "mfa_code" and "authenticator" in str(asked.value)
    code = fresh_totp()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(account.AccountError):
        cognito.answer_mfa(asked.value, wrong)
    with pytest.raises(Challenge) as again:
        cognito.sign_in(email, PASSWORD)
    assert cognito.answer_mfa(again.value, fresh_totp()).sub == sub


def test_sign_up_confirm_and_sign_in(cognito_standin: CognitoStandIn, pool: Deployment) -> None:
    email = new_email()
    cognito = Cognito(pool)
    assert cognito.sign_up(email, PASSWORD) is False, "a code must confirm the address"
    with pytest.raises(account.NotConfirmed):
        cognito.sign_in(email, PASSWORD)
    with pytest.raises(account.AccountError, match="already exists"):
        cognito.sign_up(email, PASSWORD)
    cognito.confirm(email, "123456")
    assert cognito.sign_in(email, PASSWORD).sub


def test_forgot_password_then_sign_in_with_the_new_one(
    cognito_standin: CognitoStandIn, pool: Deployment
) -> None:
    email = new_email()
    cognito_standin.add_user(email, PASSWORD)
    cognito = Cognito(pool)
    cognito.forgot_password(email)
    cognito.reset_password(email, "123456", "Another-pass-3")
    idp = cognito_standin.client("cognito-idp")
    with pytest.raises(ClientError):  # the stand-in checks passwords on this flow only
        idp.initiate_auth(
            ClientId=pool.app_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
    assert cognito.sign_in(email, "Another-pass-3").sub


def test_a_revoked_refresh_token_means_signing_in_again(
    cognito_standin: CognitoStandIn, pool: Deployment
) -> None:
    email = new_email()
    sub = cognito_standin.add_user(email, PASSWORD)
    tokens = Cognito(pool).sign_in(email, PASSWORD)
    assert tokens.refresh_token
    cognito_standin.sign_out_everywhere(sub)
    with pytest.raises(account.SessionExpired, match="sign in again"):
        Cognito(pool).refresh(tokens.refresh_token)
