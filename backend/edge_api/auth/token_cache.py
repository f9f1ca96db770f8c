"""Access tokens already validated, remembered until they expire: the RS256 check once per token.

- Bounded: at most ``max_entries`` tokens (least recently used dropped first); 0 turns the cache off.
- Keyed by the token's SHA-256: the cache never holds a bearer string.
- Never past ``exp``: an entry is served only while the token is unexpired without any leeway; after that
  the token is judged afresh (the leeway then still applies, as without the cache).
- Bound to the key that verified it: each use looks the token's signing key up again (a dict lookup, which
  also lets a stale key set be refetched as without the cache) and serves the entry only if it is the very
  key object it was verified with. A key rotated out, or any JWKS refetch, sends the token through full
  validation again, where a withdrawn key means 401.
Only successful validations are stored; a refused token is refused again, at full cost, every time.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    key: Any
    expires_at: int


class VerifiedTokens(Generic[T]):
    """Thread-safe: routes validate tokens in the thread pool."""

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.time) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must not be negative")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[bytes, _Entry[T]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _digest(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str, key: Any) -> T | None:
        """The remembered result for ``token`` if it was verified with ``key`` and has not expired."""
        if not self.max_entries:
            return None
        digest = self._digest(token)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.key is not key or self._clock() >= entry.expires_at:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry.value

    def put(self, token: str, key: Any, expires_at: int, value: T) -> None:
        if not self.max_entries or self._clock() >= expires_at:
            return
        digest = self._digest(token)
        with self._lock:
            self._entries[digest] = _Entry(value, key, expires_at)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, token: str) -> None:
        with self._lock:
            self._entries.pop(self._digest(token), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
