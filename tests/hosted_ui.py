"""A fake of Cognito's hosted UI for "Sign in with the browser" (moto does not serve it).

:class:`FakeHostedUI` is a loopback HTTP server playing:
- ``GET /oauth2/authorize``: checks the client id, ``response_type=code`` and an S256
  challenge, then redirects to the ``redirect_uri`` with a one-use code and the ``state``
  (or with ``error=...`` when told to refuse, or a forged ``state`` when told to);
- ``POST /oauth2/token``: redeems a code once, only for the same client and redirect URI and
  a ``code_verifier`` whose S256 hash is the challenge; answers ID, access and refresh
  tokens signed RS256 with the fake's own key, issued as the pool's (AWS issuer);
- ``GET /<pool id>/.well-known/jwks.json``: that key's JWKS (the deployment's
  ``cognito_endpoint_url`` points here, so the client verifies against it).

:meth:`FakeHostedUI.browser` is the fake "browser": it fetches the authorize URL and follows
the redirect to the app's loopback callback, as a browser would once the writer signed in.
``python -m tests.hosted_ui URL`` does the same from a process (``BROWSER`` for the CLI).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def _key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeHostedUI:
    def __init__(self, region: str, user_pool_id: str, app_client_id: str) -> None:
        self.region, self.user_pool_id, self.app_client_id = region, user_pool_id, app_client_id
        self.key = _key()
        self.kid = "fake-hosted-ui-key"
        self.sub = f"sub-{secrets.token_hex(8)}"
        self.email = f"sso-{secrets.token_hex(4)}@example.com"
        # What to play wrong: "error" (a refusal redirect), "state" (a forged state),
        # "challenge" (a code bound to another challenge), "key" (tokens signed elsewhere).
        self.misbehave: str | None = None
        self.codes: dict[str, dict[str, str]] = {}
        self.authorize_queries: list[dict[str, str]] = []
        self.token_forms: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                if url.path == "/oauth2/authorize":
                    self._redirect(fake.authorize(query))
                elif url.path == f"/{fake.user_pool_id}/.well-known/jwks.json":
                    self._json(200, fake.jwks())
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {
                    k: v[0]
                    for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()
                }
                if urllib.parse.urlsplit(self.path).path == "/oauth2/token":
                    self._json(*fake.token(form))
                else:
                    self._json(400, {"__type": "NotAHostedUIRequest"})

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _json(self, status: int, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def deployment(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "user_pool_id": self.user_pool_id,
            "app_client_id": self.app_client_id,
            "identity_pool_id": f"{self.region}:00000000-0000-0000-0000-000000000000",
            "cognito_endpoint_url": self.url,  # the JWKS is served here
            "hosted_domain": self.url,
        }

    # -- the endpoints --------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> str:
        self.authorize_queries.append(query)
        redirect = query["redirect_uri"]
        assert query.get("client_id") == self.app_client_id, query
        assert query.get("response_type") == "code", query
        assert query.get("code_challenge_method") == "S256" and query.get("code_challenge")
        if self.misbehave == "error":
            answer = {"error": "access_denied", "error_description": "the user said no"}
            answer["state"] = query.get("state", "")
            return f"{redirect}?{urllib.parse.urlencode(answer)}"
        code = secrets.token_urlsafe(16)
        challenge = query["code_challenge"]
        if self.misbehave == "challenge":  # bound to an attacker's verifier instead
            challenge = _s256(secrets.token_urlsafe(64))
        self.codes[code] = {"challenge": challenge, "redirect_uri": redirect}
        state = "forged-state" if self.misbehave == "state" else query.get("state", "")
        return f"{redirect}?{urllib.parse.urlencode({'code': code, 'state': state})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_forms.append(form)
        issued = self.codes.pop(form.get("code", ""), None)  # one use
        if (
            form.get("grant_type") != "authorization_code"
            or form.get("client_id") != self.app_client_id
            or issued is None
            or form.get("redirect_uri") != issued["redirect_uri"]
        ):
            return 400, {"error": "invalid_grant"}
        if _s256(form.get("code_verifier", "")) != issued["challenge"]:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        issuer = f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        key = _key() if self.misbehave == "key" else self.key
        common = {"sub": self.sub, "iss": issuer, "iat": now, "exp": now + 3600}
        id_claims = common | {
            "aud": self.app_client_id,
            "token_use": "id",
            "email": self.email,
            "email_verified": True,
        }
        access_claims = common | {"client_id": self.app_client_id, "token_use": "access"}
        headers = {"kid": self.kid}
        return 200, {
            "id_token": jwt.encode(id_claims, key, algorithm="RS256", headers=headers),
            "access_token": jwt.encode(access_claims, key, algorithm="RS256", headers=headers),
            "refresh_token": f"fake-refresh-{secrets.token_urlsafe(24)}",
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [public | {"kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # -- the browser ----------------------------------------------------------------------

    @staticmethod
    def browser(url: str) -> bool:
        """Open ``url`` as a browser whose writer signs in: follow the redirect to the
        app's callback and load it."""
        with urllib.request.urlopen(url, timeout=30) as page:
            page.read()
        return True


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


if __name__ == "__main__":
    FakeHostedUI.browser(sys.argv[1])
