"""X-Request-ID: echo the proxy's id on responses and expose it to log records of the request."""

import logging
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# Printable ASCII without spaces, bounded: anything else is not echoed nor logged.
_VALID_ID = re.compile(r"[!-~]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == HEADER:
            text = value.decode("latin-1")
            return text if _VALID_ID.fullmatch(text) else None
    return None


class RequestIdMiddleware:
    """Pure ASGI. Responses Starlette's ServerErrorMiddleware makes (unhandled 500s) sit outside it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _incoming_id(scope) if scope["type"] == "http" else None
        if request_id is None:
            await self.app(scope, receive, send)
            return
        encoded = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == HEADER for name, _ in headers):
                    headers.append((HEADER, encoded))
                    message = {**message, "headers": headers}
            await send(message)

        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside a request or without the header)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
