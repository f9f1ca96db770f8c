"""The fallback's /health (fallback_health.py), in process: 503 degraded, the app's checks kept."""

import asyncio
import json
from typing import Any

import pytest

from edge_sidecar.fallback_health import FallbackHealth, degraded_body


@pytest.mark.parametrize(
    ("status", "body", "checks"),
    [
        (
            200,
            b'{"status": "ok", "checks": {"api": "ok", "db": "ok"}}',
            {"proxy": "down", "api": "ok", "db": "ok"},
        ),
        (
            503,
            b'{"checks": {"api": "ok", "db": "unavailable"}}',
            {"proxy": "down", "api": "ok", "db": "unavailable"},
        ),
        (200, b"fine", {"proxy": "down", "api": "ok"}),  # an app whose readiness is not JSON
        (500, b"", {"proxy": "down", "api": "unavailable"}),
    ],
)
def test_degraded_body(status: int, body: bytes, checks: dict[str, str]) -> None:
    assert json.loads(degraded_body(status, body)) == {
        "status": "degraded",
        "mode": "direct-fallback",
        "checks": checks,
        "failing": "proxy",
    }


def call(app: Any, path: str) -> tuple[int, bytes, list[str]]:
    sent: list[dict[str, Any]] = []
    seen: list[str] = []

    async def inner(scope: dict[str, Any], _receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"checks": {"api": "ok", "db": "ok"}}'})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "headers": []}
    asyncio.run(app(inner)(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), seen


def test_health_asks_the_apps_readiness_and_answers_503() -> None:
    status, body, seen = call(FallbackHealth, "/health")
    assert (status, seen) == (503, ["/health/ready"])
    assert json.loads(body)["checks"] == {"proxy": "down", "api": "ok", "db": "ok"}


def test_every_other_path_goes_to_the_app_unchanged() -> None:
    status, _body, seen = call(FallbackHealth, "/health/live")
    assert (status, seen) == (200, ["/health/live"])
