"""Sign in with the browser (desktop/sync/browser.py): authorization code with PKCE through
a browser and a loopback redirect, against a fake hosted UI (tests/hosted_ui.py: moto does
not serve one) whose tokens are signed with its own key and verified against its JWKS. The
"browser" is a function given to the code (or, for the CLI, the BROWSER command)."""

from __future__ import annotations

import json
import sys
import urllib.parse
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.app import main
from desktop.sync import account
from desktop.sync.account import Cognito, Deployment
from desktop.sync.browser import BrowserSignIn, BrowserSignInFailed, pkce_pair, s256
from tests.conftest import MemoryKeyring
from tests.hosted_ui import FakeHostedUI

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hosted_ui() -> Iterator[FakeHostedUI]:
    fake = FakeHostedUI("eu-west-1", "eu-west-1_FakePool1", "fakeclient123")
    yield fake
    fake.close()


@pytest.fixture
def deployment(hosted_ui: FakeHostedUI) -> Deployment:
    return Deployment.model_validate(hosted_ui.deployment())


def test_pkce_pair_is_rfc7636_s256() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and "=" not in challenge
    assert challenge == s256(verifier) and pkce_pair()[0] != verifier
    # RFC 7636 appendix B: this verifier's challenge.
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_browser_sign_in_verifies_the_tokens_and_keeps_the_refresh_token_in_the_keyring(
    hosted_ui: FakeHostedUI, deployment: Deployment, home: Path, memory_keyring: MemoryKeyring
) -> None:
    attempt = BrowserSignIn(deployment, open_browser=hosted_ui.browser, timeout_s=30)
    tokens = attempt.sign_in()
    assert (tokens.sub, tokens.email) == (hosted_ui.sub, hosted_ui.email)

    (asked,) = hosted_ui.authorize_queries
    redirect = urllib.parse.urlsplit(asked["redirect_uri"])
    assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "localhost", "/callback")
    assert asked["code_challenge_method"] == "S256" and len(asked["state"]) >= 32
    (form,) = hosted_ui.token_forms
    assert form["code_verifier"] not in attempt.url, "the verifier never goes through the browser"

    cognito = Cognito(deployment)
    signed = account.sign_in_result(home, deployment, tokens.email, tokens, cognito)
    assert (signed.sub, signed.email) == (hosted_ui.sub, hosted_ui.email)
    stored = memory_keyring.secrets[("gravy-desktop", f"cognito-refresh:{hosted_ui.sub}")]
    assert stored.startswith("fake-refresh-")
    assert account.load_registry(home).signed_in == signed


@pytest.mark.parametrize(
    ("misbehave", "sentence"),
    [
        ("state", "belongs to another sign-in"),
        ("error", "the sign-in page refused: the user said no"),
        ("challenge", "refused the code (invalid_grant)"),
        ("key", "tokens could not be verified"),
    ],
)
def test_browser_sign_in_refuses(
    hosted_ui: FakeHostedUI,
    deployment: Deployment,
    memory_keyring: MemoryKeyring,
    misbehave: str,
    sentence: str,
) -> None:
    hosted_ui.misbehave = misbehave
    attempt = BrowserSignIn(deployment, open_browser=hosted_ui.browser, timeout_s=30)
    with pytest.raises(BrowserSignInFailed if misbehave != "key" else account.AccountError) as e:
        attempt.sign_in()
    assert sentence in str(e.value)
    assert memory_keyring.secrets == {}, "nothing kept"
    if misbehave == "state":
        assert hosted_ui.token_forms == [], "a forged answer's code is never redeemed"


def test_browser_sign_in_gives_up_after_the_timeout(
    hosted_ui: FakeHostedUI, deployment: Deployment
) -> None:
    opened: list[str] = []
    attempt = BrowserSignIn(deployment, open_browser=opened.append, timeout_s=0.5)
    with pytest.raises(BrowserSignInFailed, match="no answer from the browser"):
        attempt.sign_in()
    assert opened == [attempt.url]
    assert hosted_ui.token_forms == []


def test_a_deployment_without_a_hosted_domain_has_no_browser_sign_in(
    hosted_ui: FakeHostedUI,
) -> None:
    plain = Deployment.model_validate(hosted_ui.deployment() | {"hosted_domain": None})
    with pytest.raises(account.AccountError, match="no hosted sign-in page"):
        BrowserSignIn(plain)
    with pytest.raises(ValueError, match="https"):
        Deployment.model_validate(hosted_ui.deployment() | {"hosted_domain": "http://x.org"})


def test_cli_sign_in_with_the_browser(
    hosted_ui: FakeHostedUI,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,
) -> None:
    shipped = home.parent / "deployment.json"
    shipped.write_text(json.dumps(hosted_ui.deployment()))
    assert main(["config", "import", str(shipped)]) == 0
    # webbrowser.open runs the BROWSER command (read again: its cache emptied).
    monkeypatch.setenv("BROWSER", f"{sys.executable} -m tests.hosted_ui %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    assert main(["--json", "account", "sign-in", "--browser"]) == 0, capsys.readouterr()
    out = json.loads(capsys.readouterr().out)
    assert (out["email"], out["sub"]) == (hosted_ui.email, hosted_ui.sub)
    assert ("gravy-desktop", f"cognito-refresh:{hosted_ui.sub}") in memory_keyring.secrets
    status = json.loads((main(["--json", "account", "status"]), capsys.readouterr().out)[1])
    assert status["email"] == hosted_ui.email


def test_cli_refuses_a_browser_sign_in_without_a_hosted_domain(
    hosted_ui: FakeHostedUI, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = home.parent / "deployment.json"
    shipped.write_text(json.dumps(hosted_ui.deployment() | {"hosted_domain": None}))
    assert main(["config", "import", str(shipped)]) == 0
    assert main(["account", "sign-in", "--browser"]) == 1
    assert "no hosted sign-in page" in capsys.readouterr().err
