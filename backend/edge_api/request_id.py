"""X-Request-ID: echo the proxy's id on responses and expose it to log records of the request.

The proxy (Caddy, or direct mode's edge_sidecar.request_ids) always sends one sane id, made fresh when
the caller's was not. Served without either, the API echoes only an id of the same pattern.
"""

import logging
import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge_sidecar.request_ids import HEADER
from edge_sidecar.request_ids import is_valid as is_valid_request_id

# Does not propagate to "edge_api": log_setup (or the server's log config) gives it its handler.
request_logger = logging.getLogger("edge_api.request")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == HEADER:
            text = value.decode("latin-1")
            return text if is_valid_request_id(text) else None
    return None


class RequestIdMiddleware:
    """Pure ASGI. Responses Starlette's ServerErrorMiddleware makes (unhandled 500s) sit outside it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        encoded = request_id.encode("latin-1") if request_id is not None else None
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if encoded is not None and not any(name.lower() == HEADER for name, _ in headers):
                    headers.append((HEADER, encoded))
                    message = {**message, "headers": headers}
            await send(message)

        token = current_request_id.set(request_id)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # One line a request (status None: no response was sent, e.g. an unhandled error).
            request_logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "event": "request",
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
            current_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside a request or without the header)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
