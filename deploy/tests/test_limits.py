"""Request limits (docs/security.md §1): the body-limit variables, the Caddyfile, bodies refused unheld."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import checkout
import pytest

from edge_sidecar import config, limits
from edge_sidecar.cors_asgi import Message, Receive, Scope, Send
from edge_sidecar.limits import AUTH_MAX_BODY_BYTES, HEADER_BYTES, MAX_BODY_BYTES, BodyLimitMiddleware
from edge_sidecar.policy import ConfigError

CADDYFILE = (Path(__file__).resolve().parents[1] / "Caddyfile").read_text()


def test_the_caddyfile_has_the_same_limits() -> None:
    header = re.search(r"^\s*max_header_size (\d+)$", CADDYFILE, re.M)
    assert header is not None and header.group(1) == str(HEADER_BYTES)
    sizes = dict(re.findall(r"request_body @(\w+) \{\s*max_size (\S+)\s*\}", CADDYFILE))
    expected = {"auth_body": "{$EDGE_AUTH_MAX_BODY_BYTES}", "other_body": "{$EDGE_MAX_BODY_BYTES}"}
    assert sizes == expected
    assert dict(re.findall(r"vars @(\w+) body_limit (\S+)", CADDYFILE)) == sizes


def test_the_shipped_defaults_are_the_module_defaults() -> None:
    env = config.effective_env({}, checkout.load_defaults())
    assert config.body_limits(env) == limits.BodyLimits(default=MAX_BODY_BYTES, auth=AUTH_MAX_BODY_BYTES)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAX_BODY_BYTES": "1mb"}, "MAX_BODY_BYTES: '1mb' is not a number of bytes from 1024"),
        ({"MAX_BODY_BYTES": "\uff11\uff10\uff12\uff14\uff10"}, "has non-ASCII characters"),
        ({"AUTH_MAX_BODY_BYTES": "100"}, "AUTH_MAX_BODY_BYTES: '100' is not a number of bytes from 1024"),
        ({"MAX_BODY_BYTES": str(200 * 1024 * 1024)}, "is not a number of bytes from 1024 to 104857600"),
        ({"AUTH_MAX_BODY_BYTES": "2097152"}, "AUTH_MAX_BODY_BYTES: is larger than MAX_BODY_BYTES"),
    ],
)
def test_bad_body_limits_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        config.body_limits(config.effective_env(env, checkout.load_defaults()))
    assert message in str(refused.value)


def test_body_limits_reach_caddy_and_direct_mode() -> None:
    env = config.effective_env(
        {"MAX_BODY_BYTES": "4096", "AUTH_MAX_BODY_BYTES": "2048"}, checkout.load_defaults()
    )
    runtime = config.parse_runtime(env)
    assert runtime.body_limits == limits.BodyLimits(default=4096, auth=2048)
    caddy = config.caddy_env(runtime)
    assert (caddy["EDGE_MAX_BODY_BYTES"], caddy["EDGE_AUTH_MAX_BODY_BYTES"]) == ("4096", "2048")
    assert "@auth_body path /api/v1/auth/*" in CADDYFILE and limits.AUTH_PREFIX == "/api/v1/auth/"


def scope(path: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    request_id = (b"x-request-id", b"rid-1")
    return {"type": "http", "method": "POST", "path": path, "headers": [request_id, *headers]}


class App:
    """Reads the whole body (or not), then answers 200 with its size."""

    def __init__(self, read: bool = True) -> None:
        self.read, self.received = read, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = self.read
        while more:
            message = await receive()
            self.received += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.received).encode()})


def run(app: Any, s: Scope, chunks: list[bytes]) -> tuple[list[Message], int]:
    sent: list[Message] = []
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        body = chunks[pulled - 1] if pulled <= len(chunks) else b""
        return {"type": "http.request", "body": body, "more_body": pulled < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(BodyLimitMiddleware(app)(s, receive, send))
    return sent, pulled


def refused(sent: list[Message], limit: int) -> None:
    assert sent[0]["status"] == 413 and len(sent) == 2
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    body = json.loads(sent[1]["body"])
    assert body == {
        "detail": f"the request body is too large for this endpoint (at most {limit} bytes)",
        "error": "body_too_large",
        "status": 413,
        "request_id": "rid-1",
    }


def test_a_content_length_over_the_limit_is_refused_before_any_read() -> None:
    app = App()
    sent, pulled = run(app, scope("/api/v1/items", [(b"content-length", b"50000000")]), [b"x"])
    refused(sent, MAX_BODY_BYTES)
    assert pulled == 0 and app.received == 0


def test_auth_routes_have_the_small_limit_case_insensitively() -> None:
    size = str(AUTH_MAX_BODY_BYTES + 1).encode()
    for path in ("/api/v1/auth/login", "/API/v1/Auth/refresh"):
        sent, pulled = run(App(), scope(path, [(b"content-length", size)]), [b"x"])
        refused(sent, AUTH_MAX_BODY_BYTES)
        assert pulled == 0
    body = [b"x" * (AUTH_MAX_BODY_BYTES + 1)]
    sent, _ = run(App(), scope("/api/v1/authx", [(b"content-length", size)]), body)
    assert sent[0]["status"] == 200


def test_a_chunked_body_is_counted_and_never_read_past_the_limit() -> None:
    chunks = [b"x" * 4096] * 10  # 40 KiB, no Content-Length
    app = App()
    sent, pulled = run(app, scope("/api/v1/auth/login", []), chunks)
    refused(sent, AUTH_MAX_BODY_BYTES)
    # The read that crossed the limit is the last one: 5 * 4096 > 16 KiB.
    assert pulled == 5 and app.received == 4 * 4096


def test_bodies_up_to_the_limit_pass_untouched() -> None:
    exact = [b"x" * 8192, b"x" * 8192]
    sent, _ = run(App(), scope("/api/v1/auth/login", [(b"content-length", b"16384")]), exact)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"16384"
    sent, _ = run(App(), scope("/api/v1/auth/login", []), exact)
    assert sent[0]["status"] == 200


def test_an_app_that_answers_the_overflow_itself_is_replaced_by_the_413() -> None:
    class Catching(App):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await super().__call__(scope, receive, send)
            except limits.BodyTooLarge:
                await send({"type": "http.response.start", "status": 400, "headers": []})
                await send({"type": "http.response.body", "body": b"bad"})

    sent, _ = run(Catching(), scope("/x", []), [b"x" * MAX_BODY_BYTES, b"x"])
    refused(sent, MAX_BODY_BYTES)


def test_a_route_that_does_not_read_the_body_answers_as_it_likes() -> None:
    sent, pulled = run(App(read=False), scope("/api/v1/auth/login", []), [b"x" * 100_000])
    assert sent[0]["status"] == 200 and pulled == 0


def test_the_431_is_gos_own() -> None:
    assert limits.HEAD_LIMIT == HEADER_BYTES + 4096
    assert limits.HEAD_TOO_LARGE.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"access-control" not in limits.HEAD_TOO_LARGE.lower()
