"""Helpers for the auth tests (no tests here): RSA keys, Auth0-shaped tokens, a fake tenant (JWKS, token)."""

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "https://api.zebra.associates"
CLIENT_ID = "edge-sidecar-local"
TENANT_CLAIM = "https://zebra.associates/tenant_id"
JWKS_PATH = "/.well-known/jwks.json"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"


# Timeouts for fetches from the local fakes. A fetch that should succeed gets FETCH_TIMEOUT: a loaded
# machine can take over a second to answer on loopback, so a short bound there would fail a correct
# run. A test that makes the fake hang on purpose uses HANG_TIMEOUT, so it does not wait the long one.
FETCH_TIMEOUT = 10.0
HANG_TIMEOUT = 3.0


@dataclass
class Scripted:
    """What the fake tenant answers on a POST path: status, JSON body, headers; ``hang`` never answers."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    hang: bool = False


@dataclass(frozen=True)
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig", "n": jwk["n"], "e": jwk["e"]}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def make_key(kid: str) -> Key:
    return Key(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def auth0_claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    """An access token payload as Auth0 issues it (openid requested: aud is a list with /userinfo)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "auth0|dev-user",
        "aud": [AUDIENCE, f"{issuer}userinfo"],
        "iat": now,
        "exp": now + 600,
        "azp": CLIENT_ID,
        "scope": "openid profile email offline_access read:items",
        "permissions": ["read:items", "write:items"],
        TENANT_CLAIM: "demo",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def sign(key: Key, claims: Mapping[str, Any], *, kid: str | None = None, typ: str | None = "JWT") -> str:
    headers: dict[str, Any] = {"kid": kid if kid is not None else key.kid}
    if typ is not None:
        headers["typ"] = typ
    return jwt.encode(dict(claims), key.private, algorithm="RS256", headers=headers)


def unsigned(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """``alg: none``: header and payload, empty signature."""
    return f"{b64url(json.dumps(dict(header)).encode())}.{b64url(json.dumps(dict(claims)).encode())}."


def hs256_with_public_key(key: Key, claims: Mapping[str, Any]) -> str:
    """The algorithm-confusion attack: HMAC-SHA256 keyed with the RSA public key's PEM."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(dict(claims)).encode())}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


class JwksServer:
    """A fake tenant on 127.0.0.1:<free port>: ``{"keys": [...]}`` at JWKS_PATH (``mode`` switches
    up/down/hang), and scripted answers to POSTs (``script[path]``) with the forms received in ``posts``."""

    def __init__(self, keys: list[Key]) -> None:
        self.keys = list(keys)
        self.mode = "up"
        self.script: dict[str, Scripted] = {}
        self.posts: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._fetches = 0
        self._release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                with outer._lock:
                    outer.posts.append((self.path, form))
                    answer = outer.script.get(self.path, Scripted(404, {"error": "not_found"}))
                if answer.hang:
                    outer._release.wait(10)  # bounded; released at stop()
                    return
                body = json.dumps(answer.body if answer.body is not None else {}).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (answer.headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != JWKS_PATH:
                    self.send_error(404)
                    return
                with outer._lock:
                    outer._fetches += 1
                    mode = outer.mode
                    body = json.dumps({"keys": [k.public_jwk() for k in outer.keys]}).encode()
                if mode == "hang":
                    outer._release.wait(10)  # bounded; released at stop()
                    return
                if mode == "down":
                    self.send_error(503)
                    return
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "huge":
                    body = b'{"keys": [' + b" " * 400_000 + b"]}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.issuer = f"http://127.0.0.1:{self.port}/"
        self.jwks_url = f"http://127.0.0.1:{self.port}{JWKS_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="jwks-server", daemon=True
        )

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    def start(self) -> "JwksServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def jwks_server(keys: list[Key]) -> Iterator[JwksServer]:
    server = JwksServer(keys).start()
    try:
        yield server
    finally:
        server.stop()


class FakeClock:
    """Monotonic time the test moves by hand (cooldown windows without sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_shared: JwksServer | None = None
_shared_lock = threading.Lock()


def shared_tenant() -> JwksServer:
    """The fake tenant the API tests' AUTH0_* point at: one per test process, started on first use.

    One, because the app's JWKS cache is process-wide per URL (as in production, one tenant).
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JwksServer([make_key("tenant-key-1")]).start()
        return _shared


def bearer_headers(tenant_id: str | None = "acme", **overrides: Any) -> dict[str, str]:
    """Headers of a user of ``tenant_id`` holding an access token the shared tenant issued."""
    server = shared_tenant()
    token = sign(server.keys[0], auth0_claims(server.issuer, **{TENANT_CLAIM: tenant_id}, **overrides))
    return {"Authorization": f"Bearer {token}"}
