"""Sign in with the browser, where the user pool has a hosted domain (single sign-on):
the OAuth 2.0 authorization code flow with PKCE (RFC 7636) through the system browser
and a loopback redirect (RFC 8252). Qt-free: the CLI and the window share it.

1. A one-shot HTTP server listens on ``127.0.0.1`` (a free port, or the deployment's
   ``callback_port`` when the app client only accepts a registered one);
2. the browser opens ``<domain>/oauth2/authorize`` with a fresh ``state`` and the S256
   challenge of a fresh verifier;
3. the hosted UI redirects to ``http://localhost:<port>/callback?code=...&state=...``
   (Cognito accepts plain http only for ``localhost``, and matches the registered URL
   exactly, port included: :func:`desktop.sync.tables.with_desktop_account` registers
   ``callback_url(port)``):
   a wrong ``state`` (another sign-in's answer, or a forged one), an ``error`` answer, or
   no answer within the timeout ends the attempt with a sentence for the writer;
4. the code and the verifier go to ``<domain>/oauth2/token``; the tokens that come back
   are verified like SRP's (the pool's JWKS, RS256, issuer, audience, expiry) and follow
   the same path: the refresh token into the keyring, ID and access tokens in memory.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from desktop.sync.account import AccountError, Cognito, Deployment, Tokens

log = logging.getLogger(__name__)

CALLBACK_PATH = "/callback"
TIMEOUT_S = 300.0  # the writer types a password, maybe a code, in the browser
SCOPES = "openid email profile aws.cognito.signin.user.admin"


def callback_url(port: int | str) -> str:
    """The redirect URI for a loopback port, as the app client must register it."""
    return f"http://localhost:{port}{CALLBACK_PATH}"


Opener = Callable[[str], object]


class BrowserSignInFailed(AccountError):
    pass


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge): 64 random bytes as base64url (86 characters, within
    RFC 7636's 43-128) and the base64url SHA-256 of it, unpadded."""
    verifier = secrets.token_urlsafe(64)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Callback(HTTPServer):
    """The loopback server: keeps the first answer on ``/callback`` and stops."""

    answer: dict[str, str] | None = None
    done: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Callback

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path != CALLBACK_PATH or self.server.done.is_set():
            self.send_error(404)
            return
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        self.server.answer = query
        self.server.done.set()
        ok = "code" in query and "error" not in query
        text = (
            "You are signed in to Gravy Desktop. You can close this tab."
            if ok
            else "Gravy Desktop could not sign you in: "
            + (query.get("error_description") or query.get("error") or "no answer")
        )
        body = f"<!doctype html><title>Gravy Desktop</title><p>{html.escape(text)}</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body.encode("utf-8"))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the query holds the code: never in a log


class BrowserSignIn:
    """One attempt; :meth:`cancel` (another thread) ends a wait early."""

    def __init__(
        self,
        deployment: Deployment,
        open_browser: Opener = webbrowser.open,
        timeout_s: float = TIMEOUT_S,
        cognito: Cognito | None = None,
    ) -> None:
        if not deployment.hosted_domain:
            raise AccountError("this deployment has no hosted sign-in page")
        self.deployment = deployment
        self.domain = deployment.hosted_domain.rstrip("/")
        self.open_browser = open_browser
        self.timeout_s = timeout_s
        self.cognito = cognito
        self.url: str | None = None  # the authorize URL, for a writer whose browser did not open
        self._cancelled = threading.Event()
        self._server: _Callback | None = None

    def cancel(self) -> None:
        self._cancelled.set()
        if self._server is not None:
            self._server.done.set()

    def sign_in(self) -> Tokens:
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        server = _Callback(("127.0.0.1", self.deployment.callback_port or 0), _Handler)
        server.done = threading.Event()
        server.timeout = 0.2
        self._server = server
        redirect_uri = callback_url(server.server_address[1])
        self.url = f"{self.domain}/oauth2/authorize?" + urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.deployment.app_client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        serving = threading.Thread(target=self._serve, args=(server,), daemon=True)
        serving.start()
        try:
            if self._cancelled.is_set():
                raise BrowserSignInFailed("signing in with the browser was cancelled")
            self.open_browser(self.url)
            finished = server.done.wait(self.timeout_s)
        finally:
            server.done.set()
            serving.join()
            server.server_close()
        if self._cancelled.is_set():
            raise BrowserSignInFailed("signing in with the browser was cancelled")
        if not finished or server.answer is None:
            raise BrowserSignInFailed(
                f"no answer from the browser within {self.timeout_s:g} seconds; try again"
            )
        return self._exchange(server.answer, state, verifier, redirect_uri)

    @staticmethod
    def _serve(server: _Callback) -> None:
        while not server.done.is_set():
            server.handle_request()

    def _exchange(
        self, answer: dict[str, str], state: str, verifier: str, redirect_uri: str
    ) -> Tokens:
        if not secrets.compare_digest(answer.get("state", ""), state):
            raise BrowserSignInFailed(
                "the browser's answer belongs to another sign-in (its state differs); try again"
            )
        if "error" in answer:
            reason = answer.get("error_description") or answer["error"]
            raise BrowserSignInFailed(f"the sign-in page refused: {reason}")
        if not answer.get("code"):
            raise BrowserSignInFailed("the browser's answer carries no code; try again")
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": self.deployment.app_client_id,
                "code": answer["code"],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        ).encode("ascii")
        request = urllib.request.Request(
            f"{self.domain}/oauth2/token",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                tokens = json.load(response)
        except urllib.error.HTTPError as error:
            try:
                reason = json.load(error).get("error", str(error.code))
            except (ValueError, OSError):
                reason = str(error.code)
            raise BrowserSignInFailed(
                f"the sign-in service refused the code ({reason}); try again"
            ) from None
        except urllib.error.URLError as error:  # unreachable: the engine's "offline"
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=self.domain, error=error) from None
        cognito = self.cognito or Cognito(self.deployment)
        return cognito.verified(
            str(tokens.get("id_token", "")),
            str(tokens.get("access_token", "")),
            tokens.get("refresh_token"),
        )
