"""The CORS spec table (cors_spec.json), in-process against direct mode's edge (direct.wrap) and the fake app.

The same rows run through real Caddy and real uvicorn in tools/test/integration/cors-spec.test.ts; this
tier is the fast one (no process is started).
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import fake_app
import pytest
from checkout import load_defaults

from edge_sidecar import direct
from edge_sidecar.config import effective_env, parse_runtime
from edge_sidecar.cors_asgi import ASGIApp, Message

SPEC = json.loads((Path(__file__).parent / "cors_spec.json").read_text())
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def expand(spec: dict[str, Any]) -> list[Any]:
    """One pytest param per row and origin, `{origin}` substituted everywhere in the row."""
    rows = []
    for case in spec["cases"]:
        for origin in case.get("origins", [None]):
            text = json.dumps({k: v for k, v in case.items() if k != "origins"})
            if origin is not None:
                text = text.replace("{origin}", json.dumps(origin)[1:-1])
            label = f"{case['category']}: {case['name']}" + (f" [{origin}]" if origin else "")
            rows.append(pytest.param(json.loads(text), id=label))
    return rows


def edge() -> ASGIApp:
    config = parse_runtime(effective_env(SPEC["policy"], load_defaults()))
    return direct.wrap(fake_app.app, config.policy, config.body_limits)


async def call(app: ASGIApp, case: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send one request through the ASGI app; the response's status, header lines and body."""
    lines = case["lines"]
    headers = [(lines[i].lower().encode(), lines[i + 1].encode()) for i in range(0, len(lines), 2)]
    body = b"x" * case.get("body_bytes", 0)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": case["method"],
        "scheme": "http",
        "path": case["path"],
        "raw_path": case["path"].encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    sent: list[Message] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    except RuntimeError as error:  # the fake app's /fake/crash: the wrapper answers, then re-raises
        assert "on purpose" in str(error)
    start = next(m for m in sent if m["type"] == "http.response.start")
    out = [(k.decode().lower(), v.decode()) for k, v in start["headers"]]
    return (
        start["status"],
        out,
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )


def check(case: dict[str, Any], status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """The row's expectations (cors_spec.json "about"); the TS tier checks the same ones."""
    expect = case["expect"]
    assert status == expect["status"]
    cors = sorted((k, v) for k, v in headers if k.startswith("access-control-"))
    assert cors == sorted((expect["cors"] or {}).items())
    if "vary" in expect:
        vary = [t.strip().lower() for k, v in headers if k == "vary" for t in v.split(",") if t.strip()]
        assert (sorted(set(vary)) if expect.get("vary_any_order") else vary) == expect["vary"]
    text = body.decode()
    if "answered_by" in expect:
        by_app = '"answered_by": "app"' in text or '"path":' in text
        assert ("app" if by_app else "edge") == expect["answered_by"]
    if "body" in expect:
        assert text == expect["body"]
    if "content_type" in expect:
        assert [v for k, v in headers if k == "content-type"] == [expect["content_type"]]
    if "json" in expect:
        assert json.loads(text).items() >= expect["json"].items()
    if "request_id" in expect:
        sent = [
            case["lines"][i + 1]
            for i in range(0, len(case["lines"]), 2)
            if case["lines"][i] == "X-Request-ID"
        ]
        got = [v for k, v in headers if k == "x-request-id"]
        if expect["request_id"] == "echo":
            assert got == sent
        else:
            assert len(got) == 1 and UUID.fullmatch(got[0]), got


@pytest.mark.parametrize("case", expand(SPEC))
def test_direct_mode_edge_meets_the_spec(case: dict[str, Any]) -> None:
    check(case, *asyncio.run(call(edge(), case)))


def test_the_spec_covers_every_category() -> None:
    categories = {case["category"] for case in SPEC["cases"]}
    assert categories >= {"preflight granted", "preflight refused", "not a preflight", "simple allowed"}
    assert categories >= {"simple denied", "no origin", "errors", "request id"}
