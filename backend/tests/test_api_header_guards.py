"""The CSRF guard of the cookie-bound POSTs refuses before the body is read (docs/security.md §1)."""

import asyncio
import json

import pytest
from starlette.types import Message

from edge_api.app import create_app

APP = "http://localhost:3001"


@pytest.mark.usefixtures("database_url")
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"])
@pytest.mark.parametrize(
    "headers",
    [[(b"origin", APP.encode())], [(b"origin", b"https://evil.test"), (b"x-requested-with", b"fetch")]],
)
def test_a_refused_cookie_bound_post_never_reads_its_body(
    path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    app = create_app()
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b'{"code": "c", "state": "s"}', "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "server": ("t", 443), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"t"), (b"content-type", b"application/json"), *headers],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 403
    assert json.loads(sent[1]["body"])["error"] == "csrf_rejected"
    assert pulled == 0
