"""Direct-mode CORS: an ASGI wrapper that applies the sidecar's exact semantics inside uvicorn.

Used only when PROXY_MODE=direct (the rollback). It wraps the whole app, outside Starlette's error
handling, so even an unhandled 500 carries CORS. Starlette's CORSMiddleware is not used because it
differs from the contract: it answers preflights 200 (we answer 204), its refused preflights still
carry Access-Control-* headers, and it leaves the app's own Access-Control-* on responses.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from edge_sidecar.cors_wire import PREFLIGHT_VARY, REFUSED_BODY, RESPONSE_VARY
from edge_sidecar.policy import CorsPolicy

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]
SERVER_ERROR_BODY = json.dumps({"detail": "Internal Server Error"}).encode()
SERVER_ERROR_LEN = (b"content-length", str(len(SERVER_ERROR_BODY)).encode())


def _values(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope["headers"] if k == name]


def _single(values: list[str]) -> str | None:
    # Two Origin (or Access-Control-Request-Method) lines are not one value: none is allowed. Caddy
    # gets there by matching the lines joined with ",", which no origin or method regex admits.
    return values[0] if len(values) == 1 else None


def cors_headers(policy: CorsPolicy, origin: str | None) -> list[tuple[bytes, bytes]]:
    """The Access-Control-* headers every non-preflight response gets for this origin."""
    if origin is None or not policy.allows_origin(origin):
        return []
    out = [(b"access-control-allow-origin", policy.allow_origin_value(origin).encode())]
    if policy.credentials:
        out.append((b"access-control-allow-credentials", b"true"))
    if policy.expose:
        out.append((b"access-control-expose-headers", ", ".join(policy.expose).encode()))
    return out


def rewrite_headers(
    policy: CorsPolicy, origin: str | None, headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """Drop the app's Access-Control-*, add ours, and make sure Vary names Origin (merged, not replaced)."""
    kept = [(k, v) for k, v in headers if not k.lower().startswith(b"access-control-")]
    vary = [v for k, v in kept if k.lower() == b"vary"]
    if not any(b"origin" in [p.strip().lower() for p in v.split(b",")] for v in vary):
        kept.append((b"vary", RESPONSE_VARY.encode()))
    return kept + cors_headers(policy, origin)


def preflight_headers(policy: CorsPolicy, origin: str) -> list[tuple[bytes, bytes]]:
    out = [(b"access-control-allow-origin", policy.allow_origin_value(origin).encode())]
    if policy.credentials:
        out.append((b"access-control-allow-credentials", b"true"))
    out.append((b"access-control-allow-methods", ", ".join(policy.methods).encode()))
    if policy.headers:
        out.append((b"access-control-allow-headers", ", ".join(policy.headers).encode()))
    out.append((b"access-control-max-age", str(policy.max_age).encode()))
    return out


class CorsPolicyMiddleware:
    """Wrap any ASGI app so every HTTP response follows the CORS policy."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins = _values(scope, b"origin")
        origin = _single(origins)
        request_methods = _values(scope, b"access-control-request-method")
        # A preflight is an OPTIONS whose Origin and Access-Control-Request-Method, lines joined with ","
        # as Caddy's placeholders join them, are both non-empty (the Caddyfile's @preflight). An empty
        # method asks for nothing, so that OPTIONS is the app's, with response CORS.
        if scope["method"] == "OPTIONS" and ",".join(origins) and ",".join(request_methods):
            await self._preflight(scope, send, origin, _single(request_methods))
            return

        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = rewrite_headers(self.policy, origin, list(message.get("headers", [])))
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            # An app that raises before answering would get uvicorn's bare 500, outside this wrapper:
            # answer it here, with CORS, then re-raise so uvicorn still logs the traceback.
            if not started:
                await send_with_cors(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [*JSON_HEADERS, SERVER_ERROR_LEN],
                    }
                )
                await send({"type": "http.response.body", "body": SERVER_ERROR_BODY})
            raise

    async def _preflight(self, scope: Scope, send: Send, origin: str | None, method: str | None) -> None:
        # Several Access-Control-Request-Headers lines are one list (joined as Caddy's placeholder does).
        requested = ",".join(_values(scope, b"access-control-request-headers"))
        headers = [(b"vary", PREFLIGHT_VARY.encode())]
        if (
            origin is not None
            and method is not None
            and self.policy.allows_preflight(origin, method, requested)
        ):
            status, body = 204, b""
            headers += preflight_headers(self.policy, origin)
        else:
            status, body = 403, REFUSED_BODY.encode()
            headers += [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
