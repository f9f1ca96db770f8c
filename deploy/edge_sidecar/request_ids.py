"""X-Request-ID at the edge, in direct mode exactly as the sidecar's Caddyfile does it.

The Caddyfile takes the caller's X-Request-ID when it matches :data:`PATTERN` (its ``map`` regex is
this constant, handed over as ``{$EDGE_REQUEST_ID_RE}``), else it makes a UUID; the
API gets that id as its only X-Request-ID and the response carries it (the API's own is replaced).
Several X-Request-ID lines are one value to Caddy, joined with ``,``, which never matches: a fresh id.

:class:`RequestIdEdge` does the same for direct mode (``direct.py`` wraps the whole app in it, outside
the CORS wrapper, so even the wrapper's own 500 and refused preflights carry the id). The reference
API validates the id it echoes with the same :data:`PATTERN`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from edge_sidecar.cors_asgi import ASGIApp, Message, Receive, Scope, Send

# The one definition of a sane request id (Caddy gets it from config.caddy_env).
PATTERN = r"[A-Za-z0-9._:-]{1,128}"
_VALID = re.compile(PATTERN)
HEADER = b"x-request-id"


def is_valid(value: str) -> bool:
    return _VALID.fullmatch(value) is not None


def new_id() -> str:
    """A fresh id, shaped as Caddy's ``{http.request.uuid}`` (a random UUID, lowercase)."""
    return str(uuid.uuid4())


def resolve(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The request's id: its one X-Request-ID when sane, else a fresh one."""
    values = [value for name, value in headers if name.lower() == HEADER]
    if len(values) == 1 and is_valid(values[0].decode("latin-1")):
        return values[0]
    return new_id().encode()


def _with_id(headers: Iterable[tuple[bytes, bytes]], request_id: bytes) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name.lower() != HEADER] + [(HEADER, request_id)]


class RequestIdEdge:
    """Give every HTTP request exactly one sane X-Request-ID, seen by the app and set on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = resolve(scope["headers"])
        scope = {**scope, "headers": _with_id(scope["headers"], request_id)}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_id(message.get("headers", []), request_id)}
            await send(message)

        await self.app(scope, receive, send_with_id)
