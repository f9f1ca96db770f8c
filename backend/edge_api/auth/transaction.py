"""One login attempt (state, nonce, PKCE verifier, redirect URI), from auth0-url to login, in a signed cookie.

Stateless on purpose: with two replicas, auth0-url and login may hit different processes. The value is
HMAC-signed with a key derived from the client secret, so it cannot be forged or edited, and it expires.
It holds no token; the verifier only matters together with a code, which only the browser receives.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

TTL_SECONDS = 600
_CONTEXT = b"edge-sidecar/auth-transaction/v1"


@dataclass(frozen=True)
class Transaction:
    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    expires_at: int

    @property
    def challenge(self) -> str:
        """PKCE S256 challenge (RFC 7636 §4.2)."""
        return _b64(hashlib.sha256(self.verifier.encode("ascii")).digest())


class TransactionError(ValueError):
    """The cookie is missing, forged, edited or expired: the login must start again."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(client_secret: str) -> bytes:
    return hmac.new(client_secret.encode(), _CONTEXT, hashlib.sha256).digest()


def new_transaction(redirect_uri: str, now: float | None = None) -> Transaction:
    issued = int(time.time() if now is None else now)
    return Transaction(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),  # 64 characters: within RFC 7636's 43-128
        redirect_uri=redirect_uri,
        expires_at=issued + TTL_SECONDS,
    )


def encode(transaction: Transaction, key: bytes) -> str:
    payload = _b64(
        json.dumps(
            {
                "s": transaction.state,
                "n": transaction.nonce,
                "v": transaction.verifier,
                "r": transaction.redirect_uri,
                "e": transaction.expires_at,
            },
            separators=(",", ":"),
        ).encode()
    )
    return f"{payload}.{_b64(hmac.new(key, payload.encode('ascii'), hashlib.sha256).digest())}"


def decode(value: str | None, key: bytes, now: float | None = None) -> Transaction:
    if not value:
        raise TransactionError("no login in progress (the auth0-url cookie is missing)")
    payload, _, mac = value.partition(".")
    expected = _b64(hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, expected):
        raise TransactionError("the login cookie is not valid")
    try:
        fields = json.loads(_unb64(payload))
        transaction = Transaction(
            state=str(fields["s"]),
            nonce=str(fields["n"]),
            verifier=str(fields["v"]),
            redirect_uri=str(fields["r"]),
            expires_at=int(fields["e"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TransactionError("the login cookie is not valid") from None
    if transaction.expires_at <= (time.time() if now is None else now):
        raise TransactionError("the login took too long; start again")
    return transaction


def state_matches(transaction: Transaction, state: str) -> bool:
    return hmac.compare_digest(transaction.state.encode(), state.encode())
