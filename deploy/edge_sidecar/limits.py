"""Direct mode's request limits, the same as the Caddyfile's: bounded bodies (per route) and headers.

Bodies: :class:`BodyLimitMiddleware` refuses a body over the route's limit before the app reads a byte
of it when Content-Length says so, and counts the bytes of a chunked body as the app reads them, so the
app never holds more than the limit. The answer is a JSON 413 shaped like the sidecar's (Caddyfile
``handle_errors``); the CORS wrapper outside it adds CORS for an allowed origin. Limits: 16 KiB under
``/api/v1/auth/`` (codes, states, a return URL), 1 MiB elsewhere; the Caddyfile's ``request_body``
uses the same numbers (deploy/tests/test_limits.py reads them from it).

Headers: :class:`HeaderLimitedProtocol` is uvicorn's httptools protocol with Go's rule, which Caddy's
``max_header_size`` applies in sidecar mode: a request head (request line and header lines) longer
than HEADER_BYTES + 4096 (net/http's slack) is answered 431 before any app runs, without CORS, as Go
answers. Passed as ``uvicorn --http edge_sidecar.limits:HeaderLimitedProtocol`` (launch.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from edge_sidecar.cors_asgi import ASGIApp, Message, Receive, Scope, Send
from edge_sidecar.request_ids import HEADER as REQUEST_ID_HEADER

AUTH_PREFIX = "/api/v1/auth/"
AUTH_MAX_BODY_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
# Caddyfile `max_header_size`; Go allows this plus 4096 bytes for the whole head (http.Server's
# initialReadLimitSize), and answers 431 beyond.
HEADER_BYTES = 32 * 1024
GO_HEADER_SLACK = 4096
HEAD_LIMIT = HEADER_BYTES + GO_HEADER_SLACK
# What Go writes for a head over the limit (net/http server.go), so both modes answer byte for byte alike.
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\n"
    b"431 Request Header Fields Too Large"
)


@dataclass(frozen=True)
class BodyLimits:
    default: int = MAX_BODY_BYTES
    auth: int = AUTH_MAX_BODY_BYTES

    def for_path(self, path: str) -> int:
        # Caddy's path matcher is case-insensitive; so is this, so both modes size a route alike.
        return self.auth if path.lower().startswith(AUTH_PREFIX) else self.default


def too_large_body(limit: int, request_id: str) -> bytes:
    """The 413's JSON, as the Caddyfile's handle_errors writes it."""
    detail = f"the request body is too large for this endpoint (at most {limit} bytes)"
    return json.dumps(
        {"detail": detail, "error": "body_too_large", "status": 413, "request_id": request_id},
        separators=(",", ":"),
    ).encode()


def declared_length(scope: Scope) -> int | None:
    """The Content-Length, when there is exactly one and it is a number (uvicorn refuses other forms)."""
    values = [v for k, v in scope["headers"] if k == b"content-length"]
    if len(values) != 1 or not values[0].strip().isdigit():
        return None
    return int(values[0])


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a body grows past its limit: the app must stop reading."""


class BodyLimitMiddleware:
    """Refuse request bodies over the route's limit (413 JSON) without ever holding more than it."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app, self.limits = app, limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        request_id = next((v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID_HEADER), "")
        length = declared_length(scope)
        if length is not None and length > limit:
            await self._refuse(send, limit, request_id)
            return

        received = 0
        overflow = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            if overflow:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Once the body overflowed, whatever the app makes of the error is replaced by the 413.
            if overflow:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not overflow:
                raise
        if overflow:
            if started:
                raise RuntimeError("request body over its limit after the response started")
            await self._refuse(send, limit, request_id)

    @staticmethod
    async def _refuse(send: Send, limit: int, request_id: str) -> None:
        body = too_large_body(limit, request_id)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        # No "Connection: close": uvicorn closing a socket with unread input makes the kernel reset it,
        # which can destroy this answer before the client reads it. Kept open, uvicorn discards the rest
        # of the body (the request is answered), holding none of it.
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class HeaderLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over HEAD_LIMIT bytes with Go's 431.

    Two counts, both per request: the bytes the parser was fed while the head is incomplete (bounds the
    memory httptools holds for one huge header it has not finished), and the head as parsed (request
    target plus each ``name: value`` line), checked as each header completes.
    """

    head_limit = HEAD_LIMIT

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._in_head = True
        self._fed = 0
        self._head = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._refused:
            return
        if self._in_head:
            self._fed += len(data)
            if self._fed > self.head_limit:
                self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._fed, self._head = True, 0, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url) + 16)  # method, spaces, "HTTP/1.1\r\n"

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._head += size
        if self._head > self.head_limit and not self._refused:
            # Inside the parser's callback: answer now, then stop the parser (its error is ignored).
            self._refuse_head()
            raise ValueError("request head too large")

    def _refuse_head(self) -> None:
        self._refused = True
        self.logger.warning("Request head over %d bytes refused (431).", self.head_limit)
        if not self.transport.is_closing():
            self.transport.write(HEAD_TOO_LARGE)
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            return  # the parser's error after our own refusal: already answered
        super().send_400_response(msg)
