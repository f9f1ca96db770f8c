"""JWKS cache for RS256 validation: last good keys kept, refetches rate-limited, fetches bounded, thread-safe.

PyJWT's ``PyJWKClient`` empties its cache after one failed fetch, refetches on every unknown ``kid`` and
blocks without a deadline, so a junk-token flood becomes a JWKS flood and an Auth0 hiccup logs everybody
out. This cache:

* serves known ``kid``s from memory, never touching the network;
* fetches at most once per ``cooldown`` seconds when an unknown ``kid`` appears (or the keys are older than
  ``max_age``), whatever the number of threads or tokens asking;
* keeps the last good key set when a fetch fails (timeout, HTTP error, bad JSON, no usable key);
* bounds each fetch by ``timeout`` seconds overall and the body by ``max_bytes``.

Calls block for at most ``timeout``: use it from plain ``def`` FastAPI dependencies (run in the threadpool),
never directly inside ``async def`` code.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK
from jwt.exceptions import PyJWTError

log = logging.getLogger(__name__)

Fetcher = Callable[[str, float], bytes]
"""``(url, timeout_seconds) -> body``; raises ``JWKSFetchError`` (or any ``OSError``) on failure."""


class JWKSError(Exception):
    """Base class of the cache's errors."""


class JWKSFetchError(JWKSError):
    """One fetch failed (network, HTTP status, size, JSON, no usable key)."""


class KeyNotFoundError(JWKSError):
    """The ``kid`` is not in the key set and no refetch is due (or the refetch did not bring it)."""


class JWKSUnavailableError(JWKSError):
    """No key set has ever been fetched successfully, so nothing can be validated (a 503, not a 401)."""


@dataclass(frozen=True)
class JWKSStats:
    fetches: int
    failures: int
    keys: tuple[str, ...]
    last_error: str | None


def _read_limited(response: Any, max_bytes: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise JWKSFetchError("JWKS fetch exceeded its deadline")
        chunk = response.read(16_384)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise JWKSFetchError(f"JWKS document larger than {max_bytes} bytes")
        chunks.append(chunk)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A JWKS answer is a 200 from the tenant itself; a redirect is an error, never followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def urllib_fetch(url: str, timeout: float, max_bytes: int = 256 * 1024) -> bytes:
    """GET ``url`` with urllib: ``timeout`` bounds connect and every read, and the whole body read overall."""
    if not url.startswith(("https://", "http://")):
        raise JWKSFetchError("JWKS URL must be http(s)")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(  # noqa: S310  # scheme checked above
        url, headers={"Accept": "application/json", "User-Agent": "edge-sidecar-jwks/1"}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = getattr(response, "status", 200)
            if status != 200:
                raise JWKSFetchError(f"JWKS endpoint answered HTTP {status}")
            return _read_limited(response, max_bytes, deadline)
    except urllib.error.HTTPError as error:
        raise JWKSFetchError(f"JWKS endpoint answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise JWKSFetchError(f"JWKS endpoint unreachable: {reason}") from None


def parse_jwks(body: bytes) -> dict[str, PyJWK]:
    """RS256 signing keys by ``kid``; other keys (encryption, other types, no kid) are skipped."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise JWKSFetchError("JWKS document is not JSON") from None
    raw_keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(raw_keys, list):
        raise JWKSFetchError("JWKS document has no keys list")
    keys: dict[str, PyJWK] = {}
    for raw in raw_keys:
        if not isinstance(raw, Mapping):
            continue
        kid = raw.get("kid")
        if not isinstance(kid, str) or not kid or raw.get("kty") != "RSA":
            continue
        if raw.get("use", "sig") != "sig" or raw.get("alg", "RS256") != "RS256":
            continue
        try:
            keys[kid] = PyJWK(dict(raw), algorithm="RS256")
        except (PyJWTError, ValueError, TypeError):  # PyJWKError, InvalidKeyError: a malformed key is skipped
            continue
    if not keys:
        raise JWKSFetchError("JWKS document has no usable RS256 signing key")
    return keys


class JWKSCache:
    """The tenant's signing keys by ``kid``; see the module docstring for the refetch policy."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 2.0,
        cooldown: float = 30.0,
        max_age: float = 600.0,
        fetcher: Fetcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0 or cooldown < 0 or max_age <= 0:
            raise ValueError("timeout and max_age must be positive, cooldown not negative")
        self.url = url
        self.timeout = timeout
        self.cooldown = cooldown
        self.max_age = max_age
        self._fetcher: Fetcher = fetcher if fetcher is not None else urllib_fetch
        self._clock = clock
        self._state_lock = threading.Lock()  # guards the fields below; held only briefly
        self._fetch_lock = threading.Lock()  # one fetch at a time; held for at most `timeout`
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch attempt, successful or not
        self._fetches = 0
        self._failures = 0
        self._last_error: str | None = None

    def stats(self) -> JWKSStats:
        with self._state_lock:
            return JWKSStats(self._fetches, self._failures, tuple(self._keys), self._last_error)

    def _fetch_due(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self.cooldown

    def _stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= self.max_age

    def get_signing_key(self, kid: str) -> PyJWK:
        """The key for ``kid``; fetches only when allowed (unknown kid or stale keys, once per cooldown).

        Raises ``KeyNotFoundError`` for a ``kid`` the tenant does not publish, ``JWKSUnavailableError``
        when no key set was ever obtained.
        """
        with self._state_lock:
            key = self._keys.get(kid)
            now = self._clock()
            if key is not None and not (self._stale(now) and self._fetch_due(now)):
                return key
        # Waits for a fetch already in flight (it may bring this kid), then fetches only if one is due.
        self._refresh_once()
        with self._state_lock:
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._fetched_at is None:
                raise JWKSUnavailableError(self._last_error or "JWKS not fetched yet")
        raise KeyNotFoundError(f"no signing key with kid {kid!r}")

    def refresh(self) -> bool:
        """Fetch now if the cooldown allows; True when a fetch happened and succeeded."""
        with self._state_lock:
            if not self._fetch_due(self._clock()):
                return False
        return self._refresh_once()

    def _refresh_once(self) -> bool:
        with self._fetch_lock:
            with self._state_lock:
                # Another thread may have fetched while this one waited for the fetch lock.
                now = self._clock()
                if not self._fetch_due(now):
                    return False
                self._attempted_at = now
                self._fetches += 1
            try:
                keys = parse_jwks(self._fetcher(self.url, self.timeout))
            except (JWKSFetchError, OSError) as error:
                with self._state_lock:
                    self._failures += 1
                    self._last_error = str(error)
                log.warning("JWKS fetch failed, keeping %d cached key(s): %s", len(self._keys), error)
                return False
            with self._state_lock:
                self._keys = keys
                self._fetched_at = self._clock()
                self._last_error = None
            return True
