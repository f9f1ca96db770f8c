"""X-Request-ID in direct mode (docs/security.md §5): the same as the sidecar's Caddyfile, case by case."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from checkout import launcher_env, load_defaults

from edge_sidecar import direct, request_ids
from edge_sidecar.cors_asgi import CorsPolicyMiddleware, Scope
from edge_sidecar.policy import parse_policy
from edge_sidecar.request_ids import RequestIdEdge, resolve

SANE = "0b5c8a2e-6c1e-4c1e-9a51-1f0e8f2d3c4b"
ORIGIN = "http://localhost:3001"


# (header lines sent, the id the app sees and the response carries: the same, or None for "a fresh UUID")
CASES: list[Any] = [
    pytest.param([SANE.encode()], SANE, id="uuid"),
    pytest.param([b"abc"], "abc", id="short"),
    pytest.param([b"A.b_c:d-9"], "A.b_c:d-9", id="every-allowed-character"),
    pytest.param([b"x" * 128], "x" * 128, id="128-characters"),
    pytest.param([], None, id="missing"),
    pytest.param([b""], None, id="empty"),
    pytest.param([b"x" * 129], None, id="129-characters"),
    pytest.param([b"<script>alert(1)</script>"], None, id="markup"),
    pytest.param([b"\"'><img src=x>"], None, id="quotes-and-brackets"),
    pytest.param([b"has space"], None, id="space"),
    pytest.param([b"a/b"], None, id="slash"),
    pytest.param(["caf\u00e9".encode()], None, id="non-ascii-utf8"),
    pytest.param([b"caf\xe9"], None, id="non-ascii-latin1"),
    pytest.param([b"abc\x00"], None, id="nul"),
    pytest.param([b"a,b"], None, id="comma"),
    pytest.param([b"one", b"two"], None, id="two-headers"),
]


def is_fresh(value: str) -> bool:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return str(parsed) == value and parsed.version == 4


def run(
    app: Any, headers: list[tuple[bytes, bytes]], method: str = "GET"
) -> tuple[int, list[tuple[bytes, bytes]]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/echo", "raw_path": b"/echo", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], list(sent[0]["headers"])


class EchoApp:
    """Answers with the X-Request-ID lines it saw, and sets an id of its own (which must not survive)."""

    def __init__(self) -> None:
        self.seen: list[list[bytes]] = []

    async def __call__(self, scope: Scope, _receive: Any, send: Any) -> None:
        self.seen.append([v for k, v in scope["headers"] if k == b"x-request-id"])
        body = json.dumps({"ok": True}).encode()
        headers = [(b"content-type", b"application/json"), (b"x-request-id", b"app-made-id")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def ids(headers: list[tuple[bytes, bytes]]) -> list[str]:
    return [v.decode("latin-1") for k, v in headers if k.lower() == b"x-request-id"]


@pytest.mark.parametrize(("sent", "kept"), CASES)
def test_request_id_seen_by_the_app_and_on_the_response(sent: list[bytes], kept: str | None) -> None:
    app = EchoApp()
    status, headers = run(RequestIdEdge(app), [(b"host", b"x"), *((b"x-request-id", v) for v in sent)])
    assert status == 200
    [on_response] = ids(headers)
    assert [v.decode() for v in app.seen[0]] == [on_response]
    if kept is None:
        assert is_fresh(on_response), on_response
    else:
        assert on_response == kept


def test_fresh_ids_differ() -> None:
    assert len({resolve([]) for _ in range(50)}) == 50


def direct_app(monkeypatch: pytest.MonkeyPatch, app: Any) -> Any:
    monkeypatch.setattr(direct, "import_from_string", lambda _name: app)
    # Direct mode reads what the launcher hands it: here, the shipped defaults with this origin.
    for name, value in launcher_env({"CORS_ALLOW_ORIGINS": ORIGIN}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EDGE_FALLBACK", raising=False)
    return direct.create_app()


@pytest.mark.parametrize(("sent", "kept"), CASES)
def test_direct_mode_app_applies_it(
    monkeypatch: pytest.MonkeyPatch, sent: list[bytes], kept: str | None
) -> None:
    echo = EchoApp()
    app = direct_app(monkeypatch, echo)
    status, headers = run(app, [(b"origin", ORIGIN.encode()), *((b"x-request-id", v) for v in sent)])
    assert status == 200
    [on_response] = ids(headers)
    assert [v.decode() for v in echo.seen[0]] == [on_response]
    assert on_response == kept if kept is not None else is_fresh(on_response)
    assert (b"access-control-allow-origin", ORIGIN.encode()) in headers


def test_direct_mode_preflight_and_wrapper_500_carry_an_id(monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(_scope: Any, _receive: Any, _send: Any) -> None:
        raise RuntimeError("boom")

    app = direct_app(monkeypatch, boom)
    preflight = [
        (b"origin", ORIGIN.encode()),
        (b"access-control-request-method", b"GET"),
        (b"x-request-id", b"pre-1"),
    ]
    status, headers = run(app, preflight, method="OPTIONS")
    assert (status, ids(headers)) == (204, ["pre-1"])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "headers": [(b"x-request-id", b"<b>")],
    }
    with pytest.raises(RuntimeError):
        asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 500
    [on_500] = ids(sent[0]["headers"])
    assert is_fresh(on_500)


def test_the_cors_wrapper_alone_does_not_touch_ids() -> None:
    # The id is request_ids' job, not the CORS wrapper's: composed in direct.py, not inside it.
    app = EchoApp()
    policy = parse_policy({**load_defaults(), "CORS_ALLOW_ORIGINS": ORIGIN})
    _status, headers = run(CorsPolicyMiddleware(app, policy), [(b"x-request-id", b"<b>")])
    assert ids(headers) == ["app-made-id"]
    assert request_ids.HEADER == b"x-request-id"
