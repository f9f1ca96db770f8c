"""`/health` of the in-container fallback: the API serves directly because the proxy could not be kept up.

The contract's `/health` is 200 only when proxy, API and DB are ready, so in the fallback it is 503
with `failing: "proxy"`, the mode, and the API's own readiness checks (asked of the app's
`/health/ready`, as the proxy would): monitors see the degradation, and a deployment that is
already degraded never passes the platform's healthcheck.
"""

from __future__ import annotations

import json

from edge_sidecar.cors_asgi import JSON_HEADERS, ASGIApp, Message, Receive, Scope, Send

MODE = "direct-fallback"


def degraded_body(ready_status: int, ready_body: bytes) -> bytes:
    """The fallback's /health body from the app's /health/ready answer (any app: JSON or not)."""
    checks: dict[str, object] = {"proxy": "down"}
    try:
        parsed = json.loads(ready_body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("checks"), dict):
        checks.update(parsed["checks"])
    else:
        checks["api"] = "ok" if ready_status == 200 else "unavailable"
    return json.dumps({"status": "degraded", "mode": MODE, "checks": checks, "failing": "proxy"}).encode()


class FallbackHealth:
    """Answers `/health` for the fallback; every other request goes to the app unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/health":
            await self.app(scope, receive, send)
            return
        status, body = 503, b""

        async def capture(message: Message) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")

        await self.app({**scope, "path": "/health/ready", "raw_path": b"/health/ready"}, receive, capture)
        payload = degraded_body(status, body)
        headers = [
            *JSON_HEADERS,
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
