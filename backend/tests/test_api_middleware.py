"""Cross-cutting behaviour: X-Request-ID echo and logging, no CORS in the app, unhandled errors stay 500s."""

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from test_auth_support import bearer_headers

from edge_api.app import create_app
from edge_api.config import Settings
from edge_api.request_id import RequestIdFilter


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("0b5c8a2e-6c1e-4c1e-9a51-1f0e8f2d3c4b", "0b5c8a2e-6c1e-4c1e-9a51-1f0e8f2d3c4b"),
        ("abc", "abc"),
        (None, None),
        ("has space", None),
        ("x" * 129, None),
        ("<script>alert(1)</script>", None),  # printable, but not the pattern (edge_sidecar.request_ids)
        ("a,b", None),
    ],
)
@pytest.mark.parametrize("path", ["/health/live", "/api/v1/items", "/no-such-path"])
def test_request_id_echo(client: TestClient, sent: str | None, echoed: str | None, path: str) -> None:
    headers = bearer_headers("acme") | ({"X-Request-ID": sent} if sent is not None else {})
    response = client.get(path, headers=headers)
    assert response.headers.get_list("x-request-id") == ([echoed] if echoed else [])


class RecordCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    collector = RecordCollector()
    logger = logging.getLogger("edge_api")
    logger.addHandler(collector)
    yield collector.records
    logger.removeHandler(collector)


def test_log_lines_carry_the_request_id(closed_port: int, records: list[logging.LogRecord]) -> None:
    url = f"postgresql://u:p@127.0.0.1:{closed_port}/db"
    with TestClient(create_app(Settings(database_url=url))) as client:
        assert client.get("/health/ready", headers={"X-Request-ID": "req-42"}).status_code == 503
    startup, readiness = records[0], records[-1]
    assert startup.request_id == "-"  # type: ignore[attr-defined]
    assert readiness.name == "edge_api.readiness"
    assert readiness.request_id == "req-42"  # type: ignore[attr-defined]


def test_app_adds_no_cors_headers(client: TestClient) -> None:
    origin = {"Origin": "http://localhost:3001"}
    preflight = client.options("/api/v1/items", headers=origin | {"Access-Control-Request-Method": "POST"})
    simple = client.get("/api/v1/items", headers=origin | bearer_headers("acme"))
    for response in (preflight, simple):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


@pytest.fixture
def failing_app(database_url: str) -> FastAPI:
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom with secrets")

    return app


def test_unhandled_exception_is_a_plain_500(failing_app: FastAPI) -> None:
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert "kaboom" not in response.text


def test_unhandled_exception_propagates_to_the_server(failing_app: FastAPI) -> None:
    with TestClient(failing_app) as client, pytest.raises(RuntimeError, match="kaboom"):
        client.get("/boom")


def test_main_module_exposes_the_app() -> None:
    from edge_api import main

    assert isinstance(main.app, FastAPI)
    assert {"/health/live", "/health/ready", "/api/v1/items"} <= set(main.app.openapi()["paths"])
